"""Trilevel NAS search space as data: ops (cell level), width ratios (kernel level), paths (network level).

The network is ``stem -> N cells -> tail`` with one upsampling module somewhere in the chain: cells
before it run at LR, cells after it at HR. The *path* is the upsampler's position ``k`` (it sits after
cell ``k``); the first ``N - path_cells`` cells always run at LR (the derivative code's fixed prefix),
so ``k`` ranges over ``N - path_cells .. N``. A cell is a chain of two ops, ``C -> w -> C`` with a
residual, where ``w`` is the searched width of the inner feature (kernel level).

Costs are multiply-adds per LR pixel (MACs = FLOPs / 2, the convention of :mod:`srnas.nas.flops`);
they are exact for the derived network (a test compares them with ``count_macs``), and linear in the
width, so the supernet's expected cost is the cost at the expected width.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch.nn as nn

from srnas.config import OptionalKeys
from srnas.nas.ops import conv_op

# Added after the short runs were recorded: network_level "order-constraint" is the derivative's reading;
# final_weights "search" keeps the one-phase network's supernet weights (no retraining), "scratch" builds
# the derived genotype afresh for the shared trainer, like every row of the equal-budget comparison.
OPTIONAL = OptionalKeys({"options": {"network_level": "sorted-sparsestmax", "final_weights": "search"},
                         "search": {"order_weight": 0.0}})

OP_NAMES: tuple[str, ...] = ("conv_3x3", "sep_conv_3x3", "dil_conv_3x3", "conv_1x1")
"""Four primitives, as many as the derivative code has (whose names we could not resolve)."""

Genotype = dict[str, Any]


def make_op(name: str, c_in: int, c_out: int) -> nn.Sequential:
    """ReLU -> conv candidate, no bias and no norm, so masked channels stay exactly zero (see supernet)."""
    if name == "conv_3x3":
        return conv_op("conv", c_in, c_out, 3, act="relu")
    if name == "sep_conv_3x3":
        return conv_op("sep", c_in, c_out, 3, act="relu")
    if name == "dil_conv_3x3":
        return conv_op("dil_sep", c_in, c_out, 3, dilation=2, act="relu")
    if name == "conv_1x1":
        return conv_op("conv", c_in, c_out, 1, act="relu")
    raise ValueError(f"unknown Trilevel op {name!r}; known: {', '.join(OP_NAMES)}")


def op_macs(name: str, c_in: int, c_out: float) -> float:
    """MACs per pixel of :func:`make_op` (linear in ``c_out`` and, for fixed ``c_out``, in ``c_in``)."""
    if name == "conv_3x3":
        return 9 * c_in * c_out
    if name in ("sep_conv_3x3", "dil_conv_3x3"):
        return 9 * c_in + c_in * c_out
    if name == "conv_1x1":
        return c_in * c_out
    raise ValueError(f"unknown Trilevel op {name!r}")


def inner_op_macs(name: str, width: float, channels: int) -> float:
    """MACs per pixel of a cell's second op, ``width -> channels`` (linear in ``width``)."""
    return op_macs(name, width, channels)


