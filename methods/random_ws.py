"""Random search with weight sharing (RSWS; Li & Talwalkar 2019), over any plugin's search space.

The HiNAS paper's RSWS baseline (N=30 sampled models) is the reference point for whether a NAS method's
search beats chance in its own space. Algorithm: train the space's supernet with one uniformly sampled
architecture per batch (the shared trainer, not a copy of its loop), sample N architectures, score each
with the shared weights on held-out LR tiles, keep the best, then build it with the *space's* plugin and
train it with that plugin's ``train`` at that plugin's budget (its profile is inherited, see
:meth:`RandomSearchMethod.inherited_profile`). In the ``compare`` profile the supernet is trained with
exactly the space method's own shared-weight training (:meth:`Method.supernet_training`: its steps, batch,
patch, optimiser, schedule and loss), so RSWS and the method spend the same supernet budget.

Choices where the RSWS paper is silent for SR: candidates are scored by mean RGB PSNR on held-out tiles
(the space's own validation scores differ by plugin; PSNR is common to all), and the held-out tiles come
from a contiguous tail split of the training set (``search.random_ws.val_fraction``).

``search.random_ws.rank_by: objective`` (the ``<space>-objective`` rows) ranks the same candidates by the
space's search objective instead (:meth:`Method.candidate_objective`: HNAS's reward, DeCoNAS's penalised
reward, Trilevel's cost-weighted loss), so a search that trades PSNR for cost meets a random search that
trades alike. Its supernet training and candidates are those of the PSNR-ranked row of the same seed.
"""
from __future__ import annotations

import copy
from typing import Any

import numpy as np
import torch
import torch.nn as nn

from srnas.config import OptionalKeys, deep_merge
from srnas.methods import get_method, objective_spaces, register, weight_sharing_spaces
from srnas.methods.base import CandidateObjective, Genotype, Method, SearchResult, WeightSharingSpace
from srnas.nas.proxy import proxy_score
from srnas.nas.separation import candidate_separation
from srnas.nas.budget import search_budget
from srnas.seeding import numpy_stream
from srnas.train import fit

_ARCH_STREAM, _CANDIDATE_STREAM = 1, 2  # independent RNG streams per seed (srnas.seeding.numpy_stream)

_SETTINGS = {
    # supernet_steps: weight-sharing training steps; candidates: N; tiles: held-out LR tiles for scoring
    "smoke": {"supernet_steps": 3, "candidates": 2, "val_fraction": 0.25, "val_patch": 16, "val_max_tiles": 4, "val_batch": 4},
    "short": {"supernet_steps": 300, "candidates": 10, "val_fraction": 0.1, "val_patch": 32, "val_max_tiles": 32, "val_batch": 8},
    # the equal-budget comparison: the supernet is trained with exactly the space method's own shared-weight
    # training (Method.supernet_training: steps, batch, patch, optimiser, schedule, loss); N = 30 as the
    # HiNAS paper's RSWS row
    "compare": {"supernet": "method", "candidates": 30, "val_fraction": 0.1, "val_patch": 32, "val_max_tiles": 32, "val_batch": 8},
    # the HiNAS paper's RSWS row: N=30; supernet training as long as the space plugin's own search
    "paper": {"supernet_steps": None, "candidates": 30, "val_fraction": 0.1, "val_patch": 32, "val_max_tiles": None, "val_batch": 16},
}

# Keys read with a default when a config lacks them (added after the RSWS rows were recorded: their config
# hashes stay): mode "architecture" is the random-architecture row, rank_by "objective" the objective-matched
# row; supernet "final-training" (smoke/short/paper) trains the supernet with the final-training config for
# supernet_steps, "method" (compare) with the space method's own shared-weight training.
_OPTIONAL = OptionalKeys({"search": {"random_ws": {"mode": "weight-sharing", "rank_by": "psnr", "supernet": "final-training"}}})


