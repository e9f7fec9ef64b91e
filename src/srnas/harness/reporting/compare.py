"""The equal-budget comparison page (``results/tables/compare_x2.md``), generated from ``compare`` records.

Per search space (every plugin with a weight-sharing space) three or four conditions at one stated budget
(Li & Talwalkar 2019; Yang et al., ICLR 2020; Lindauer & Hutter's checklist, JMLR 2020):

- **search**: the method as published (its plugin's ``default`` variant, ``compare`` profile);
- **RSWS**: random search with weight sharing whose supernet is trained with exactly the method's
  shared-weight training (``random/<space>``, N = 30 candidates);
- **RSWS by objective**: the same random search ranking its candidates by the search's own objective
  (``random/<space>-objective``; only for spaces whose plugin states one, :meth:`Method.candidate_objective`),
  so that a search trading PSNR for cost meets a baseline that trades alike;
- **random architecture**: one uniform draw from the space, no supernet, no selection
  (``random/<space>-random-arch``).

All rows of a space get the same final training and evaluation (tests/test_compare_budget.py). Each row shows the
mean PSNR with a 95 % Student-t interval over seeds; each finding compares the search with a baseline by an
exact permutation test, Holm-corrected over the page (srnas.stats: the former bootstrap intervals
covered ~82 % at n = 5), with the probability of improvement as the effect size; params/MACs; and the search
signal: a search whose decoding never left its initial parameters is labelled inert and is not presented as
the method's result. Because the rows differ in size, each space also gets one PSNR-against-log10(parameters)
line over all its runs: each row's residual from it with an interval that accounts for the fitted line
(:func:`srnas.stats.residual_contrast`), the search-minus-baseline residual differences tested as a family
of their own, and the Pareto front of the row means (parameters and MACs against PSNR), so that "smaller
and not shown worse" is said where it holds (the picture: ``compare_x<scale>_psnr_vs_params.png``). A row with fewer than :data:`MIN_SEEDS` seeds is marked incomplete and no finding is
drawn from it.
"""
from __future__ import annotations

import itertools
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from srnas.harness.reporting.aggregate import Group, group_records
from srnas.harness.reporting.signal import INERT, search_signal
from srnas.stats import (Interval, holm, mean_ci, pareto_flags, permutation_pvalue, probability_of_improvement,
                         relative_improvement, residual_contrast)
from srnas.methods import space_baseline, weight_sharing_spaces
from srnas.nas.decisions import decision_agreement, default_decisions
from srnas.harness.reporting.tables import search_budget_text

PROFILE = "compare"
MIN_SEEDS = 5
#: the seeds every compared row is meant to reach (issue 25: 5 seeds leave intervals wide and tests weak);
#: the page states what the missing seeds cost, from the records' own timings
TARGET_SEEDS = 10
CONDITIONS = ("search", "RSWS", "RSWS by objective", "random architecture")
#: the rows every space needs before a finding is drawn (the objective row exists only where a plugin states one)
CORE = ("search", "RSWS", "random architecture")
#: each baseline condition as the findings name it
BASELINE_NAMES = {"RSWS": "RSWS", "RSWS by objective": "RSWS ranked by the search's objective", "random architecture": "random architectures"}


def comparison_spaces() -> tuple[str, ...]:
    """The comparison's search spaces: every plugin with a weight-sharing space, in listing order."""
    return weight_sharing_spaces()


def _rows_of(space: str) -> dict[str, tuple[str, str]]:
    """(method, variant) of each condition, in :data:`CONDITIONS` order: the space baseline plugin's variants
    name the space they run in; the objective row only where the baseline offers one for the space."""
    baseline = space_baseline() or ""
    plugin = _space_plugin(baseline) if baseline else None
    rows = {"search": (space, "default"), "RSWS": (baseline, space)}
    if plugin is not None and f"{space}-objective" in plugin.variants():
        rows["RSWS by objective"] = (baseline, f"{space}-objective")
    return {**rows, "random architecture": (baseline, f"{space}-random-arch")}


def pick_group(groups: Sequence[Group], method: str, variant: str) -> tuple[Group | None, int]:
    """The configuration with the most seeds (and how many other configurations were left out)."""
    found = [g for g in groups if g.method == method and g.variant == variant]
    if not found:
        return None, 0
    return max(found, key=lambda g: (len(g.records), g.config_hash)), len(found) - 1


def _space_plugin(name: str) -> Any:
    """The plugin that owns a space's genotypes, or None for a name no plugin has (hand-made test records)."""
    from srnas.methods import get_method

    try:
        return get_method(name)
    except Exception:  # noqa: BLE001 - an unknown space: the default decision rule below
        return None


def _decisions(record: dict[str, Any]) -> dict[str, Any]:
    """The architecture decisions of a record's genotype, as the space's plugin defines them
    (``Method.architecture_decisions``: no settings, no softmax values, no second encoding of one choice);
    RSWS and random-architecture records wrap the space's genotype."""
    g = record.get("genotype") or {}
    space = record["method"]
    plugin = _space_plugin(space)
    if plugin is not None and plugin.space_baseline:
        space, g = g.get("space", space), g.get("genotype", g)
        plugin = _space_plugin(space)
    return plugin.architecture_decisions(g) if plugin is not None else default_decisions(g)


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


