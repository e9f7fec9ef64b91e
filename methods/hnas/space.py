"""The HNAS search space as data: op tables, token sequences and the genotype they encode.

A genotype is the published format (``genotypes.json``): ``normal`` and ``upsampling`` are lists of
``[op, from_node, to_node]`` edges (two per intermediate node, nodes 2..5; 0/1 are the cell inputs) and
``upsampling_position`` is the 0-based index of the upsampling cell among the L cells. The controller
emits per node ``[input_a, input_b, op_a, op_b]``; these helpers convert between the two.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from srnas.methods.hnas.ops import UPSAMPLING_OPS, normal_op_names

NODES = 4  # intermediate nodes per cell (B = 6 with the two inputs)
TOKENS_PER_NODE = 4
PUBLISHED_PATH = Path(__file__).with_name("genotypes.json")

Genotype = dict[str, Any]


@dataclass(frozen=True)
class HNASSpace:
    """Op tables and depth of one search space (``udpb`` adds the paper's 7th normal op)."""

    layers: int
    udpb: bool = True

    @property
    def normal_ops(self) -> tuple[str, ...]:
        return normal_op_names(self.udpb)

    @property
    def upsampling_ops(self) -> tuple[str, ...]:
        return UPSAMPLING_OPS

    def cell_edges(self, tokens: list[int], ops: tuple[str, ...]) -> list[list[Any]]:
        """Controller tokens of one cell -> its edge list."""
        if len(tokens) != NODES * TOKENS_PER_NODE:
            raise ValueError(f"a cell needs {NODES * TOKENS_PER_NODE} tokens, got {len(tokens)}")
        edges = []
        for node in range(NODES):
            in_a, in_b, op_a, op_b = tokens[node * TOKENS_PER_NODE : (node + 1) * TOKENS_PER_NODE]
            edges += [[ops[op_a], in_a, node + 2], [ops[op_b], in_b, node + 2]]
        return edges

    def cell_tokens(self, edges: list[list[Any]], ops: tuple[str, ...]) -> list[int]:
        """Edge list of one cell -> controller tokens (inverse of :meth:`cell_edges`)."""
        tokens: list[int] = []
        for node in range(NODES):
            into = [e for e in edges if e[2] == node + 2]
            if len(into) != 2:
                raise ValueError(f"node {node + 2} must have exactly two incoming edges, has {len(into)}")
            tokens += [into[0][1], into[1][1], ops.index(into[0][0]), ops.index(into[1][0])]
        return tokens

    def genotype(self, normal: list[int], upsampling: list[int], position: int) -> Genotype:
        if not 0 <= position < self.layers:
            raise ValueError(f"upsampling position {position} outside [0, {self.layers - 1}]")
        return {
            "normal": self.cell_edges(normal, self.normal_ops),
            "upsampling": self.cell_edges(upsampling, self.upsampling_ops),
            "upsampling_position": int(position),
        }

    def tokens(self, genotype: Genotype) -> tuple[list[int], list[int], int]:
        return (
            self.cell_tokens(genotype["normal"], self.normal_ops),
            self.cell_tokens(genotype["upsampling"], self.upsampling_ops),
            int(genotype["upsampling_position"]),
        )

    def sample(self, rng: np.random.Generator) -> Genotype:
        """A uniformly random architecture (the ``random`` baseline's sampler)."""

        def cell(n_ops: int) -> list[int]:
            out: list[int] = []
            for node in range(NODES):
                out += [int(rng.integers(node + 2)), int(rng.integers(node + 2)), int(rng.integers(n_ops)), int(rng.integers(n_ops))]
            return out

        return self.genotype(cell(len(self.normal_ops)), cell(len(self.upsampling_ops)), int(rng.integers(self.layers)))


def validate_genotype(genotype: Genotype, layers: int) -> None:
    """Raise ValueError unless ``genotype`` is a well-formed HNAS architecture for ``layers`` cells."""
    for kind in ("normal", "upsampling"):
        edges = genotype.get(kind)
        if not isinstance(edges, list) or len(edges) != 2 * NODES:
            raise ValueError(f"genotype[{kind!r}] must hold {2 * NODES} edges")
        for op, src, dst in edges:
            if not (2 <= dst < NODES + 2 and 0 <= src < dst):
                raise ValueError(f"bad {kind} edge {[op, src, dst]}: needs 0 <= from < to, 2 <= to <= {NODES + 1}")
    pos = genotype.get("upsampling_position")
    if not isinstance(pos, int) or not 0 <= pos < layers:
        raise ValueError(f"upsampling_position {pos!r} outside [0, {layers - 1}] for {layers} layers")


def published_genotype(name: str) -> Genotype:
    """HNAS-A/B/C from the official repository (copied with provenance into ``genotypes.json``)."""
    data = json.loads(PUBLISHED_PATH.read_text())
    if name not in data or name.startswith("_"):
        known = ", ".join(k for k in data if not k.startswith("_"))
        raise KeyError(f"unknown published HNAS genotype {name!r}; known: {known}")
    g = data[name]
    return {
        "name": name,
        "normal": g["normal"],
        "upsampling": g["upsampling"],
        "upsampling_position": g["upsampling_position"],
        "layers": data["_provenance"]["layers"],
    }
