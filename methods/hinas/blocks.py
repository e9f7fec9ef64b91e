"""Small building blocks shared by the HiNAS supernet and the derived network."""
from __future__ import annotations

import torch
import torch.nn as nn

from srnas.nas.ops import norm_layer


def lrelu() -> nn.Module:
    return nn.LeakyReLU(0.2, inplace=False)


def conv_bn(c_in: int, c_out: int, kernel: int = 1, affine: bool = True, act_before: bool = False, act_after: bool = False) -> nn.Sequential:
    """[LReLU] -> k x k conv (no bias) -> BN -> [LReLU]: the projections, scalers and stems of HiNAS."""
    layers: list[nn.Module] = [lrelu()] if act_before else []
    layers += [nn.Conv2d(c_in, c_out, kernel, padding=kernel // 2, bias=False), norm_layer("bn" if affine else "bn_noaffine", c_out)]
    if act_after:
        layers.append(lrelu())
    return nn.Sequential(*layers)


def sep_conv_bn(c_in: int, c_out: int, dilation: int = 1, affine: bool = True) -> nn.Sequential:
    """DeepLab separable 3x3: depthwise (dilated) -> BN -> LReLU -> pointwise -> BN -> LReLU."""
    return nn.Sequential(
        nn.Conv2d(c_in, c_in, 3, padding=dilation, dilation=dilation, groups=c_in, bias=False),
        norm_layer("bn" if affine else "bn_noaffine", c_in),
        lrelu(),
        nn.Conv2d(c_in, c_out, 1, bias=False),
        norm_layer("bn" if affine else "bn_noaffine", c_out),
        lrelu(),
    )


class Concat(nn.Module):
    """Run parallel branches on one input and concatenate their outputs along channels."""

    def __init__(self, branches: list[nn.Module]):
        super().__init__()
        self.branches = nn.ModuleList(branches)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([b(x) for b in self.branches], 1)
