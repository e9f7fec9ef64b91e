"""Candidate operations shared by the search spaces.

The papers name the same ops with different details (HNAS: ReLU -> depthwise -> pointwise, no bias, BN
only in search; HiNAS: LeakyReLU -> conv -> BN; DeCoNAS: ReLU, with bias). One builder takes those
details as arguments so each plugin states its paper's definition instead of re-implementing convs.
"""
from __future__ import annotations

from typing import Literal

import torch
import torch.nn as nn
import torch.nn.functional as F

Act = Literal["relu", "lrelu", None]
Norm = Literal["bn", "bn_noaffine", None]


def activation(act: Act) -> nn.Module:
    if act == "relu":
        return nn.ReLU(inplace=False)
    if act == "lrelu":
        return nn.LeakyReLU(0.2, inplace=False)
    return nn.Identity()


def norm_layer(norm: Norm, channels: int) -> nn.Module:
    if norm == "bn":
        return nn.BatchNorm2d(channels, affine=True)
    if norm == "bn_noaffine":
        return nn.BatchNorm2d(channels, affine=False)
    return nn.Identity()


def conv_op(
    kind: Literal["conv", "sep", "dil_sep"],
    c_in: int,
    c_out: int,
    kernel: int = 3,
    dilation: int = 1,
    act: Act = "relu",
    norm: Norm = None,
    bias: bool = False,
    repeats: int = 1,
) -> nn.Sequential:
    """[act -> conv -> norm] as one candidate op; ``sep``/``dil_sep`` are depthwise + pointwise.

    ``conv``: full k x k conv (``dilation`` allowed, as HiNAS's dilated ops are full convs).
    ``sep``: depthwise k x k + pointwise 1x1, repeated ``repeats`` times (DARTS stacks it twice).
    ``dil_sep``: one depthwise dilated k x k + pointwise 1x1 (DARTS/HNAS dil_conv).
    """
    layers: list[nn.Module] = []
    pad = dilation * (kernel - 1) // 2
    if kind == "conv":
        for i in range(repeats):
            layers += [activation(act), nn.Conv2d(c_in if i == 0 else c_out, c_out, kernel, padding=pad, dilation=dilation, bias=bias), norm_layer(norm, c_out)]
    elif kind in ("sep", "dil_sep"):
        reps = repeats if kind == "sep" else 1
        for i in range(reps):
            ci = c_in if i == 0 else c_out
            layers += [
                activation(act),
                nn.Conv2d(ci, ci, kernel, padding=pad, dilation=dilation, groups=ci, bias=bias),
                nn.Conv2d(ci, c_out, 1, bias=bias),
                norm_layer(norm, c_out),
            ]
    else:
        raise ValueError(f"unknown conv kind {kind!r}")
    return nn.Sequential(*[m for m in layers if not isinstance(m, nn.Identity)])


class GlobalAvgPool(nn.Module):
    """``AdaptiveAvgPool2d(1)`` as ``x.mean((2, 3), keepdim=True)``: the same function (bit-identical on the
    CPU, forward and backward; tested), and unlike the adaptive pool it has a deterministic CUDA backward."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.mean((2, 3), keepdim=True)


class ChannelAttention(nn.Module):
    """Squeeze-and-excitation channel attention (RCAN): x * sigmoid(W2 relu(W1 gap(x)))."""

    def __init__(self, channels: int, reduction: int = 16):
        super().__init__()
        hidden = max(channels // reduction, 1)
        # index 0 holds no weights, so the state_dict keys (body.1, body.3) are what they always were
        self.body = nn.Sequential(GlobalAvgPool(), nn.Conv2d(channels, hidden, 1), nn.ReLU(), nn.Conv2d(hidden, channels, 1), nn.Sigmoid())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.body(x)


class RCAB(nn.Module):
    """Residual channel-attention block: x + CA(conv -> ReLU -> conv)(x) (HNAS uses reduction 3)."""

    def __init__(self, channels: int, reduction: int = 16, norm: Norm = None):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(channels, channels, 3, padding=1),
            *([norm_layer(norm, channels)] if norm else []),
            nn.ReLU(),
            nn.Conv2d(channels, channels, 3, padding=1),
            *([norm_layer(norm, channels)] if norm else []),
            ChannelAttention(channels, reduction),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)


class Upsampler(nn.Module):
    """Sub-pixel upsampling to ``scale`` (x2/x4 as repeated x2 stages, x3 in one stage)."""

    def __init__(self, channels: int, scale: int, out_channels: int | None = None, bias: bool = True):
        super().__init__()
        out_channels = out_channels or channels
        stages: list[nn.Module] = []
        if scale in (2, 4, 8):
            for _ in range(int(round(scale).bit_length() - 1)):
                stages += [nn.Conv2d(channels, 4 * channels, 3, padding=1, bias=bias), nn.PixelShuffle(2)]
        elif scale == 3:
            stages += [nn.Conv2d(channels, 9 * channels, 3, padding=1, bias=bias), nn.PixelShuffle(3)]
        elif scale != 1:
            raise ValueError(f"unsupported scale {scale}")
        if out_channels != channels:
            stages.append(nn.Conv2d(channels, out_channels, 3, padding=1, bias=bias))
        self.body = nn.Sequential(*stages)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x)


class BicubicResidual(nn.Module):
    """Wrap an SR body so it predicts the residual over (differentiable) bicubic upsampling.

    HiNAS's final model adds the bicubic upsampled input; for other methods this is a named *option*
    (off in their ``paper`` profiles) that makes CPU-sized ``short`` runs converge in minutes.
    """

    def __init__(self, body: nn.Module, scale: int):
        super().__init__()
        self.body, self.scale = body, scale

    def forward(self, x: torch.Tensor, *args, **kwargs) -> torch.Tensor:
        base = F.interpolate(x, scale_factor=self.scale, mode="bicubic", align_corners=False)
        return base + self.body(x, *args, **kwargs)
