"""DeCoNASNet (methods-spec section 4.1): SFENet, densely connected blocks (DNBs), feature fusion, UPNet.

One module serves both the final network and the weight-sharing supernet. Every candidate operation
holds weights for a fixed list of *slots* (the sources it may read, ``C`` input channels each):

- the final network builds each active op with exactly the sources the arc selects, so its parameters
  are those of the published model (1,713,795 for the 30-bit DeCoNASNet arc at C = 64);
- the supernet builds every op with all ``k + 1`` sources of its layer and, for a sampled arc, convolves
  only the selected sources with the matching input-channel slices of the shared weights.

Slicing is the same computation as feeding the full-width concat with the unselected sources zeroed
(their weight columns then contribute nothing), so weights are shared per (layer, source, op) across
all arcs, as ENAS shares per-edge weights; it only skips the multiplications by zero. Every weight keeps
its role (kernel tap, input channel of its source, output channel) in every arc, and the supernet's ops
are the final network's ops (ReLU, conv, bias): this is the ``sliced`` supernet, the default.

The official supernet (Junem360/DeCoNAS ``child_network.py`` ``_dnas_conv``/``_dnas_sep_conv``/
``_dnas_dilated_conv``) is *not* equivalent, and is offered as ``options.supernet: official-code``
(:class:`OfficialSourceOp`): its ops have no ReLU before the conv, its 3x3 conv adds no bias (one is
created, never added), and conv / depthwise weights are stored as one flat row per source, gathered for
the selected sources and reshaped to ``[3, 3, n*C, C]`` -- so with more than one source selected most
weights land on another kernel tap or input channel than the one they were trained for
(:func:`official_role_fraction`). Its pointwise 1x1 and dilated conv keep their roles.
"""
from __future__ import annotations

import math
from typing import Literal

import torch
import torch.nn as nn
import torch.nn.functional as F

from srnas.methods.deconas.space import OPS, Arc, LayerSources, decode
from srnas.nas.ops import ChannelAttention, Upsampler

OpKind = Literal["conv3x3", "sep_conv3x3", "dil_conv3x3_r3"]

#: DIV2K mean of the official code's BGR input, reordered to our RGB input, in [0, 1].
RGB_MEAN = (114.356 / 255, 111.561 / 255, 103.154 / 255)


class SourceOp(nn.Module):
    """ReLU -> one candidate op over the channel concat of the selected sources (each ``C`` wide).

    ``conv3x3`` and ``dil_conv3x3_r3`` are full 3x3 convs (dilation 1 / 3) with bias; ``sep_conv3x3`` is
    depthwise 3x3 without bias + pointwise 1x1 with bias ("one bias", as the official code), which
    ``srnas.nas.ops.conv_op`` cannot express (it puts a bias on both convs), hence the local module.
    """

    def __init__(self, kind: OpKind, slots: list[int], channels: int):
        super().__init__()
        self.kind, self.slots, self.channels = kind, list(slots), channels
        c_in = len(slots) * channels
        if kind == "sep_conv3x3":
            self.depthwise = nn.Conv2d(c_in, c_in, 3, padding=1, groups=c_in, bias=False)
            self.pointwise = nn.Conv2d(c_in, channels, 1, bias=True)
        elif kind in ("conv3x3", "dil_conv3x3_r3"):
            dilation = 3 if kind == "dil_conv3x3_r3" else 1
            self.conv = nn.Conv2d(c_in, channels, 3, padding=dilation, dilation=dilation, bias=True)
        else:
            raise ValueError(f"unknown DeCoNAS op {kind!r}; expected one of {OPS}")

    def _channel_index(self, selected: list[int], device: torch.device) -> torch.Tensor | None:
        """Input-channel indices of ``selected`` in this op's weights (None when all slots are used)."""
        if selected == self.slots:
            return None
        c = self.channels
        pos = [self.slots.index(s) for s in selected]
        return torch.cat([torch.arange(p * c, (p + 1) * c, device=device) for p in pos])

    def forward(self, sources: list[torch.Tensor], selected: list[int]) -> torch.Tensor:
        x = F.relu(torch.cat([sources[s] for s in selected], dim=1))
        idx = self._channel_index(selected, x.device)
        if self.kind == "sep_conv3x3":
            dw, pw = self.depthwise.weight, self.pointwise.weight
            if idx is not None:
                dw, pw = dw[idx], pw[:, idx]
            x = F.conv2d(x, dw, None, padding=1, groups=x.shape[1])
            return F.conv2d(x, pw, self.pointwise.bias)
        w = self.conv.weight if idx is None else self.conv.weight[:, idx]
        return F.conv2d(x, w, self.conv.bias, padding=self.conv.padding, dilation=self.conv.dilation)


