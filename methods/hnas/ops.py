"""HNAS candidate operations (spec §1.3), built from the shared op builders where they exist.

Normal-cell ops keep the resolution; upsampling-cell ops scale by ``factor`` (the SR scale on edges
leaving the cell inputs, 1 on edges between intermediate nodes). In search every conv of a normal op is
followed by BatchNorm without affine parameters; the final model has no BN anywhere.
"""
from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

from srnas.nas.ops import RCAB, Upsampler, conv_op

NORMAL_OPS_CODE = ("rcab", "skip_connect", "sep_conv_3x3", "sep_conv_5x5", "dil_conv_3x3", "dil_conv_5x5")
"""The official code's normal-cell list, in its order (token i of the controller picks entry i)."""
UDPB = "up_and_down"
"""The paper's up-and-down projection block (Table I); dropped from the official code's list."""
UPSAMPLING_OPS = ("sub_pixel", "deconvolution", "bilinear", "nearest", "area")

RCAB_REDUCTION = 3  # official code; a comment there mislabels it (spec §1.8.2)


def normal_op_names(udpb: bool) -> tuple[str, ...]:
    """Normal-cell candidates; UDPB goes last so the first six tokens mean what they mean in the code."""
    return NORMAL_OPS_CODE + ((UDPB,) if udpb else ())


def batch_stats_only(module: nn.Module) -> nn.Module:
    """Make every BatchNorm in ``module`` normalise with the current batch's statistics, also in eval.

    A shared-weight supernet sees a different architecture every batch, so running statistics would
    mix architectures; ENAS-style supernets normalise per batch instead.
    """
    for m in module.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.track_running_stats = False
            m.running_mean = m.running_var = m.num_batches_tracked = None
    return module


class UpDownProjection(nn.Module):
    """UDPB: DBPN's up-projection unit followed by its down-projection unit, at constant resolution.

    The paper names the block without defining it and the code dropped it, so this is our reading
    (documented in the plugin's README): inside a normal cell the resolution must not change, and the
    natural use of DBPN's units is up (x2) then back down (x2), using DBPN's x2 setting (6x6 kernels,
    stride 2, padding 2, PReLU after every (de)conv). Channel width C throughout.
    """

    def __init__(self, channels: int, search_bn: bool = False):
        super().__init__()

        def layer(transposed: bool) -> nn.Sequential:
            conv_cls = nn.ConvTranspose2d if transposed else nn.Conv2d
            parts: list[nn.Module] = [conv_cls(channels, channels, 6, stride=2, padding=2)]
            if search_bn:
                parts.append(nn.BatchNorm2d(channels, affine=False))
            parts.append(nn.PReLU(channels))
            return nn.Sequential(*parts)

        self.up_h0, self.up_l0, self.up_h1 = layer(True), layer(False), layer(True)
        self.down_l0, self.down_h0, self.down_l1 = layer(False), layer(True), layer(False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h0 = self.up_h0(x)
        h = self.up_h1(self.up_l0(h0) - x) + h0  # up-projection: HR estimate corrected by its back-projected error
        l0 = self.down_l0(h)
        return self.down_l1(self.down_h0(l0) - h) + l0  # down-projection back to the input resolution


def normal_op(name: str, channels: int, search_bn: bool = False) -> nn.Module:
    """One normal-cell candidate at width ``channels`` (spec §1.3 table)."""
    norm = "bn_noaffine" if search_bn else None
    if name == "skip_connect":
        return nn.Identity()
    if name in ("sep_conv_3x3", "sep_conv_5x5"):
        op = conv_op("sep", channels, channels, kernel=int(name[-1]), repeats=2, norm=norm)
    elif name in ("dil_conv_3x3", "dil_conv_5x5"):
        op = conv_op("dil_sep", channels, channels, kernel=int(name[-1]), dilation=2, norm=norm)
    elif name == "rcab":
        op = RCAB(channels, reduction=RCAB_REDUCTION, norm=norm)
    elif name == UDPB:
        op = UpDownProjection(channels, search_bn)
    else:
        raise ValueError(f"unknown HNAS normal op {name!r}")
    return batch_stats_only(op) if search_bn else op


class Interpolate(nn.Module):
    """``F.interpolate`` by an integer factor (PyTorch default ``align_corners``)."""

    def __init__(self, factor: int, mode: str):
        super().__init__()
        self.factor, self.mode = factor, mode

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.interpolate(x, scale_factor=self.factor, mode=self.mode)


def deconvolution(channels: int, factor: int) -> nn.ConvTranspose2d:
    """The official transposed conv per factor, with the x3 size bug fixed (spec §1.8.8).

    Official: f=2 k3 s2 p1 op1; f=4 k5 s4 p1 op1; any other f k3 s f p1 op0 — which gives 3H-2 at f=3, so
    that network cannot run at x3 at all. We keep the official layers where they are right (f in 1, 2, 4)
    and otherwise set output_padding = f-1, the value that makes k3/p1 produce exactly f*H.
    """
    if factor == 2:
        return nn.ConvTranspose2d(channels, channels, 3, stride=2, padding=1, output_padding=1)
    if factor == 4:
        return nn.ConvTranspose2d(channels, channels, 5, stride=4, padding=1, output_padding=1)
    return nn.ConvTranspose2d(channels, channels, 3, stride=factor, padding=1, output_padding=factor - 1)


def upsampling_op(name: str, channels: int, factor: int) -> nn.Module:
    """One upsampling-cell candidate; at factor 1 the parameter-free ones are the identity."""
    if name == "sub_pixel":
        return Upsampler(channels, factor, bias=True)
    if name == "deconvolution":
        return deconvolution(channels, factor)
    if name in ("bilinear", "nearest", "area"):
        return nn.Identity() if factor == 1 else Interpolate(factor, name)
    raise ValueError(f"unknown HNAS upsampling op {name!r}")