def jackknife_se(records: Sequence[dict[str, Any]], varying: set[str]) -> float | None:
    """Leave-one-seed-out jackknife SE of the mean pairwise agreement. Pairs share seeds, so treating the
    n(n-1)/2 pairs as independent (the former margin) understated the SE about 2.4x; None below 3 seeds."""
    n = len(records)
    if n < 3:
        return None
    decs = [{k: v for k, v in _decisions(r).items() if k in varying} for r in records]
    pair = {(i, j): decision_agreement(decs[i], decs[j]) for i, j in itertools.combinations(range(n), 2)}
    loo = np.array([np.mean([v for (i, j), v in pair.items() if k not in (i, j)]) for k in range(n)])
    return float(np.sqrt((n - 1) / n * np.sum((loo - loo.mean()) ** 2)))


def chance_agreement(space: str, config: dict[str, Any], scale: int, varying: set[str], draws: int = 2000,
                     seed: int = 0) -> float | None:
    """The agreement two independent uniform draws of the space's sampler have on ``varying`` (the exact
    chance level, estimated from ``draws`` pairs: Monte Carlo SE <= 0.5 / sqrt(draws) ~ 0.011, in practice
    far less); None when the space has no sampler here, or its draws lack a decision in ``varying``."""
    plugin = _space_plugin(space)
    sampler = plugin.search_space(config, scale) if plugin is not None else None
    if sampler is None:
        return None
    rng = np.random.default_rng(seed)

    seen: set[str] = set()

    def draw() -> dict[str, Any]:
        decisions = plugin.architecture_decisions(sampler.genotype(sampler.sample(rng)))
        seen.update(decisions)
        return {k: v for k, v in decisions.items() if k in varying}

    chance = float(np.mean([decision_agreement(draw(), draw()) for _ in range(draws)]))
    # records that vary on decisions this sampler never makes (hand-made or foreign records): no chance level
    return chance if varying <= seen else None


@dataclass(frozen=True)
class Agreement:
    """A row's cross-seed agreement against the chance level of uniformly drawn architectures."""

    value: float
    chance: float
    margin: float | None  # 2 jackknife SE (of the difference, when chance is itself estimated from seeds)
    chance_source: str = "random-architecture seeds"

    @property
    def above_chance(self) -> bool | None:
        """True when the agreement exceeds chance by more than ``margin``; None when it cannot be judged.
        Pairs share seeds, so the SE is optimistic: a row just above the margin is weak evidence."""
        return None if self.margin is None else self.value - self.chance > self.margin

    def fmt(self) -> str:
        band = "" if self.margin is None else f" (± {self.margin:.2f})"
        return f"{self.value:.2f} / {self.chance:.2f}{band}"


def agreement_vs_chance(records: Sequence[dict[str, Any]], random_records: Sequence[dict[str, Any]], varying: set[str],
                        chance: float | None = None) -> Agreement | None:
    """Cross-seed agreement of ``records`` against uniformly drawn architectures, with a margin of 2
    seed-level jackknife SEs. ``chance``: the sampler's exact chance level (:func:`chance_agreement`); without
    it, the random-architecture seeds' own agreement, and the margin covers both rows' SEs. None when the
    row has fewer than two seeds (or, without ``chance``, the random row)."""
    a = pairwise_agreements(records, varying)
    if not a:
        return None
    se_a = jackknife_se(records, varying)
    if chance is not None:
        return Agreement(float(np.mean(a)), chance, None if se_a is None else 2 * se_a, "the sampler's exact chance")
    c = pairwise_agreements(random_records, varying)
    if not c:
        return None
    se_c = jackknife_se(random_records, varying)
    margin = None if se_a is None or se_c is None else 2 * float(np.sqrt(se_a**2 + se_c**2))
    return Agreement(float(np.mean(a)), float(np.mean(c)), margin)


def varying_decisions(records: Sequence[dict[str, Any]]) -> set[str]:
    """The decision paths whose value differs between at least two of ``records``."""
    decs = [_decisions(r) for r in records]
    keys = set().union(*decs) if decs else set()
    return {k for k in keys if len({json.dumps(d.get(k)) for d in decs}) > 1}


def _psnr(g: Group, dataset: str) -> list[float]:
    return g.values(dataset, "psnr")


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
    if condition.startswith("RSWS"):
        if not noise:
            return "–"
        distinct = sum(n["winner_distinct"] for n in noise)
        text = f"best of {noise[0]['candidates']}: {summary}; winner beats runner-up beyond 2 SE in {distinct}/{len(noise)} seeds"
        first = [(r.get("search_info") or {}).get("best_index") for r in g.records]
        if all(i is not None for i in first):  # candidate 0 is the seed's random architecture (one stream)
            text += f"; kept its first candidate (that seed's random architecture) in {sum(i == 0 for i in first)}/{len(first)}"
        return text
    sig = search_signal(g.records)
    return ("not recorded" if sig is None else sig.label) + (f"; derivation: {summary}" if noise else "")


