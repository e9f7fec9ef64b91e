"""Comparison statistics on hand-made examples."""
from __future__ import annotations

import numpy as np
import pytest

from srnas.stats import (holm, mean_ci, permutation_pvalue, probability_of_improvement, probability_of_improvement_ci,
                                 relative_improvement)


def test_probability_of_improvement_by_hand():
    # pairs (x, y): 3>1, 3>2, 3=3 (1/2), 1<2... x = [3, 1], y = [1, 2, 3]
    # x=3: wins vs 1, 2, tie vs 3 -> 2.5 ; x=1: tie vs 1 -> 0.5 ; total 3 / 6 pairs
    assert probability_of_improvement([3, 1], [1, 2, 3]) == pytest.approx(0.5)
    assert probability_of_improvement([5, 6], [1, 2]) == 1.0
    assert probability_of_improvement([1, 2], [5, 6]) == 0.0
    assert probability_of_improvement([2, 2], [2]) == 0.5


def test_the_interval_contains_the_mean_and_narrows_with_more_seeds():
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


@pytest.mark.parametrize("n", [5, 10])
def test_the_mean_interval_reaches_its_nominal_coverage_at_the_pages_sample_sizes(n):
    """The former percentile bootstrap covered ~82 % at n = 5. The t interval must cover 95 % +- 1.5 % on
    4,000 simulated rows of normal seeds (PSNR-like: mean 30, sd 0.15), at n = 5 and n = 10."""
    rng = np.random.default_rng(n)
    rows = rng.normal(30.0, 0.15, size=(4000, n))
    covered = np.mean([mean_ci(r).low <= 30.0 <= mean_ci(r).high for r in rows])
    assert abs(covered - 0.95) <= 0.015, covered


def test_permutation_test_by_hand_and_its_false_positive_rate():
    # 2 + 2 values: 6 relabellings; |mean difference| of (1,2 | 3,4) is the largest, shared with (3,4 | 1,2): p = 2/6
    assert permutation_pvalue([1, 2], [3, 4]) == pytest.approx(2 / 6)
    assert permutation_pvalue([1, 2, 3], [1, 2, 3]) == pytest.approx(1.0)
    # with no difference, p < 0.05 happens at most 5 % of the time (exact test: <= alpha), at n = 5 + 5
    rng = np.random.default_rng(1)
    rate = np.mean([permutation_pvalue(rng.normal(0, 1, 5), rng.normal(0, 1, 5)) < 0.05 for _ in range(600)])
    assert rate <= 0.05 + 0.02, rate


def test_holm_by_hand():
    # sorted 0.01, 0.02, 0.04 over 3 comparisons: 0.03, max(0.03, 0.04) = 0.04, max(0.04, 0.04) = 0.04
    assert holm({"a": 0.04, "b": 0.01, "c": 0.02}) == pytest.approx({"b": 0.03, "c": 0.04, "a": 0.04})
    assert holm({"a": 0.6, "b": 0.5}) == pytest.approx({"b": 1.0, "a": 1.0})
