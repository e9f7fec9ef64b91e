"""The one interface every method plugin implements: search -> derive -> build -> train.

NASLib's split, SR-sized: a plugin owns its search space and search strategy and returns a genotype
(plain JSON data); the harness owns seeding, data, evaluation, records and tables. Training is shared
(:func:`srnas.train.fit`) and a plugin overrides :meth:`Method.train` only where its paper differs.
"""
from __future__ import annotations

import sys
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

import numpy as np
import torch
import torch.nn as nn

if TYPE_CHECKING:
    from srnas.context import RunContext
    from srnas.measurement import PluginMeasure
    from srnas.datasets.patches import PatchSource

Genotype = dict[str, Any]
"""A derived architecture as JSON-serialisable data (stored verbatim in the run record)."""


@dataclass
class SearchResult:
    """What a search returns. ``model`` is set by one-phase methods whose search already trained it."""

    genotype: Genotype
    info: dict[str, Any] = field(default_factory=dict)  # curves, final entropy, cost... (JSON-serialisable)
    model: nn.Module | None = None


class WeightSharingSpace(Protocol):
    """A discrete space with a weight-sharing supernet: what ENAS-style search and the ``random``
    baseline (random search with weight sharing, Li & Talwalkar 2019) need from a plugin."""

    def sample(self, rng: np.random.Generator) -> Any:
        """A random architecture (JSON data) drawn uniformly from the space."""

    def supernet(self) -> nn.Module:
        """A module whose ``forward(x, arch)`` runs architecture ``arch`` with the shared weights."""

    def genotype(self, arch: Any) -> Genotype:
        """The genotype the plugin's ``build`` accepts for ``arch``."""


@dataclass(frozen=True)
class CandidateObjective:
    """How a search ranks one architecture of its space from held-out measurements: its own objective,
    stated by its plugin so that random search with weight sharing can rank its candidates *as the search
    would* (issue 25: RSWS ranked by PSNR alone picks 3x larger HNAS nets than HNAS's reward would).

    The objective of an architecture is ``combine(mean accuracy over the held-out tiles, cost(arch))``,
    higher is better; the plugin names which PSNR (or loss) and which cost its search uses."""

    name: str  # what the objective is, in the paper's terms (shown on the comparison page)
    accuracy: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]  # (SR, HR) batch -> per-image accuracy term
    cost: Callable[[Any], float]  # the architecture's cost term, as the search charges it
    combine: Callable[[float, float], float]  # (mean accuracy, cost) -> objective; higher is better


class RecordGroup(Protocol):
    """All seeds of one configuration, as the harness hands them to a plugin's report hooks
    (:class:`srnas.harness.reporting.aggregate.Group`): the plugin reads its own record keys, the harness none."""

    method: str
    variant: str
    records: list[dict[str, Any]]

    @property
    def label(self) -> str: ...

    @property
    def seeds(self) -> list[int]: ...

    def values(self, dataset: str, metric: str) -> list[float]: ...


@dataclass(frozen=True)
class ControllerReadout:
    """What an RL search's record says about its controller, read by the plugin that wrote the keys."""

    first_sampled_psnr: float  # mean validation PSNR of the architectures sampled in the first controller epoch
    last_sampled_psnr: float  # ... in the last controller epoch
    last_sampled_cost: float  # their mean cost (``ControllerProbes.cost_name``) in the last epoch
    derived_psnr: float  # the derived architecture's validation PSNR at search time
    derived_cost: float  # and its cost


@dataclass(frozen=True)
class ControllerProbes:
    """The two search probes that show whether accuracy moves an RL search: the same search with a reward on
    accuracy alone and with a frozen controller (learning rate 0), each as (row label, variant), and how
    this plugin reads its own search info (``readout``: a run record's ``search_info`` -> ControllerReadout)."""

    accuracy_only: tuple[str, str]
    frozen: tuple[str, str]
    cost_name: str  # the cost the controller's reward penalises, as the page names it
    readout: Callable[[dict[str, Any]], ControllerReadout]
    cost_format: str = ",.0f"  # format spec of that cost's values


@dataclass(frozen=True)
class ReportSection:
    """A method-specific section under the comparison's diagnostics (e.g. a sweep over one search setting)."""

    title: str
    intro: tuple[str, ...]  # lines of text under the title
    rows: list[dict[str, Any]]  # the table, one dict per row (column -> text)