class OfficialSourceOp(nn.Module):
    """The official supernet's candidate op over ``n_sources`` possible sources (TensorFlow layouts).

    ``conv3x3``: ``w[n_sources, 3*3*C*C]``, rows of the selected sources gathered and reshaped to
    ``[3, 3, n*C, C]`` (HWIO), no bias. ``sep_conv3x3``: depthwise ``[n_sources, 3*3*C]`` -> ``[3, 3, n*C, 1]``,
    pointwise ``[n_sources, C*C]`` -> ``[1, 1, n*C, C]``, plus bias. ``dil_conv3x3_r3``: one full
    ``[3, 3, n_sources*C, C]`` kernel over the zero-masked concat of all sources, plus bias. No ReLU.
    Initialisation: uniform with PyTorch's conv bound over the same fan-in as the sliced supernet (the
    official TF ``variance_scaling(0.02)`` over the flat ``[n, 9*C*C]`` shape is not emulated).
    """

    def __init__(self, kind: OpKind, n_sources: int, channels: int):
        super().__init__()
        self.kind, self.n, self.channels = kind, n_sources, channels
        c, fan = channels, 9 * n_sources * channels

        def param(*shape: int, fan_in: int) -> nn.Parameter:
            bound = 1 / math.sqrt(fan_in)
            return nn.Parameter(torch.empty(*shape).uniform_(-bound, bound))

        if kind == "conv3x3":
            self.w = param(n_sources, 9 * c * c, fan_in=fan)
        elif kind == "sep_conv3x3":
            self.w_depth = param(n_sources, 9 * c, fan_in=9)
            self.w_point = param(n_sources, c * c, fan_in=n_sources * c)
            self.b = param(c, fan_in=n_sources * c)
        elif kind == "dil_conv3x3_r3":
            self.w = param(3, 3, n_sources * c, c, fan_in=fan)
            self.b = param(c, fan_in=fan)
        else:
            raise ValueError(f"unknown DeCoNAS op {kind!r}; expected one of {OPS}")

    def forward(self, sources: list[torch.Tensor], selected: list[int]) -> torch.Tensor:
        c, n = self.channels, len(selected)
        idx = torch.tensor(selected, device=sources[0].device)
        x = torch.cat([sources[s] for s in selected], dim=1)  # no ReLU in the official supernet
        if self.kind == "conv3x3":
            w = self.w[idx].reshape(3, 3, n * c, c).permute(3, 2, 0, 1)
            return F.conv2d(x, w, None, padding=1)
        if self.kind == "sep_conv3x3":
            dw = self.w_depth[idx].reshape(3, 3, n * c, 1).permute(2, 3, 0, 1)
            pw = self.w_point[idx].reshape(1, 1, n * c, c).permute(3, 2, 0, 1)
            return F.conv2d(F.conv2d(x, dw, None, padding=1, groups=n * c), pw, self.b)
        # zero-masking the unselected sources == dropping their input channels
        chans = torch.cat([torch.arange(s * c, (s + 1) * c, device=x.device) for s in selected])
        w = self.w.permute(3, 2, 0, 1)[:, chans]
        return F.conv2d(x, w, self.b, padding=3, dilation=3)


def official_role_fraction(kind: OpKind, selected: list[int], channels: int, position: int = 0) -> float:
    """Fraction of the ``position``-th selected source's official weights that sit, in this arc, at the
    kernel tap / input channel / output channel they have when that source is selected alone.

    A weight's role is fixed by the single-source layout ``[3, 3, C, C]`` of its row; in an arc with ``n``
    selected sources the same flat row is read as the ``position``-th slice of ``[3, 3, n*C, C]``."""
    c, n = channels, len(selected)
    if kind == "dil_conv3x3_r3":
        return 1.0
    if kind == "sep_conv3x3":  # depthwise row; the pointwise rows keep their roles
        shape_1, shape_n, row = (3, 3, c, 1), (3, 3, n * c, 1), 9 * c
    else:
        shape_1, shape_n, row = (3, 3, c, c), (3, 3, n * c, c), 9 * c * c
    flat = torch.arange(row)
    alone = torch.stack(torch.unravel_index(flat, shape_1))  # (kh, kw, cin, cout) when alone
    here = torch.stack(torch.unravel_index(flat + position * row, shape_n))
    here[2] -= position * c  # input channel relative to this source's channel block
    return float((alone == here).all(0).float().mean())


def make_source_op(form: str, kind: OpKind, slots: list[int], channels: int) -> nn.Module:
    """``sliced`` (default; final-network ops, per-source weight slices) or ``official-code``."""
    if form == "sliced":
        return SourceOp(kind, slots, channels)
    if form == "official-code":
        if slots != list(range(len(slots))):
            raise ValueError("the official supernet op needs every source of its layer as a slot")
        return OfficialSourceOp(kind, len(slots), channels)
    raise ValueError(f"options.supernet must be 'sliced' or 'official-code', not {form!r}")