def _unit_seconds(g: Group) -> float:
    """Mean wall time of one seed of a row: search + train + eval, as recorded."""
    return float(np.mean([sum(r["timings_s"].values()) for r in g.records]))


ALPHA = 0.05


def fmt_p(p: float, eq: bool = True) -> str:
    """A p-value as the page prints it: ``= 0.032``, or ``< 0.001`` where three decimals would show 0.000 (an
    exact test over 184,756 relabellings at 10 + 10 seeds reaches far below); ``eq=False`` drops the ``= ``."""
    if p < 0.0005:
        return "< 0.001"
    return f"= {p:.3f}" if eq else f"{p:.3f}"


@dataclass(frozen=True)
class Comparison:
    """The searched row against one baseline on the focus set: effect and exact test, Holm-corrected over
    every such comparison on the page."""

    delta: float  # mean PSNR difference, dB
    p_improvement: float  # P(a seed of the search beats a seed of the baseline), ties half
    p: float  # exact permutation p-value of the difference of means
    p_holm: float  # Holm-adjusted over the page's comparisons
    family: int  # how many comparisons the correction covers

    def words(self) -> str:
        if self.p_holm < ALPHA:
            return "beats" if self.delta > 0 else "loses to"
        if self.p < ALPHA:
            return f"is indicatively {'above' if self.delta > 0 else 'below'}"
        return "is not distinguishable from"

    def fmt(self) -> str:
        caveat = ", so not significant after correction" if self.p < ALPHA <= self.p_holm else ""
        return (f"P(improvement) {self.p_improvement:.2f}, permutation p {fmt_p(self.p)}, Holm-adjusted {fmt_p(self.p_holm, eq=False)} "
                f"over {self.family} comparisons{caveat}")


def _row_key(g: Group) -> str:
    """A row's name among a space's size-line points (method, variant and config identify it)."""
    return f"{g.method}/{g.variant}@{g.config_hash}"


@dataclass(frozen=True)
class SizeFit:
    """The focus set's PSNR against log10(parameters), one line through every run of a space's rows.

    Why: the rows are not the same size (HNAS's reward trades PSNR for FLOPs; RSWS ranks its candidates by
    PSNR alone and picks 3x larger nets), and a larger net trained alike scores higher. Comparing each row's
    residuals from one line asks whether a search finds architectures better than their size predicts
    (issue 25: HNAS's -0.27 dB against RSWS). The residuals' permutation p is approximate: they are not
    exactly exchangeable once the line is estimated from the same runs; the intervals
    (:func:`srnas.stats.residual_contrast`) account for the fitted line."""

    slope: float  # dB per tenfold parameters
    intercept: float
    r: float  # Pearson correlation of PSNR and log10(parameters)
    n: int
    x: tuple[float, ...] = ()  # log10(parameters) of every run the line goes through
    y: tuple[float, ...] = ()  # its focus-set PSNR
    rows: tuple[str, ...] = ()  # its row (:func:`_row_key`)

    def residuals(self, g: Group, focus: str) -> list[float]:
        return [float(r["metrics"][focus]["psnr"] - (self.intercept + self.slope * np.log10(r["cost"]["params"])))
                for r in g.records]

    def residual_interval(self, g: Group, minus: Group | None = None) -> Interval | None:
        """The row's mean residual from the line with its 95 % interval, or (``minus``) the difference of two
        rows' mean residuals; None where a row has fewer than 2 runs on the line (no spread to estimate)."""
        weights = {_row_key(g): 1.0} | ({_row_key(minus): -1.0} if minus is not None else {})
        try:
            return residual_contrast(self.x, self.y, self.rows, weights)
        except ValueError:
            return None


def size_fit(rows: Sequence[Group], focus: str) -> SizeFit | None:
    """:class:`SizeFit` over the rows' runs; None when the sizes do not vary (no line to fit)."""
    points = [(np.log10(r["cost"]["params"]), r["metrics"][focus]["psnr"], _row_key(g)) for g in rows for r in g.records
              if focus in r.get("metrics", {}) and r.get("cost", {}).get("params")]
    if len(points) < 3:
        return None
    x = np.array([p[0] for p in points], dtype=float)
    y = np.array([p[1] for p in points], dtype=float)
    if np.ptp(x) == 0:
        return None
    slope, intercept = np.polyfit(x, y, 1)
    return SizeFit(float(slope), float(intercept), float(np.corrcoef(x, y)[0, 1]), len(points),
                   tuple(x.tolist()), tuple(y.tolist()), tuple(p[2] for p in points))