class SampledArchitecture(nn.Module):
    """Supernet wrapper for weight-sharing training: every forward runs a freshly sampled architecture.

    The draw counter is a buffer, so it is checkpointed with the weights and a resumed run draws the same
    architecture sequence as an uninterrupted one (architecture ``k`` comes from rng(seed, k)).
    """

    def __init__(self, supernet: nn.Module, space: WeightSharingSpace, seed: int):
        super().__init__()
        self.supernet, self.space, self.seed = supernet, space, seed
        self.register_buffer("draws", torch.zeros((), dtype=torch.long))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        arch = self.space.sample(numpy_stream(self.seed, _ARCH_STREAM, int(self.draws)))
        self.draws += 1
        return self.supernet(x, arch)


#: how RSWS ranks its candidates (srnas.nas.proxy): float RGB PSNR per held-out tile, no border dropped
RSWS_PSNR = proxy_score("rsws")


@torch.no_grad()
def tile_scores(supernet: nn.Module, arch: Any, tiles: list[tuple[torch.Tensor, torch.Tensor]], batch: int, device: torch.device,
                objective: CandidateObjective | None = None) -> tuple[list[float], list[float]]:
    """RGB PSNR (dB, [0,1] range) of ``arch`` with the shared weights on each held-out tile, and the
    ``objective``'s accuracy term on each tile (empty without one), from one forward per batch."""
    supernet.eval()
    psnrs: list[float] = []
    accuracy: list[float] = []
    for i in range(0, len(tiles), batch):
        lr = torch.stack([t[0] for t in tiles[i : i + batch]]).to(device)
        hr = torch.stack([t[1] for t in tiles[i : i + batch]]).to(device)
        sr = supernet(lr, arch)
        psnrs += RSWS_PSNR.psnr(sr, hr).tolist()
        if objective is not None:
            accuracy += objective.accuracy(sr, hr).tolist()
    return psnrs, accuracy



