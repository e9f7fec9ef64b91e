"""The equal-budget comparison page (``results/tables/compare_x2.md``), generated from ``compare`` records.

Per search space (HNAS, HiNAS, Trilevel, DeCoNAS) three conditions at one stated budget (Li & Talwalkar
2019; Yang et al., ICLR 2020; Lindauer & Hutter's checklist, JMLR 2020):

- **search**: the method as published (its plugin's ``default`` variant, ``compare`` profile);
- **RSWS**: random search with weight sharing whose supernet is trained with exactly the method's
  shared-weight training (``random/<space>``, N = 30 candidates);
- **random architecture**: one uniform draw from the space, no supernet, no selection
  (``random/<space>-random-arch``).

All three get the same final training and evaluation (tests/test_compare_budget.py). Each row shows the
mean PSNR with a 95 % bootstrap interval over seeds, the probability of improvement of the searched row
over each baseline (rliable-style, with its own interval), params/MACs, and the search signal: a search
whose decoding never left its initial parameters is labelled inert and is not presented as the method's
result. A row with fewer than :data:`MIN_SEEDS` seeds is marked incomplete and no finding is drawn from it.
"""
from __future__ import annotations

import itertools
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from srnas.harness.aggregate import Group, group_records
from srnas.harness.signal import INERT, decision_agreement, leaves, search_signal
from srnas.harness.stats import mean_ci, probability_of_improvement_ci, relative_improvement
from srnas.harness.tables import search_budget_text

PROFILE = "compare"
SPACES = ("hnas", "hinas", "trilevel", "deconas")
MIN_SEEDS = 5
CONDITIONS = ("search", "RSWS", "random architecture")


def _rows_of(space: str) -> dict[str, tuple[str, str]]:
    return {"search": (space, "default"), "RSWS": ("random", space), "random architecture": ("random", f"{space}-random-arch")}


def pick_group(groups: Sequence[Group], method: str, variant: str) -> tuple[Group | None, int]:
    """The configuration with the most seeds (and how many other configurations were left out)."""
    found = [g for g in groups if g.method == method and g.variant == variant]
    if not found:
        return None, 0
    return max(found, key=lambda g: (len(g.records), g.config_hash)), len(found) - 1


def _decisions(record: dict[str, Any]) -> dict[str, Any]:
    """The architecture decisions of a record's genotype (RSWS wraps the space's genotype); floats such as
    HiNAS's recorded softmax values are not decisions."""
    g = record.get("genotype") or {}
    g = g.get("genotype", g) if record["method"] == "random" else g
    return {k: v for k, v in leaves(g).items() if not isinstance(v, float)}


def pairwise_agreements(records: Sequence[dict[str, Any]], varying: set[str]) -> list[float]:
    """The agreement of every pair of seeds over the decisions that vary anywhere in the space's records
    (constant leaves would push every row towards 1)."""
    decs = [{k: v for k, v in _decisions(r).items() if k in varying} for r in records]
    return [decision_agreement(a, b) for a, b in itertools.combinations(decs, 2)]


def genotype_agreement(records: Sequence[dict[str, Any]], varying: set[str]) -> float | None:
    """Mean pairwise agreement across seeds (:func:`pairwise_agreements`); the random-architecture row gives
    chance level. None for fewer than two seeds."""
    pairs = pairwise_agreements(records, varying)
    return float(np.mean(pairs)) if pairs else None


@dataclass(frozen=True)
class Agreement:
    """A row's cross-seed agreement against the random architectures' (chance level)."""

    value: float
    chance: float
    margin: float | None  # 2 SE of the difference of the two means; None below two pairs in either row

    @property
    def above_chance(self) -> bool | None:
        """True when the agreement exceeds chance by more than ``margin``; None when it cannot be judged.
        Pairs share seeds, so the SE is optimistic: a row just above the margin is weak evidence."""
        return None if self.margin is None else self.value - self.chance > self.margin

    def fmt(self) -> str:
        band = "" if self.margin is None else f" (± {self.margin:.2f})"
        return f"{self.value:.2f} / {self.chance:.2f}{band}"


def agreement_vs_chance(records: Sequence[dict[str, Any]], random_records: Sequence[dict[str, Any]], varying: set[str]) -> Agreement | None:
    """Cross-seed agreement of ``records`` against uniformly drawn architectures, with a 2-SE margin from the
    spread of the pairwise agreements in both rows (3-5 seeds give 3-10 pairs: a difference of a few
    hundredths is noise, e.g. 0.25 vs 0.25 for HNAS); None when either row has fewer than two seeds."""
    a, c = pairwise_agreements(records, varying), pairwise_agreements(random_records, varying)
    if not a or not c:
        return None
    margin = None
    if len(a) > 1 and len(c) > 1:
        margin = 2 * float(np.sqrt(np.var(a, ddof=1) / len(a) + np.var(c, ddof=1) / len(c)))
    return Agreement(float(np.mean(a)), float(np.mean(c)), margin)


