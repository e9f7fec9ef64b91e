"""HNAS's diagnostics under the comparison page, read from the search info keys HNAS's search writes
(``methods/hnas/search.py``): the controller's sampled PSNR/MACs per controller epoch and the derivation's
candidates. The harness sees only the typed results (``ControllerReadout``, ``ReportSection``)."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from srnas.methods.base import ControllerProbes, ControllerReadout, RecordGroup, ReportSection
from srnas.methods.hnas.search import OPTIONAL

def controller_readout(info: dict[str, Any]) -> ControllerReadout:
    """Controller epochs are the history rows with ``psnr`` (the sampled architectures' mean validation
    PSNR) and ``macs``; the derived net is the best candidate by the reward (by PSNR in records before the
    reward was stored), whose MACs at the search width the search records."""
    rows = [h for h in info.get("history", []) if "psnr" in h]
    best = max(info["candidates"], key=lambda c: c.get("reward", c["score_psnr"]))
    return ControllerReadout(first_sampled_psnr=rows[0]["psnr"], last_sampled_psnr=rows[-1]["psnr"], last_sampled_cost=rows[-1]["macs"],
                             derived_psnr=best["score_psnr"], derived_cost=info["derived_macs_search_width"])


def lambda_section(probes: Sequence[RecordGroup]) -> ReportSection:
    """Does lambda reach the derived architecture? One row per ``lambda-*`` probe configuration."""
    rows = []
    for g in probes:
        if not g.variant.startswith("lambda-"):
            continue
        derived = [r["search_info"]["derived_macs_search_width"] for r in g.records]
        final = [r["cost"]["macs"][0]["macs_per_lr_pixel"] for r in g.records]
        rows.append({"lambda": g.records[0]["config"]["search"]["lambda"],
                     "derivation ranks by": OPTIONAL.read(g.records[0]["config"], "options.derive_score"),
                     "seeds": " ".join(map(str, g.seeds)),
                     "derived MACs at search width, mean (range)": f"{np.mean(derived) / 1e6:.2f} M ({min(derived) / 1e6:.2f}–{max(derived) / 1e6:.2f})",
                     "final net MACs / LR px": f"{np.mean(final):,.0f}"})
    return ReportSection(
        "HNAS: does lambda reach the derived architecture? (search probes)",
        ("The code derives by validation PSNR alone, so lambda acts only through the controller; `derive_score: reward`",
         "ranks the candidates by the search's own reward."),
        sorted(rows, key=lambda r: (r["derivation ranks by"], r["lambda"])))


PROBES = ControllerProbes(accuracy_only=("PSNR only (lambda = 1)", "psnr-only"), frozen=("frozen controller", "frozen-controller"),
                          cost_name="MACs (search width)", readout=controller_readout, cost_format=",.0f")
