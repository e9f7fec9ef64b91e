"""Statistics for comparing rows over seeds: bootstrap confidence intervals and probability of improvement.

Few seeds make point estimates and rank orders unreliable (Agarwal et al., "Deep RL at the edge of the
statistical precipice", NeurIPS 2021). A comparison row therefore reports the mean with a 95 % bootstrap
confidence interval (scipy's percentile bootstrap over seeds) and, against each baseline, the probability
of improvement P(X > Y) -- the chance that a random seed of X beats a random seed of Y, ties counting
half -- with its own bootstrap interval, and the relative improvement over random architectures as Yang
et al. ("NAS evaluation is frustratingly hard", ICLR 2020) report it.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats


@dataclass(frozen=True)
class Interval:
    estimate: float
    low: float
    high: float

    def fmt(self, digits: int = 2) -> str:
        return f"{self.estimate:.{digits}f} [{self.low:.{digits}f}, {self.high:.{digits}f}]"


def _values(x: Sequence[float]) -> np.ndarray:
    a = np.asarray(x, dtype=float)
    if a.ndim != 1 or len(a) == 0 or not np.isfinite(a).all():
        raise ValueError("need a non-empty 1-D sequence of finite values")
    return a


def mean_ci(x: Sequence[float], confidence: float = 0.95, resamples: int = 10_000, seed: int = 0) -> Interval:
    """Mean with a percentile-bootstrap interval over seeds; one seed (or identical values) gives a point."""
    a = _values(x)
    if len(a) < 2 or np.ptp(a) == 0:
        return Interval(float(a.mean()), float(a.mean()), float(a.mean()))
    res = stats.bootstrap((a,), np.mean, confidence_level=confidence, n_resamples=resamples, method="percentile",
                          random_state=np.random.default_rng(seed))
    return Interval(float(a.mean()), float(res.confidence_interval.low), float(res.confidence_interval.high))


def probability_of_improvement(x: Sequence[float], y: Sequence[float]) -> float:
    """P(X > Y) over all seed pairs, ties counting 1/2 (the Mann-Whitney U statistic / (n m))."""
    a, b = _values(x), _values(y)
    diff = a[:, None] - b[None, :]
    return float(((diff > 0) + 0.5 * (diff == 0)).mean())


def probability_of_improvement_ci(x: Sequence[float], y: Sequence[float], confidence: float = 0.95, resamples: int = 10_000,
                                  seed: int = 0) -> Interval:
    """P(X > Y) with a percentile-bootstrap interval (X and Y resampled independently)."""
    a, b = _values(x), _values(y)
    point = probability_of_improvement(a, b)
    if len(a) < 2 or len(b) < 2:
        return Interval(point, point, point)
    rng = np.random.default_rng(seed)
    ia = rng.integers(len(a), size=(resamples, len(a)))
    ib = rng.integers(len(b), size=(resamples, len(b)))
    sa, sb = a[ia], b[ib]
    diff = sa[:, :, None] - sb[:, None, :]
    boots = ((diff > 0) + 0.5 * (diff == 0)).mean(axis=(1, 2))
    alpha = (1 - confidence) / 2
    return Interval(point, float(np.quantile(boots, alpha)), float(np.quantile(boots, 1 - alpha)))


def relative_improvement(method: Sequence[float], random: Sequence[float]) -> float:
    """Yang et al.'s RI = 100 (mean(method) - mean(random)) / mean(random), in percent."""
    m, r = _values(method).mean(), _values(random).mean()
    return float(100 * (m - r) / r)