@register
class RandomSearchMethod(Method):
    name = "random"
    listing_order = 90
    space_baseline = True
    paper_label = "RSWS"
    description = "random search with weight sharing (Li & Talwalkar 2019) over a plugin's space (options.space)"

    def variants(self) -> dict[str, dict[str, Any]]:
        # default = the HiNAS space, where the paper's RSWS baseline was run
        # "<space>-random-arch": one architecture drawn uniformly from the space, no supernet and no
        # selection, trained like the space's own result (Yang et al.'s random-sampling baseline).
        # The spaces are every plugin with a weight-sharing space (Method.weight_sharing), in listing order:
        # a new plugin gets its RSWS and random-architecture rows without an edit here.
        spaces = weight_sharing_spaces()
        return {"default": {}, **{space: {"options": {"space": space}} for space in spaces},
                **{f"{space}-random-arch": {"options": {"space": space}, "search": {"random_ws": {"mode": "architecture"}}} for space in spaces},
                # "<space>-objective": the same candidates ranked by the space's own search objective
                **{f"{space}-objective": {"options": {"space": space}, "search": {"random_ws": {"rank_by": "objective"}}} for space in objective_spaces()}}

    def reported_variant(self, variant: str) -> str | None:
        # HiNAS Table 2's RSWS row is random search in the HiNAS space with N=30 (x4 only)
        return "random search w/ weight sharing, N=30" if variant in ("default", "hinas") else "no reported RSWS row for this space"

    def profile(self, name: str) -> dict[str, Any]:
        return {"search": {"random_ws": dict(_SETTINGS[name])}, "options": {"space": "hinas"}}

    def optional_config(self) -> dict[str, Any]:
        return _OPTIONAL.defaults()

    def inherited_profile(self, profile: str, config: dict[str, Any]) -> dict[str, Any]:
        """The space plugin's own profile: same data, network widths, options and training budget."""
        return get_method(config["options"]["space"]).profile(profile)

    @staticmethod
    def _space_method(config: dict[str, Any]) -> Method:
        return get_method(config["options"]["space"])

    def search(self, data, config: dict[str, Any], seed: int, ctx) -> SearchResult:
        settings = config["search"]["random_ws"]
        space_name = config["options"]["space"]
        space = self._space_method(config).search_space(config, data.scale)
        if space is None:
            raise TypeError(f"method {space_name!r} exposes no weight-sharing search space")
        mode = _OPTIONAL.read(config, "search.random_ws.mode")
        if mode == "architecture":
            arch = space.sample(numpy_stream(seed, _CANDIDATE_STREAM))
            genotype = {"space": space_name, "genotype": space.genotype(arch)}
            info = {"space": space_name, "mode": "random architecture (uniform draw, no supernet, no selection)",
                    "budget": search_budget(0, int(config["train"]["batch"]), int(config["train"]["lr_patch"]), 0),
                    "architecture": genotype["genotype"]}
            return SearchResult(genotype=genotype, info=info)
        if mode != "weight-sharing":
            raise ValueError(f"search.random_ws.mode must be 'weight-sharing' or 'architecture', not {mode!r}")
        rank_by = _OPTIONAL.read(config, "search.random_ws.rank_by")
        objective = None
        if rank_by == "objective":
            objective = self._space_method(config).candidate_objective(config, data.scale)
            if objective is None:
                raise TypeError(f"search.random_ws.rank_by: objective, but method {space_name!r} states no candidate objective "
                                "(its search ranks by accuracy alone: use rank_by: psnr)")
        elif rank_by != "psnr":
            raise ValueError(f"search.random_ws.rank_by must be 'psnr' or 'objective', not {rank_by!r}")
        train_part, val_part = data.split([1 - settings["val_fraction"], settings["val_fraction"]])
        torch.manual_seed(seed)
        supernet = space.supernet().to(ctx.device)
        training = self.supernet_training(config)
        summary = fit(SampledArchitecture(supernet, space, seed), train_part, training, seed, ctx, phase="search")

        tiles = val_part.tiles(int(settings["val_patch"]), settings["val_max_tiles"])
        rng = numpy_stream(seed, _CANDIDATE_STREAM)
        candidates, per_tile = [], []
        for _ in range(int(settings["candidates"])):
            arch = space.sample(rng)
            psnrs, accuracy = tile_scores(supernet, arch, tiles, int(settings["val_batch"]), ctx.device, objective)
            per_tile.append(psnrs)
            candidate = {"arch": copy.deepcopy(arch), "val_psnr": float(np.mean(psnrs))}
            if objective is not None:
                a, c = float(np.mean(accuracy)), float(objective.cost(arch))
                candidate.update({"accuracy": a, "cost": c, "objective": float(objective.combine(a, c))})
            candidates.append(candidate)
        key = "val_psnr" if objective is None else "objective"
        best = max(range(len(candidates)), key=lambda i: candidates[i][key])  # first on ties
        genotype = {"space": space_name, "genotype": space.genotype(candidates[best]["arch"])}
        steps = int(training["steps"])
        info = {"space": space_name, "supernet_steps": steps, "supernet_final_loss": summary["final_loss"],
                "supernet_training": _OPTIONAL.read(config, "search.random_ws.supernet"),
                "budget": search_budget(steps, int(training["batch"]), int(training["lr_patch"]), 0),
                "val_tiles": len(tiles), "best_index": best, "candidates": candidates,
                "validation_noise": candidate_separation(per_tile)}
        if objective is not None:
            # the candidate RSWS would have picked by PSNR, beside the objective's pick (same candidates)
            info.update({"rank_by": "objective", "objective": objective.name,
                         "best_index_by_psnr": max(range(len(candidates)), key=lambda i: candidates[i]["val_psnr"])})
        return SearchResult(genotype=genotype, info=info)

    def supernet_training(self, config: dict[str, Any]) -> dict[str, Any]:
        """``supernet: method`` (the comparison): exactly the space method's own shared-weight training.
        Otherwise (short/paper rows recorded before it) the final-training config for ``supernet_steps``
        steps (or the space's search steps)."""
        settings = config["search"]["random_ws"]
        if _OPTIONAL.read(config, "search.random_ws.supernet") == "method":
            training = self._space_method(config).supernet_training(config)
            if training is None:
                raise TypeError(f"method {config['options']['space']!r} states no supernet training to match")
            return training
        steps = settings["supernet_steps"] or config["search"].get("steps") or config["train"]["steps"]
        return deep_merge(config["train"], {"steps": int(steps)})

    def build(self, genotype: Genotype, scale: int, config: dict[str, Any]) -> nn.Module:
        return get_method(genotype["space"]).build(genotype["genotype"], scale, config)

    def train(self, model: nn.Module, data, config: dict[str, Any], seed: int, ctx) -> dict[str, Any]:
        return self._space_method(config).train(model, data, config, seed, ctx)
