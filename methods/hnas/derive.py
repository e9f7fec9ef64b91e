"""Derivation: sample N architectures from the trained controller and keep the best on validation.

Each candidate is scored with *one fixed* architecture for the whole evaluation. The official code
re-samples on every forward pass, so a score mixes architectures and the recorded genotype is merely
the last one drawn (spec §1.5, §1.8.6); ``resample_per_forward=True`` reproduces that for the
``official-code`` variant.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from srnas.methods.hnas.space import Genotype

ArchProvider = Callable[[], Genotype]
"""Called once per forward pass by a scorer to get the architecture it must run."""


def best_of_n(
    sample: Callable[[], Genotype],
    score: Callable[[ArchProvider], float],
    n: int,
    resample_per_forward: bool = False,
    progress: Any = None,
) -> tuple[Genotype, list[dict[str, Any]]]:
    """Return (best genotype, per-candidate log) over ``n`` candidates (higher score is better); ``progress``
    (a progress bar) is advanced after each candidate."""
    if n < 1:
        raise ValueError("derivation needs at least one candidate")
    log: list[dict[str, Any]] = []
    for _ in range(n):
        if resample_per_forward:
            drawn: list[Genotype] = []

            def provider() -> Genotype:
                drawn.append(sample())
                return drawn[-1]

            value = score(provider)
            genotype = drawn[-1] if drawn else sample()
            log.append({"genotype": genotype, "score": float(value), "architectures_mixed": len(drawn)})
        else:
            fixed = sample()
            value = score(lambda: fixed)
            log.append({"genotype": fixed, "score": float(value), "architectures_mixed": 1})
        if progress is not None:
            progress.update(1)
    best = max(range(n), key=lambda i: log[i]["score"])  # first of equal scores
    return log[best]["genotype"], log
