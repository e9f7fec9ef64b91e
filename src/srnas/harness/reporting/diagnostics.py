"""Search diagnostics of the comparison: the smallest search budget at which each search shows signal, does
accuracy move the RL searches, and each plugin's own sections (HNAS: does lambda reach the derived net;
Trilevel: where its cost weights sit on the accuracy/cost front).

Rendered under the comparison (``srnas table --compare``) from ``compare``-profile records: full runs and
search probes (``results/probes``: final training cut to one step, so their PSNRs are search-time
validation numbers, never results). The harness reads no plugin's search-info keys: the RL rows come from
``Method.controller_probes`` (with its readout), the sections from ``Method.report_sections``.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from srnas.harness.reporting.aggregate import Group, group_records
from srnas.harness.reporting.compare import _chance, _ratio, _rows_of, agreement_vs_chance, comparison_spaces, pick_group, varying_decisions
from srnas.harness.reporting.signal import search_signal
from srnas.methods import method_classes
from srnas.methods.base import ControllerProbes, ReportSection
from srnas.harness.reporting.tables import search_budget_text

PROFILE = "compare"


def _md(rows: list[dict[str, Any]]) -> str:
    return pd.DataFrame(rows).fillna("").to_markdown(index=False, disable_numparse=True) if rows else "_no runs yet_"


def _plugins_with_probes() -> list[tuple[str, ControllerProbes]]:
    """(name, probes) of every method with RL controller probes (``Method.controller_probes``), in listing order."""
    out = []
    for cls in method_classes():
        probes = cls().controller_probes()
        if probes is not None:
            out.append((cls.name, probes))
    return out


def rl_rows(records: Sequence[dict[str, Any]], scale: int = 2) -> list[dict[str, Any]]:
    """Per RL search: its accuracy-only and frozen-controller probes, read through the plugin's
    readout (``ControllerProbes.readout``: the harness knows no key of any search info)."""
    groups = group_records(records, PROFILE, scale)
    rows = []
    for space, probes in _plugins_with_probes():
        cost_name, fmt = probes.cost_name, probes.cost_format
        last_psnr: dict[str, dict[int, float]] = {}
        pairs = (probes.accuracy_only, probes.frozen)
        found = {label: pick_group(groups, space, variant)[0] for label, variant in pairs}
        for label, g in found.items():
            if g is None:
                continue
            infos = [r["search_info"] for r in g.records]
            reads = [probes.readout(i) for i in infos]
            last_psnr[label] = {r["seed"]: read.last_sampled_psnr for r, read in zip(g.records, reads)}
            noise = [i["validation_noise"] for i in infos if i.get("validation_noise")]
            sig = search_signal(g.records)
            last_cost = float(np.mean([r.last_sampled_cost for r in reads]))
            derived_cost = float(np.mean([r.derived_cost for r in reads]))
            rows.append({
                "space": space, "search": f"{label} ({g.variant})", "seeds": " ".join(map(str, g.seeds)),
                "sampled PSNR, first -> last controller epoch": (f"{np.mean([r.first_sampled_psnr for r in reads]):.3f} -> "
                                                                 f"{np.mean([r.last_sampled_psnr for r in reads]):.3f}"),
                f"sampled {cost_name}, last epoch": format(last_cost, fmt),
                "derived: val PSNR": f"{np.mean([r.derived_psnr for r in reads]):.3f}",
                f"derived: {cost_name}": format(derived_cost, fmt),
                "derivation spread / noise (dB)": "–" if not noise else f"{np.median([n['spread_db'] for n in noise]):.3f} / {np.median([n['noise_db'] for n in noise]):.3f}",
                "greedy decoding": "not recorded" if sig is None else sig.label,
            })
        a, b = (found[label] for label, _ in pairs)
        if a is not None and b is not None:
            common = sorted(set(a.seeds) & set(b.seeds))
            if common:
                pa, pb = (last_psnr[label] for label, _ in pairs)
                d = [pa[s] - pb[s] for s in common]
                rows.append({"space": space, "search": "PSNR only - frozen (paired by seed)", "seeds": " ".join(map(str, common)),
                             "sampled PSNR, first -> last controller epoch": f"last epoch {np.mean(d):+.3f} dB; PSNR-only higher in {sum(x > 0 for x in d)}/{len(d)} seeds"})
    return rows


def plugin_sections(runs: Sequence[dict[str, Any]], probes: Sequence[dict[str, Any]], scale: int = 2) -> list[ReportSection]:
    """Every plugin's own diagnostics (``Method.report_sections``), in listing order, each given only its
    own groups of full runs and of search probes."""
    run_groups, probe_groups = group_records(runs, PROFILE, scale), group_records(probes, PROFILE, scale)
    out: list[ReportSection] = []
    for cls in method_classes():
        mine = lambda groups: [g for g in groups if g.method == cls.name]  # noqa: E731
        out += cls().report_sections(mine(run_groups), mine(probe_groups))
    return out


def _budget_key(g: Group) -> tuple[int, int]:
    b = g.records[0]["search_info"]["budget"]
    return int(b["weight_lr_pixels"]), int(b["arch_steps"])


def ladder_rows(runs: Sequence[dict[str, Any]], probes: Sequence[dict[str, Any]], scale: int = 2) -> tuple[list[dict[str, Any]], list[str]]:
    """Each space's own search (``default`` variant) at every budget on record -- the comparison's row and the
    budget-ladder probes -- and its other probe variants (e.g. HiNAS without the architecture weight decay),
    with their signal against the sampler's exact chance agreement (the random-architecture row's config).

    A rung *shows signal* when its search is not inert (it moved, and its distributions are not near-uniform)
    and its seeds agree on more decisions than two uniform draws of the space's sampler do, by more than two
    leave-one-seed-out jackknife SEs (:func:`srnas.harness.reporting.compare.agreement_vs_chance`; the random-
    architecture seeds' own agreement only where the sampler's chance is unknown): moving alone is not selection
    (a controller updated by pure noise also moves). Returns the table rows and one line per space naming the
    smallest budget from which the signal holds (``default`` rungs only: a probe variant changes the search).
    """
    run_groups, probe_groups = group_records(runs, PROFILE, scale), group_records(probes, PROFILE, scale)
    rows: list[dict[str, Any]] = []
    lines: list[str] = []
    for space in comparison_spaces():
        comparison, _ = pick_group(run_groups, space, "default")
        budgeted = [g for g in run_groups + probe_groups if g.method == space and all((r.get("search_info") or {}).get("budget") for r in g.records)]
        rungs = [g for g in budgeted if g.variant == "default"]
        variant_probes = sorted((g for g in budgeted if g.variant != "default" and g in probe_groups), key=lambda g: (g.variant, _budget_key(g)))
        if not rungs:
            continue
        rows_of = _rows_of(space)
        rand, _ = pick_group(run_groups, *rows_of["random architecture"])
        rsws, _ = pick_group(run_groups, *rows_of["RSWS"])
        pool = [r for g in [*rungs, rand, rsws] if g is not None for r in g.records]
        varying = varying_decisions(pool)
        chance = _chance(space, rand, scale, varying)
        judged = []
        for g in [*sorted(rungs, key=_budget_key), *variant_probes]:
            sig = search_signal(g.records)
            agree = agreement_vs_chance(g.records, rand.records, varying, chance) if rand is not None else None
            if sig is None:
                verdict = "not recorded"
            elif sig.inert:
                verdict = "inert"
            elif agree is None or agree.above_chance is None:
                verdict = "moved; no chance level yet" if rand is None else "moved; too few seeds to judge agreement"
            else:
                verdict = "yes" if agree.above_chance else "moved, agreement within chance"
            if g.variant == "default":
                judged.append((g, verdict))
            rows.append({
                "space": space, "source": "comparison row" if g is comparison else "probe" if g.variant == "default" else f"probe: {g.variant}",
                "config": g.config_hash, "seeds": " ".join(map(str, g.seeds)),
                "search budget": search_budget_text(g),
                "moved": "–" if sig is None else f"{sig.moved}/{sig.seeds}",
                "final entropy (min)": "" if sig is None or sig.entropy is None else f"{sig.entropy:.4f}",
                "agreement / chance (± 2 SE)": "–" if agree is None else agree.fmt(),
                "params / random arch": "–" if rand is None else _ratio(g.mean_of(("cost", "params")), rand.mean_of(("cost", "params"))),
                "signal": verdict,
            })
        lines.append(_smallest_line(space, judged, rand is not None))
    return rows, lines


def _smallest_line(space: str, judged: Sequence[tuple[Group, str]], have_chance: bool) -> str:
    """The smallest budget from which every larger budget on record also shows signal (a single rung above
    chance between two at chance is seed noise, not a threshold)."""
    text = search_budget_text
    if not have_chance:
        return f"**{space}**: no random-architecture row yet, so no chance level to judge against."
    ok = [v == "yes" for _, v in judged]
    if not any(ok):
        return f"**{space}**: no budget on record shows signal (largest: {text(judged[-1][0])})."
    start = len(ok)
    while start > 0 and ok[start - 1]:
        start -= 1
    if start == len(ok):
        yes = [text(g) for g, v in judged if v == "yes"]
        return (f"**{space}**: signal is not stable across budgets: above chance at {'; '.join(yes)}, but not at the "
                f"largest ({text(judged[-1][0])}); the search does not reliably select at these budgets.")
    g = judged[start][0]
    return f"**{space}**: signal from {text(g)} up ({len(g.records)} seeds at that budget)."


def render_diagnostics(runs: Sequence[dict[str, Any]], probes: Sequence[dict[str, Any]], scale: int = 2) -> str:
    ladder, smallest = ladder_rows(runs, probes, scale)
    return "\n".join([
        "## Search-budget ladder: the smallest budget at which each search shows signal", "",
        "Each method's own search at every budget on record: the comparison's row and search probes (final training",
        "cut to one step), then its probe variants (\"probe: <variant>\", each a changed search, e.g. HiNAS without",
        "its architecture weight decay; the plugin READMEs say what each changes). Agreement: mean pairwise share of",
        "the decisions that vary in the space, across seeds; chance: the sampler's exact chance level (2,000 pairs of",
        "uniform draws), ± 2 leave-one-seed-out jackknife SEs of the row's agreement. Signal: not inert (the decoding",
        "moved and the distributions are not near-uniform) and agreement above chance by more than that margin; moving",
        "alone is not selection. Probes have 2-3 seeds (1-3 pairs), so only a large margin counts; a threshold is named",
        "only from the default search's rungs, where every larger budget on record shows signal too. Params / random",
        "arch: a search can select on cost alone (smaller nets) without converging on particular decisions; that",
        "column shows it.", "",
        _md(ladder), "", *[f"- {line}" for line in smallest], "",
        "## Does accuracy move the RL searches? (search probes)", "",
        "The same search with a PSNR-only reward and with a frozen controller (learning rate 0), same seeds. If",
        "accuracy moves the search, the trained controller samples architectures of higher validation PSNR than the",
        "frozen one. Derivation spread / noise: best-minus-worst candidate PSNR vs the median paired standard error of",
        "a candidate difference on the same held-out tiles (src/srnas/nas/separation.py).", "",
        _md(rl_rows(probes, scale)), "",
        *[line for section in plugin_sections(runs, probes, scale) for line in (f"## {section.title}", "", *section.intro, "", _md(section.rows), "")],
    ])
