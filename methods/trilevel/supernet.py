"""The trilevel supernet: network-, cell- and kernel-level choices relaxed by sparsestmax in one module.

- **Cell level**: each cell's two edges are :class:`srnas.nas.mixed.MixedOp` over :data:`OP_NAMES`,
  weighted by ``sparsestmax(alpha)``.
- **Kernel level**: the inner feature of a cell has a searched width. One weight tensor serves every
  width through nested channel masks: a width-``w`` op is the full op with channels ``>= w`` zeroed, so
  the mixture over widths is the per-channel gate ``P(width > c)``, i.e. tail sums of
  ``sparsestmax(beta)`` over the increasing widths.
- **Network level**: the upsampler's position ``k`` among the allowed positions. The relaxation runs two
  streams: an LR stream through the cells (kept while ``P(k > j) > 0``: the sorted gates of
  :func:`srnas.nas.sparsestmax.sorted_sparsestmax`) and an HR stream that collects
  ``p_k * upsample(LR state after cell k)`` and runs the remaining cells. Each cell runs at most twice,
  the HR stream carries total mass ``P(k <= j)``, and at one-hot ``p`` this is the discrete path exactly.

All distributions share one radius schedule, ``r = radius_t * max_radius(n)`` with ``radius_t`` set by
the search each step; ``radius_t = 1`` makes every distribution one-hot.
"""
from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

from srnas.nas.mixed import MixedOp, nonzero_mask
from srnas.nas.ops import BicubicResidual, Upsampler
from srnas.nas.sparsestmax import entropy, max_radius, sparsestmax, tail_sums

from .model import TrilevelNet, build_network, copy_sliced
from .space import Genotype, SpaceConfig, inner_op_macs, make_op, op_macs


class SupernetCell(nn.Module):
    def __init__(self, space: SpaceConfig):
        super().__init__()
        c = space.channels
        self.edges = nn.ModuleList(MixedOp([make_op(o, c, c) for o in space.ops], space.ops) for _ in range(2))
        # channel c belongs to every width larger than c: its gate is tail_sums(p_width)[index[c]]
        widths = torch.tensor(space.widths)
        self.register_buffer("gate_index", torch.searchsorted(widths, torch.arange(c), right=True), persistent=False)
        self.res_scale = space.res_scale

    def forward(self, x: torch.Tensor, op_weights: torch.Tensor, width_p: torch.Tensor, keep: list | None = None) -> torch.Tensor:
        """``keep``: :func:`nonzero_mask` of ``op_weights`` (read once per supernet forward by the caller)."""
        keep = keep if keep is not None else nonzero_mask(op_weights)
        gate = tail_sums(width_p)[self.gate_index].view(1, -1, 1, 1)
        h = self.edges[0](x, op_weights[0], keep[0]) * gate
        return x + self.res_scale * self.edges[1](h, op_weights[1], keep[1])


def tree_path_distribution(gamma: torch.Tensor, n_positions: int) -> torch.Tensor:
    """Network level as a tree of feature maps with a weight on every node (``order-constraint`` reading).

    Nodes: ``L_m`` (searched cell m runs at LR, m = 0..n-2) and ``U_i`` (upsample after position i,
    the leaves). The root-to-leaf path of ``U_i`` is ``L_0 .. L_{i-1}, U_i``. Node gates are
    ``sigmoid(gamma)`` (first n-1 entries: L nodes, last n: U nodes); the path distribution is the
    normalised product of the gates along each path."""
    g = torch.sigmoid(gamma)
    lr, up = g[: n_positions - 1], g[n_positions - 1 :]
    prefix = torch.cat([torch.ones_like(up[:1]), torch.cumprod(lr, 0)])  # prod of L gates before leaf i
    score = prefix * up
    return score / score.sum()


def order_constraint_loss(gamma: torch.Tensor, n_positions: int) -> torch.Tensor:
    """sum over tree edges parent -> child of relu(g_child - g_parent): zero iff the node weights are
    sorted (non-increasing) along every root-to-leaf path. The root's weight is 1, so its edges add 0."""
    g = torch.sigmoid(gamma)
    lr, up = g[: n_positions - 1], g[n_positions - 1 :]
    chain = F.relu(lr[1:] - lr[:-1]).sum()  # L_{m-1} -> L_m
    leaves = F.relu(up[1:] - lr).sum()  # L_{i-1} -> U_i
    return chain + leaves


