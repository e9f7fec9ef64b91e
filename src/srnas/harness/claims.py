"""The claims ledger: every published claim on file, measured where the suite can, with a verdict each.

Two data files hold the claims (``benchmarks/``): ``reported.csv`` (PSNR/SSIM cells, one per paper
table cell) and ``claims.csv`` (parameter counts, Mult-Adds, search cost, memory, speed). This module turns
each into one or more :class:`Verdict` objects:

- a PSNR/SSIM cell is judged from ``paper``-profile run records under the paper's own evaluation preset
  *and* under ``canonical``, side by side; when one preset reproduces the number and the other does not,
  the other is ``not reproducible as stated`` with the reason (the number was made with another protocol);
- sizes are measured by building the published (or searched) architecture; memory by the cell-sharing
  benchmark with its analytic ceiling; search cost only from search wall time recorded on a GPU.

A claim without a measurement is never judged ("no measurement yet", with what is missing); a claim the
paper prints no number for says so ("no reported number on file"). Nothing here is ever filled in from
another source or guessed.
"""
from __future__ import annotations

import json
import re
import statistics
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd

from srnas.harness.env import REPO_ROOT
from srnas.harness.reported import ReportedError, validate

CLAIMS_CSV = REPO_ROOT / "benchmarks" / "claims.csv"
CLAIMS_SCHEMA = REPO_ROOT / "benchmarks" / "claims.schema.json"
JUDGED_PROFILE = "paper"

REPRODUCED = "reproduced"
BELOW, ABOVE = "below", "above"
NOT_AS_STATED = "not reproducible as stated"
NO_MEASUREMENT = "no measurement yet"
NO_REPORTED = "no reported number on file"
VERDICTS = (REPRODUCED, BELOW, ABOVE, NOT_AS_STATED, NO_MEASUREMENT, NO_REPORTED)
DEFAULT_TOLERANCE = {"psnr": 0.1, "ssim": 0.002}
_EPS = 1e-9


@dataclass
class Verdict:
    """One judged claim (for a PSNR/SSIM cell: one per protocol preset it is judged under)."""

    claim_id: str
    paper: str
    source: str
    kind: str
    subject: str
    reported: Any
    measured: Any
    unit: str
    tolerance: str
    verdict: str
    reason: str = ""
    protocol: str | None = None
    expect: bool = False
    scale: int | None = None
    base_id: str = ""  # the claim this verdict belongs to (several presets judge one PSNR/SSIM cell)
    cited: bool = False  # a number of a method the suite has no plugin for: listed, never measurable

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        out.pop("base_id")
        out.pop("cited")
        return out


# --------------------------------------------------------------------------------------------------- data

def load_claims(path: str | Path | None = None) -> pd.DataFrame:
    """The validated claims CSV (strings as printed, blank = empty string)."""
    csv = Path(path or CLAIMS_CSV)
    if not csv.is_file():
        raise ReportedError(f"{csv}: claims file not found (it ships in benchmarks/; restore it with git checkout)")
    frame = pd.read_csv(csv, dtype=str, keep_default_na=False)
    validate(frame, json.loads(CLAIMS_SCHEMA.read_text()), str(csv))
    return frame


def _num(text: str) -> float | None:
    return float(text) if text not in ("", None) else None


def paper_key(paper: str) -> str:
    """'HiNAS (Zhang et al., ...)' -> 'hinas'."""
    return re.split(r"[\s(]", paper.strip(), maxsplit=1)[0].lower()


def cell_id(row: pd.Series, metric: str) -> str:
    variant = f"[{row['variant']}]" if row["variant"] else ""
    return f"{paper_key(row['paper'])}/{row['method']}{variant}/x{row['scale']}/{row['dataset']}/{metric}"


# ------------------------------------------------------------------------------------------- judging core

def judge_value(measured: float, low: float, high: float) -> str:
    """``reproduced`` inside [low, high] (float slack), else ``below``/``above``."""
    if measured < low - _EPS:
        return BELOW
    if measured > high + _EPS:
        return ABOVE
    return REPRODUCED


