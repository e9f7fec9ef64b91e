"""Does a validation score separate search candidates by more than its own noise?

Weight-sharing searches rank candidates by a score on a finite set of held-out tiles (HNAS and DeCoNAS
derivation, random search with weight sharing). An audit found candidates' PSNRs within 0.015-0.06 dB of
each other, where ranking may be a random pick. The noise that matters is that of a *difference*
between two candidates scored on the same tiles: the standard error of the mean per-tile difference
(paired, so the tiles' own difficulty cancels). A candidate is separated from the winner when the gap
exceeds two such standard errors.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np


def candidate_separation(per_tile: Sequence[Sequence[float]]) -> dict[str, Any] | None:
    """Summary of candidates' per-tile scores (rows: candidates, columns: the same tiles, higher is better).

    ``spread_db``: best minus worst mean; ``noise_db``: median paired standard error of (best - other);
    ``winner_gap_db`` / ``winner_gap_se_db``: best minus runner-up and its paired standard error;
    ``separated``: candidates worse than the best by more than 2 paired standard errors;
    ``winner_distinct``: the runner-up is one of them. None for fewer than 2 candidates or 2 tiles.
    """
    x = np.asarray(per_tile, dtype=np.float64)
    if x.ndim != 2 or x.shape[0] < 2 or x.shape[1] < 2:
        return None
    means = x.mean(1)
    order = np.argsort(-means, kind="stable")
    best = x[order[0]]
    diffs = best[None, :] - x[order[1:]]
    se = diffs.std(1, ddof=1) / np.sqrt(x.shape[1])
    gaps = diffs.mean(1)
    separated = int(np.sum(gaps > 2 * se))
    return {
        "candidates": int(x.shape[0]),
        "tiles": int(x.shape[1]),
        "spread_db": round(float(means.max() - means.min()), 5),
        "noise_db": round(float(np.median(se)), 5),
        "winner_gap_db": round(float(gaps[0]), 5),
        "winner_gap_se_db": round(float(se[0]), 5),
        "separated": separated,
        "winner_distinct": bool(gaps[0] > 2 * se[0]),
    }