def varying_decisions(records: Sequence[dict[str, Any]]) -> set[str]:
    """The decision paths whose value differs between at least two of ``records``."""
    decs = [_decisions(r) for r in records]
    keys = set().union(*decs) if decs else set()
    return {k for k in keys if len({json.dumps(d.get(k)) for d in decs}) > 1}


def _psnr(g: Group, dataset: str) -> list[float]:
    return g.values(dataset, "psnr")


def _fmt_ci(values: Sequence[float]) -> str:
    if not values:
        return "–"
    ci = mean_ci(values)
    return f"{ci.estimate:.3f} [{ci.low:.3f}, {ci.high:.3f}] ({len(values)})"


def _budget(g: Group) -> str:
    t = g.records[0]["config"]["train"]
    return f"{search_budget_text(g)}; train {t['steps']} × {t['batch']} × {t['lr_patch']}²"


def _noise(g: Group) -> tuple[list[dict[str, Any]], str]:
    """The recorded candidate-ranking noise of a row's seeds and its summary (median spread vs noise)."""
    noise = [n for n in ((r.get("search_info") or {}).get("validation_noise") for r in g.records) if n]
    if not noise:
        return noise, ""
    return noise, f"spread {np.median([n['spread_db'] for n in noise]):.3f} dB vs noise {np.median([n['noise_db'] for n in noise]):.3f} dB"


def _signal(g: Group, condition: str) -> str:
    if condition == "random architecture":
        return "no search (uniform draw)"
    noise, summary = _noise(g)
    if condition == "RSWS":
        if not noise:
            return "–"
        distinct = sum(n["winner_distinct"] for n in noise)
        return f"best of {noise[0]['candidates']}: {summary}; winner beats runner-up beyond 2 SE in {distinct}/{len(noise)} seeds"
    sig = search_signal(g.records)
    return ("not recorded" if sig is None else sig.label) + (f"; derivation: {summary}" if noise else "")


def _unit_seconds(g: Group) -> float:
    """Mean wall time of one seed of a row: search + train + eval, as recorded."""
    return float(np.mean([sum(r["timings_s"].values()) for r in g.records]))


def _size(g: Group) -> str:
    params = [r["cost"]["params"] for r in g.records]
    macs = [r["cost"]["macs"][0]["macs_per_lr_pixel"] for r in g.records]
    return f"{np.mean(params) / 1e3:.1f}K ({min(params) / 1e3:.1f}–{max(params) / 1e3:.1f}K)", f"{np.mean(macs) / 1e3:.1f}K ({min(macs) / 1e3:.1f}–{max(macs) / 1e3:.1f}K)"


def _finding(space: str, rows: dict[str, Group | None], dataset: str, varying: set[str] | None = None) -> str:
    """One sentence per space, drawn only from complete rows; ``varying``: the space's varying decisions, for
    the cross-seed agreement of the search against the random architectures' chance level."""
    search, rsws, rand = (rows[c] for c in CONDITIONS)
    if search is None:
        return f"**{space}**: no searched runs yet."
    n = {c: len(g.records) if g else 0 for c, g in rows.items()}
    if min(n.values()) < MIN_SEEDS:
        have = ", ".join(f"{c} {k}" for c, k in n.items())
        return f"**{space}**: incomplete ({have} of {MIN_SEEDS} seeds); no finding drawn yet."
    sig = search_signal(search.records)
    inert = sig is not None and sig.inert
    parts = []
    for name, base in (("RSWS", rsws), ("random architectures", rand)):
        p = probability_of_improvement_ci(_psnr(search, dataset), _psnr(base, dataset))
        delta = np.mean(_psnr(search, dataset)) - np.mean(_psnr(base, dataset))
        if p.low > 0.5:
            word = "beats"
        elif p.high < 0.5:
            word = "loses to"
        else:
            word = "is not distinguishable from"
        ratio = search.mean_of(("cost", "params")) / base.mean_of(("cost", "params"))
        parts.append(f"{word} {name} ({delta:+.3f} dB on {dataset}, P(improvement) {p.fmt(2)}; {ratio:.2f}x their parameters)")
    lead = f"**{space}**: the search " + "; it ".join(parts) + "."
    if inert:
        lead += f" Its search is {INERT}: the row is a random architecture without selection."
    elif varying is not None:
        agree = agreement_vs_chance(search.records, rand.records, varying)
        if agree is not None and agree.above_chance is False:
            lead += (f" Its seeds agree on {agree.value:.2f} of the varying decisions against {agree.chance:.2f} for random architectures"
                     f" (within ± {agree.margin:.2f}, 2 SE): the search moves but does not converge on particular decisions across seeds.")
    return lead