class TrilevelSupernet(nn.Module):
    def __init__(self, space: SpaceConfig):
        super().__init__()
        self.space = space
        if space.network_level not in ("sorted-sparsestmax", "order-constraint"):
            raise ValueError(f"options.network_level must be 'sorted-sparsestmax' or 'order-constraint', not {space.network_level!r}")
        c = space.channels
        self.stem = nn.Conv2d(3, c, 3, padding=1)
        self.cells = nn.ModuleList(SupernetCell(space) for _ in range(space.cells))
        self.upsampler = Upsampler(c, space.scale)
        self.tail = nn.Conv2d(c, 3, 3, padding=1)
        # DARTS's 1e-3 * randn init: exactly tied logits sit on sparsestmax's tie-break, where it is flat
        self.alpha = nn.Parameter(1e-3 * torch.randn(space.cells, 2, len(space.ops)))
        self.beta = nn.Parameter(1e-3 * torch.randn(space.cells, len(space.widths)))
        n_gamma = len(space.positions) if space.network_level == "sorted-sparsestmax" else 2 * len(space.positions) - 1
        self.gamma = nn.Parameter(1e-3 * torch.randn(n_gamma))
        self.radius_t = 0.0

    # -- parameters for the shared bilevel loop ---------------------------------------------------
    def arch_parameters(self) -> list[nn.Parameter]:
        return [self.alpha, self.beta, self.gamma]

    def weight_parameters(self) -> list[nn.Parameter]:
        arch = {id(p) for p in self.arch_parameters()}
        return [p for p in self.parameters() if id(p) not in arch]

    # -- relaxed distributions ------------------------------------------------------------------
    def distributions(self) -> dict[str, torch.Tensor]:
        """``ops`` [cells, 2, n_ops], ``widths`` [cells, n_widths], ``path`` [n_positions]."""
        t = min(max(self.radius_t, 0.0), 1.0)
        if self.space.network_level == "order-constraint":
            path = tree_path_distribution(self.gamma, len(self.space.positions))
            if t >= 1.0:  # hardened with the other levels: the remaining steps train the discrete path
                path = F.one_hot(path.argmax(), path.numel()).to(path.dtype)
        else:
            path = sparsestmax(self.gamma, t * max_radius(self.gamma.shape[-1]))
        return {
            "ops": sparsestmax(self.alpha, t * max_radius(self.alpha.shape[-1])),
            "widths": sparsestmax(self.beta, t * max_radius(self.beta.shape[-1])),
            "path": path,
        }

    def order_loss(self) -> torch.Tensor:
        """The order-constraint term (0 for the default reading, which is sorted by construction)."""
        if self.space.network_level != "order-constraint":
            return self.gamma.new_zeros(())
        return order_constraint_loss(self.gamma, len(self.space.positions))

    def lr_probabilities(self, path_p: torch.Tensor) -> list[torch.Tensor]:
        """P(cell j runs at LR) = P(k > j): 1 for the fixed prefix, then the sorted gates of the path."""
        gates = tail_sums(path_p)
        first = self.space.positions[0]
        one = torch.ones((), dtype=path_p.dtype, device=path_p.device)
        return [one if j < first else gates[j - first + 1] for j in range(self.space.cells)]

    def entropies(self) -> dict[str, list]:
        with torch.no_grad():
            d = self.distributions()
            return {k: entropy(v).tolist() for k, v in d.items()}

    # -- forward and cost ------------------------------------------------------------------------
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.run(x, self.distributions())

    def run(self, x: torch.Tensor, d: dict[str, torch.Tensor]) -> torch.Tensor:
        """The network under distributions ``d`` (relaxed, or one-hot for a discrete architecture)."""
        out = self._body(x, d)
        if self.space.bicubic_residual:
            out = out + F.interpolate(x, scale_factor=self.space.scale, mode="bicubic", align_corners=False)
        return out

    def _body(self, x: torch.Tensor, d: dict[str, torch.Tensor]) -> torch.Tensor:
        positions, path_p = self.space.positions, d["path"]
        lr_p = self.lr_probabilities(path_p)
        lr: torch.Tensor | None = self.stem(x)
        hr: torch.Tensor | None = None
        # every data-dependent branch of this forward read in one host transfer (not one read per cell)
        path_on, lr_on, keep = (path_p.detach() > 0).tolist(), (torch.stack(lr_p).detach() > 0).tolist(), nonzero_mask(d["ops"])
        for j in range(self.space.cells + 1):
            if j in positions:
                w = path_p[positions.index(j)]
                if path_on[positions.index(j)]:
                    up = w * self.upsampler(lr)
                    hr = up if hr is None else hr + up
            if j == self.space.cells:
                break
            cell = self.cells[j]
            if hr is not None:
                hr = cell(hr, d["ops"][j], d["widths"][j], keep[j])
            lr = cell(lr, d["ops"][j], d["widths"][j], keep[j]) if lr_on[j] else None
        assert hr is not None  # path_p is a distribution, so some position has mass
        return self.tail(hr)

    def expected_macs(self) -> torch.Tensor:
        """E[MACs per LR pixel] under the current distributions (exact: costs are linear per level)."""
        s, d = self.space, self.distributions()
        widths = torch.tensor(s.widths, dtype=self.beta.dtype, device=self.beta.device)
        total = torch.tensor(s.stem_macs() + s.upsampler_macs() + s.tail_macs(), dtype=self.beta.dtype, device=self.beta.device)
        for j, lr_p in enumerate(self.lr_probabilities(d["path"])):
            ew = (d["widths"][j] * widths).sum()
            cost = sum(d["ops"][j, 0, o] * op_macs(name, s.channels, ew) + d["ops"][j, 1, o] * inner_op_macs(name, ew, s.channels) for o, name in enumerate(s.ops))
            total = total + (lr_p + s.scale**2 * (1 - lr_p)) * cost
        return total

    # -- derivation ------------------------------------------------------------------------------
    def genotype(self) -> Genotype:
        """The argmax architecture (the only one with mass once ``radius_t`` = 1)."""
        with torch.no_grad():
            d = self.distributions()
        cells = [
            {"ops": [self.space.ops[int(d["ops"][j, e].argmax())] for e in range(2)], "width": self.space.widths[int(d["widths"][j].argmax())]}
            for j in range(self.space.cells)
        ]
        return {"upsample_after": self.space.positions[int(d["path"].argmax())], "cells": cells}

    @torch.no_grad()
    def derive(self) -> nn.Module:
        """The discrete network of :meth:`genotype` carrying this supernet's trained weights."""
        genotype = self.genotype()
        # built on the supernet's device: the copies below stay on it (no round trip through the host)
        model = build_network(genotype, self.space).to(self.stem.weight.device)
        net: TrilevelNet = model.body if isinstance(model, BicubicResidual) else model
        net.stem.load_state_dict(self.stem.state_dict())
        net.upsampler.load_state_dict(self.upsampler.state_dict())
        net.tail.load_state_dict(self.tail.state_dict())
        for cell, src, g in zip(net.cells, self.cells, genotype["cells"]):
            copy_sliced(cell.op0, src.edges[0].ops[self.space.ops.index(g["ops"][0])])
            copy_sliced(cell.op1, src.edges[1].ops[self.space.ops.index(g["ops"][1])])
        return model


