"""Search diagnostics of the comparison: the smallest search budget at which each search shows signal, does
accuracy move the RL searches, does HNAS's lambda reach the derived net, and where do Trilevel's cost weights
sit on the accuracy/cost front.

Rendered under the comparison (``srnas table --compare``) from ``compare``-profile records: the Trilevel
sweep from full runs, the RL and lambda diagnostics from search probes (``results/probes``: final training
cut to one step, so their PSNRs are search-time validation numbers, never results).
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from srnas.harness.aggregate import Group, group_records
from srnas.harness.compare import SPACES, _ratio, agreement_vs_chance, pick_group, varying_decisions
from srnas.harness.signal import search_signal
from srnas.harness.stats import mean_ci
from srnas.harness.tables import search_budget_text

PROFILE = "compare"
#: (space, row label, variant): a PSNR-only reward and the same search whose controller never updates
RL_PAIRS = {"hnas": (("PSNR only (lambda = 1)", "psnr-only"), ("frozen controller", "frozen-controller")),
            "deconas": (("PSNR only (penalty 0)", "penalty-0"), ("frozen controller", "frozen-controller"))}


def _md(rows: list[dict[str, Any]]) -> str:
    return pd.DataFrame(rows).fillna("").to_markdown(index=False, disable_numparse=True) if rows else "_no runs yet_"


def _controller_rows(info: dict[str, Any], space: str) -> list[dict[str, Any]]:
    key = "psnr" if space == "hnas" else "val_psnr"
    return [h for h in info.get("history", []) if key in h]


def _sampled(info: dict[str, Any], space: str) -> tuple[float, float, float]:
    """(first, last) controller epoch's mean sampled PSNR and the last epoch's mean sampled cost."""
    rows = _controller_rows(info, space)
    key, cost = ("psnr", "macs") if space == "hnas" else ("val_psnr", "p_cb")
    return rows[0][key], rows[-1][key], rows[-1][cost]


def _derived(info: dict[str, Any], space: str) -> tuple[float, float]:
    """(validation PSNR, cost) of the derived architecture at search time."""
    if space == "hnas":
        best = max(info["candidates"], key=lambda c: c.get("reward", c["score_psnr"]))
        return best["score_psnr"], info["derived_macs_search_width"]
    return info["derived"]["val_psnr"], info["derived"]["p_cb"]


def rl_rows(records: Sequence[dict[str, Any]], scale: int = 2) -> list[dict[str, Any]]:
    groups = group_records(records, PROFILE, scale)
    rows = []
    for space, pairs in RL_PAIRS.items():
        cost_name = "MACs (search width)" if space == "hnas" else "P_cb"
        found = {label: pick_group(groups, space, variant)[0] for label, variant in pairs}
        for label, g in found.items():
            if g is None:
                continue
            infos = [r["search_info"] for r in g.records]
            sampled = np.array([_sampled(i, space) for i in infos])
            derived = np.array([_derived(i, space) for i in infos])
            noise = [i["validation_noise"] for i in infos if i.get("validation_noise")]
            sig = search_signal(g.records)
            rows.append({
                "space": space, "search": f"{label} ({g.variant})", "seeds": " ".join(map(str, g.seeds)),
                "sampled PSNR, first -> last controller epoch": f"{sampled[:, 0].mean():.3f} -> {sampled[:, 1].mean():.3f}",
                f"sampled {cost_name}, last epoch": f"{sampled[:, 2].mean():,.3f}" if space == "deconas" else f"{sampled[:, 2].mean():,.0f}",
                "derived: val PSNR": f"{derived[:, 0].mean():.3f}",
                f"derived: {cost_name}": f"{derived[:, 1].mean():,.3f}" if space == "deconas" else f"{derived[:, 1].mean():,.0f}",
                "derivation spread / noise (dB)": "–" if not noise else f"{np.median([n['spread_db'] for n in noise]):.3f} / {np.median([n['noise_db'] for n in noise]):.3f}",
                "greedy decoding": "not recorded" if sig is None else sig.label,
            })
        a, b = (found[label] for label, _ in pairs)
        if a is not None and b is not None:
            common = sorted(set(a.seeds) & set(b.seeds))
            if common:
                pa = {r["seed"]: _sampled(r["search_info"], space)[1] for r in a.records}
                pb = {r["seed"]: _sampled(r["search_info"], space)[1] for r in b.records}
                d = [pa[s] - pb[s] for s in common]
                rows.append({"space": space, "search": "PSNR only - frozen (paired by seed)", "seeds": " ".join(map(str, common)),
                             "sampled PSNR, first -> last controller epoch": f"last epoch {np.mean(d):+.3f} dB; PSNR-only higher in {sum(x > 0 for x in d)}/{len(d)} seeds"})
    return rows


def lambda_rows(records: Sequence[dict[str, Any]], scale: int = 2) -> list[dict[str, Any]]:
    groups = group_records(records, PROFILE, scale)
    rows = []
    for g in groups:
        if g.method != "hnas" or not g.variant.startswith("lambda-"):
            continue
        derived = [r["search_info"]["derived_macs_search_width"] for r in g.records]
        final = [r["cost"]["macs"][0]["macs_per_lr_pixel"] for r in g.records]
        rows.append({"lambda": g.records[0]["config"]["search"]["lambda"],
                     "derivation ranks by": g.records[0]["config"]["options"].get("derive_score", "psnr"),
                     "seeds": " ".join(map(str, g.seeds)),
                     "derived MACs at search width, mean (range)": f"{np.mean(derived) / 1e6:.2f} M ({min(derived) / 1e6:.2f}–{max(derived) / 1e6:.2f})",
                     "final net MACs / LR px": f"{np.mean(final):,.0f}"})
    return sorted(rows, key=lambda r: (r["derivation ranks by"], r["lambda"]))


def pareto_flags(points: Sequence[tuple[float, float]]) -> list[bool]:
    """True for points (cost, psnr) no other point dominates (<= cost and >= psnr, one strictly)."""
    out = []
    for i, (c, p) in enumerate(points):
        dominated = any((c2 <= c and p2 >= p) and (c2 < c or p2 > p) for j, (c2, p2) in enumerate(points) if j != i)
        out.append(not dominated)
    return out


def trilevel_rows(records: Sequence[dict[str, Any]], scale: int = 2, focus: str = "B100") -> list[dict[str, Any]]:
    groups = [g for g in group_records(records, PROFILE, scale) if g.method == "trilevel" and (g.variant.startswith("cost-") or g.variant == "no-cost")]
    pts = []
    for g in groups:
        w = float(g.records[0]["config"]["search"].get("cost_weight", 0.0))
        macs = [r["cost"]["macs"][0]["macs_per_lr_pixel"] for r in g.records]
        psnr = g.values(focus, "psnr")
        if psnr:
            pts.append((w, g, macs, psnr))
    pts.sort(key=lambda t: t[0])
    flags = pareto_flags([(float(np.mean(m)), float(np.mean(p))) for _, _, m, p in pts])
    rows = []
    for (w, g, macs, psnr), front in zip(pts, flags):
        rows.append({"cost weight": f"{w:g}", "row": g.label, "seeds": " ".join(map(str, g.seeds)),
                     "params": f"{np.mean([r['cost']['params'] for r in g.records]) / 1e3:.1f}K",
                     "MACs / LR px (range)": f"{np.mean(macs):,.0f} ({min(macs):,.0f}–{max(macs):,.0f})",
                     f"PSNR {focus}": mean_ci(psnr).fmt(3), "on the front": "yes" if front else "dominated"})
    return rows


def _budget_key(g: Group) -> tuple[int, int]:
    b = g.records[0]["search_info"]["budget"]
    return int(b["weight_lr_pixels"]), int(b["arch_steps"])


def ladder_rows(runs: Sequence[dict[str, Any]], probes: Sequence[dict[str, Any]], scale: int = 2) -> tuple[list[dict[str, Any]], list[str]]:
    """Each space's own search (``default`` variant) at every budget on record -- the comparison's row and the
    budget-ladder probes -- with its signal against the random-architecture row's chance agreement.

    A rung *shows signal* when its search is not inert (it moved, and its distributions are not near-uniform)
    and its seeds agree on more decisions than uniformly drawn architectures do, by more than two standard errors
    of the difference (:func:`srnas.harness.compare.agreement_vs_chance`): moving alone is not selection
    (a controller updated by pure noise also moves). Returns the table rows and one line per space naming the
    smallest budget from which the signal holds.
    """
    run_groups, probe_groups = group_records(runs, PROFILE, scale), group_records(probes, PROFILE, scale)
    rows: list[dict[str, Any]] = []
    lines: list[str] = []
    for space in SPACES:
        comparison, _ = pick_group(run_groups, space, "default")
        rungs = [g for g in run_groups + probe_groups if g.method == space and g.variant == "default"
                 and all((r.get("search_info") or {}).get("budget") for r in g.records)]
        if not rungs:
            continue
        rand, _ = pick_group(run_groups, "random", f"{space}-random-arch")
        rsws, _ = pick_group(run_groups, "random", space)
        pool = [r for g in [*rungs, rand, rsws] if g is not None for r in g.records]
        varying = varying_decisions(pool)
        judged = []
        for g in sorted(rungs, key=_budget_key):
            sig = search_signal(g.records)
            agree = agreement_vs_chance(g.records, rand.records, varying) if rand is not None else None
            if sig is None:
                verdict = "not recorded"
            elif sig.inert:
                verdict = "inert"
            elif agree is None or agree.above_chance is None:
                verdict = "moved; no chance level yet" if rand is None else "moved; too few seeds to judge agreement"
            else:
                verdict = "yes" if agree.above_chance else "moved, agreement within chance"
            judged.append((g, verdict))
            rows.append({
                "space": space, "source": "comparison row" if g is comparison else "probe",
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
        "cut to one step). Agreement: mean pairwise share of the decisions that vary in the space, across seeds;",
        "chance: the same for the comparison's uniformly drawn architectures; ± 2 standard errors of their difference",
        "from the spread of the pairwise agreements. Signal: not inert (the decoding moved and the distributions are",
        "not near-uniform) and agreement above chance by more than that margin; moving alone is not selection. Probes",
        "have 3 seeds (3 pairs), so only a large margin counts; a threshold is named only where every larger budget",
        "on record shows signal too. Params / random arch: a search can select on cost alone (smaller nets) without",
        "converging on particular decisions; that column shows it.", "",
        _md(ladder), "", *[f"- {line}" for line in smallest], "",
        "## Trilevel: cost-weight sweep", "",
        "The comparison's search budget at each cost weight, the derived network keeping its one-phase weights (the",
        "method's own protocol: `options.final_weights: search`, no retraining); 'on the front': no other weight has",
        "fewer MACs and a higher mean PSNR. The comparison's Trilevel row uses 0.001 (retrained from scratch there).", "",
        _md(trilevel_rows(runs, scale)), "",
        "## Does accuracy move the RL searches? (search probes)", "",
        "The same search with a PSNR-only reward and with a frozen controller (learning rate 0), same seeds. If",
        "accuracy moves the search, the trained controller samples architectures of higher validation PSNR than the",
        "frozen one. Derivation spread / noise: best-minus-worst candidate PSNR vs the median paired standard error of",
        "a candidate difference on the same held-out tiles (src/srnas/nas/separation.py).", "",
        _md(rl_rows(probes, scale)), "",
        "## HNAS: does lambda reach the derived architecture? (search probes)", "",
        "The code derives by validation PSNR alone, so lambda acts only through the controller; `derive_score: reward`",
        "ranks the candidates by the search's own reward.", "",
        _md(lambda_rows(probes, scale)), "",
    ])