def render_comparison(records: Sequence[dict[str, Any]], scale: int = 2, focus: str = "B100") -> str:
    groups = group_records(records, PROFILE, scale)
    datasets: list[str] = []
    for g in groups:
        datasets += [d for d in g.datasets if d not in datasets]
    out = [
        f"# Equal-budget comparison, x{scale} (`{PROFILE}` profile)",
        "",
        "Generated by `srnas table --compare` from the run records; not judged against the papers (T91, CPU budgets).",
        "Per search space: the method's search, random search with weight sharing (RSWS) trained with exactly the",
        "method's supernet budget and N = 30 candidates, and uniformly drawn random architectures. Within a space all",
        "three get the same final training and evaluation (`tests/test_compare_budget.py`). PSNR (Y, dB): mean",
        "[95 % percentile-bootstrap interval over seeds] (seeds). P(improvement): the probability that a seed of the",
        "searched row beats a seed of the baseline (ties half), with its bootstrap interval; RI: Yang et al.'s",
        f"relative improvement over random architectures, in % of PSNR, on {focus}. Agreement: mean pairwise share of",
        "architecture decisions across seeds (over the decisions that vary in the space); the random-architecture",
        f"row is its chance level. Rows with fewer than {MIN_SEEDS} seeds are incomplete.",
        "",
        "## Findings",
        "",
    ]
    tables: list[str] = []
    findings: list[str] = []
    for space in SPACES:
        picked = {c: pick_group(groups, *mv) for c, mv in _rows_of(space).items()}
        rows = {c: g for c, (g, _) in picked.items()}
        present = [g for g in rows.values() if g is not None]
        varying = varying_decisions([r for g in present for r in g.records])
        findings.append(_finding(space, rows, focus, varying))
        tables += [f"## {space}", ""]
        if not present:
            tables += ["_no runs yet_", ""]
            continue
        table = []
        for cond, g in rows.items():
            if g is None:
                table.append({"condition": cond, "row": "/".join(_rows_of(space)[cond]), "seeds": "0"})
                continue
            params, macs = _size(g)
            agree = genotype_agreement(g.records, varying)
            row = {"condition": cond, "row": f"{g.label} ({g.config_hash})",
                   "seeds": f"{len(g.records)}" + ("" if len(g.records) >= MIN_SEEDS else " (incomplete)")}
            row.update({d: _fmt_ci(_psnr(g, d)) for d in datasets})
            if cond != "search" and rows["search"] is not None:
                p = probability_of_improvement_ci(_psnr(rows["search"], focus), _psnr(g, focus)) if _psnr(g, focus) and _psnr(rows["search"], focus) else None
                row[f"P(search > this), {focus}"] = "–" if p is None else p.fmt(2)
            else:
                row[f"P(search > this), {focus}"] = ""
            rand = rows["random architecture"]
            if cond != "random architecture" and rand is not None and _psnr(g, focus) and _psnr(rand, focus):
                row[f"P(this > random arch), {focus}"] = probability_of_improvement_ci(_psnr(g, focus), _psnr(rand, focus)).fmt(2)
            else:
                row[f"P(this > random arch), {focus}"] = ""
            if cond == "search" and rows["random architecture"] is not None and _psnr(g, focus):
                row["RI vs random arch"] = f"{relative_improvement(_psnr(g, focus), _psnr(rows['random architecture'], focus)):+.3f} %"
            else:
                row["RI vs random arch"] = ""
            row.update({"params": params, "MACs / LR px": macs, "agreement": "–" if agree is None else f"{agree:.2f}",
                        "budget": _budget(g), "search s": f"{np.mean([r['timings_s']['search'] for r in g.records]):.0f}",
                        "search signal": _signal(g, cond)})
            table.append(row)
            if picked[cond][1]:
                row["row"] += f" (+{picked[cond][1]} other config(s) not shown)"
        tables += [pd.DataFrame(table).fillna("").to_markdown(index=False, disable_numparse=True), ""]
    out += [f"- {f}" for f in findings] + [""]
    unit_s = [_unit_seconds(g) for space in SPACES for g in (pick_group(groups, *mv)[0] for mv in _rows_of(space).values()) if g is not None]
    if unit_s:
        out += [f"Cost: one seed of the {len(unit_s)} rows above takes {sum(unit_s) / 60:.0f} minutes of unit time (sum over rows of the",
                "mean search + train + eval wall time per seed, as recorded; units ran two at a time on this machine's 2 cores),",
                f"so {MIN_SEEDS} seeds with `--jobs 2` take about {sum(unit_s) * MIN_SEEDS / 2 / 3600:.1f} hours.", ""]
    out += tables
    return "\n".join(out)
