"""DeCoNAS architecture encoding: which earlier sources feed each operation of each DNB layer.

Layer ``k`` of a densely connected block (DNB) sees ``k + 1`` sources (0 = the DNB input, ``i >= 1`` =
output of layer ``i - 1``). For each of the three operations a bit per source says whether that source
is part of the op's input concat. The bits of layer ``k`` form a ``(k + 1) x 3`` matrix written
row-major (rows = sources, columns = ops), and layers follow one another: 3 + 6 + 9 + 12 = 30 bits for
4 layers. The same bits are shared by every DNB (methods-spec section 4.1).
"""
from __future__ import annotations

from typing import Any

import numpy as np

OPS: tuple[str, ...] = ("conv3x3", "sep_conv3x3", "dil_conv3x3_r3")

Arc = list[int]
"""Flat 0/1 bit list, the order the controller emits and the README prints."""

LayerSources = list[list[int]]
"""For one layer: per op (in :data:`OPS` order) the sorted source indices feeding it."""


def num_bits(layers_per_dnb: int) -> int:
    """Length of the arc: 3 * (1 + 2 + ... + layers_per_dnb)."""
    return len(OPS) * layers_per_dnb * (layers_per_dnb + 1) // 2


def bit_positions(layers_per_dnb: int) -> list[tuple[int, int, int]]:
    """(layer, source, op) of every bit, in arc order."""
    return [(k, src, op) for k in range(layers_per_dnb) for src in range(k + 1) for op in range(len(OPS))]


def decode(arc: Arc, layers_per_dnb: int) -> list[LayerSources]:
    """Per layer, per op, the list of source indices whose bit is 1."""
    if len(arc) != num_bits(layers_per_dnb):
        raise ValueError(f"arc has {len(arc)} bits; {layers_per_dnb} layers need {num_bits(layers_per_dnb)}")
    if any(b not in (0, 1) for b in arc):
        raise ValueError("arc bits must be 0 or 1")
    layers: list[LayerSources] = [[[] for _ in OPS] for _ in range(layers_per_dnb)]
    for bit, (k, src, op) in zip(arc, bit_positions(layers_per_dnb)):
        if bit:
            layers[k][op].append(src)
    return layers


def encode(layers: list[LayerSources]) -> Arc:
    """Inverse of :func:`decode`."""
    n = len(layers)
    wanted = {(k, src, op) for k, layer in enumerate(layers) for op, sources in enumerate(layer) for src in sources}
    for k, src, op in wanted:
        if not 0 <= src <= k or not 0 <= op < len(OPS):
            raise ValueError(f"layer {k} cannot take source {src} for op {op}")
    return [int(pos in wanted) for pos in bit_positions(n)]


def source_name(src: int) -> str:
    """'in' for the DNB input, 'L{i}' for the output of layer i."""
    return "in" if src == 0 else f"L{src - 1}"


def describe(arc: Arc, layers_per_dnb: int) -> list[dict[str, Any]]:
    """Human-readable decoding, in the format of ``genotypes.json``'s ``decoded_layers``."""
    return [
        {"layer": k, **{op: [source_name(s) for s in layer[j]] for j, op in enumerate(OPS)}}
        for k, layer in enumerate(decode(arc, layers_per_dnb))
    ]


def random_arc(rng: np.random.Generator, layers_per_dnb: int) -> Arc:
    """Every bit an independent fair coin: the uniform distribution over the space."""
    return [int(b) for b in rng.integers(0, 2, size=num_bits(layers_per_dnb))]


def make_genotype(arc: Arc, layers_per_dnb: int) -> dict[str, Any]:
    """The JSON genotype ``build`` accepts: the bits plus their decoding (for readers of run records)."""
    return {"arc": [int(b) for b in arc], "layers_per_dnb": layers_per_dnb, "decoded": describe(arc, layers_per_dnb)}
