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


def test_transition_matrices_place_beta_moves():
    # two layers: the stem (level 0) feeds layer 0 = {0, 1}; layer-0 levels {0, 1} feed layer 1 = {0, 1, 2}
    rows = [{0: 0}, {0: 1, 1: 2}]
    beta = np.array([[0, 0.3, 0.7], [0, 0.4, 0.6], [0.2, 0.3, 0.5]], dtype=float)  # columns: down, same, up
    t0, t1 = transition_matrices(beta, rows, [2, 3])
    assert t0.tolist() == [[0.3, 0.7]]
    assert t1.tolist() == [[0.4, 0.6, 0.0], [0.2, 0.3, 0.5]]
    # the rows are distributions, so Viterbi compares whole paths fairly: 0.7 * 0.5 beats 0.3 * 0.6
    assert viterbi_path([t0, t1]) == [1, 2]


def test_derived_width_path_follows_beta():
    import torch

    from srnas.methods.hinas.derive import derive_genotype
    from srnas.methods.hinas.supernet import HiNASSupernet

    net = HiNASSupernet(2, filters=4, stem_channels=8, layers=3)
    with torch.no_grad():
        net.beta.zero_()
        net.beta[net.rows[0][0], 1] = 5.0  # stem: stay at level 0
        net.beta[net.rows[1][0], 1] = 5.0  # level 0: stay
        net.beta[net.rows[2][0], 2] = 5.0  # then go up
    assert derive_genotype(net)["levels"] == [0, 0, 1]