def bounds(reported: float, high: float | None, tolerance: float, mode: str) -> tuple[float, float]:
    if mode == "range":
        return reported, high if high is not None else reported
    slack = tolerance * abs(reported) if mode == "rel" else tolerance
    return reported - slack, reported + slack


# ---------------------------------------------------------------------------------- PSNR / SSIM cells

def suite_labels() -> dict[tuple[str, str], tuple[str, str]]:
    """(paper label lower-cased, reported variant) -> (registered method, its variant)."""
    from srnas.methods import get_method, list_methods

    out: dict[tuple[str, str], tuple[str, str]] = {}
    for name in list_methods():
        method = get_method(name)
        if not method.paper_label:
            continue
        for variant in method.variants():
            rv = method.reported_variant(variant)
            out.setdefault((method.paper_label.lower(), rv or ""), (name, variant))
    return out


def _matching_records(records: Sequence[dict], method: str, variant: str, scale: int, preset: str, dataset: str) -> list[dict]:
    """The seeds of one configuration that measured this cell: paper profile, this preset, no self-ensemble.
    Several configurations -> the one with most seeds (then the lexically last config hash), never a mix."""
    groups: dict[str, list[dict]] = {}
    for r in records:
        ev = r.get("config", {}).get("eval", {})
        if (r["method"], r["variant"], r["scale"], r["profile"]) != (method, variant, scale, JUDGED_PROFILE):
            continue
        if ev.get("protocol") != preset or ev.get("self_ensemble") or dataset not in r.get("metrics", {}):
            continue
        groups.setdefault(r["config_hash"], []).append(r)
    if not groups:
        return []
    return max(groups.items(), key=lambda kv: (len(kv[1]), kv[0]))[1]


def judge_cells(reported: pd.DataFrame, records: Sequence[dict], tolerance: dict[str, float] | None = None) -> list[Verdict]:
    """Every PSNR/SSIM cell of ``reported.csv`` under its paper's preset and under ``canonical``."""
    tol = {**DEFAULT_TOLERANCE, **(tolerance or {})}
    labels = suite_labels()
    out: list[Verdict] = []
    for _, row in reported.iterrows():
        scale = int(row["scale"])
        presets = list(dict.fromkeys([p for p in (row["protocol"], "canonical") if p]))
        suite = labels.get((row["method"].lower(), row["variant"]))
        for metric in ("psnr", "ssim"):
            base = cell_id(row, metric)
            rep = _num(row[metric])
            common = dict(paper=row["paper"], source=row["source_table"], kind=metric,
                          subject=f"{row['method']}{' (' + row['variant'] + ')' if row['variant'] else ''} x{scale} {row['dataset']}",
                          reported=rep, unit="dB" if metric == "psnr" else "SSIM", tolerance=f"±{tol[metric]}",
                          expect=row["expect"] == "reproduce", scale=scale, base_id=base)
            if suite is None:
                out.append(Verdict(claim_id=base, measured=None, verdict=NO_MEASUREMENT if rep is not None else NO_REPORTED,
                                   reason=f"{row['method']} is not a plugin of this suite (a cited number)", cited=True, **common))
                continue
            method, variant = suite
            group: list[Verdict] = []
            for preset in presets:
                seeds = _matching_records(records, method, variant, scale, preset, row["dataset"])
                values = [float(r["metrics"][row["dataset"]][metric]) for r in seeds]
                measured = statistics.fmean(values) if values else None
                cid = f"{base}@{preset}"
                if rep is None:
                    v, reason = NO_REPORTED, "the paper prints no number for this cell"
                elif measured is None:
                    how = "srnas check --measure" if method == "bicubic" else "a GPU"
                    v, reason = NO_MEASUREMENT, (f"no `{JUDGED_PROFILE}`-profile record of {method}/{variant} x{scale} "
                                                 f"evaluated with the `{preset}` preset (needs {how})")
                else:
                    v = judge_value(measured, rep - tol[metric], rep + tol[metric])
                    sd = f" ± {statistics.stdev(values):.4f}" if len(values) > 1 else ""
                    reason = f"Δ {measured - rep:+.4f} ({len(values)} seed{'s' if len(values) > 1 else ''}{sd})"
                group.append(Verdict(claim_id=cid, measured=measured, verdict=v, reason=reason, protocol=preset, **common))
            _explain_presets(group)
            out.extend(group)
    return out


