"""One-phase Trilevel search: weights and all three levels' distributions train together.

The shared first-order loop (:func:`srnas.nas.bilevel.bilevel_search`) alternates an architecture step
and a weight step on the *same* training data (one phase: no held-out architecture split unless the
``derivative-split`` variant asks for it). ``on_step`` anneals the sparsestmax radius from 0
(sparsemax) after the warm-up to the one-hot radius at ``anneal_end`` of the steps; the remaining steps
train the now-discrete network inside the same loop, so the derived model is already trained.

The architecture loss adds ``cost_weight * E[MACs] / max MACs`` (expected multiply-adds per LR pixel
under the current distributions, normalised by the largest architecture), so the search trades
accuracy for size.
"""
from __future__ import annotations

from typing import Any

import torch

from srnas.context import RunContext
from srnas.datasets.patches import PatchSource
from srnas.losses import make_loss
from srnas.methods.base import CandidateObjective, SearchResult
from srnas.nas.bilevel import bilevel_search

from .space import OPTIONAL, SpaceConfig
from .supernet import TrilevelSupernet


def radius_fraction(step: int, steps: int, warmup: int, anneal_end: float) -> float:
    """0 until ``warmup``, then linear to 1 at ``anneal_end * steps``, then 1 (one-hot)."""
    end = max(int(round(anneal_end * steps)), warmup + 1)
    if step < warmup:
        return 0.0
    return min((step - warmup) / (end - warmup), 1.0)


def _round(values: list[float]) -> list[float]:
    return [round(v, 5) for v in values]


def loss_objective(config: dict[str, Any], scale: int) -> CandidateObjective:
    """The architecture loss the search descends, pixel loss + cost_weight * MACs / max MACs, negated (higher
    is better) and charged one architecture's own MACs per LR pixel (the search charges their expectation
    under its distributions; for one architecture the two are the same); the order-constraint term acts on
    the relaxed node weights only and has no value for a fixed architecture."""
    space, cfg = SpaceConfig.from_config({**config, "scale": scale}), config["search"]
    pixel_loss, cost_weight, reference = make_loss(cfg.get("loss", "l1")), float(cfg.get("cost_weight", 0.0)), space.max_macs()

    def accuracy(sr: torch.Tensor, hr: torch.Tensor) -> torch.Tensor:
        return -torch.stack([pixel_loss(sr[i : i + 1], hr[i : i + 1]) for i in range(len(sr))])

    return CandidateObjective(
        name=f"Trilevel architecture loss, negated: -({cfg.get('loss', 'l1')} + {cost_weight:g} x MACs / max MACs)",
        accuracy=accuracy, cost=lambda genotype: space.genotype_macs(genotype) / reference, combine=lambda a, c: a - cost_weight * c)


def one_phase_search(data: PatchSource, config: dict[str, Any], seed: int, ctx: RunContext) -> SearchResult:
    space = SpaceConfig.from_config(config)
    cfg = config["search"]
    supernet = TrilevelSupernet(space).to(ctx.device)
    split = float(cfg.get("arch_split", 0.0))
    weight_data, arch_data = (data, data) if split == 0 else tuple(data.split([1 - split, split]))
    pixel_loss = make_loss(cfg.get("loss", "l1"))
    reference_macs, cost_weight = space.max_macs(), float(cfg.get("cost_weight", 0.0))
    order_weight = float(OPTIONAL.read(config, "search.order_weight"))

    def arch_loss(sr: torch.Tensor, hr: torch.Tensor) -> torch.Tensor:
        loss = pixel_loss(sr, hr) + cost_weight * supernet.expected_macs() / reference_macs
        return loss + order_weight * supernet.order_loss() if order_weight else loss

    steps, warmup, anneal_end = int(cfg["steps"]), int(cfg.get("warmup_steps", 0)), float(cfg.get("anneal_end", 0.7))

    def on_step(step: int, record: bool) -> dict[str, float] | None:
        supernet.radius_t = radius_fraction(step, steps, warmup, anneal_end)
        if not record:  # the diagnostics below are host reads: only for the steps the history keeps
            return None
        with torch.no_grad():
            ent = supernet.entropies()
            macs = float(supernet.expected_macs())
        return {
            "radius_t": round(supernet.radius_t, 5),
            "expected_macs_per_lr_pixel": round(macs, 1),
            "entropy_ops_max": round(max(max(e) for e in ent["ops"]), 5),
            "entropy_widths_max": round(max(ent["widths"]), 5),
            "entropy_path": round(ent["path"], 5),
            **({"order_loss": round(float(supernet.order_loss()), 6)} if space.network_level == "order-constraint" else {}),
        }

    initial = supernet.genotype()  # what the initial logits decode to (search-signal diagnostic)
    summary = bilevel_search(supernet, weight_data, arch_data, cfg, seed, ctx, pixel_loss, arch_loss, on_step=on_step)
    supernet.radius_t = 1.0
    final_entropy = supernet.entropies()
    with torch.no_grad():
        final = {k: v.tolist() for k, v in supernet.distributions().items()}
    genotype = supernet.genotype()
    info = {
        "history": summary["history"],
        "final_entropy": {"ops": [_round(e) for e in final_entropy["ops"]], "widths": _round(final_entropy["widths"]), "path": final_entropy["path"]},
        "all_one_hot": all(v in (0.0, 1.0) for v in _flatten(list(final.values()))),
        "final_logits": {"alpha": supernet.alpha.detach().tolist(), "beta": supernet.beta.detach().tolist(), "gamma": supernet.gamma.detach().tolist()},
        "genotype_macs_per_lr_pixel": space.genotype_macs(genotype),
        "reference_macs_per_lr_pixel": reference_macs,
        "network_level": space.network_level,
        "initial_architecture": initial,
        "budget": summary["budget"],
        "final_architecture": genotype,
        "space": {"ops": list(space.ops), "widths": list(space.widths), "positions": list(space.positions)},
    }
    return SearchResult(genotype=genotype, info=info, model=supernet.derive())


def _flatten(value: Any) -> list[float]:
    if isinstance(value, list):
        return [x for v in value for x in _flatten(v)]
    return [float(value)]
