"""The one interface every method plugin implements: search -> derive -> build -> train.

NASLib's split, SR-sized: a plugin owns its search space and search strategy and returns a genotype
(plain JSON data); the harness owns seeding, data, evaluation, records and tables. Training is shared
(:func:`srnas.train.fit`) and a plugin overrides :meth:`Method.train` only where its paper differs.
"""
from __future__ import annotations

import sys
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

import numpy as np
import torch.nn as nn

if TYPE_CHECKING:
    from srnas.context import RunContext
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