class Method(ABC):
    """Base class of method plugins. Subclasses set ``name`` and register with ``@register``."""

    name: ClassVar[str]
    #: label of this method's rows in the reported numbers (benchmarks/reported.csv), None if it has none
    paper_label: ClassVar[str | None] = None
    #: False for methods with nothing to search (bicubic, hand-designed CNNs)
    searches: ClassVar[bool] = True
    #: False for methods with no trainable weights (bicubic)
    trains: ClassVar[bool] = True
    description: ClassVar[str] = ""
    #: the plugin's profile data file, beside its module (``profiles.json``); None: ``profile`` is code
    profiles_file: ClassVar[str | None] = None
    #: where the method's rows and sections appear in tables and pages (then by name): the harness orders
    #: by this, never by a list of names
    listing_order: ClassVar[int] = 100
    #: True for the row tables state every gain against (bicubic upscaling; one plugin sets it)
    reference: ClassVar[bool] = False
    #: True when :meth:`search_space` gives a weight-sharing space: the equal-budget comparison then runs the
    #: method against the :attr:`space_baseline` plugin inside its space
    weight_sharing: ClassVar[bool] = False
    #: True for a baseline that runs inside other plugins' spaces (random search with weight sharing): its
    #: variant named after a space runs in that space, ``<space>-random-arch`` draws one architecture from it,
    #: and its genotypes wrap the space's (``{"space": ..., "genotype": ...}``)
    space_baseline: ClassVar[bool] = False

    def variants(self) -> dict[str, dict[str, Any]]:
        """Named option sets (config overrides). ``default`` is the paper's behaviour.

        Known code-vs-paper deviations are variants too (e.g. ``official-code``), so the suite can run a
        method "as published" and "as in the official code" and show the difference.
        """
        return {"default": {}}

    def reported_variant(self, variant: str) -> str | None:
        """The ``variant`` value of this method's rows in the reported numbers ('' for none)."""
        return None if variant == "default" else variant

    def reported_variants(self) -> dict[str, str]:
        """Every reported-numbers row label this plugin reproduces -> the variant that reproduces it.

        Several labels may name one variant: a paper prints its main model in several tables under
        different names (HiNAS: "LWAS + ResL" in Table 2 and "HiNAS**" in Table 5 are the default). The
        claims ledger judges a paper's cells through this map, so an ablation row needs a variant here to be
        judged; a row without one is a cited number. The default: each variant's :meth:`reported_variant`.
        """
        out: dict[str, str] = {}
        for variant in self.variants():
            label = self.reported_variant(variant)
            out.setdefault(label or "", variant)
        return out

    def profile(self, name: str) -> dict[str, Any]:
        """Config overrides for budget profile ``smoke`` / ``short`` / ``paper``.

        Merged over :data:`srnas.profiles.BASE_PROFILES`. The ``paper`` profile states the paper's
        protocol (search split, epochs, loss, schedule) so a GPU rerun follows it. By default read from
        :attr:`profiles_file` (checked by :mod:`srnas.profile_files`: every paper number has a source).
        """
        return self.profile_data().profile(name)

    def profile_data(self):
        """The checked :class:`srnas.profile_files.ProfileFile` of this plugin."""
        from srnas.profile_files import load_profile_file

        if self.profiles_file is None:  # register() refuses a plugin with neither a file nor its own profile()
            raise TypeError(f"{type(self).__name__} sets no profiles_file and keeps no profiles in code (override profile())")
        return load_profile_file(Path(sys.modules[type(self).__module__].__file__).parent / self.profiles_file)

    def optional_config(self) -> dict[str, Any]:
        """Config keys this plugin reads with a default when a config lacks them, as {section: {key: default}}.

        Options added after runs were recorded are read this way, so the old configs (and their hashes)
        stay valid; declaring them here lets ``--set`` use them on any profile."""
        return {}

    def search(self, data: "PatchSource", config: dict[str, Any], seed: int, ctx: "RunContext") -> SearchResult:
        """Run the architecture search on ``data`` and return the derived genotype."""
        raise TypeError(f"{self.name} has nothing to search; the harness calls fixed_genotype()")

    def fixed_genotype(self, config: dict[str, Any]) -> Genotype:
        """The architecture of a method without search (or of a published genotype variant)."""
        return {}

    def search_space(self, config: dict[str, Any], scale: int) -> WeightSharingSpace | None:
        """This method's space as a :class:`WeightSharingSpace` (for the ``random`` baseline), if any."""
        return None

    def candidate_objective(self, config: dict[str, Any], scale: int) -> CandidateObjective | None:
        """The search's own ranking of one architecture of :meth:`search_space` (see
        :class:`CandidateObjective`), for the objective-matched random-search row of the comparison; None:
        the search optimises accuracy alone, so PSNR-ranked random search already matches it."""
        return None

    def representative_genotype(self, config: dict[str, Any], scale: int) -> tuple[str, Genotype] | None:
        """(name, genotype) of the architecture a paper's own final training ran on -- its published result --
        for a dry run whose search was cut short to time the final training on; None: a uniform sample from
        the space is timed instead (which may be far larger or smaller than what the paper trained)."""
        return None

    def architecture_decisions(self, genotype: Genotype) -> dict[str, Any]:
        """The choices a search makes in ``genotype``, keyed by JSON path (``srnas.nas.decisions``): what
        cross-seed agreement and its chance level count. Default: every non-float leaf. A plugin whose
        genotype also carries metadata or a second encoding of the same choices leaves those out."""
        from srnas.nas.decisions import default_decisions

        return default_decisions(genotype)

    def controller_probes(self) -> ControllerProbes | None:
        """The accuracy-only and frozen-controller probes of an RL search and their readout (None: the
        method has none)."""
        return None

    def report_sections(self, runs: Sequence[RecordGroup], probes: Sequence[RecordGroup]) -> list[ReportSection]:
        """Method-specific diagnostics under the comparison page, from this method's ``compare``-profile
        groups of full runs and of search probes (e.g. a sweep over one search setting); none by default."""
        return []

    def final_entropies(self, record: dict[str, Any]) -> dict[str, float] | None:
        """Mean normalised entropy (1 = uniform) per family of relaxed architecture distributions at the end
        of this method's search, read from a run record: the search-signal diagnostic labels a search inert
        when every family stays near-uniform (its argmax changes are flips among near-tied weights). None:
        the method keeps no such distribution, or (Trilevel) its final distributions are one-hot by
        construction, so only "moved" and cross-seed agreement can judge it."""
        return None

    def tiny(self, profile: str) -> list[str]:
        """``--set`` overrides that shrink this method's ``profile`` run (``compare``, ``paper``) to seconds on
        a CPU while keeping every loop and kind of step: what the registry's contract tests run (equal
        budget, dry run), so the tests hold no per-plugin dicts and a new plugin states its own."""
        return []

    def measures(self) -> dict[str, "PluginMeasure"]:
        """Claim measures specific to this paper, by the ``measure`` key the claims ledger names
        (``benchmarks/claims.csv``): e.g. a memory saving only this method's supernet has. The harness's own
        measures (published params/MACs, searched params, search GPU-hours) need nothing here."""
        return {}

    def paper_final_params(self, genotype: Genotype, scale: int) -> int | None:
        """Parameters of a searched genotype built the way the paper sizes the network it reports (its final
        widths), whatever budget searched it: the evidence for a paper's "searched models have N params"
        claim. None: this plugin states no such size."""
        return None

    def supernet_training(self, config: dict[str, Any]) -> dict[str, Any] | None:
        """The shared-weight training this method's search spends, as a config of the shared trainer.

        Weight-update steps, batch, LR patch, optimiser, schedule and loss of the supernet updates, read
        from the same config keys the search reads, so random search with weight sharing can train its
        supernet on *exactly* the method's budget (the equal-budget comparison; a test runs both and
        compares the recorded budgets). None for methods without a supernet.
        """
        return None

    @abstractmethod
    def build(self, genotype: Genotype, scale: int, config: dict[str, Any]) -> nn.Module:
        """The final network: float RGB [N,3,h,w] in [0,1] -> [N,3,h*scale,w*scale] in [0,1]."""

    def train(self, model: nn.Module, data: "PatchSource", config: dict[str, Any], seed: int, ctx: "RunContext") -> dict[str, Any]:
        """Train the final network; the shared trainer unless the paper's protocol differs."""
        from srnas.train import fit

        return fit(model, data, config["train"], seed=seed, ctx=ctx)
