"""Markdown tables (pandas + tabulate) from grouped run records.

``paper`` tables are judged: each cell sits next to the reported value, the difference and a verdict.
Every other profile is compared at equal budget with the other methods and with bicubic, and says in its
header that it is not judged against the papers.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from srnas.harness.reporting.aggregate import DEFAULT_TOLERANCE, JUDGED_PROFILE, NO_REPORTED, Group, Judgement, Stat, judge, stat
from srnas.harness.reporting.signal import INERT, search_signal
from srnas.nas.budget import format_budget
from srnas.methods import reference_method

DIGITS = {"psnr": 2, "ssim": 4}


def fmt_stat(s: Stat | None, metric: str) -> str:
    """``mean ± std (n)``; a single seed has no std and shows ``mean (1)``."""
    if s is None:
        return "–"
    d = DIGITS[metric]
    spread = f" ± {s.std:.{d}f}" if s.std is not None else ""
    return f"{s.mean:.{d}f}{spread} ({s.n})"


def fmt_delta(value: float | None, metric: str) -> str:
    return "–" if value is None else f"{value:+.{DIGITS[metric]}f}"


def _markdown(rows: list[dict[str, Any]]) -> str:
    if not rows:
        return "_no runs_"
    return pd.DataFrame(rows).to_markdown(index=False, disable_numparse=True)


def _row_id(g: Group) -> dict[str, Any]:
    return {"method": g.label, "config": g.config_hash, "seeds": " ".join(map(str, g.seeds))}


def _budget(g: Group) -> str:
    t = g.records[0]["config"].get("train", {})
    return f"{t.get('steps')} steps × batch {t.get('batch')} × {t.get('lr_patch')}² LR"


def _spread(values: Sequence[float], fmt: str) -> str:
    """Mean over seeds, with the per-seed range when searches found different architectures."""
    lo, hi, mean = min(values), max(values), sum(values) / len(values)
    return format(mean, fmt) if lo == hi else f"{format(mean, fmt)} ({format(lo, fmt)}–{format(hi, fmt)})"


def search_budget_text(g: Group) -> str:
    """The recorded search budget of a row's searched runs (:func:`srnas.nas.budget.format_budget`), or '–'."""
    budgets = [(r.get("search_info") or {}).get("budget") for r in g.records if r.get("searched")]
    first = budgets[0] if budgets else None
    if first is None or any(b is None for b in budgets):
        return "–"
    return format_budget(first)


def _signal_rows(groups: Sequence[Group]) -> list[dict[str, Any]]:
    rows = []
    for g in groups:
        sig = search_signal(g.records)
        budget = search_budget_text(g)
        if sig is not None or budget != "–":
            rows.append({**_row_id(g), "search budget (weight steps × batch × LR patch)": budget,
                         "moved (seeds)": "–" if sig is None else f"{sig.moved}/{sig.seeds}" + (f" ({sig.parts()})" if sig.moved_by_part else ""),
                         "cross-seed agreement": "–" if sig is None or sig.agreement is None else f"{sig.agreement:.2f}",
                         "search signal": "not recorded" if sig is None else sig.label})
    return rows


def _cost_rows(groups: Sequence[Group]) -> list[dict[str, Any]]:
    rows = []
    for g in groups:
        macs = [r["cost"]["macs"][0] for r in g.records]
        search_s, train_s, eval_s = (g.mean_of(("timings_s", k)) for k in ("search", "train", "eval"))
        rows.append({
            **_row_id(g),
            "params": _spread([r["cost"]["params"] for r in g.records], ",.0f"),
            f"GMACs @{macs[0]['input']}": _spread([m["macs"] / 1e9 for m in macs], ".2f"),
            "MACs / LR px": _spread([m["macs_per_lr_pixel"] for m in macs], ",.0f"),
            "train budget": _budget(g),
            "search s": f"{search_s:.0f}" if search_s is not None else "–",
            "train s": f"{train_s:.0f}" if train_s is not None else "–",
            "eval s": f"{eval_s:.0f}" if eval_s is not None else "–",
        })
    return rows


def _metric_rows(groups: Sequence[Group], datasets: Sequence[str], metric: str) -> list[dict[str, Any]]:
    return [{**_row_id(g), **{d: fmt_stat(stat(g.values(d, metric)), metric) for d in datasets}} for g in groups]