@dataclass(frozen=True)
class SpaceConfig:
    """The searchable space of one run (from ``config['model']`` and the scale)."""

    scale: int
    channels: int = 16
    cells: int = 3
    path_cells: int = 2
    width_ratios: tuple[float, ...] = (0.25, 0.5, 0.75, 1.0)
    ops: tuple[str, ...] = OP_NAMES
    res_scale: float = 0.2
    bicubic_residual: bool = False
    network_level: str = "sorted-sparsestmax"  # or "order-constraint" (DESIGN.md: the derivative's reading)

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> "SpaceConfig":
        m = config.get("model", {})
        space = cls(
            scale=int(config["scale"]),
            channels=int(m.get("channels", 16)),
            cells=int(m.get("cells", 3)),
            path_cells=int(m.get("path_cells", 2)),
            width_ratios=tuple(float(r) for r in m.get("width_ratios", (0.25, 0.5, 0.75, 1.0))),
            ops=tuple(m.get("ops", OP_NAMES)),
            res_scale=float(m.get("res_scale", 0.2)),
            bicubic_residual=bool(config.get("options", {}).get("bicubic_residual", False)),
            network_level=str(OPTIONAL.read(config, "options.network_level")),
        )
        space.validate()
        return space

    def validate(self) -> None:
        if not 0 <= self.path_cells <= self.cells:
            raise ValueError(f"path_cells must be in 0..cells ({self.cells}), got {self.path_cells}")
        if any(not 0 < r <= 1 for r in self.width_ratios) or list(self.width_ratios) != sorted(self.width_ratios):
            raise ValueError(f"width_ratios must be increasing and in (0, 1], got {self.width_ratios}")
        for name in self.ops:
            make_op(name, 1, 1)

    @property
    def widths(self) -> tuple[int, ...]:
        """Inner widths in channels, increasing (the order the kernel-level gates rely on)."""
        return tuple(max(1, int(round(r * self.channels))) for r in self.width_ratios)

    @property
    def positions(self) -> tuple[int, ...]:
        """Allowed upsampler positions (after cell k), increasing: the network-level candidates."""
        return tuple(range(self.cells - self.path_cells, self.cells + 1))

    # -- cost of the fixed parts, per LR pixel ---------------------------------------------------
    def stem_macs(self) -> float:
        return 9 * 3 * self.channels

    def upsampler_macs(self) -> float:
        """Sub-pixel convs of :class:`srnas.nas.ops.Upsampler` (x2 stages at LR then 2x LR..., or one x3)."""
        c = self.channels
        if self.scale == 3:
            return 9 * c * 9 * c
        total, area = 0.0, 1
        for _ in range(self.scale.bit_length() - 1):
            total += area * 9 * c * 4 * c
            area *= 4
        return total

    def tail_macs(self) -> float:
        return self.scale**2 * 9 * self.channels * 3

    def cell_macs(self, ops: tuple[str, str], width: float) -> float:
        return op_macs(ops[0], self.channels, width) + inner_op_macs(ops[1], width, self.channels)

    def genotype_macs(self, genotype: Genotype) -> float:
        """MACs per LR pixel of the derived network of ``genotype``."""
        k = genotype["upsample_after"]
        total = self.stem_macs() + self.upsampler_macs() + self.tail_macs()
        for j, cell in enumerate(genotype["cells"]):
            area = 1 if j < k else self.scale**2
            total += area * self.cell_macs(tuple(cell["ops"]), cell["width"])
        return total

    def max_macs(self) -> float:
        """The most expensive architecture: the reference the cost penalty is normalised by."""
        worst = max(self.ops, key=lambda o: self.cell_macs((o, o), self.channels))
        cells = [{"ops": [worst, worst], "width": self.channels}] * self.cells
        return self.genotype_macs({"upsample_after": self.positions[0], "cells": cells})


def check_genotype(genotype: Genotype, space: SpaceConfig) -> None:
    """Raise if ``genotype`` is not an architecture of ``space``."""
    cells = genotype.get("cells")
    if not isinstance(cells, list) or len(cells) != space.cells:
        raise ValueError(f"genotype needs {space.cells} cells, got {cells!r}")
    for cell in cells:
        if len(cell["ops"]) != 2 or any(o not in space.ops for o in cell["ops"]):
            raise ValueError(f"cell ops must be two of {space.ops}, got {cell['ops']}")
        if cell["width"] not in space.widths:
            raise ValueError(f"cell width must be one of {space.widths}, got {cell['width']}")
    if genotype.get("upsample_after") not in space.positions:
        raise ValueError(f"upsample_after must be one of {space.positions}, got {genotype.get('upsample_after')}")
