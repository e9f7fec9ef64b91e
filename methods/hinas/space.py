"""HiNAS search space as data: the 7 candidate ops, the cell's edge layout and the width levels.

Inner space: an N-node DARTS cell whose node j sums mixed ops over the two cell inputs and the j earlier
nodes (2+3+4 = 9 edges for N = 3). Outer space: L layers, layer l holding the levels
``0 .. min(l+2, n_levels)-1`` (layer 0 has {0, 1}, then {0, 1, 2}); a width path moves at most one level
per layer and starts from the stem at level 0 (methods-spec section 2.1).
"""
from __future__ import annotations

from typing import Any

import numpy as np
import torch.nn as nn

from srnas.nas.mixed import Zero
from srnas.nas.ops import conv_op

OP_NAMES: tuple[str, ...] = ("con_c_3x3", "sep_c_3x3", "sep_c_5x5", "dil_c_3x3", "dil_c_5x5", "skip_connect", "none")
NONE_OP = OP_NAMES.index("none")

#: width factor per level: the official code's ``ws`` ("linear") or the paper's 2^i ("pow2")
WIDTH_FACTORS: dict[str, tuple[float, ...]] = {"linear": (1.0, 1.5, 2.0), "pow2": (1.0, 2.0, 4.0)}

Genotype = dict[str, Any]
CellGenotype = list[list[list[Any]]]
"""Per node, two ``[op_name, input_index]`` pairs; input 0 = the l-2 feature, 1 = the l-1 feature, 2+ = nodes."""


def make_op(name: str, channels: int, affine: bool) -> nn.Module:
    """One candidate op, LeakyReLU(0.2) -> conv -> BN (BN affine only in the final model, as the code)."""
    norm = "bn" if affine else "bn_noaffine"
    if name == "con_c_3x3":
        return conv_op("conv", channels, channels, 3, act="lrelu", norm=norm)
    if name in ("sep_c_3x3", "sep_c_5x5"):
        # DARTS double stack: the paper does not say so, the official code does (spec 2.2)
        return conv_op("sep", channels, channels, int(name[-1]), act="lrelu", norm=norm, repeats=2)
    if name in ("dil_c_3x3", "dil_c_5x5"):
        # full (not depthwise) convs with dilation 2
        return conv_op("conv", channels, channels, int(name[-1]), dilation=2, act="lrelu", norm=norm)
    if name == "skip_connect":
        return nn.Identity()
    if name == "none":
        return Zero()
    raise ValueError(f"unknown HiNAS op {name!r}; known: {', '.join(OP_NAMES)}")


def num_edges(nodes: int) -> int:
    """Edges of an N-node cell: node j has 2 + j inputs."""
    return sum(2 + j for j in range(nodes))


def edge_index(node: int, inp: int) -> int:
    """Row of edge (input ``inp`` -> node ``node``) in a cell's [edges, ops] weight matrix."""
    return sum(2 + j for j in range(node)) + inp


def level_counts(layers: int, n_levels: int = 3) -> list[int]:
    """How many width levels exist at each layer: layer l has min(l + 2, n_levels)."""
    return [min(l + 2, n_levels) for l in range(layers)]


def level_widths(filters: int, width_levels: str = "linear", n_levels: int = 3) -> list[int]:
    """Channels per node at each level, ``round(f * ws[i])``."""
    if width_levels not in WIDTH_FACTORS:
        raise ValueError(f"unknown width_levels {width_levels!r}; use {', '.join(WIDTH_FACTORS)}")
    return [int(round(filters * w)) for w in WIDTH_FACTORS[width_levels][:n_levels]]


def is_valid_path(levels: list[int], n_levels: int = 3) -> bool:
    """A width path starts next to the stem (level 0 or 1) and moves at most one level per layer."""
    counts = level_counts(len(levels), n_levels)
    prev = 0
    for lvl, count in zip(levels, counts):
        if not 0 <= lvl < count or abs(lvl - prev) > 1:
            return False
        prev = lvl
    return True


def random_cell(rng: np.random.Generator, nodes: int) -> CellGenotype:
    """A uniform draw from the derived-cell space: per node two distinct inputs, a non-none op on each."""
    cell = []
    ops = [n for n in OP_NAMES if n != "none"]
    for j in range(nodes):
        inputs = sorted(int(i) for i in rng.choice(2 + j, size=2, replace=False))
        cell.append([[ops[int(rng.integers(len(ops)))], i] for i in inputs])
    return cell


def random_path(rng: np.random.Generator, layers: int, n_levels: int = 3) -> list[int]:
    """A uniform draw over the valid width paths (enumerated, so every path is equally likely)."""
    paths: list[list[int]] = [[]]
    for count in level_counts(layers, n_levels):
        paths = [p + [lvl] for p in paths for lvl in range(count) if abs(lvl - (p[-1] if p else 0)) <= 1]
    return paths[int(rng.integers(len(paths)))]


def validate_genotype(genotype: Genotype) -> None:
    """Raise ValueError unless ``genotype`` is a well-formed HiNAS genotype."""
    cells, levels = genotype.get("cells"), genotype.get("levels")
    if not isinstance(cells, list) or not isinstance(levels, list) or len(cells) != len(levels) or not cells:
        raise ValueError("a HiNAS genotype needs 'cells' and 'levels' lists of equal, non-zero length")
    if not is_valid_path(list(levels), int(genotype.get("n_levels", 3))):
        raise ValueError(f"invalid width path {levels}")
    for cell in cells:
        for j, node in enumerate(cell):
            for op, inp in node:
                if op not in OP_NAMES or op == "none" or not 0 <= int(inp) < 2 + j:
                    raise ValueError(f"bad edge {[op, inp]} at node {j}")