def _vs_bicubic_rows(groups: Sequence[Group], datasets: Sequence[str], metric: str) -> list[dict[str, Any]]:
    reference = reference_method()  # the plugin marked Method.reference (bicubic upscaling)
    base = next((g for g in groups if g.method == reference), None)
    rows = []
    for g in groups:
        if g is base:
            continue
        row = _row_id(g)
        for d in datasets:
            ours, ref = stat(g.values(d, metric)), stat(base.values(d, metric)) if base else None
            row[d] = fmt_delta(ours.mean - ref.mean, metric) if ours and ref else "–"
        rows.append(row)
    return rows


def _judged_rows(judgements: Sequence[Judgement]) -> list[dict[str, Any]]:
    rows = []
    for j in judgements:
        rep = j.reported
        rows.append({
            **_row_id(j.group),
            "dataset": j.dataset,
            "metric": j.metric.upper(),
            "ours": fmt_stat(j.ours, j.metric),
            "reported": "–" if j.reported_value is None else f"{j.reported_value:.{DIGITS[j.metric]}f}",
            "Δ": fmt_delta(j.delta, j.metric),
            "verdict": j.verdict,
            "source": f"{rep.source_table} (protocol: {rep.protocol or 'unstated'})" if rep else NO_REPORTED,
        })
    return rows


def _datasets(groups: Sequence[Group]) -> list[str]:
    seen: list[str] = []
    for g in groups:
        seen += [d for d in g.datasets if d not in seen]
    return seen


def render(groups: Sequence[Group], profile: str, scale: int, reported: pd.DataFrame | None = None,
           tolerance: dict[str, float] | None = None) -> str:
    """The markdown document for one profile and scale."""
    datasets = _datasets(groups)
    tol = {**DEFAULT_TOLERANCE, **(tolerance or {})}
    out = [f"# `{profile}` profile, x{scale}", ""]
    out.append("Cells: mean ± sample std over seeds (n seeds). Each row is one resolved config (hash shown); "
               "runs with different configs are never averaged together. Evaluation protocol: "
               f"{', '.join(sorted({g.records[0]['config']['eval']['protocol'] for g in groups})) or '–'}.")
    out.append("")
    if profile == JUDGED_PROFILE:
        out.append(f"Judged against the reported numbers (benchmarks/reported.csv). Tolerance: |Δ| ≤ {tol['psnr']} dB PSNR, "
                   f"≤ {tol['ssim']} SSIM → `reproduced`; otherwise `below` or `above`. A method whose paper has no "
                   f"row says `{NO_REPORTED}`.")
    else:
        out.append(f"**Not judged against the papers**: a `{profile}` run is a budget-limited CPU run; rows are compared "
                   "with each other and with bicubic at the same profile and scale.")
    out += ["", "## PSNR (dB)", "", _markdown(_metric_rows(groups, datasets, "psnr")), "",
            "## SSIM", "", _markdown(_metric_rows(groups, datasets, "ssim")), ""]
    if profile == JUDGED_PROFILE:
        assert reported is not None, "paper tables need the reported numbers"
        out += ["## Verdicts", "", _markdown(_judged_rows(judge(groups, reported, tol))), ""]
    else:
        for metric in ("psnr", "ssim"):
            out += [f"## Δ {metric.upper()} vs {reference_method()} (same profile)", "", _markdown(_vs_bicubic_rows(groups, datasets, metric)), ""]
    signal_rows = _signal_rows(groups)
    if signal_rows:
        out += ["## Search budget and signal", "",
                "Per searched config: the supernet's training budget and architecture steps; seeds whose architecture at the end differs from what the initial architecture parameters decode to "
                "(argmax logits, or the controller's greedy mode), and the mean fraction of decisions two seeds' final architectures share. "
                f"A search that moved in no seed is labelled *{INERT}*: its rows are random architectures without selection. "
                "Runs recorded before these diagnostics existed show no row.", "", _markdown(signal_rows), ""]
    out += ["## Cost and time", "", "Params and MACs of the final model, mean over seeds (range when seeds found different architectures; MACs = multiply-adds, input size in the "
            "header); times are means over seeds, on the device in the records.", "",
            _markdown(_cost_rows(groups)), ""]
    return "\n".join(out)