def pareto_rows(rows: dict[str, Group | None], focus: str) -> dict[str, dict[str, Any]]:
    """Per condition: whether its mean (cost, focus PSNR) lies on the space's Pareto front of the row means,
    for parameters and for MACs per LR pixel, and how many of its runs lie on the front of all the space's
    runs. Why both: a row's mean can be dominated while single seeds are not (and the other way round); the
    front says "smaller but not worse" without a fitted line."""
    present = {c: g for c, g in rows.items() if g is not None and _psnr(g, focus)}
    costs = {"params": lambda r: float(r["cost"]["params"]), "macs": lambda r: float(r["cost"]["macs"][0]["macs_per_lr_pixel"])}
    out: dict[str, dict[str, Any]] = {c: {} for c in present}
    for name, cost in costs.items():
        conds = list(present)
        means = [(float(np.mean([cost(r) for r in present[c].records])), float(np.mean(_psnr(present[c], focus)))) for c in conds]
        for c, flag in zip(conds, pareto_flags(means)):
            out[c][name] = flag
        runs = [(c, (cost(r), float(r["metrics"][focus]["psnr"]))) for c in conds for r in present[c].records if focus in r["metrics"]]
        flags = pareto_flags([p for _, p in runs])
        for c in conds:
            out[c][f"runs_on_{name}_front"] = sum(f for (rc, _), f in zip(runs, flags) if rc == c)
    return out


def _ratio(a: float | None, b: float | None) -> str:
    """``a / b`` as ``0.30x``; ``–`` when either is unknown or ``b`` is 0."""
    return "–" if a is None or not b else f"{a / b:.2f}x"


def compare_rows(x: Sequence[float], y: Sequence[float]) -> tuple[float, float, float]:
    """(mean difference, P(improvement), exact permutation p) of two rows' per-seed values."""
    return float(np.mean(x) - np.mean(y)), probability_of_improvement(x, y), permutation_pvalue(x, y)


def _finding(space: str, rows: dict[str, Group | None], dataset: str, varying: set[str] | None = None,
             tests: dict[str, Comparison] | None = None, chance: float | None = None,
             sized: tuple[SizeFit, dict[str, Comparison], dict[str, Interval | None]] | None = None,
             front: dict[str, dict[str, Any]] | None = None) -> str:
    """One sentence per space, drawn only from complete rows and worded by the corrected tests; ``varying``:
    the space's varying decisions, for the cross-seed agreement of the search against the chance level;
    ``sized``: the size line, the residual tests and their intervals; ``front``: :func:`pareto_rows`."""
    search, rand = rows["search"], rows["random architecture"]
    if search is None:
        return f"**{space}**: no searched runs yet."
    n = {c: len(g.records) if g else 0 for c, g in rows.items()}
    if min(n[c] for c in CORE) < MIN_SEEDS or not tests:
        have = ", ".join(f"{c} {k}" for c, k in n.items())
        return f"**{space}**: incomplete ({have} of {MIN_SEEDS} seeds); no finding drawn yet."
    sig = search_signal(search.records)
    inert = sig is not None and sig.inert
    parts = []
    assert rand is not None  # complete rows (checked above)
    tested = [c for c in CONDITIONS if c in tests]
    for cond in tested:
        base, t = rows[cond], tests[cond]
        assert base is not None
        ratio = _ratio(search.mean_of(("cost", "params")), base.mean_of(("cost", "params")))
        parts.append(f"{t.words()} {BASELINE_NAMES[cond]} ({t.delta:+.3f} dB on {dataset}, {t.fmt()}; {ratio} their parameters)")
    lead = f"**{space}**: the search " + "; it ".join(parts) + "."
    waiting = [f"{BASELINE_NAMES[c]} ({n[c]} of {MIN_SEEDS} seeds)" for c in rows if c not in CORE and c not in tests]
    if waiting:
        lead += f" Not yet compared: {', '.join(waiting)}."
    if sized is not None:
        fit, adjusted, intervals = sized
        gaps = [f"{adjusted[cond].delta:+.3f} dB{_fmt_interval(_pair(intervals.get(cond)))} from {BASELINE_NAMES[cond]} (residual"
                f" permutation p {fmt_p(adjusted[cond].p)}, Holm {fmt_p(adjusted[cond].p_holm, eq=False)})" for cond in tested if cond in adjusted]
        lead += (f" Adjusted for size ({dataset} PSNR against log10 parameters over the space's {fit.n} runs: "
                 f"{fit.slope:+.2f} dB per tenfold parameters, r = {fit.r:.2f}), it is " + " and ".join(gaps) + ".")
        explained = [BASELINE_NAMES[cond] for cond in tested if cond in adjusted and tests[cond].p < ALPHA <= adjusted[cond].p]
        if explained:
            lead += f" The raw gap to {' and '.join(explained)} is what the sizes predict."
    if front:
        lead += _front_sentence(search, rows, tests, front)
    if inert and sig is not None and sig.moved == 0:
        lead += f" Its search is {sig.label}: the row is its initialisation's architecture, not a selection."
    elif inert:
        agree = agreement_vs_chance(search.records, rand.records, varying, chance) if varying is not None else None
        if agree is not None and agree.above_chance:
            # issue 25: "a random architecture without selection" overstated HiNAS, whose seeds agree beyond chance
            gain = tests.get("random architecture")
            no_gain = gain is not None and gain.p_holm >= ALPHA
            assert sig is not None
            lead += (f" Its search is {sig.label}; yet its seeds agree on {agree.value:.2f} of the varying decisions against"
                     f" {agree.chance:.2f} by chance (± {agree.margin:.2f}, 2 jackknife SE): a weak preference, consistent across"
                     " seeds" + (", with no accuracy gain over random architectures." if no_gain else "."))
        else:
            lead += (f" Its search is {INERT}, and its seeds agree no more than uniform draws: the row is in effect a random"
                     " architecture without selection.")
    elif varying is not None:
        agree = agreement_vs_chance(search.records, rand.records, varying, chance)
        if agree is not None and agree.above_chance is False:
            lead += (f" Its seeds agree on {agree.value:.2f} of the varying decisions against {agree.chance:.2f} for random architectures"
                     f" ({agree.chance_source}; within ± {agree.margin:.2f}, 2 jackknife SE): the search moves but does not"
                     " converge on particular decisions across seeds.")
    return lead


