"""Statistics for comparing rows over few seeds, chosen for their behaviour at n = 5-10.

Few seeds make point estimates and rank orders unreliable (Agarwal et al., "Deep RL at the edge of the
statistical precipice", NeurIPS 2021). An audit found that the page's former percentile-bootstrap "95 %"
intervals covered about 82 % at n = 5 and its beats/loses rule fired 9.2 % of the time with no difference.
So a row reports its mean with a **Student-t interval** (exact for normal seeds; its coverage at n = 5 and
n = 10 is checked by simulation in tests/test_stats.py); two rows are compared with an **exact permutation
test** of the difference of means (every relabelling of the seeds; Monte Carlo beyond 200,000), and the
page's comparisons are corrected together with **Holm's** step-down method. P(X > Y) -- the chance that a
random seed of X beats a random seed of Y, ties half -- is reported as an effect size, and Yang et al.'s
relative improvement over random architectures ("NAS evaluation is frustratingly hard", ICLR 2020).
"""
from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import stats


@dataclass(frozen=True)
class Interval:
    estimate: float
    low: float
    high: float

    def fmt(self, digits: int = 2) -> str:
        return f"{self.estimate:.{digits}f} [{self.low:.{digits}f}, {self.high:.{digits}f}]"


def _values(x: Sequence[float] | np.ndarray) -> np.ndarray:
    a = np.asarray(x, dtype=float)
    if a.ndim != 1 or len(a) == 0 or not np.isfinite(a).all():
        raise ValueError("need a non-empty 1-D sequence of finite values")
    return a


def mean_ci(x: Sequence[float], confidence: float = 0.95) -> Interval:
    """Mean with a Student-t interval over seeds; one seed (or identical values) gives a point."""
    a = _values(x)
    if len(a) < 2 or np.ptp(a) == 0:
        return Interval(float(a.mean()), float(a.mean()), float(a.mean()))
    half = float(stats.t.ppf(0.5 + confidence / 2, len(a) - 1) * a.std(ddof=1) / np.sqrt(len(a)))
    return Interval(float(a.mean()), float(a.mean()) - half, float(a.mean()) + half)


def permutation_pvalue(x: Sequence[float], y: Sequence[float], exact_limit: int = 200_000, resamples: int = 200_000,
                       seed: int = 0) -> float:
    """Two-sided p-value of the difference of means under exchangeable seeds: the share of relabellings of the
    pooled values whose |mean difference| is at least the observed one (exact when there are at most
    ``exact_limit`` of them: 252 for 5 + 5 seeds, 184,756 for 10 + 10)."""
    a, b = _values(x), _values(y)
    pooled, n = np.concatenate([a, b]), len(a)
    observed = abs(a.mean() - b.mean())
    total = pooled.sum()
    eps = 1e-12 * max(1.0, float(np.abs(pooled).max()))
    if math.comb(len(pooled), n) <= exact_limit:
        sums = np.array([pooled[list(idx)].sum() for idx in itertools.combinations(range(len(pooled)), n)])
    else:
        rng = np.random.default_rng(seed)
        sums = np.array([pooled[rng.permutation(len(pooled))[:n]].sum() for _ in range(resamples)])
    diffs = np.abs(sums / n - (total - sums) / (len(pooled) - n))
    return float(np.mean(diffs >= observed - eps))


def holm(pvalues: dict[str, float]) -> dict[str, float]:
    """Holm's step-down adjusted p-values (family-wise error control over all the given comparisons)."""
    order = sorted(pvalues, key=lambda k: pvalues[k])
    adjusted, running = {}, 0.0
    for i, key in enumerate(order):
        running = max(running, min(1.0, (len(order) - i) * pvalues[key]))
        adjusted[key] = running
    return adjusted


def probability_of_improvement(x: Sequence[float] | np.ndarray, y: Sequence[float] | np.ndarray) -> float:
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


def pareto_flags(points: Sequence[tuple[float, float]]) -> list[bool]:
    """True for points (cost, psnr) no other point dominates (<= cost and >= psnr, one strictly)."""
    out = []
    for i, (c, p) in enumerate(points):
        dominated = any((c2 <= c and p2 >= p) and (c2 < c or p2 > p) for j, (c2, p2) in enumerate(points) if j != i)
        out.append(not dominated)
    return out


def normalised_entropies(rows: Any) -> list[float]:
    """Normalised entropy (1 = uniform) of every probability row (innermost lists of nested lists) with more
    than one nonzero entry; rows with one choice have no entropy to speak of and are left out."""
    if rows and isinstance(rows[0], list):
        return [h for r in rows for h in normalised_entropies(r)]
    p = [float(x) for x in rows if float(x) > 0]
    if len(p) < 2:
        return []
    total = sum(p)
    return [-sum(x / total * math.log(x / total) for x in p) / math.log(len(p))]


def _residual_maker(x: np.ndarray) -> np.ndarray:
    """I - H for the least-squares line y ~ a + b x: it maps the values to their residuals from the line."""
    design = np.column_stack([np.ones_like(x), x])
    return np.eye(len(x)) - design @ np.linalg.pinv(design)


def residual_contrast(x: Sequence[float], y: Sequence[float], groups: Sequence[str], weights: dict[str, float],
                      confidence: float = 0.95) -> Interval:
    """A weighted sum of groups' mean residuals from one line fitted through every point, with its interval.

    The line is y ~ a + b x over all points of all groups (PSNR against log10 parameters over a space's runs);
    ``weights`` {group: w} picks the quantity: {g: 1} is group g's mean residual (how far its runs sit above or
    below what their size predicts), {g: 1, h: -1} the difference of two groups' mean residuals.

    Why not a t interval over the group's residuals: those treat the line as known, but it is fitted to the
    same runs, and a group with extreme sizes pulls it. The estimate is a linear function c.y of the
    values (c = the weights' group means of the rows of I - H), so its variance is sum_i c_i^2 s_g(i)^2 with
    each group's own residual variance s_g^2 (groups differ in spread: a search's seeds vary more than a
    random architecture's), and Welch-Satterthwaite degrees of freedom. The target it covers is the group's
    effect relative to the line through all groups' effects; the coverage at n = 5 and 10 seeds per group is
    checked by simulation in tests/test_stats.py."""
    xs, ys = _values(x), _values(y)
    labels = np.asarray(list(groups))
    if not (len(xs) == len(ys) == len(labels)):
        raise ValueError("x, y and groups need one entry per point")
    if np.ptp(xs) == 0:
        raise ValueError("the x values do not vary: there is no line to fit")
    maker = _residual_maker(xs)
    residuals = maker @ ys
    c = np.zeros(len(xs))
    for g, w in weights.items():
        members = labels == g
        if not members.any():
            raise ValueError(f"no points in group {g!r}")
        c += w * maker[members].mean(axis=0)
    estimate = float(c @ ys)
    parts, dfs = [], []
    for g in dict.fromkeys(labels.tolist()):
        members = labels == g
        if members.sum() < 2:
            raise ValueError(f"group {g!r} has fewer than 2 points: no spread to estimate")
        part = float((c[members] ** 2).sum() * residuals[members].var(ddof=1))
        parts.append(part)
        dfs.append(int(members.sum()) - 1)
    variance = sum(parts)
    if variance <= 0:
        return Interval(estimate, estimate, estimate)
    df = variance ** 2 / sum(p ** 2 / d for p, d in zip(parts, dfs) if p > 0)
    half = float(stats.t.ppf(0.5 + confidence / 2, df) * math.sqrt(variance))
    return Interval(estimate, estimate - half, estimate + half)
