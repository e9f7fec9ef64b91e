"""DeCoNASNet (methods-spec section 4.1): SFENet, densely connected blocks (DNBs), feature fusion, UPNet.

One module serves both the final network and the weight-sharing supernet. Every candidate operation
holds weights for a fixed list of *slots* (the sources it may read, ``C`` input channels each):

- the final network builds each active op with exactly the sources the arc selects, so its parameters
  are those of the published model (1,713,795 for the 30-bit DeCoNASNet arc at C = 64);
- the supernet builds every op with all ``k + 1`` sources of its layer and, for a sampled arc, convolves
  only the selected sources with the matching input-channel slices of the shared weights.

Slicing is the same computation as feeding the full-width concat with the unselected sources zeroed
(their weight columns then contribute nothing), so weights are shared per (layer, source, op) across
all arcs, as ENAS shares per-edge weights; it only skips the multiplications by zero. The official
supernet does the same (it gathers per-source weight rows for conv/sep and zero-masks sources for the
dilated conv).
"""
from __future__ import annotations

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


class DNBLayer(nn.Module):
    """Layer output = ReLU(mean of the active ops), or ReLU(previous output) when none is active,
    then channel attention (C -> C/r -> C)."""

    def __init__(self, slots: list[list[int]], channels: int, channel_attn: bool, ca_reduction: int):
        super().__init__()
        self.ops = nn.ModuleDict({kind: SourceOp(kind, s, channels) for kind, s in zip(OPS, slots) if s})  # type: ignore[arg-type]
        self.attention = ChannelAttention(channels, ca_reduction) if channel_attn else nn.Identity()

    def forward(self, sources: list[torch.Tensor], selection: LayerSources) -> torch.Tensor:
        outs = [self.ops[kind](sources, sel) for kind, sel in zip(OPS, selection) if sel]
        out = F.relu(torch.stack(outs).mean(0)) if outs else F.relu(sources[-1])
        return self.attention(out)


class DNB(nn.Module):
    """Densely connected block: layer k reads {input, layers 0..k-1}; 1x1 local fusion of all of them
    plus the block input (local residual)."""

    def __init__(self, layer_slots: list[list[list[int]]], channels: int, channel_attn: bool, ca_reduction: int):
        super().__init__()
        self.layers = nn.ModuleList(DNBLayer(s, channels, channel_attn, ca_reduction) for s in layer_slots)
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
    ):
        super().__init__()
        c = channels
        self.layers_per_dnb = len(layer_slots)
        self.fixed_selection = decode(arc, self.layers_per_dnb) if arc is not None else None
        self.add_mean = add_mean
        self.register_buffer("mean", torch.tensor(RGB_MEAN).view(1, 3, 1, 1), persistent=False)
        self.sfe_global = nn.Conv2d(3, c, 3, padding=1)  # x_grl
        self.sfe = nn.Conv2d(c, c, 3, padding=1)  # x_sfe
        self.dnbs = nn.ModuleList(DNB(layer_slots, c, channel_attn, ca_reduction) for _ in range(num_dnbs))
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
    def supernet(cls, layers_per_dnb: int, scale: int, **kw) -> "DeCoNASNet":
        """Every op of layer k holds weights for all k + 1 sources; ``forward(x, arc)`` picks a subnet."""
        return cls([[list(range(k + 1)) for _ in OPS] for k in range(layers_per_dnb)], scale, **kw)

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
