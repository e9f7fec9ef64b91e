"""The HiNAS search supernet: mixed-op cells on a grid of layers x width levels, routed by beta.

One module serves three uses: differentiable search (``forward(x)`` mixes everything with softmax(alpha)
and softmax(beta)), the memory comparison of cell sharing (paper Eq. 5) against per-level cells (Eq. 6),
and weight-sharing random search (``forward(x, arch)`` runs one discrete architecture with the shared
weights; cells off the width path are skipped, not computed).
"""
from __future__ import annotations

from typing import Any

import torch
import torch.nn as nn
import torch.nn.functional as F

from srnas.nas.mixed import MixedOp, nonzero_mask

from .blocks import Concat, conv_bn, lrelu
from .space import OP_NAMES, edge_index, level_counts, level_widths, make_op, num_edges

_MOVES = (-1, 0, 1)  # beta column c: the move from a source at level k to level k + _MOVES[c] (down, same, up)


class SearchCell(nn.Module):
    """N-node DARTS cell at one width: node j = sum over inputs of MixedOp(input, alpha row)."""

    def __init__(self, channels: int, nodes: int):
        super().__init__()
        self.nodes = nodes
        self.edges = nn.ModuleList(MixedOp([make_op(n, channels, affine=False) for n in OP_NAMES], OP_NAMES) for _ in range(num_edges(nodes)))

    def forward(self, s0: torch.Tensor, s1: torch.Tensor, weights: torch.Tensor, keep: list | None = None) -> torch.Tensor:
        """``keep``: :func:`nonzero_mask` of ``weights``, read once per supernet forward by the caller."""
        keep = keep if keep is not None else nonzero_mask(weights)
        states = [s0, s1]
        for j in range(self.nodes):
            states.append(sum(self.edges[edge_index(j, i)](h, weights[edge_index(j, i)], keep[edge_index(j, i)])
                              for i, h in enumerate(states)))
        return torch.cat(states[2:], 1)


