"""Trilevel's diagnostic under the comparison page: where its cost weights sit on the accuracy/cost front."""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from srnas.methods.base import RecordGroup, ReportSection
from srnas.stats import mean_ci, pareto_flags


def cost_weight_section(runs: Sequence[RecordGroup], focus: str = "B100") -> ReportSection:
    """One row per cost weight (``cost-*`` and ``no-cost`` variants, full runs), flagged on the front."""
    groups = [g for g in runs if g.variant.startswith("cost-") or g.variant == "no-cost"]
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
    return ReportSection(
        "Trilevel: cost-weight sweep",
        ("The comparison's search budget at each cost weight, the derived network keeping its one-phase weights (the",
         "method's own protocol: `options.final_weights: search`, no retraining); 'on the front': no other weight has",
         "fewer MACs and a higher mean PSNR. The comparison's Trilevel row uses 0.001 (retrained from scratch there)."),
        rows)
