"""ENAS shared-weight supernet of HNAS: every cell position holds every candidate op on every edge.

Each of the L positions owns a normal super-cell *and* an upsampling super-cell (the position of the
upsampling cell is itself searched). A super-cell holds one op per (node, input, op name), so an
architecture picks a path; ``forward(x, genotype)`` runs only the picked ops (search width C, BN without
affine after every conv, batch statistics only).
"""
from __future__ import annotations

import torch
import torch.nn as nn

from srnas.methods.hnas.model import CellChain, preprocess, run_cell
from srnas.methods.hnas.ops import normal_op, upsampling_op
from srnas.methods.hnas.space import NODES, Genotype, HNASSpace, validate_genotype


def edge_key(node: int, src: int, op: str) -> str:
    return f"{node}_{src}_{op}"


class SuperCell(nn.Module):
    def __init__(self, ops: tuple[str, ...], upsampling: bool, channels: int, scale: int, search_bn: bool):
        super().__init__()
        self.pre0, self.pre1 = preprocess(NODES * channels, channels, search_bn), preprocess(NODES * channels, channels, search_bn)
        self.ops = nn.ModuleDict()
        for node in range(2, NODES + 2):
            for src in range(node):
                for op in ops:
                    if upsampling:
                        self.ops[edge_key(node, src, op)] = upsampling_op(op, channels, scale if src < 2 else 1)
                    else:
                        self.ops[edge_key(node, src, op)] = normal_op(op, channels, search_bn)

    def forward(self, s0: torch.Tensor, s1: torch.Tensor, edges: list[list]) -> torch.Tensor:
        return run_cell(self.pre0(s0), self.pre1(s1), edges, lambda i, x: self.ops[edge_key(edges[i][2], edges[i][1], edges[i][0])](x))


class HNASSupernet(CellChain):
    def __init__(self, space: HNASSpace, scale: int, channels: int, rgb_range: float = 255.0, search_bn: bool = True, residual_output: bool = False):
        super().__init__(channels, rgb_range, search_bn, residual_output)
        self.space, self.scale = space, scale
        self.normal = nn.ModuleList(SuperCell(space.normal_ops, False, channels, scale, search_bn) for _ in range(space.layers))
        self.upsampling = nn.ModuleList(SuperCell(space.upsampling_ops, True, channels, scale, search_bn) for _ in range(space.layers))

    def forward(self, x: torch.Tensor, genotype: Genotype) -> torch.Tensor:
        validate_genotype(genotype, self.space.layers)

        def cell(k: int, up: bool, s0: torch.Tensor, s1: torch.Tensor) -> torch.Tensor:
            return self.upsampling[k](s0, s1, genotype["upsampling"]) if up else self.normal[k](s0, s1, genotype["normal"])

        return self.chain(x, self.space.layers, int(genotype["upsampling_position"]), cell)