class DNBLayer(nn.Module):
    """Layer output = ReLU(mean of the active ops), or ReLU(previous output) when none is active,
    then channel attention (C -> C/r -> C)."""

    def __init__(self, slots: list[list[int]], channels: int, channel_attn: bool, ca_reduction: int, op_form: str = "sliced"):
        super().__init__()
        self.ops = nn.ModuleDict({kind: make_source_op(op_form, kind, s, channels) for kind, s in zip(OPS, slots) if s})  # type: ignore[arg-type]
        self.attention = ChannelAttention(channels, ca_reduction) if channel_attn else nn.Identity()

    def forward(self, sources: list[torch.Tensor], selection: LayerSources) -> torch.Tensor:
        outs = [self.ops[kind](sources, sel) for kind, sel in zip(OPS, selection) if sel]
        out = F.relu(torch.stack(outs).mean(0)) if outs else F.relu(sources[-1])
        return self.attention(out)


class DNB(nn.Module):
    """Densely connected block: layer k reads {input, layers 0..k-1}; 1x1 local fusion of all of them
    plus the block input (local residual)."""

    def __init__(self, layer_slots: list[list[list[int]]], channels: int, channel_attn: bool, ca_reduction: int, op_form: str = "sliced"):
        super().__init__()
        self.layers = nn.ModuleList(DNBLayer(s, channels, channel_attn, ca_reduction, op_form) for s in layer_slots)
        self.fuse = nn.Conv2d((len(layer_slots) + 1) * channels, channels, 1)

    def forward(self, x: torch.Tensor, selection: list[LayerSources]) -> torch.Tensor:
        feats = [x]
        for layer, sel in zip(self.layers, selection):
            feats.append(layer(feats, sel))
        return self.fuse(torch.cat(feats, dim=1)) + x


class DeCoNASNet(nn.Module):
    """RGB [0, 1] LR -> SR. ``forward(x, arc)`` runs ``arc``; ``arc=None`` runs the arc it was built for.

    The input has the DIV2K mean subtracted (official code). The spec does not say whether the mean is
    added back; we add it back ([inferred]: keeps the last bias near zero) unless the net is wrapped to
    predict a residual over bicubic (``add_mean=False``).
    """

    def __init__(
        self,
        layer_slots: list[list[list[int]]],
        scale: int,
        channels: int = 64,
        num_dnbs: int = 4,
        channel_attn: bool = True,
        ca_reduction: int = 4,
        add_mean: bool = True,
        arc: Arc | None = None,
        op_form: str = "sliced",
    ):
        super().__init__()
        c = channels
        self.layers_per_dnb = len(layer_slots)
        self.fixed_selection = decode(arc, self.layers_per_dnb) if arc is not None else None
        self.add_mean = add_mean
        self.register_buffer("mean", torch.tensor(RGB_MEAN).view(1, 3, 1, 1), persistent=False)
        self.sfe_global = nn.Conv2d(3, c, 3, padding=1)  # x_grl
        self.sfe = nn.Conv2d(c, c, 3, padding=1)  # x_sfe
        self.dnbs = nn.ModuleList(DNB(layer_slots, c, channel_attn, ca_reduction, op_form) for _ in range(num_dnbs))
        # Block-level dense connection after every DNB b: 1x1 over [x_sfe, DNB_0..DNB_b], the input of
        # DNB b + 1. The official graph builds it after the last DNB too and never reads that output; we
        # keep those weights (unused, never computed) so the parameter count equals the released
        # checkpoint's 1,713,795.
        self.block_links = nn.ModuleList(nn.Conv2d((b + 2) * c, c, 1) for b in range(num_dnbs))
        self.global_fuse = nn.Sequential(nn.Conv2d((num_dnbs + 1) * c, c, 1), nn.Conv2d(c, c, 3, padding=1))
        self.upnet = Upsampler(c, scale, out_channels=3)

    @classmethod
    def from_arc(cls, arc: Arc, layers_per_dnb: int, scale: int, **kw) -> "DeCoNASNet":
        """The final network of ``arc``: only the selected sources get weights."""
        return cls([list(map(list, layer)) for layer in decode(arc, layers_per_dnb)], scale, arc=arc, **kw)

    @classmethod
    def supernet(cls, layers_per_dnb: int, scale: int, op_form: str = "sliced", **kw) -> "DeCoNASNet":
        """Every op of layer k holds weights for all k + 1 sources; ``forward(x, arc)`` picks a subnet.
        ``op_form``: ``sliced`` (default) or ``official-code`` (see the module docstring)."""
        return cls([[list(range(k + 1)) for _ in OPS] for k in range(layers_per_dnb)], scale, op_form=op_form, **kw)

    def forward(self, x: torch.Tensor, arc: Arc | None = None) -> torch.Tensor:
        selection = decode(arc, self.layers_per_dnb) if arc is not None else self.fixed_selection
        if selection is None:
            raise ValueError("a supernet needs an arc: call model(x, arc)")
        x_grl = self.sfe_global(x - self.mean)
        x_sfe = self.sfe(x_grl)
        outs = [x_sfe]
        for b, dnb in enumerate(self.dnbs):
            inp = x_sfe if b == 0 else self.block_links[b - 1](torch.cat(outs, dim=1))
            outs.append(dnb(inp, selection))
        y = self.upnet(self.global_fuse(torch.cat(outs, dim=1)) + x_grl)
        return y + self.mean if self.add_mean else y