def _pair(iv: Interval | None) -> tuple[float, float] | None:
    return None if iv is None else (iv.low, iv.high)


def _front_sentence(search: Group, rows: dict[str, Group | None], tests: dict[str, Comparison],
                    front: dict[str, dict[str, Any]]) -> str:
    """Which rows' means are on the parameters-PSNR front, and "smaller and not shown worse" where the search
    uses fewer parameters than a baseline and no test (not even uncorrected) puts it below: the claim a
    cost-aware search makes, stated without a fitted line. Not "as good": a test that finds no difference
    at 10 seeds does not show equality."""
    on = [c for c in CONDITIONS if front.get(c, {}).get("params")]
    off = [c for c in CONDITIONS if c in front and not front[c].get("params")]
    names = {"search": "the search", **BASELINE_NAMES}
    text = f" On the parameters-PSNR front of the row means: {', '.join(names[c] for c in on)}"
    text += f" ({', '.join(names[c] for c in off)} dominated)." if off else " (none dominated)."
    mine = search.mean_of(("cost", "params"))
    smaller = []
    for cond, t in tests.items():
        base = rows[cond]
        theirs = base.mean_of(("cost", "params")) if base is not None else None
        if mine is not None and theirs and mine < theirs and (t.delta >= 0 or t.p >= ALPHA):
            smaller.append(f"{BASELINE_NAMES[cond]} ({mine / theirs:.2f}x their parameters)")
    if smaller:
        text += f" It is smaller than {' and '.join(smaller)} and not shown worse."
    return text


def _chance(space: str, rand: Group | None, scale: int, varying: set[str]) -> float | None:
    """The sampler's exact chance level for a space, from the random-architecture row's config; None when
    the records carry no usable config (hand-made or foreign records) or the space has no sampler."""
    if rand is None or not varying:
        return None
    try:
        return chance_agreement(space, rand.records[0]["config"], scale, varying)
    except (KeyError, TypeError, ValueError):
        return None


def _ci(values: Sequence[float]) -> dict[str, Any] | None:
    if not values:
        return None
    ci = mean_ci(values)
    return {"mean": ci.estimate, "low": ci.low, "high": ci.high, "n": len(values)}


def _fmt_ci_data(ci: dict[str, Any] | None) -> str:
    return "–" if ci is None else f"{ci['mean']:.3f} [{ci['low']:.3f}, {ci['high']:.3f}] ({ci['n']})"


def _spread(values: Sequence[float]) -> dict[str, float]:
    return {"mean": float(np.mean(values)), "min": float(min(values)), "max": float(max(values))}


def _test(values: tuple[float, float, float], holm_p: float | None = None, family: int | None = None) -> dict[str, Any]:
    return {"delta_db": values[0], "p_improvement": values[1], "p": values[2], "p_holm": holm_p, "family": family}


def _fit_data(fit: SizeFit, rows: dict[str, Group | None]) -> dict[str, Any]:
    """The size line as data, with the runs it goes through (each named by its condition) for the plot."""
    condition = {_row_key(g): c for c, g in rows.items() if g is not None}
    return {"slope_db_per_decade": fit.slope, "intercept_db": fit.intercept, "r": fit.r, "runs": fit.n,
            "points": [{"condition": condition[k], "log10_params": x, "psnr": y} for x, y, k in zip(fit.x, fit.y, fit.rows)]}


def _interval_data(iv: Interval | None) -> dict[str, float] | None:
    return None if iv is None else {"mean": iv.estimate, "low": iv.low, "high": iv.high}


def _sized_test(t: Comparison, iv: Interval | None) -> dict[str, Any]:
    """A size-adjusted test as data: the residual difference with its interval (None: too few runs)."""
    out = _test((t.delta, t.p_improvement, t.p), t.p_holm, t.family)
    out["interval_db"] = None if iv is None else [iv.low, iv.high]
    return out


