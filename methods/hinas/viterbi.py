"""Viterbi decoding of the width path from the routing weights (HiNAS, after Auto-DeepLab).

Picking each layer's level greedily can make widths jump around; reading softmax(beta) as transition
probabilities and taking the most likely *sequence* keeps the path coherent (paper section 3.2).
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def viterbi_path(transitions: Sequence[np.ndarray], start: int = 0) -> list[int]:
    """Most probable level sequence, one level per layer.

    ``transitions[l][k, i]`` is the probability of going from level ``k`` (previous layer; for l = 0 the
    stem, which sits at level ``start``) to level ``i`` at layer ``l``; zeros mark impossible moves.
    Ties go to the lower level. Returns ``[level_0, ..., level_{L-1}]``.
    """
    if not transitions:
        return []
    with np.errstate(divide="ignore"):
        first = np.log(np.asarray(transitions[0], dtype=np.float64))
    score = first[start].copy()
    back: list[np.ndarray] = []
    for t in transitions[1:]:
        with np.errstate(divide="ignore"):
            logt = np.log(np.asarray(t, dtype=np.float64))
        if logt.shape[0] != score.shape[0]:
            raise ValueError(f"transition has {logt.shape[0]} source levels, previous layer has {score.shape[0]}")
        cand = score[:, None] + logt  # [from, to]
        back.append(np.argmax(cand, axis=0))
        score = cand.max(axis=0)
    if not np.isfinite(score.max()):
        raise ValueError("no path has non-zero probability")
    path = [int(np.argmax(score))]
    for b in reversed(back):
        path.append(int(b[path[-1]]))
    return path[::-1]


def greedy_path(transitions: Sequence[np.ndarray], start: int = 0) -> list[int]:
    """Layer-by-layer argmax from the current level: the baseline Viterbi improves on."""
    path, cur = [], start
    for t in transitions:
        cur = int(np.argmax(np.asarray(t)[cur]))
        path.append(cur)
    return path


def path_probability(transitions: Sequence[np.ndarray], path: Sequence[int], start: int = 0) -> float:
    """Product of the transition probabilities along ``path``."""
    p, cur = 1.0, start
    for t, lvl in zip(transitions, path):
        p *= float(np.asarray(t)[cur, lvl])
        cur = lvl
    return p
