"""What a claim measure returns, and the helpers every measure shares, for the harness's own measures and
for the ones plugins contribute (``Method.measures``).

A published claim other than a PSNR/SSIM cell (a parameter count, a memory saving, a search cost) is judged
from a :class:`Measurement`. Measures specific to one paper live in its plugin's folder and reach the claims
ledger through the registry, so the harness never names a plugin; this module sits below both.
"""
from __future__ import annotations

import re
import statistics
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

#: the profile whose records are judged against the papers
JUDGED_PROFILE = "paper"


@dataclass
class Measurement:
    value: Any  # float, [low, high], or None
    reason: str = ""  # what was measured (or why nothing was)
    known_limit: str = ""  # a measured reason why the claim cannot hold as stated (turns below/above into NOT_AS_STATED)
    hardware_mismatch: bool = False  # measured, but only on other hardware than the claim's (never compared raw)


@dataclass(frozen=True)
class MeasureContext:
    """What a plugin measure may ask of the harness without importing it: the resolved ``paper``-profile
    config of the claim's plugin, for a variant at a scale."""

    config: Callable[[str, int], dict[str, Any]]


#: a plugin's claim measure: (claims row, run records, context) -> Measurement
PluginMeasure = Callable[[Mapping[str, Any], Sequence[dict], MeasureContext], Measurement]


def gpu_class(name: str) -> str:
    """A GPU model name reduced to what identifies the model: ``"1x GTX 1080Ti"`` and ``"NVIDIA GeForce GTX
    1080 Ti"`` both -> ``"gtx1080ti"``; counts, vendor and brand words are dropped."""
    text = re.sub(r"^\s*\d+\s*x\s*", "", name.lower())
    text = re.sub(r"\b(nvidia|geforce|tesla|pcie|sxm\d?|\d+\s*gb)\b", "", text)
    return re.sub(r"[^a-z0-9]", "", text)


def gpu_searches(records: Sequence[dict], method: str, variant: str, scale: int | None) -> list[tuple[float, str]]:
    """(search hours, GPU model) of every ``paper``-profile search that ran on CUDA."""
    return [(r["timings_s"]["search"] / 3600, str((r.get("env") or {}).get("gpu") or "an unnamed CUDA device")) for r in records
            if (r["method"], r["variant"], r["profile"]) == (method, variant, JUDGED_PROFILE)
            and str(r.get("device", "")).startswith("cuda") and r.get("searched") and (scale is None or r["scale"] == scale)]


def same_hardware(runs: list[tuple[float, str]], claimed_gpu: str) -> tuple[list[float], str]:
    """The hours measured on the claim's GPU model, and a sentence on the runs left out (other models)."""
    want = gpu_class(claimed_gpu) if claimed_gpu and claimed_gpu != "unstated" else ""
    same = [h for h, g in runs if want and gpu_class(g) == want]
    others: dict[str, list[float]] = {}
    for h, g in runs:
        if not (want and gpu_class(g) == want):
            others.setdefault(g, []).append(h)
    note = "; ".join(f"{statistics.fmean(hs):.2f} h mean over {len(hs)} run(s) on {g}" for g, hs in sorted(others.items()))
    return same, note