def _explain_presets(group: list[Verdict]) -> None:
    """When one preset reproduces a cell and another does not, the failure's reason is known: the printed
    number was computed under the reproducing protocol, not under the other one."""
    ok = [v for v in group if v.verdict == REPRODUCED]
    if not ok:
        return
    for v in group:
        if v.verdict in (BELOW, ABOVE):
            names = ", ".join(f"`{o.protocol}` (Δ {o.measured - o.reported:+.4f})" for o in ok)
            v.reason = (f"{v.verdict} by {v.measured - v.reported:+.4f} under `{v.protocol}`, but reproduced under {names}: "
                        f"the printed number was computed with that protocol, not with `{v.protocol}`")
            v.verdict = NOT_AS_STATED


# ------------------------------------------------------------------------------------- other claims

@dataclass
class Measurement:
    value: Any  # float, [low, high], or None
    reason: str = ""  # what was measured (or why nothing was)
    known_limit: str = ""  # a measured reason why the claim cannot hold as stated (turns below/above into NOT_AS_STATED)


@lru_cache(maxsize=None)
def _published_model(method: str, variant: str, scale: int):
    from srnas.harness.config import resolve_config
    from srnas.methods import get_method

    m = get_method(method)
    config = resolve_config(m, JUDGED_PROFILE, scale, variant)
    return m.build(m.fixed_genotype(config), scale, config)


def measure_published_params(row: pd.Series, records: Sequence[dict]) -> Measurement:
    from srnas.nas.flops import count_params

    n = count_params(_published_model(row["suite_method"], row["suite_variant"], int(row["scale"])))
    return Measurement(n / 1e3, f"{n:,} parameters of the published genotype as built by the suite")


def measure_published_macs(row: pd.Series, records: Sequence[dict]) -> Measurement:
    import torch

    from srnas.harness.runner import count_macs_at

    h, w = (int(v) for v in re.search(r"(\d+)x(\d+)", row["input_size"].split("x", 1)[1]).groups())
    macs = count_macs_at(_published_model(row["suite_method"], row["suite_variant"], int(row["scale"])), (h, w), torch.device("cpu"))
    return Measurement(macs / 1e9, f"{macs:,} MACs at {row['input_size']} (FlopCounterMode, MACs = FLOPs / 2)")


def measure_searched_params(row: pd.Series, records: Sequence[dict]) -> Measurement:
    from srnas.methods.hinas.method import params_at_paper_widths

    searched = [r for r in records if r["method"] == row["suite_method"] and r["variant"] == row["suite_variant"] and r.get("searched")]
    if not searched:
        return Measurement(None, f"no searched {row['suite_method']} genotype in the run records yet")
    scale = int(row["scale"])
    # one genotype per distinct search: reruns whose config differs only after the search (e.g. a fixed
    # decoder rule) find the same genotype for the same seed and must not count twice
    distinct = {(r["seed"], json.dumps(r["genotype"], sort_keys=True)): r for r in searched}
    sizes = sorted(params_at_paper_widths(r["genotype"], scale) / 1e3 for r in distinct.values())
    where = sorted({f"{r['profile']} x{r['config'].get('search', {}).get('search_scale') or r['scale']}" for r in searched})
    return Measurement([sizes[0], sizes[-1]],
                       f"{len(sizes)} distinct genotypes searched by this suite ({', '.join(where)} profile/search scale; "
                       f"{len(searched)} run records), built at the paper's final widths at x{scale}: " + ", ".join(f"{s:.1f}K" for s in sizes))


