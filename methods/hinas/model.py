"""The derived HiNAS SR network (methods-spec section 2.4): stems, FixCells on the width path,
DeepLabv3+-style decoder, pixel shuffle and a bicubic skip (the paper's residual learning)."""
from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

from .blocks import Concat, conv_bn, lrelu, sep_conv_bn
from .space import CellGenotype, Genotype, level_widths, make_op, validate_genotype


ENDPOINT_RULES = ("official", "last-non-final")


def low_level_endpoint(levels: list[int], rule: str = "official") -> int | None:
    """Layer whose output feeds the decoder's low-level branch, or None for ``reduce(stem)``.

    ``official`` (``sr_compnet.py``): the layer of the *last* level-0 entry of the width path, unless
    that is the final layer -- then ``reduce(stem)``, even when an earlier layer was at level 0 (path
    ``[0, 0]`` -> ``reduce(stem)``; ``[0, 1]`` -> layer 0). ``last-non-final``: methods-spec section 2.4's
    wording, "the last non-final layer at level 0" (``[0, 0]`` -> layer 0), the plugin's rule before it
    was checked against the code; kept so the runs made with it rebuild exactly."""
    if rule not in ENDPOINT_RULES:
        raise ValueError(f"options.endpoint must be one of {ENDPOINT_RULES}, not {rule!r}")
    if rule == "last-non-final":
        zeros = [l for l, v in enumerate(levels[:-1]) if v == 0]
        return zeros[-1] if zeros else None
    zeros = [l for l, v in enumerate(levels) if v == 0]
    if not zeros or zeros[-1] == len(levels) - 1:
        return None
    return zeros[-1]


class FixCell(nn.Module):
    """A derived cell: node j = op_a(state_a) + op_b(state_b); output = concat of the nodes."""

    def __init__(self, cell: CellGenotype, channels: int):
        super().__init__()
        self.inputs = [[int(i) for _, i in node] for node in cell]
        self.ops = nn.ModuleList(nn.ModuleList(make_op(op, channels, affine=True) for op, _ in node) for node in cell)

    def forward(self, s0: torch.Tensor, s1: torch.Tensor) -> torch.Tensor:
        states = [s0, s1]
        for ops, inputs in zip(self.ops, self.inputs):
            states.append(sum(op(states[i]) for op, i in zip(ops, inputs)))
        return torch.cat(states[2:], 1)


class ASPP(nn.Module):
    """1x1 branch + separable 3x3 branches at dilations 2/4/6 (no image-pool branch), fused by 1x1."""

    def __init__(self, c_in: int, channels: int, dilations: tuple[int, ...] = (2, 4, 6)):
        super().__init__()
        branches = [conv_bn(c_in, channels, 1, act_after=True)] + [sep_conv_bn(c_in, channels, d) for d in dilations]
        self.branches = Concat(branches)
        self.fuse = conv_bn(len(branches) * channels, channels, 1, act_after=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fuse(self.branches(x))


class HiNASNet(nn.Module):
    """Final network of a genotype at one scale; ``filters`` is f (16 in the paper's final models)."""

    def __init__(
        self,
        genotype: Genotype,
        scale: int,
        filters: int = 16,
        stem_channels: int = 64,
        aspp_channels: int = 128,
        low_channels: int = 48,
        width_levels: str = "linear",
        endpoint: str = "official",
        residual: bool = True,
    ):
        super().__init__()
        validate_genotype(genotype)
        self.scale = scale
        # ResL (paper Fig. 4b): the network learns the residual over the bicubic upscale; False is the
        # ablation of Table 2 ("no ResL"), where the decoder's output is the image itself
        self.residual = residual
        nodes = int(genotype.get("nodes", len(genotype["cells"][0])))
        widths = level_widths(filters, width_levels, int(genotype.get("n_levels", 3)))
        levels = [int(v) for v in genotype["levels"]]
        self.stem1 = conv_bn(3, stem_channels, 3, act_after=True)
        self.stem2 = conv_bn(stem_channels, stem_channels, 3)
        self.reduce = conv_bn(stem_channels, nodes * widths[0], 3, affine=False)
        self.scalers0, self.scalers1, self.cells = nn.ModuleList(), nn.ModuleList(), nn.ModuleList()
        c_prev2, c_prev = stem_channels, stem_channels
        for cell, lvl in zip(genotype["cells"], levels):
            c = widths[lvl]
            self.scalers0.append(conv_bn(c_prev2, c, 1, act_before=True))
            self.scalers1.append(conv_bn(c_prev, c, 1, act_before=True))
            self.cells.append(FixCell(cell, c))
            c_prev2, c_prev = c_prev, nodes * c
        self.endpoint_layer = low_level_endpoint(levels, endpoint)
        self.aspp = ASPP(c_prev, aspp_channels)
        self.low = conv_bn(nodes * widths[0], low_channels, 1, act_after=True)
        self.decoder = nn.Sequential(
            sep_conv_bn(aspp_channels + low_channels, aspp_channels),
            sep_conv_bn(aspp_channels, aspp_channels),
            nn.Conv2d(aspp_channels, 3 * scale * scale, 3, padding=1),
            nn.PixelShuffle(scale),
        )
        self.act = lrelu()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h1 = self.stem1(x)
        h0 = self.stem2(h1)
        endpoint = self.reduce(h0) if self.endpoint_layer is None else None
        for l, (sc0, sc1, cell) in enumerate(zip(self.scalers0, self.scalers1, self.cells)):
            h1, h0 = h0, cell(sc0(h1), sc1(h0))
            if l == self.endpoint_layer:
                endpoint = h0
        feat = torch.cat([self.aspp(self.act(h0)), self.low(endpoint)], 1)
        if not self.residual:
            return self.decoder(feat)
        return F.interpolate(x, scale_factor=self.scale, mode="bicubic", align_corners=False) + self.decoder(feat)
