"""The hierarchical HNAS controller (spec §1.4), composed from the shared :class:`SequencePolicy`.

Two cell-level LSTMs (normal, upsampling; 100 hidden units, zero start) emit per intermediate node two
input picks (additive attention over the first node+2 node embeddings) and two op picks (linear head).
A network-level LSTM takes their concatenated last hidden states as input and picks the upsampling
position by attention over L layer embeddings. Gradients of the position term flow back into both
cell controllers through those hidden states, which is what makes the controller hierarchical.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn as nn

from srnas.methods.hnas.space import NODES, Genotype, HNASSpace
from srnas.nas.controller import Decision, SequencePolicy


def cell_decisions(n_ops: int) -> list[Decision]:
    """[input_a, input_b, op_a, op_b] per node; node i (0-based) may read nodes 0..i+1."""
    out: list[Decision] = []
    for node in range(NODES):
        out += [Decision("input", node + 2, attend=node + 2)] * 2 + [Decision("op", n_ops)] * 2
    return out


@dataclass
class ControllerSample:
    genotype: Genotype
    log_prob: torch.Tensor  # normal + upsampling + position_weight * position
    entropy: torch.Tensor  # same weighting


class HierarchicalController(nn.Module):
    def __init__(self, space: HNASSpace, hidden: int = 100):
        super().__init__()
        self.space = space
        self.normal = SequencePolicy(cell_decisions(len(space.normal_ops)), hidden=hidden)
        self.upsampling = SequencePolicy(cell_decisions(len(space.upsampling_ops)), hidden=hidden)
        self.network = SequencePolicy([Decision("position", space.layers, attend=space.layers)], hidden=hidden, input_size=2 * hidden)

    def forward(self, genotype: Genotype | None = None, generator: torch.Generator | None = None, position_weight: float = 1.0,
                greedy: bool = False) -> ControllerSample:
        """Sample an architecture (``genotype=None``) or score a given one.

        ``position_weight`` scales the position's log-prob and entropy (1 in the paper, 10 in the code).
        """
        normal_t, up_t, pos_t = self.space.tokens(genotype) if genotype is not None else (None, None, None)
        n_tok, n_lp, n_h, n_last = self.normal(normal_t, generator=generator, greedy=greedy)
        u_tok, u_lp, u_h, u_last = self.upsampling(up_t, generator=generator, greedy=greedy)
        p_tok, p_lp, p_h, _ = self.network(None if pos_t is None else [pos_t], initial_input=torch.cat([n_last, u_last]), generator=generator, greedy=greedy)
        return ControllerSample(
            self.space.genotype(n_tok, u_tok, p_tok[0]),
            n_lp + u_lp + position_weight * p_lp,
            n_h + u_h + position_weight * p_h,
        )