def measure_cell_sharing_memory(row: pd.Series, records: Sequence[dict]) -> Measurement:
    from srnas.harness.config import resolve_config
    from srnas.methods import get_method
    from srnas.methods.hinas.memory import cell_sharing_memory

    scale = int(row["scale"])
    config = resolve_config(get_method("hinas"), JUDGED_PROFILE, scale)
    model = config["model"]
    m = cell_sharing_memory(scale, model["search_filters"], model["layers"], model["search_stem_channels"], batch=1,
                            patch=config["search"].get("lr_patch", 64))
    s, p = m["shared"], m["per_level"]
    text = (f"saved-for-backward bytes of one step of the paper's SR search supernet (L={m['layers']}): "
            f"{p['saved_bytes'] / 2**20:.1f} MiB per-level vs {s['saved_bytes'] / 2**20:.1f} MiB shared = {m['ratio']:.2f}x")
    limit = ""
    if m["ceiling"] < float(row["reported"]):
        limit = (f"ceiling {p['cells']}/{s['cells']} = {m['ceiling']:.2f}x cell evaluations at L={m['layers']}: a cell runs once per "
                 f"incoming width path (3 only for an interior level), edge levels have fewer, and stems, projections and "
                 f"the head are shared by both modes, so no implementation of this supernet saves 3x")
    return Measurement(m["ratio"], text, limit)


def _gpu_search_hours(records: Sequence[dict], method: str, variant: str, scale: int | None) -> list[float]:
    return [r["timings_s"]["search"] / 3600 for r in records
            if (r["method"], r["variant"], r["profile"]) == (method, variant, JUDGED_PROFILE)
            and str(r.get("device", "")).startswith("cuda") and r.get("searched") and (scale is None or r["scale"] == scale)]


def measure_search_gpu_hours(row: pd.Series, records: Sequence[dict]) -> Measurement:
    scale = int(row["scale"]) if row["scale"] else None
    hours = _gpu_search_hours(records, row["suite_method"], row["suite_variant"], scale)
    if not hours:
        return Measurement(None, f"needs a GPU: no `{JUDGED_PROFILE}`-profile search of {row['suite_method']}/{row['suite_variant']} "
                                 "has run on CUDA yet")
    value = statistics.fmean(hours)
    if row["unit"] == "GPU-days":
        value /= 24
    return Measurement(value, f"mean search wall time of {len(hours)} GPU run(s); the paper's GPU: {row['gpu'] or 'unstated'}")


def measure_search_speedup(row: pd.Series, records: Sequence[dict]) -> Measurement:
    shared = _gpu_search_hours(records, "hinas", "default", None)
    per_level = _gpu_search_hours(records, "hinas", "per-level-cells", None)
    if not (shared and per_level):
        return Measurement(None, "needs a GPU: `paper`-profile searches of hinas/default and hinas/per-level-cells on CUDA")
    return Measurement(statistics.fmean(per_level) / statistics.fmean(shared), "ratio of mean GPU search wall times")


def measure_not_in_suite(row: pd.Series, records: Sequence[dict]) -> Measurement:
    return Measurement(None, f"{row['subject']} is not a plugin of this suite (quoted for context)")


MEASURES: dict[str, Callable[[pd.Series, Sequence[dict]], Measurement]] = {
    "published_params": measure_published_params,
    "published_macs": measure_published_macs,
    "searched_params": measure_searched_params,
    "cell_sharing_memory": measure_cell_sharing_memory,
    "search_gpu_hours": measure_search_gpu_hours,
    "search_speedup": measure_search_speedup,
    "not_in_suite": measure_not_in_suite,
}