class HiNASSupernet(nn.Module):
    """Start part (stems), middle part (L layers of routed cells), end part (per-level ASPP + sub-pixel).

    ``cell_sharing=True``: one cell per (layer, level) on the beta-weighted sum of projected neighbours
    (Eq. 5). ``False``: one cell per incoming path, outputs summed with beta (Eq. 6), ~3x the activations.
    ``arch_sharing='layerwise'``: one alpha per layer (LWAS, the paper); ``'shared'``: one alpha for all.
    ``head='bilinear_sigmoid'`` (official code) or ``'bicubic'`` (residual over bicubic, as the final net).
    ``l2_input='projection'``: a cell's second input is its own unweighted 1x1 projection of the layer
    l-2 feature (the paper's f_{l-2}^i); ``'routed'`` (official ``sr_supernet.py``): it is the previous
    layer's beta-weighted routed input at the same level (``inputs_1 = inputs_0``), the reduced stem at
    layer 0, and a 1x1 conv+BN "upsampler" from the level below where the previous layer had no such
    level -- so beta also gates the next layer's l-2 input. ``'routed'`` needs cell sharing (the code has
    no per-path cells).
    """

    def __init__(
        self,
        scale: int,
        filters: int = 8,
        nodes: int = 3,
        layers: int = 2,
        width_levels: str = "linear",
        n_levels: int = 3,
        stem_channels: int = 64,
        cell_sharing: bool = True,
        arch_sharing: str = "layerwise",
        head: str = "bilinear_sigmoid",
        aspp_dilation: int = 16,
        l2_input: str = "projection",
        arch_init: str = "randn",
        residual: bool = True,
    ):
        super().__init__()
        self.residual = residual  # False: the Table 2 "no ResL" ablation (no bicubic skip in the head)
        if l2_input not in ("projection", "routed"):
            raise ValueError(f"l2_input must be 'projection' or 'routed', got {l2_input!r}")
        if l2_input == "routed" and not cell_sharing:
            raise ValueError("l2_input 'routed' (official code) needs cell_sharing: per-path cells have no single routed input")
        self.l2_input = l2_input
        if arch_sharing not in ("layerwise", "shared"):
            raise ValueError(f"arch_sharing must be 'layerwise' or 'shared', got {arch_sharing!r}")
        if head not in ("bilinear_sigmoid", "bicubic"):
            raise ValueError(f"head must be 'bilinear_sigmoid' or 'bicubic', got {head!r}")
        self.scale, self.nodes, self.layers, self.n_levels = scale, nodes, layers, n_levels
        self.cell_sharing, self.arch_sharing, self.head_kind = cell_sharing, arch_sharing, head
        self.widths = level_widths(filters, width_levels, n_levels)
        self.counts = level_counts(layers, n_levels)
        out_w = [nodes * c for c in self.widths]  # a cell outputs the concat of its nodes
        # start part: stem1 -> stem2 is the first l-1 input, reduce1(stem1) the first l-2 input (level 0)
        self.stem1 = conv_bn(3, stem_channels, 3, affine=False, act_after=True)
        self.stem2 = conv_bn(stem_channels, out_w[0], 3, affine=False)
        self.reduce1 = conv_bn(stem_channels, self.widths[0], 3, affine=False)
        prev_w = {0: out_w[0]}  # channels of h_{l-1} per level
        prev2_w = {0: self.widths[0]}  # channels of h_{l-2} per level
        self.prev_proj, self.skip_proj, self.cells = nn.ModuleList(), nn.ModuleList(), nn.ModuleList()
        self.rows: list[dict[int, int]] = []  # layer l -> {source level k in layer l-1 (the stem for l=0): beta row}
        row = 0
        for l, count in enumerate(self.counts):
            pp, sp, cells, rows = nn.ModuleDict(), nn.ModuleDict(), nn.ModuleDict(), {}
            for k in prev_w:
                rows[k] = row
                row += 1
            for i in range(count):
                c = self.widths[i]
                for k in self._sources(i, prev_w):
                    pp[f"{k}_{i}"] = conv_bn(prev_w[k], c, 1, affine=False)
                    if not cell_sharing:
                        cells[f"{k}_{i}"] = SearchCell(c, nodes)
                if l2_input == "projection":
                    for k in prev2_w:  # every l-2 level, so any width path finds its l-2 feature
                        sp[f"{k}_{i}"] = conv_bn(prev2_w[k], c, 1, affine=False)
                if cell_sharing:
                    cells[str(i)] = SearchCell(c, nodes)
            self.prev_proj.append(pp)
            self.skip_proj.append(sp)
            self.cells.append(cells)
            self.rows.append(rows)
            prev2_w, prev_w = prev_w, {i: out_w[i] for i in range(count)}
        # end part: per-level ASPP (1x1 branch + separable 3x3 with large dilation) -> concat -> sub-pixel
        last = self.counts[-1]
        bf = nodes * filters
        self.aspp = nn.ModuleList(
            nn.Sequential(
                Concat([conv_bn(out_w[i], bf, 1, affine=False, act_after=True), _dilated_sep(out_w[i], bf, aspp_dilation)]),
                conv_bn(2 * bf, bf, 1, affine=False, act_after=True),
            )
            for i in range(last)
        )
        # official-code l-2 input: channel-width "upsamplers" level i-1 -> i for levels a layer reaches first
        self.upsamplers = nn.ModuleList(conv_bn(self.widths[i - 1], self.widths[i], 1, affine=False) for i in range(1, n_levels)) if l2_input == "routed" else nn.ModuleList()
        self.tail = nn.Sequential(conv_bn(last * bf, bf, 3, affine=False, act_after=True), nn.Conv2d(bf, 3 * scale * scale, 3, padding=1), nn.PixelShuffle(scale))
        self._aspp_channels = bf
        # architecture: alpha [L or 1, edges, ops]; beta [sources, 3]: one row per node feeding the next layer
        # (the stem, then every cell but the last layer's), a softmax over its moves down/same/up. Moves to a
        # level the next layer lacks are masked out of the softmax (the code initialises them to -50).
        # arch_init "randn": 1e-3 x N(0, 1) logits (DARTS's form; this plugin's default); "ones": the official
        # code's, every logit 1 (an exactly uniform start; its searches end nearer uniform, issue 25's audit)
        n_alpha = layers if arch_sharing == "layerwise" else 1
        if arch_init == "randn":
            self.alpha = nn.Parameter(1e-3 * torch.randn(n_alpha, num_edges(nodes), len(OP_NAMES)))
            self.beta = nn.Parameter(1e-3 * torch.randn(row, 3))
        elif arch_init == "ones":
            self.alpha = nn.Parameter(torch.ones(n_alpha, num_edges(nodes), len(OP_NAMES)))
            self.beta = nn.Parameter(torch.ones(row, 3))
        else:
            raise ValueError(f"options.arch_init must be 'randn' or 'ones', not {arch_init!r}")
        mask = torch.zeros(row, 3, dtype=torch.bool)
        for l, rows in enumerate(self.rows):
            for k, r in rows.items():
                for c, d in enumerate(_MOVES):
                    mask[r, c] = 0 <= k + d < self.counts[l]
        self.register_buffer("beta_mask", mask, persistent=False)

    @staticmethod
    def _sources(level: int, prev: dict[int, int]) -> list[int]:
        return [level + d for d in _MOVES if level + d in prev]

    # -- parameters for the bilevel loop --------------------------------------------------------
    def arch_parameters(self) -> list[nn.Parameter]:
        return [self.alpha, self.beta]

    def weight_parameters(self) -> list[nn.Parameter]:
        arch = {id(p) for p in self.arch_parameters()}
        return [p for p in self.parameters() if id(p) not in arch]

    def alpha_weights(self) -> torch.Tensor:
        """softmax(alpha) per edge, expanded to one [edges, ops] matrix per layer."""
        w = F.softmax(self.alpha, dim=-1)
        return w if self.arch_sharing == "layerwise" else w.expand(self.layers, -1, -1)

    def beta_weights(self) -> torch.Tensor:
        """softmax(beta) per source node over its possible moves (masked entries are exactly 0)."""
        return F.softmax(self.beta.masked_fill(~self.beta_mask, float("-inf")), dim=-1)

    def arch_weights(self, arch: dict[str, Any]) -> tuple[torch.Tensor, torch.Tensor]:
        """One-hot alpha/beta of a discrete architecture: unused edges and off-path moves get zero weight."""
        alpha = torch.zeros(self.layers, num_edges(self.nodes), len(OP_NAMES))
        for l, cell in enumerate(arch["cells"]):
            for j, node in enumerate(cell):
                for op, inp in node:
                    alpha[l, edge_index(j, int(inp)), OP_NAMES.index(op)] = 1.0
        beta = torch.zeros_like(self.beta)
        prev = 0
        for l, lvl in enumerate(arch["levels"]):
            beta[self.rows[l][prev], _MOVES.index(lvl - prev)] = 1.0
            prev = lvl
        return alpha.to(self.alpha.device), beta.to(self.beta.device)

    def _routed_l2(self, routed_prev: dict[int, torch.Tensor], level: int) -> torch.Tensor:
        """The official l-2 input of a cell at ``level``: the previous layer's routed input there, else
        (a level that layer did not compute) the level below it passed through the upsamplers, as the
        code appends ``upsamplers[i-1](inputs_1[-1])``; the results are cached like the code's list."""
        if level not in routed_prev:
            below = self._routed_l2(routed_prev, level - 1) if level > 0 else None
            if below is None:
                raise RuntimeError("no routed input below level 0")
            routed_prev[level] = self.upsamplers[level - 1](below)
        return routed_prev[level]

    # -- forward ----------------------------------------------------------------------------------
    def forward(self, x: torch.Tensor, arch: dict[str, Any] | None = None) -> torch.Tensor:
        alpha, beta = (self.alpha_weights(), self.beta_weights()) if arch is None else self.arch_weights(arch)
        path = list(arch["levels"]) if arch is not None else None
        s = self.stem1(x)
        prev2: dict[int, torch.Tensor] = {0: self.reduce1(s)}
        prev: dict[int, torch.Tensor] = {0: self.stem2(s)}
        routed_prev: dict[int, torch.Tensor] = {0: prev2[0]}  # l2_input 'routed': the previous layer's routed inputs
        # which alpha/beta weights are nonzero: two host reads per forward, not one per candidate op and path
        alpha_keep, beta_nonzero = nonzero_mask(alpha), nonzero_mask(beta)
        for l, count in enumerate(self.counts):
            out: dict[int, torch.Tensor] = {}
            routed: dict[int, torch.Tensor] = {}
            for i in range(count):
                sources = [(self.rows[l][k], _MOVES.index(i - k), k) for k in self._sources(i, prev)]
                terms = [(beta[r, c], k) for r, c, k in sources if beta_nonzero[r][c]]
                if not terms:
                    continue  # off the width path of a discrete architecture
                if self.l2_input == "routed":
                    s0 = self._routed_l2(routed_prev, i)
                else:
                    if path is None:
                        k2 = min(i, max(prev2))  # the paper's f_{l-2}^i (top level when level i is new)
                    else:
                        k2 = path[l - 2] if l >= 2 else 0
                    s0 = self.skip_proj[l][f"{k2}_{i}"](prev2[k2])
                if self.cell_sharing:  # Eq. 5: one cell on the weighted sum
                    s1 = routed[i] = sum(w * self.prev_proj[l][f"{k}_{i}"](prev[k]) for w, k in terms)
                    out[i] = self.cells[l][str(i)](s0, s1, alpha[l], alpha_keep[l])
                else:  # Eq. 6: a cell per incoming path, weighted sum of the outputs
                    out[i] = sum(w * self.cells[l][f"{k}_{i}"](s0, self.prev_proj[l][f"{k}_{i}"](prev[k]), alpha[l], alpha_keep[l])
                                 for w, k in terms)
            prev2, prev, routed_prev = prev, out, routed
        n, _, h, w = x.shape
        feats = [self.aspp[i](prev[i]) if i in prev else x.new_zeros(n, self._aspp_channels, h, w) for i in range(self.counts[-1])]
        res = self.tail(torch.cat(feats, 1))
        if not self.residual:
            return torch.sigmoid(res) if self.head_kind == "bilinear_sigmoid" else res
        if self.head_kind == "bicubic":
            return F.interpolate(x, scale_factor=self.scale, mode="bicubic", align_corners=False) + res
        return torch.sigmoid(F.interpolate(x, scale_factor=self.scale, mode="bilinear", align_corners=False) + res)


def _dilated_sep(c_in: int, c_out: int, dilation: int) -> nn.Sequential:
    """Search-ASPP separable branch: depthwise 3x3 (dilated) -> pointwise -> BN -> LReLU."""
    return nn.Sequential(
        nn.Conv2d(c_in, c_in, 3, padding=dilation, dilation=dilation, groups=c_in, bias=False),
        nn.Conv2d(c_in, c_out, 1, bias=False),
        nn.BatchNorm2d(c_out, affine=False),
        lrelu(),
    )
