"""An architecture's decisions, as data: what search-signal and agreement statistics compare.

A genotype is JSON; its *decisions* are the leaves a search chooses (an op, an input, a width, a position),
keyed by their path (``/cells/0/1``). Metadata a genotype also carries (the scale it was searched at, a
width rule, softmax values kept for diagnostics, a decoded copy of the same choices) are not decisions:
counting them inflates agreement, or counts one choice twice. Each plugin says which leaves are decisions
(``Method.architecture_decisions``); the default takes every non-float leaf.
"""
from __future__ import annotations

from typing import Any


def leaves(value: Any, prefix: str = "") -> dict[str, Any]:
    """The leaves of an architecture's JSON keyed by their path (``/cells/0/1``)."""
    if isinstance(value, dict):
        return {k: v for key, item in value.items() for k, v in leaves(item, f"{prefix}/{key}").items()}
    if isinstance(value, list):
        return {k: v for i, item in enumerate(value) for k, v in leaves(item, f"{prefix}/{i}").items()}
    return {prefix: value}


def default_decisions(genotype: Any, exclude: tuple[str, ...] = ()) -> dict[str, Any]:
    """Every non-float leaf, except those under the top-level keys in ``exclude``."""
    return {k: v for k, v in leaves(genotype).items()
            if not isinstance(v, float) and k.split("/")[1:2] and k.split("/")[1] not in exclude}


def decision_agreement(a: Any, b: Any) -> float:
    """Fraction of the decisions (leaves of the architecture JSON) two architectures share."""
    la, lb = leaves(a), leaves(b)
    keys = set(la) | set(lb)
    return sum(la.get(k) == lb.get(k) for k in keys) / len(keys) if keys else 1.0