def comparison_data(records: Sequence[dict[str, Any]], scale: int = 2, focus: str = "B100") -> dict[str, Any]:
    """The comparison as data -- what ``compare_x<scale>.json`` holds and :func:`render_comparison` formats:
    per space its rows (PSNR mean and Student-t interval per set, sizes, agreement, the tests against
    the searched row, budget, timings, search signal) and its finding; the Holm family of the page's tests."""
    groups = group_records(records, PROFILE, scale)
    datasets: list[str] = []
    for grp in groups:
        datasets += [d for d in grp.datasets if d not in datasets]
    spaces = {}
    for space in comparison_spaces():
        picked = {c: pick_group(groups, *mv) for c, mv in _rows_of(space).items()}
        rows = {c: g for c, (g, _) in picked.items()}
        present = [g for g in rows.values() if g is not None]
        spaces[space] = (picked, rows, present, varying_decisions([r for g in present for r in g.records]))
    # every finding's comparison is one member of one family, corrected together (Holm)
    raw: dict[tuple[str, str], tuple[float, float, float]] = {}
    for space, (_, rows, _, _) in spaces.items():
        search_row = rows["search"]
        if search_row is not None and all((g := rows[c]) is not None and len(g.records) >= MIN_SEEDS for c in CORE):
            for cond, base in rows.items():
                if cond != "search" and base is not None and len(base.records) >= MIN_SEEDS:
                    raw[(space, cond)] = compare_rows(_psnr(search_row, focus), _psnr(base, focus))
    adjusted = holm({f"{k[0]}|{k[1]}": v[2] for k, v in raw.items()})
    tests = {k: Comparison(*v, adjusted[f"{k[0]}|{k[1]}"], len(raw)) for k, v in raw.items()}
    # the same comparisons on residuals from each space's size line, corrected as their own family
    fits: dict[str, SizeFit] = {}
    raw_sized: dict[tuple[str, str], tuple[float, float, float]] = {}
    sized_intervals: dict[tuple[str, str], Interval | None] = {}
    for (space, cond) in raw:
        rows = spaces[space][1]
        fit = fits.get(space) or size_fit([g for g in rows.values() if g is not None], focus)
        if fit is None:
            continue
        fits[space] = fit
        search_row, base = rows["search"], rows[cond]
        assert search_row is not None and base is not None
        raw_sized[(space, cond)] = compare_rows(fit.residuals(search_row, focus), fit.residuals(base, focus))
        sized_intervals[(space, cond)] = fit.residual_interval(search_row, minus=base)
    adjusted_sized = holm({f"{k[0]}|{k[1]}": v[2] for k, v in raw_sized.items()})
    sized_tests = {k: Comparison(*v, adjusted_sized[f"{k[0]}|{k[1]}"], len(raw_sized)) for k, v in raw_sized.items()}
    out_spaces = []
    for space, (picked, rows, present, varying) in spaces.items():
        chance = _chance(space, rows["random architecture"], scale, varying)
        space_tests = {cond: t for (sp, cond), t in tests.items() if sp == space}
        space_sized = {cond: t for (sp, cond), t in sized_tests.items() if sp == space}
        table: list[dict[str, Any]] = []
        for cond, g in rows.items():
            if g is None:
                table.append({"condition": cond, "method": _rows_of(space)[cond][0], "variant": _rows_of(space)[cond][1], "seeds": []})
                continue
            params = [r["cost"]["params"] for r in g.records]
            macs = [r["cost"]["macs"][0]["macs_per_lr_pixel"] for r in g.records]
            row: dict[str, Any] = {
                "condition": cond, "method": g.method, "variant": g.variant, "label": g.label, "config_hash": g.config_hash,
                "seeds": g.seeds, "complete": len(g.records) >= MIN_SEEDS, "other_configs": picked[cond][1],
                "psnr": {d: _ci(_psnr(g, d)) for d in datasets},
                "params": _spread(params), "macs_per_lr_px": _spread(macs),
                "agreement": genotype_agreement(g.records, varying), "chance": chance if cond == "random architecture" else None,
                "vs_search": None, "vs_search_size_adjusted": None, "vs_random_arch": None, "ri_vs_random_arch": None,
                "budget": _budget(g), "search_s": float(np.mean([r["timings_s"]["search"] for r in g.records])),
                "unit_s": _unit_seconds(g), "signal": _signal(g, cond),
            }
            search_row, rand = rows["search"], rows["random architecture"]
            if cond != "search" and search_row is not None and _psnr(g, focus) and _psnr(search_row, focus):
                t = tests.get((space, cond))
                values = raw.get((space, cond)) or compare_rows(_psnr(search_row, focus), _psnr(g, focus))
                row["vs_search"] = _test(values, t.p_holm if t else None, t.family if t else None)
                st = sized_tests.get((space, cond))
                if st is not None:
                    row["vs_search_size_adjusted"] = _sized_test(st, sized_intervals[(space, cond)])
            if cond.startswith("RSWS") and rand is not None and _psnr(g, focus) and _psnr(rand, focus):
                row["vs_random_arch"] = _test(compare_rows(_psnr(g, focus), _psnr(rand, focus)))
            if cond == "search" and rand is not None and _psnr(g, focus):
                row["ri_vs_random_arch"] = relative_improvement(_psnr(g, focus), _psnr(rand, focus))
            table.append(row)
        fit = fits.get(space)
        front = pareto_rows(rows, focus)
        for entry in table:
            cond = entry["condition"]
            g = rows[cond]
            entry["size_residual"] = _interval_data(fit.residual_interval(g)) if fit is not None and g is not None else None
            entry["pareto"] = front.get(cond)
        sized = None
        if fit is not None and space_sized.keys() == space_tests.keys():
            sized = (fit, space_sized, {c: sized_intervals[(space, c)] for c in space_sized})
        out_spaces.append({"space": space, "finding": _finding(space, rows, focus, varying, space_tests, chance, sized, front),
                           "size_fit": None if fit is None else _fit_data(fit, rows),
                           "rows": table})
    return {"scale": scale, "profile": PROFILE, "focus": focus, "alpha": ALPHA, "min_seeds": MIN_SEEDS, "target_seeds": TARGET_SEEDS, "datasets": datasets,
            "tests": [{"space": sp, "baseline": cond, **_test((t.delta, t.p_improvement, t.p), t.p_holm, t.family)}
                      for (sp, cond), t in tests.items()],
            "size_adjusted_tests": [{"space": sp, "baseline": cond, **_sized_test(t, sized_intervals[(sp, cond)])}
                                    for (sp, cond), t in sized_tests.items()],
            "spaces": out_spaces}


