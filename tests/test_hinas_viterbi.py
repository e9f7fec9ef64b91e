"""Viterbi width decoding on hand-made transition matrices with known best paths."""
from __future__ import annotations

import itertools

import numpy as np
import pytest

from srnas.methods.hinas.derive import transition_matrices
from srnas.methods.hinas.viterbi import greedy_path, path_probability, viterbi_path


def test_viterbi_beats_greedy_on_a_trap():
    # greedy takes level 0 first (0.6) and is then stuck at 0.5; going up first (0.4) leads to 0.9
    t0 = np.array([[0.6, 0.4]])
    t1 = np.array([[0.5, 0.5, 0.0], [0.05, 0.05, 0.9]])
    assert greedy_path([t0, t1]) == [0, 0]
    assert viterbi_path([t0, t1]) == [1, 2]
    assert path_probability([t0, t1], [1, 2]) == pytest.approx(0.36)


def test_viterbi_follows_the_obvious_path_when_greedy_is_right():
    t0 = np.array([[0.9, 0.1]])
    t1 = np.array([[0.8, 0.2, 0.0], [0.1, 0.1, 0.8]])
    t2 = np.array([[0.7, 0.3, 0.0], [0.2, 0.3, 0.5], [0.0, 0.5, 0.5]])
    assert viterbi_path([t0, t1, t2]) == greedy_path([t0, t1, t2]) == [0, 0, 0]


def test_viterbi_respects_impossible_moves():
    # the most likely final level (2) is unreachable from the stem in one layer
    t0 = np.array([[0.2, 0.8, 0.0]])
    assert viterbi_path([t0]) == [1]


@pytest.mark.parametrize("seed", range(5))
def test_viterbi_equals_exhaustive_search(seed):
    rng = np.random.default_rng(seed)
    counts = [2, 3, 3, 3]
    mats, prev = [], 1
    for c in counts:
        m = rng.random((prev, c)) * (np.abs(np.arange(prev)[:, None] - np.arange(c)[None]) <= 1)
        mats.append(m / m.sum(axis=0, keepdims=True))
        prev = c
    best = max(itertools.product(*[range(c) for c in counts]), key=lambda p: path_probability(mats, p))
    assert path_probability(mats, viterbi_path(mats)) == pytest.approx(path_probability(mats, best))
    assert viterbi_path(mats) == list(best)


def test_transition_matrices_place_beta_columns_by_neighbour():
    # two layers: layer 0 levels {0,1} fed by the stem; layer 1 levels {0,1,2}
    rows = [{0: 0, 1: 1}, {0: 2, 1: 3, 2: 4}]
    beta = np.array([[0, 1, 0], [1, 0, 0], [0, 0.3, 0.7], [0.4, 0.6, 0], [1, 0, 0]], dtype=float)
    t0, t1 = transition_matrices(beta, rows, [2, 3])
    assert t0.tolist() == [[1.0, 1.0]]  # stem -> level 0 (same), stem -> level 1 (from below)
    # column i = target level; row k = source level; beta column c = source i-1, i, i+1
    assert t1[:, 0].tolist() == [0.3, 0.7]
    assert t1[:, 1].tolist() == [0.4, 0.6]
    assert t1[:, 2].tolist() == [0.0, 1.0]
