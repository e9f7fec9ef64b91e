"""``toy``: a DARTS-style search small enough for contract tests, written only against srnas's public
plugin contract (``srnas.methods.base``) and shared primitives. It is not a paper's method and is never
judged: it exists so the registry's contract tests have a plugin that no file of srnas-bench names.

Space: ``cells`` convolution layers, each a mixed op over ``OPS``; architecture weights softmax(alpha); the
derived genotype is the argmax per layer. Search: ``srnas.nas.bilevel.bilevel_search`` (first-order DARTS).
"""
from __future__ import annotations

from typing import Any

import torch
import torch.nn as nn

from srnas.methods.base import Genotype, Method, SearchResult
from srnas.nas.bilevel import bilevel_search
from srnas.nas.mixed import MixedOp
from srnas.nas.ops import BicubicResidual
from srnas.train import loss_from_config

OPS = ("conv3x3", "conv5x5")
_SEARCH = {"warmup_steps": 1, "augment": True, "loss": "l1",
           "weights": {"optimizer": "adam", "lr": 1e-3, "min_lr": 1e-5, "schedule": "cosine", "grad_clip": 0.0},
           "arch": {"lr": 3e-3, "betas": [0.5, 0.999], "weight_decay": 0.0}}
PROFILES: dict[str, dict[str, Any]] = {
    "smoke": {"search": {**_SEARCH, "steps": 4, "batch": 2, "lr_patch": 16, "checkpoint_every": 2}, "train": {"steps": 2, "batch": 2, "lr_patch": 16},
              "model": {"channels": 8, "cells": 2}},
    "short": {"search": {**_SEARCH, "steps": 200, "batch": 8, "lr_patch": 24, "checkpoint_every": 100}, "train": {"steps": 300},
              "model": {"channels": 16, "cells": 3}},
    "compare": {"search": {**_SEARCH, "steps": 200, "batch": 8, "lr_patch": 24, "checkpoint_every": 100}, "train": {"steps": 1500},
                "model": {"channels": 16, "cells": 3}},
    "paper": {"data": {"train_set": "DIV2K_train", "limit_images": None},
              "search": {**_SEARCH, "steps": 1000, "warmup_steps": 100, "batch": 16, "lr_patch": 48, "checkpoint_every": 200}, "train": {"steps": 10000},
              "model": {"channels": 32, "cells": 4}},
}


def _conv(op: str, channels: int) -> nn.Module:
    k = 3 if op == "conv3x3" else 5
    return nn.Sequential(nn.Conv2d(channels, channels, k, padding=k // 2), nn.ReLU(inplace=True))


class ToyNet(nn.Module):
    """head -> one conv per cell (the genotype's op, or a mixed op in the supernet) -> pixel-shuffle tail."""

    def __init__(self, scale: int, channels: int, cells: list[nn.Module]):
        super().__init__()
        self.head = nn.Conv2d(3, channels, 3, padding=1)
        self.cells = nn.ModuleList(cells)
        self.tail = nn.Sequential(nn.Conv2d(channels, 3 * scale * scale, 3, padding=1), nn.PixelShuffle(scale))

    def body(self, x: torch.Tensor, weights: torch.Tensor | None = None) -> torch.Tensor:
        h = self.head(x)
        for i, cell in enumerate(self.cells):
            h = h + (cell(h, weights[i]) if weights is not None else cell(h))
        return self.tail(h)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x)


class ToySupernet(nn.Module):
    def __init__(self, scale: int, channels: int, cells: int):
        super().__init__()
        self.net = ToyNet(scale, channels, [MixedOp([_conv(op, channels) for op in OPS], OPS) for _ in range(cells)])
        self.alpha = nn.Parameter(1e-3 * torch.randn(cells, len(OPS)))

    def weight_parameters(self):
        return self.net.parameters()

    def arch_parameters(self):
        return [self.alpha]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net.body(x, torch.softmax(self.alpha, dim=-1))

    def genotype(self) -> Genotype:
        return {"cells": [OPS[int(i)] for i in self.alpha.detach().argmax(-1).tolist()]}


class ToyDartsMethod(Method):
    name = "toy"
    description = "out-of-tree test plugin: two-op DARTS over conv layers (tests/plugins/srnas-toy-plugin)"

    def profile(self, name: str) -> dict[str, Any]:
        return PROFILES[name]

    def search(self, data, config: dict[str, Any], seed: int, ctx) -> SearchResult:
        m = config["model"]  # the harness has seeded every generator for this phase
        supernet = ToySupernet(int(config["scale"]), int(m["channels"]), int(m["cells"])).to(ctx.device)
        initial = supernet.genotype()
        loss = loss_from_config(config["search"])
        summary = bilevel_search(supernet, data, data, config["search"], seed, ctx, loss)
        final = supernet.genotype()
        info = {"history": summary["history"], "budget": summary["budget"], "initial_architecture": initial, "final_architecture": final,
                "alpha_softmax": torch.softmax(supernet.alpha.detach(), -1).cpu().tolist()}
        return SearchResult(genotype=final, info=info)

    def tiny(self, profile: str) -> list[str]:
        return {"paper": ["search.batch=2", "search.lr_patch=16", "train.batch=2", "train.lr_patch=16", "model.channels=8"]}.get(profile, [])

    def build(self, genotype: Genotype, scale: int, config: dict[str, Any]) -> nn.Module:
        channels = int(config["model"]["channels"])
        net = ToyNet(scale, channels, [_conv(op, channels) for op in genotype["cells"]])
        return BicubicResidual(net, scale) if config["options"].get("bicubic_residual", False) else net
