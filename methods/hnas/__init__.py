"""HNAS (Guo et al., IEEE SPL 2020): hierarchical RL search over cells and the upsampling position.

Variants:
- ``default``: the paper's search at lambda = 0.6 (the middle of its three settings, HNAS-B's).
- ``lambda-0.2`` / ``lambda-0.6`` / ``lambda-0.9``: searches at the lambda that gave HNAS-A/B/C.
- ``HNAS-A`` / ``HNAS-B`` / ``HNAS-C``: the published genotypes (no search; C=64, L=12), trained and
  evaluated under the chosen profile.
- ``official-code``: the official code's behaviour (no UDPB, x10 position weight, entropy in the loss,
  stale-hook FLOPs cost, derivation re-sampling per forward).
- ``retrain-400-epochs``: the supplement's retrain length instead of the README's 300 epochs.
"""
from __future__ import annotations

import copy
from typing import Any

import numpy as np
import torch.nn as nn

from srnas.context import RunContext
from srnas.datasets.patches import PatchSource
from srnas.methods import register
from srnas.methods.base import Genotype, Method, SearchResult
from srnas.methods.hnas.model import HNASNet
from srnas.methods.hnas.space import HNASSpace, published_genotype
from srnas.methods.hnas.supernet import HNASSupernet
from srnas.nas.ops import BicubicResidual

README_RETRAIN_EPOCHS = 300

_PAPER_SEARCH: dict[str, Any] = {
    "channels": 8,  # C in search; cells exchange 4C
    "search_bn": True,
    "split": [0.4, 0.6],  # DIV2K 1-320 shared weights / 321-800 controller
    "epochs": 400,
    "shared_steps_per_epoch": 200,  # 320 images x repeat 10 / batch 16
    "controller_steps_per_epoch": 300,  # 480 images x repeat 10 / batch 16
    "batch": 16,
    "lr_patch": 48,  # HR 96 at x2
    "weight_lr": 1e-3,
    "weight_min_lr": 1e-5,
    "controller_hidden": 100,
    "controller_lr": 3e-4,
    "controller_betas": [0.5, 0.999],
    "controller_weight_decay": 5e-4,
    "controller_lr_decay_epoch": 100,  # MultiStepLR milestone: 3e-4 -> 1.5e-4
    "controller_lr_gamma": 0.5,
    "baseline_decay": 0.95,
    "reset_baseline_each_epoch": True,
    "entropy_weight": 1.0,
    "lambda": 0.6,
    "cost_per_mac": 0.5e-8,  # official normalisation, so lambda means what it means in the paper
    "cost_lr_size": 48,  # MACs counted at a 1x3x48x48 LR input, as the code
    "cost_decimals": 3,
    "reward_shave_extra": 6,  # reward PSNR shaves scale + 6 pixels (code's non-benchmark path)
    "derive_candidates": 10,
    "derive_lr_patch": 48,
    "derive_tiles": 1000,  # held-out tiles of the controller split (the code used Set5, a test set)
}

_PAPER_OPTIONS: dict[str, Any] = {
    "udpb": True,  # paper Table I; the code dropped it
    "position_weight": 1.0,  # code: 10
    "entropy_in": "reward",  # code: "loss"
    "flops_cost": "sampled",  # code: "official" (union of every module ever run, stale hooks)
    "derive_resample_per_forward": False,  # code: True (bug)
    "bicubic_residual": False,
    "genotype": None,  # "HNAS-A" / "HNAS-B" / "HNAS-C": train a published genotype instead of searching
    "retrain_epochs": README_RETRAIN_EPOCHS,  # supplement: 400 ("same as search")
}
# Options added after records were committed are read with their paper default when absent, so the
# configs (and hashes) of existing runs stay what they were: reward_psnr "per-image" (code: "batch", one
# PSNR of the batch-mean squared error), search_bn_stats "batch" (code: "running", derivation in eval mode
# uses running statistics).

