"""The HNAS network (spec §1.1): MeanShift, stem, L cells with one upsampling cell, 3x3 tail.

:class:`CellChain` is the network-level wiring shared by the final model and the search supernet, so
both run exactly the same graph: cell k reads (out[k-2], out[k-1]); the upsampling cell's output
replaces *both* inputs of the next cell. Unlike the official final model we run the upsampling cell
once (the code evaluates it twice with identical inputs; spec §1.8.9).
"""
from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn as nn

from srnas.methods.hnas.ops import batch_stats_only, normal_op, upsampling_op
from srnas.methods.hnas.space import NODES, Genotype, validate_genotype

DIV2K_RGB_MEAN = (0.4488, 0.4371, 0.4040)


class MeanShift(nn.Module):
    """EDSR's fixed mean shift with ``rgb_range``: [0,1] input -> rgb_range-scaled, mean-free (sign -1)
    and back (sign +1). The official model works on 0..255 values, so the paper profile keeps 255."""

    def __init__(self, rgb_range: float, sign: int, with_mean: bool = True):
        super().__init__()
        self.rgb_range, self.sign = float(rgb_range), sign
        mean = torch.tensor(DIV2K_RGB_MEAN).view(1, 3, 1, 1) * self.rgb_range * float(with_mean)
        self.register_buffer("mean", mean, persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.sign < 0:
            return x * self.rgb_range - self.mean
        return (x + self.mean) / self.rgb_range


def preprocess(c_in: int, c_out: int, search_bn: bool) -> nn.Sequential:
    """ReLU -> 1x1 conv (no bias) [-> BN without affine in search]: maps a cell input to width C."""
    layers: list[nn.Module] = [nn.ReLU(), nn.Conv2d(c_in, c_out, 1, bias=False)]
    if search_bn:
        layers.append(batch_stats_only(nn.BatchNorm2d(c_out, affine=False)))
    return nn.Sequential(*layers)


def run_cell(s0: torch.Tensor, s1: torch.Tensor, edges: list[list], edge_fn: Callable[[int, torch.Tensor], torch.Tensor]) -> torch.Tensor:
    """Nodes 2..5 as the sum of their two edges (``edge_fn(edge_index, input)``); output = concat of
    all four intermediate nodes, used or not (as the code)."""
    states = [s0, s1]
    for node in range(2, NODES + 2):
        states.append(sum(edge_fn(i, states[e[1]]) for i, e in enumerate(edges) if e[2] == node))
    return torch.cat(states[2:], dim=1)


class FixedCell(nn.Module):
    """One cell of a derived network: only the ops its genotype names."""

    def __init__(self, edges: list[list], upsampling: bool, channels: int, scale: int):
        super().__init__()
        self.edges = [list(e) for e in edges]
        self.pre0, self.pre1 = preprocess(NODES * channels, channels, False), preprocess(NODES * channels, channels, False)
        if upsampling:
            self.ops = nn.ModuleList(upsampling_op(op, channels, scale if src < 2 else 1) for op, src, _ in self.edges)
        else:
            self.ops = nn.ModuleList(normal_op(op, channels) for op, _, _ in self.edges)

    def forward(self, s0: torch.Tensor, s1: torch.Tensor) -> torch.Tensor:
        return run_cell(self.pre0(s0), self.pre1(s1), self.edges, lambda i, x: self.ops[i](x))


class CellChain(nn.Module):
    """MeanShift -> stem (3 -> 4C) -> cells -> tail (4C -> 3) -> MeanShift back; no global skip."""

    def __init__(self, channels: int, rgb_range: float, search_bn: bool, residual_output: bool = False):
        super().__init__()
        # a residual body (BicubicResidual option) must output ~0, so it only rescales, never adds the mean
        self.sub_mean, self.add_mean = MeanShift(rgb_range, -1), MeanShift(rgb_range, +1, with_mean=not residual_output)
        stem: list[nn.Module] = [nn.Conv2d(3, NODES * channels, 3, padding=1, bias=False)]
        if search_bn:
            stem.append(batch_stats_only(nn.BatchNorm2d(NODES * channels, affine=False)))
        self.stem = nn.Sequential(*stem)
        self.tail = nn.Conv2d(NODES * channels, 3, 3, padding=1)

    def chain(self, x: torch.Tensor, layers: int, position: int, cell_fn: Callable[[int, bool, torch.Tensor, torch.Tensor], torch.Tensor]) -> torch.Tensor:
        """Run ``cell_fn(layer, is_upsampling, s0, s1)`` for each layer with the HNAS wiring."""
        s0 = s1 = self.stem(self.sub_mean(x))
        for k in range(layers):
            out = cell_fn(k, k == position, s0, s1)
            s0, s1 = (out, out) if k == position else (s1, out)
        return self.add_mean(self.tail(s1))


class HNASNet(CellChain):
    """A derived HNAS network (final model: no BN; width C per op, 4C between cells)."""

    def __init__(self, genotype: Genotype, scale: int, channels: int, layers: int, rgb_range: float = 255.0, residual_output: bool = False):
        super().__init__(channels, rgb_range, search_bn=False, residual_output=residual_output)
        validate_genotype(genotype, layers)
        self.layers, self.position = layers, int(genotype["upsampling_position"])
        self.cells = nn.ModuleList(
            FixedCell(genotype["upsampling"] if k == self.position else genotype["normal"], k == self.position, channels, scale)
            for k in range(layers)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.chain(x, self.layers, self.position, lambda k, up, s0, s1: self.cells[k](s0, s1))