def judge_claim(row: pd.Series, m: Measurement) -> Verdict:
    """One non-cell claim against its measurement."""
    rep, high = _num(row["reported"]), _num(row["reported_high"])
    tol = float(row["tolerance"])
    mode = row["tolerance_mode"]
    reported: Any = None if rep is None else ([rep, high] if mode == "range" else rep)
    tolerance = "range as printed" if mode == "range" else (f"±{tol:g} {row['unit']}" if mode == "abs" else f"±{tol:.0%}")
    base = dict(claim_id=row["claim_id"], paper=row["paper"], source=row["source"], kind=row["kind"], subject=row["subject"],
                reported=reported, measured=m.value, unit=row["unit"], tolerance=tolerance,
                expect=row["expect"] == "reproduce", scale=int(row["scale"]) if row["scale"] else None, base_id=row["claim_id"],
                cited=row["measure"] == "not_in_suite")
    if m.value is None:
        return Verdict(verdict=NO_MEASUREMENT if rep is not None else NO_REPORTED, reason=m.reason, **base)
    if rep is None:
        return Verdict(verdict=NO_REPORTED, reason=f"measured: {m.reason}", **base)
    low, up = bounds(rep, high, tol, mode)
    values = m.value if isinstance(m.value, list) else [m.value]
    states = {judge_value(v, low, up) for v in values}
    verdict = REPRODUCED if states == {REPRODUCED} else (BELOW if BELOW in states else ABOVE)
    reason = m.reason
    if verdict != REPRODUCED and m.known_limit:
        verdict, reason = NOT_AS_STATED, f"{m.reason}; {m.known_limit}"
    return Verdict(verdict=verdict, reason=reason, **base)


def judge_claims(claims: pd.DataFrame, records: Sequence[dict]) -> list[Verdict]:
    return [judge_claim(row, MEASURES[row["measure"]](row, records)) for _, row in claims.iterrows()]


# ------------------------------------------------------------------------------------------ the ledger

def ledger(reported: pd.DataFrame, claims: pd.DataFrame, records: Sequence[dict], tolerance: dict[str, float] | None = None) -> list[Verdict]:
    """Every claim on file, judged: PSNR/SSIM cells first (file order), then the other claims."""
    judged = [r for r in records if r.get("profile") == JUDGED_PROFILE or r.get("searched")]
    return judge_cells(reported, judged, tolerance) + judge_claims(claims, judged)


def unmet_expectations(verdicts: Iterable[Verdict]) -> list[str]:
    """Claims marked ``expect: reproduce`` that were measured but reproduced under no preset.

    A claim with no measurement yet is not a failure (nothing was judged); every other verdict is a
    finding, reported but never failing the check.
    """
    by_claim: dict[str, list[Verdict]] = {}
    for v in verdicts:
        if v.expect:
            by_claim.setdefault(v.base_id, []).append(v)
    failed = []
    for cid, vs in by_claim.items():
        measured = [v for v in vs if v.verdict not in (NO_MEASUREMENT, NO_REPORTED)]
        if measured and not any(v.verdict == REPRODUCED for v in measured):
            failed.append(cid)
    return failed


def counts(verdicts: Iterable[Verdict]) -> dict[str, int]:
    vs = list(verdicts)
    return {name: sum(v.verdict == name for v in vs) for name in VERDICTS}


def cross_paper_disagreements(reported: pd.DataFrame) -> list[dict[str, Any]]:
    """Cells (method, scale, dataset) that two papers print with different numbers."""
    rows: dict[tuple, list[pd.Series]] = {}
    for _, row in reported.iterrows():
        if row["variant"]:
            continue
        rows.setdefault((row["method"].lower(), int(row["scale"]), row["dataset"]), []).append(row)
    out = []
    for (method, scale, dataset), group in sorted(rows.items()):
        papers = {paper_key(r["paper"]) for r in group}
        if len(papers) < 2:
            continue
        values = {(r["psnr"], r["ssim"]) for r in group}
        out.append({"method": group[0]["method"], "scale": scale, "dataset": dataset, "agree": len(values) == 1,
                    "by_paper": {paper_key(r["paper"]): f"{r['psnr']} / {r['ssim'] or '—'}" for r in group}})
    return out
