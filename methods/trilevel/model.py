"""The derived (discrete) Trilevel network, and the transfer of the supernet's trained weights into it.

Trilevel NAS is one-phase: when every distribution is one-hot the supernet *is* a discrete network, so
the derived model takes its weights by slicing (first ``w`` channels of the chosen op's tensors) and
computes exactly what the one-hot supernet computes (tested).
"""
from __future__ import annotations

import torch
import torch.nn as nn

from srnas.nas.ops import BicubicResidual, Upsampler

from .space import Genotype, SpaceConfig, check_genotype, make_op


class DerivedCell(nn.Module):
    """``x + res_scale * op1(op0(x))`` with op0: C -> width, op1: width -> C."""

    def __init__(self, ops: tuple[str, str], width: int, channels: int, res_scale: float):
        super().__init__()
        self.op0 = make_op(ops[0], channels, width)
        self.op1 = make_op(ops[1], width, channels)
        self.res_scale = res_scale

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.res_scale * self.op1(self.op0(x))


class TrilevelNet(nn.Module):
    """stem -> cells[:k] at LR -> upsampler -> cells[k:] at HR -> tail (3 channels)."""

    def __init__(self, genotype: Genotype, space: SpaceConfig):
        super().__init__()
        check_genotype(genotype, space)
        c = space.channels
        self.upsample_after = int(genotype["upsample_after"])
        self.stem = nn.Conv2d(3, c, 3, padding=1)
        self.cells = nn.ModuleList(DerivedCell(tuple(g["ops"]), int(g["width"]), c, space.res_scale) for g in genotype["cells"])
        self.upsampler = Upsampler(c, space.scale)
        self.tail = nn.Conv2d(c, 3, 3, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.stem(x)
        for j, cell in enumerate(self.cells):
            if j == self.upsample_after:
                h = self.upsampler(h)
            h = cell(h)
        if self.upsample_after == len(self.cells):
            h = self.upsampler(h)
        return self.tail(h)


def build_network(genotype: Genotype, space: SpaceConfig) -> nn.Module:
    """The final model of ``genotype`` (wrapped to predict the residual over bicubic if that option is on)."""
    net = TrilevelNet(genotype, space)
    return BicubicResidual(net, space.scale) if space.bicubic_residual else net


@torch.no_grad()
def copy_sliced(dst: nn.Module, src: nn.Module) -> None:
    """Copy each conv of ``src`` into the same-position conv of ``dst``, keeping the leading slices.

    ``dst`` is ``src``'s op built at a smaller width; its tensors are prefixes of ``src``'s along every
    dimension (depthwise weights [C,1,k,k] -> [w,1,k,k]; full weights [C,C,k,k] -> [w,C,k,k] or [C,w,k,k]).
    """
    dst_convs = [m for m in dst.modules() if isinstance(m, nn.Conv2d)]
    src_convs = [m for m in src.modules() if isinstance(m, nn.Conv2d)]
    if len(dst_convs) != len(src_convs):
        raise ValueError("ops of different kinds cannot share weights")
    for d, s in zip(dst_convs, src_convs):
        d.weight.copy_(s.weight[tuple(slice(0, n) for n in d.weight.shape)])
        if d.bias is not None:
            d.bias.copy_(s.bias[: d.bias.shape[0]])
