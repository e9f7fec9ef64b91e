"""Search diagnostics of the comparison: does accuracy move the RL searches, does HNAS's lambda reach the
derived net, and where do Trilevel's cost weights sit on the accuracy/cost front.

Rendered under the comparison (``srnas table --compare``) from ``compare``-profile records: the Trilevel
sweep from full runs, the RL and lambda diagnostics from search probes (``results/probes``: final training
cut to one step, so their PSNRs are search-time validation numbers, never results).
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from srnas.harness.aggregate import group_records
from srnas.harness.compare import pick_group
from srnas.harness.signal import search_signal
from srnas.harness.stats import mean_ci

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


def render_diagnostics(runs: Sequence[dict[str, Any]], probes: Sequence[dict[str, Any]], scale: int = 2) -> str:
    return "\n".join([
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