def row_cells(row: dict[str, Any], data: dict[str, Any]) -> dict[str, str]:
    """One table row of the page, formatted from :func:`comparison_data`'s row."""
    focus = data["focus"]
    if "label" not in row:
        return {"condition": row["condition"], "row": f"{row['method']}/{row['variant']}", "seeds": "0"}
    n = len(row["seeds"])
    cells = {"condition": row["condition"], "row": f"{row['label']} ({row['config_hash']})",
             "seeds": f"{n}" + ("" if row["complete"] else " (incomplete)")}
    cells.update({d: _fmt_ci_data(row["psnr"][d]) for d in data["datasets"]})
    key = f"search vs this, {focus}: P(improvement); p (Holm)"
    t = row["vs_search"]
    if t is not None:
        cells[key] = f"{t['p_improvement']:.2f}; p {fmt_p(t['p'])}" + (f" ({fmt_p(t['p_holm'], eq=False)})" if t["p_holm"] is not None else " (incomplete rows: not tested)")
    else:
        cells[key] = ""
    res = row.get("size_residual")
    cells[f"residual from size line, {focus}: dB [95 %]"] = "" if res is None else f"{res['mean']:+.3f} [{res['low']:+.3f}, {res['high']:+.3f}]"
    sa = row.get("vs_search_size_adjusted")
    cells["search vs this, size-adjusted: Δ dB [95 %]; p (Holm)"] = (
        "" if sa is None else f"{sa['delta_db']:+.3f}{_fmt_interval(sa.get('interval_db'))}; p {fmt_p(sa['p'])} ({fmt_p(sa['p_holm'], eq=False)})")
    front = row.get("pareto")
    cells["Pareto front of means: params; MACs (runs on front)"] = "" if not front else "; ".join(
        f"{'yes' if front[k] else 'no'} ({front[f'runs_on_{k}_front']}/{n})" for k in ("params", "macs"))
    r = row["vs_random_arch"]
    cells[f"this vs random arch, {focus}: P(improvement); p (uncorrected)"] = "" if r is None else f"{r['p_improvement']:.2f}; p {fmt_p(r['p'])}"
    cells["RI vs random arch"] = "" if row["ri_vs_random_arch"] is None else f"{row['ri_vs_random_arch']:+.3f} %"
    agree, chance = row["agreement"], row["chance"]
    if row["condition"] == "random architecture" and chance is not None:
        agree_text = f"{agree:.2f} (sampler's exact chance {chance:.2f})" if agree is not None else f"– (exact chance {chance:.2f})"
    else:
        agree_text = "–" if agree is None else f"{agree:.2f}"
    p, m = row["params"], row["macs_per_lr_px"]
    cells.update({"params": f"{p['mean'] / 1e3:.1f}K ({p['min'] / 1e3:.1f}–{p['max'] / 1e3:.1f}K)",
                  "MACs / LR px": f"{m['mean'] / 1e3:.1f}K ({m['min'] / 1e3:.1f}–{m['max'] / 1e3:.1f}K)",
                  "agreement": agree_text, "budget": row["budget"], "search s": f"{row['search_s']:.0f}", "search signal": row["signal"]})
    if row["other_configs"]:
        cells["row"] += f" (+{row['other_configs']} other config(s) not shown)"
    return cells


def _fmt_interval(iv: Sequence[float] | None) -> str:
    return "" if iv is None else f" [{iv[0]:+.3f}, {iv[1]:+.3f}]"