_PROFILES: dict[str, dict[str, Any]] = {
    "paper": {
        "search": _PAPER_SEARCH,
        "model": {"channels": 64, "layers": 12, "rgb_range": 255.0},
        "options": _PAPER_OPTIONS,
        # README retrain: 300 epochs x 1000 iterations, batch 16, HR patch 96, L1, Adam 1e-3 cosine -> 1e-5
        "train": {"steps": 300_000, "batch": 16, "lr_patch": 48, "lr": 1e-3, "min_lr": 1e-5, "schedule": "cosine", "loss": "l1", "checkpoint_every": 1000},
    },
    "short": {
        "search": {
            **_PAPER_SEARCH,
            "epochs": 5,
            "shared_steps_per_epoch": 20,
            "controller_steps_per_epoch": 24,
            "batch": 8,
            "lr_patch": 24,
            "controller_lr": 3e-3,  # 10x the paper's: the policy must move within 120 controller steps
            "controller_lr_decay_epoch": 3,
            "derive_candidates": 6,
            "derive_lr_patch": 32,
            "derive_tiles": 32,
        },
        "model": {"channels": 8, "layers": 4, "rgb_range": 255.0},
        "options": {**_PAPER_OPTIONS, "bicubic_residual": True},
        "train": {"steps": 600, "batch": 16, "lr_patch": 24},
    },
    "smoke": {
        "search": {
            **_PAPER_SEARCH,
            "channels": 4,
            "epochs": 2,
            "shared_steps_per_epoch": 2,
            "controller_steps_per_epoch": 2,
            "batch": 2,
            "lr_patch": 16,
            "derive_candidates": 2,
            "derive_lr_patch": 16,
            "derive_tiles": 4,
        },
        "model": {"channels": 4, "layers": 3, "rgb_range": 255.0},
        "options": {**_PAPER_OPTIONS, "bicubic_residual": True},
        "train": {},
    },
}

PUBLISHED = ("HNAS-A", "HNAS-B", "HNAS-C")
PAPER_LAMBDAS = (0.2, 0.6, 0.9)


@register
class HNASMethod(Method):
    name = "hnas"
    paper_label = "HNAS"
    description = "Hierarchical NAS for SISR: LSTM controller over normal/upsampling cells and the upsampling position (Guo et al. 2020)"

    def variants(self) -> dict[str, dict[str, Any]]:
        out: dict[str, dict[str, Any]] = {"default": {}}
        out.update({f"lambda-{lam}": {"search": {"lambda": lam}} for lam in PAPER_LAMBDAS})
        out.update({g: {"options": {"genotype": g}, "model": {"channels": 64}} for g in PUBLISHED})
        out["official-code"] = {
            "options": {"udpb": False, "position_weight": 10.0, "entropy_in": "loss", "flops_cost": "official", "derive_resample_per_forward": True,
                        "reward_psnr": "batch", "search_bn_stats": "running"}
        }
        out["retrain-400-epochs"] = {"options": {"retrain_epochs": 400}}
        return out

    def reported_variant(self, variant: str) -> str | None:
        return variant if variant in PUBLISHED else None

    def profile(self, name: str) -> dict[str, Any]:
        if name not in _PROFILES:
            raise KeyError(f"unknown profile {name!r}")
        return copy.deepcopy(_PROFILES[name])

    def search(self, data: PatchSource, config: dict[str, Any], seed: int, ctx: RunContext) -> SearchResult:
        from srnas.methods.hnas.search import run_search

        return run_search(data, config, seed, ctx)

    def fixed_genotype(self, config: dict[str, Any]) -> Genotype:
        name = config.get("options", {}).get("genotype")
        if not name:
            raise ValueError("hnas searches unless options.genotype names a published genotype (HNAS-A/B/C)")
        return published_genotype(name)

    def search_space(self, config: dict[str, Any], scale: int) -> "HNASWeightSharing":
        return HNASWeightSharing(config, scale)

    def build(self, genotype: Genotype, scale: int, config: dict[str, Any]) -> nn.Module:
        m, residual = config["model"], bool(config["options"].get("bicubic_residual", False))
        layers = int(genotype.get("layers", m["layers"]))  # published genotypes are defined at L=12
        net = HNASNet(genotype, scale, int(m["channels"]), layers, float(m["rgb_range"]), residual_output=residual)
        return BicubicResidual(net, scale) if residual else net

    def train(self, model: nn.Module, data: PatchSource, config: dict[str, Any], seed: int, ctx: RunContext) -> dict[str, Any]:
        """The shared trainer; ``options.retrain_epochs`` rescales the step budget relative to the README's 300."""
        from srnas.train import fit

        cfg = dict(config["train"])
        epochs = int(config["options"].get("retrain_epochs", README_RETRAIN_EPOCHS))
        cfg["steps"] = round(int(cfg["steps"]) * epochs / README_RETRAIN_EPOCHS)
        return fit(model, data, cfg, seed=seed, ctx=ctx)


class HNASWeightSharing:
    """The HNAS space for weight-sharing baselines (``random``): uniform sampling + the search supernet."""

    def __init__(self, config: dict[str, Any], scale: int):
        from srnas.methods.hnas.search import make_space

        self.config, self.scale = config, scale
        self.space: HNASSpace = make_space(config)

    def sample(self, rng: np.random.Generator) -> Genotype:
        return self.space.sample(rng)

    def supernet(self) -> nn.Module:
        from srnas.methods.hnas.search import make_supernet

        return make_supernet(self.space, self.scale, self.config)

    def genotype(self, arch: Genotype) -> Genotype:
        return {**arch, "layers": self.space.layers}


__all__ = ["HNASMethod", "HNASSupernet"]
