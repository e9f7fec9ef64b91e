"""The mixed operation of differentiable NAS: a weighted sum of candidate ops on one edge.

Weights come from outside (softmax, sparsestmax, ...), so HiNAS and Trilevel NAS share this module and
differ only in the relaxation. Ops whose weight is exactly zero are skipped: with sparse relaxations
this is where the compute saving comes from, and a one-hot weight runs a single op.
"""
from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn as nn


class MixedOp(nn.Module):
    def __init__(self, ops: Sequence[nn.Module], names: Sequence[str] | None = None):
        super().__init__()
        self.ops = nn.ModuleList(ops)
        self.names = list(names) if names is not None else [type(o).__name__ for o in ops]

    def forward(self, x: torch.Tensor, weights: torch.Tensor, keep: Sequence[bool] | None = None) -> torch.Tensor:
        """``keep[i]``: whether weight i is nonzero, read once by the caller for a whole supernet's weights
        (one host read per forward instead of one per candidate op; each read drains an accelerator's
        queue). Without it this op reads its own row once."""
        if weights.shape[-1] != len(self.ops):
            raise ValueError(f"{len(self.ops)} ops but {weights.shape[-1]} weights")
        if keep is None:
            keep = nonzero_mask(weights)
        out: torch.Tensor | None = None
        for w, op, k in zip(weights, self.ops, keep):
            if not k:
                # Exact for sparse relaxations: off-support weights have zero Jacobian, so skipping
                # the op changes neither the output nor any gradient.
                continue
            y = w * op(x)
            out = y if out is None else out + y
        return out if out is not None else torch.zeros_like(x)


def nonzero_mask(weights: torch.Tensor) -> list:
    """``weights != 0`` as nested Python lists of bools: one host read for a whole weight tensor."""
    return (weights.detach() != 0).tolist()


class Zero(nn.Module):
    """The ``none`` candidate: outputs zeros (its weight still gets a gradient through the sum)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.mul(0.0)
