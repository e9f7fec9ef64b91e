"""Discretise a searched supernet: top-2 edges per node for the cells, Viterbi for the widths."""
from __future__ import annotations

import numpy as np
import torch

from .space import NONE_OP, OP_NAMES, CellGenotype, Genotype, edge_index
from .supernet import _MOVES, HiNASSupernet
from .viterbi import viterbi_path


def derive_cell(weights: np.ndarray, nodes: int) -> CellGenotype:
    """Per node keep the 2 inputs whose best non-``none`` op weighs most, with that op (DARTS rule).

    ``weights``: [edges, ops] mixing weights (softmax(alpha)) of one cell. Ties go to the lower index.
    Each node's pair is listed in input order.
    """
    weights = np.asarray(weights, dtype=np.float64)
    cell = []
    for j in range(nodes):
        cands = []
        for i in range(2 + j):
            row = weights[edge_index(j, i)].copy()
            row[NONE_OP] = -np.inf
            best = int(np.argmax(row))
            cands.append((-row[best], i, OP_NAMES[best]))
        top = sorted(cands)[:2]
        cell.append([[op, i] for _, i, op in sorted(top, key=lambda t: t[1])])
    return cell


def transition_matrices(beta_weights: np.ndarray, rows: list[dict[int, int]], counts: list[int]) -> list[np.ndarray]:
    """softmax(beta) rows (one per source node: moves down/same/up) as per-layer [from, to] matrices.

    ``rows[l][k]`` is the beta row of level ``k`` of the layer feeding layer ``l`` (the stem for l = 0).
    """
    mats = []
    for l, count in enumerate(counts):
        t = np.zeros((len(rows[l]), count))
        for k, r in rows[l].items():
            for c, d in enumerate(_MOVES):
                if 0 <= k + d < count:
                    t[k, k + d] = beta_weights[r, c]
        mats.append(t)
    return mats


@torch.no_grad()
def derive_genotype(net: HiNASSupernet) -> Genotype:
    """The genotype of a searched supernet (JSON data), with the weights it was read from."""
    alpha = net.alpha_weights().cpu().numpy()
    beta = net.beta_weights().cpu().numpy()
    levels = viterbi_path(transition_matrices(beta, net.rows, net.counts), start=0)
    return {
        "cells": [derive_cell(alpha[l], net.nodes) for l in range(net.layers)],
        "levels": levels,
        "nodes": net.nodes,
        "n_levels": net.n_levels,
        "alpha_softmax": np.round(alpha.astype(np.float64), 4).tolist(),
        "beta_softmax": np.round(beta.astype(np.float64), 4).tolist(),
    }