def render_comparison(records: Sequence[dict[str, Any]], scale: int = 2, focus: str = "B100",
                      data: dict[str, Any] | None = None) -> str:
    """The page, formatted from :func:`comparison_data` (computed here unless given)."""
    data = data if data is not None else comparison_data(records, scale, focus)
    focus, scale = data["focus"], data["scale"]
    out = [
        f"# Equal-budget comparison, x{scale} (`{PROFILE}` profile)",
        "",
        "Generated by `srnas table --compare` from the run records; not judged against the papers (T91, CPU budgets).",
        "Per search space: the method's search, random search with weight sharing (RSWS) trained with exactly the",
        "method's supernet budget and N = 30 candidates (ranked by PSNR; and, where the plugin states its search's",
        "objective, a second row ranking the same candidates by that objective: \"RSWS by objective\"), and uniformly drawn",
        "random architectures. A seed's random architecture is the first of RSWS's candidates for that seed (one",
        "sampling stream): the rows are paired, RSWS minus random architecture is what RSWS's selection adds, and where",
        "RSWS keeps its first candidate the two rows are the same run (counted in its search-signal cell).",
        "Within a space all rows get the same final training and evaluation",
        "(`tests/test_compare_budget.py`). PSNR (Y, dB): mean",
        "[95 % Student-t interval over seeds] (seeds). Each finding compares the searched row with a baseline by an",
        "exact permutation test of the difference of mean PSNR (every relabelling of the seeds), Holm-corrected over",
        f"all the findings' comparisons; \"beats\"/\"loses to\" only when the corrected p < {ALPHA}, \"indicatively",
        "above/below\" when only the uncorrected one is. P(improvement): the probability that a seed of one row beats a",
        "seed of the other (ties half), an effect size; RI: Yang et al.'s relative improvement over random architectures,",
        f"in % of PSNR, on {focus}. Agreement: mean pairwise share of architecture decisions across seeds (the decisions",
        "each plugin defines, over those that vary in the space), against the chance level of two independent uniform",
        "draws of the space's sampler (2,000 pairs), with a margin of 2 leave-one-seed-out jackknife SEs.",
        f"Size-adjusted: {focus} PSNR regressed on log10(parameters) over all runs of the space's rows (one line);",
        "the search's residuals against a baseline's by the same permutation test (approximate: the line is fitted to",
        "the same runs), Holm-corrected as a family of its own. It asks whether a row does better or worse than its",
        "size predicts: the objectives differ (a search may reward small nets, PSNR-ranked RSWS does not). A row's",
        "residual (its runs' mean distance above or below the line) and the search-minus-baseline residual difference",
        "carry 95 % intervals that account for the line being fitted to the same runs, with each row's own spread",
        "(Welch-Satterthwaite degrees of freedom; coverage checked by simulation at 5 and 10 seeds in",
        "`tests/test_stats.py`). Pareto front: a row whose mean (parameters or MACs per LR pixel, PSNR) no other row's",
        "mean dominates (no larger and no lower, one strictly), and how many of its runs lie on the front of all the",
        "space's runs; \"smaller and not shown worse\" where the search has fewer parameters than a baseline and not",
        "even the uncorrected test puts it below.",
        f"Rows with fewer than {MIN_SEEDS} seeds are incomplete.",
        "",
        "## Findings",
        "",
    ]
    tables: list[str] = []
    for sp in data["spaces"]:
        tables += [f"## {sp['space']}", ""]
        if not any("label" in row for row in sp["rows"]):
            tables += ["_no runs yet_", ""]
            continue
        tables += [pd.DataFrame([row_cells(row, data) for row in sp["rows"]]).fillna("").to_markdown(index=False, disable_numparse=True), ""]
    out += [f"- {sp['finding']}" for sp in data["spaces"]] + [""]
    done = [row for sp in data["spaces"] for row in sp["rows"] if "label" in row]
    if done:
        unit_s = [row["unit_s"] for row in done]
        seeds = [len(row["seeds"]) for row in done]
        missing_s = sum(max(TARGET_SEEDS - n, 0) * u for n, u in zip(seeds, unit_s))
        complete = min(seeds) >= TARGET_SEEDS
        out += [f"Cost: one seed of the {len(unit_s)} rows above takes {sum(unit_s) / 60:.0f} minutes of unit time (sum over rows of the",
                "mean search + train + eval wall time per seed, as recorded; units ran two or more at a time on 2 cores, so a",
                f"lone unit is faster), so {TARGET_SEEDS} seeds with `--jobs 2` take about {sum(unit_s) * TARGET_SEEDS / 2 / 3600:.1f} hours. "
                + (f"Every row has its {TARGET_SEEDS} seeds." if complete else
                   "The rows have " + (f"{min(seeds)}" if min(seeds) == max(seeds) else f"{min(seeds)}-{max(seeds)}")
                   + f" seeds; the seeds missing to {TARGET_SEEDS} in every row take about {missing_s / 2 / 3600:.1f} hours more."), ""]
    out += tables
    return "\n".join(out)
