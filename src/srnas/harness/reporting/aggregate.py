"""Group run records into table rows and judge ``paper`` rows against the reported numbers.

A row is (method, variant, scale, profile, config hash): records whose configs differ are never averaged
together. Only ``paper``-profile rows are judged; everything else is compared at equal budget.
"""
from __future__ import annotations

import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from srnas.harness.reporting.claims import DEFAULT_TOLERANCE, NO_REPORTED, cell_verdict, judge_value  # one rule for tables and verdicts
from srnas.harness.reporting.reported import Reported, lookup
from srnas.methods import stale_plugin_code
from srnas.profiles import EVAL_SETS

JUDGED_PROFILE = "paper"


@dataclass
class Group:
    """All seeds of one configuration."""

    method: str
    variant: str
    scale: int
    profile: str
    config_hash: str
    records: list[dict[str, Any]] = field(default_factory=list)

    @property
    def label(self) -> str:
        base = self.method if self.variant == "default" else f"{self.method}/{self.variant}"
        # an evaluation of a checkpoint no run record vouches for (a model trained elsewhere) says so in every table
        if any(r.get("kind") == "eval" and not (r.get("checkpoint") or {}).get("verified", False) for r in self.records):
            base += " (unverified checkpoint)"
        # a record made by other plugin code than is installed now (its source hash differs) says so everywhere
        if any(stale_plugin_code(r) for r in self.records):
            base += " (stale plugin code)"
        return base

    @property
    def seeds(self) -> list[int]:
        return sorted(r["seed"] for r in self.records)

    @property
    def datasets(self) -> list[str]:
        names = {d for r in self.records for d in r["metrics"]}
        return [d for d in EVAL_SETS if d in names] + sorted(names - set(EVAL_SETS))

    def values(self, dataset: str, metric: str) -> list[float]:
        return [float(r["metrics"][dataset][metric]) for r in self.records if dataset in r["metrics"]]

    def mean_of(self, path: Sequence[str]) -> float | None:
        vals = []
        for r in self.records:
            node: Any = r
            for key in path:
                node = node.get(key) if isinstance(node, dict) else None
            if isinstance(node, (int, float)):
                vals.append(float(node))
        return statistics.fmean(vals) if vals else None


@dataclass
class Stat:
    mean: float
    std: float | None  # sample std over seeds; None for a single seed
    n: int


def stat(values: Sequence[float]) -> Stat | None:
    if not values:
        return None
    return Stat(statistics.fmean(values), statistics.stdev(values) if len(values) > 1 else None, len(values))


def group_records(records: Iterable[dict[str, Any]], profile: str | None = None, scale: int | None = None) -> list[Group]:
    """Rows for one profile/scale, sorted by method, variant and config hash."""
    groups: dict[tuple, Group] = {}
    for r in records:
        if (profile and r["profile"] != profile) or (scale and r["scale"] != scale):
            continue
        key = (r["method"], r["variant"], r["scale"], r["profile"], r["config_hash"])
        groups.setdefault(key, Group(*key)).records.append(r)
    for g in groups.values():
        g.records.sort(key=lambda r: r["seed"])
    return [groups[k] for k in sorted(groups)]


def verdict(ours: float, reported: float | None, tolerance: float) -> str:
    """``reproduced`` within ``tolerance``, else ``below``/``above``; no reported value -> say so."""
    if reported is None:
        return NO_REPORTED
    return judge_value(ours, reported - tolerance, reported + tolerance)


FAILING = ("below", "above")


@dataclass
class Judgement:
    """One judged (row, dataset, metric) cell."""

    group: Group
    dataset: str
    metric: str
    ours: Stat
    reported: Reported | None
    verdict: str

    @property
    def reported_value(self) -> float | None:
        if self.reported is None:
            return None
        return self.reported.psnr if self.metric == "psnr" else self.reported.ssim

    @property
    def delta(self) -> float | None:
        ref = self.reported_value
        return None if ref is None else self.ours.mean - ref

    @property
    def failed(self) -> bool:
        return self.verdict in FAILING


def judge(groups: Iterable[Group], reported: pd.DataFrame, tolerance: dict[str, float] | None = None) -> list[Judgement]:
    """Judgements for every ``paper``-profile cell (other profiles are never judged)."""
    tol = {**DEFAULT_TOLERANCE, **(tolerance or {})}
    out = []
    for g in groups:
        if g.profile != JUDGED_PROFILE:
            continue
        first = g.records[0]
        preset = str(((first.get("config") or {}).get("eval") or {}).get("protocol", "canonical"))
        rows = lookup(reported, first.get("paper_label"), first.get("reported_variant"), g.scale, g.datasets)
        for dataset in g.datasets:
            for metric in ("psnr", "ssim"):
                ours = stat(g.values(dataset, metric))
                if ours is None:
                    continue
                rep = rows.get(dataset)
                ref = None if rep is None else (rep.psnr if metric == "psnr" else rep.ssim)
                # the verdicts page's rule (claims.cell_verdict): the gate tolerance for an expected cell
                # measured under canonical, the claim's tolerance otherwise
                v = NO_REPORTED if rep is None or ref is None else cell_verdict(ours.mean, ref, metric, preset, rep.expect, tol)
                out.append(Judgement(g, dataset, metric, ours, rep, v))
    return out
