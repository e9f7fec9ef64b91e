"""Comparison statistics on hand-made examples."""
from __future__ import annotations

import numpy as np
import pytest

from srnas.harness.stats import mean_ci, probability_of_improvement, probability_of_improvement_ci, relative_improvement


def test_probability_of_improvement_by_hand():
    # pairs (x, y): 3>1, 3>2, 3=3 (1/2), 1<2... x = [3, 1], y = [1, 2, 3]
    # x=3: wins vs 1, 2, tie vs 3 -> 2.5 ; x=1: tie vs 1 -> 0.5 ; total 3 / 6 pairs
    assert probability_of_improvement([3, 1], [1, 2, 3]) == pytest.approx(0.5)
    assert probability_of_improvement([5, 6], [1, 2]) == 1.0
    assert probability_of_improvement([1, 2], [5, 6]) == 0.0
    assert probability_of_improvement([2, 2], [2]) == 0.5


def test_bootstrap_interval_contains_the_mean_and_narrows_with_more_seeds():
    rng = np.random.default_rng(0)
    few = rng.normal(30.0, 0.2, size=5)
    many = rng.normal(30.0, 0.2, size=50)
    a, b = mean_ci(few), mean_ci(many)
    assert a.low <= few.mean() <= a.high and b.low <= many.mean() <= b.high
    assert (b.high - b.low) < (a.high - a.low)
    assert mean_ci([30.0]).low == mean_ci([30.0]).high == 30.0  # one seed: no interval to speak of
    assert mean_ci([1.0, 1.0, 1.0]).fmt() == "1.00 [1.00, 1.00]"


def test_probability_of_improvement_interval_and_relative_improvement():
    ci = probability_of_improvement_ci([31, 32, 33, 34, 35], [30, 30.5, 31.5, 32.5, 33.5])
    assert ci.estimate == pytest.approx(probability_of_improvement([31, 32, 33, 34, 35], [30, 30.5, 31.5, 32.5, 33.5]))
    assert 0 <= ci.low <= ci.estimate <= ci.high <= 1
    separated = probability_of_improvement_ci([10, 11, 12], [1, 2, 3])
    assert separated.low == separated.high == 1.0
    assert relative_improvement([33.0, 33.0], [30.0, 30.0]) == pytest.approx(10.0)
    with pytest.raises(ValueError):
        mean_ci([])