def one_hot_distributions(genotype: Genotype, space: SpaceConfig) -> dict[str, torch.Tensor]:
    """The (one-hot) distributions under which :class:`TrilevelSupernet` runs exactly ``genotype``."""
    ops = torch.zeros(space.cells, 2, len(space.ops))
    widths = torch.zeros(space.cells, len(space.widths))
    for j, cell in enumerate(genotype["cells"]):
        for e in range(2):
            ops[j, e, space.ops.index(cell["ops"][e])] = 1.0
        widths[j, space.widths.index(int(cell["width"]))] = 1.0
    path = torch.zeros(len(space.positions))
    path[space.positions.index(int(genotype["upsample_after"]))] = 1.0
    return {"ops": ops, "widths": widths, "path": path}


class DiscreteTrilevelSupernet(nn.Module):
    """The Trilevel supernet's shared weights run one discrete architecture per forward: ``forward(x, arch)``.

    What random search with weight sharing needs from the space: the relaxed forward at one-hot
    distributions is the discrete network exactly (the zero-mass branches are skipped), so RSWS trains
    the same weights the one-phase search trains, one sampled architecture per batch.
    """

    def __init__(self, space: SpaceConfig):
        super().__init__()
        self.space = space
        self.net = TrilevelSupernet(space)
        self.net.alpha.requires_grad_(False)
        self.net.beta.requires_grad_(False)
        self.net.gamma.requires_grad_(False)

    def forward(self, x: torch.Tensor, arch: Genotype) -> torch.Tensor:
        return self.net.run(x, {k: v.to(x.device) for k, v in one_hot_distributions(arch, self.space).items()})
