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

from srnas.harness.execution.env import LEDGER_DIR
from srnas.measurement import JUDGED_PROFILE, Measurement, MeasureContext, gpu_class, gpu_searches, same_hardware  # noqa: F401 - gpu_class re-exported
from srnas.harness.reporting.reported import ReportedError, validate
from srnas.methods import method_trains

CLAIMS_CSV = LEDGER_DIR / "claims.csv"
CLAIMS_SCHEMA = LEDGER_DIR / "claims.schema.json"
CONSISTENCY_CSV = LEDGER_DIR / "consistency.csv"
CONSISTENCY_SCHEMA = LEDGER_DIR / "consistency.schema.json"
PAPERS_JSON = LEDGER_DIR / "papers.json"

REPRODUCED = "reproduced"
BELOW, ABOVE = "below", "above"
NOT_AS_STATED = "not reproducible as stated"
NO_MEASUREMENT = "no measurement yet"
NO_REPORTED = "no reported number on file"
#: a cell that ``canonical`` reproduces and the paper's own evaluation preset does not: the printed number is
#: the standard value, so the claim holds; the paper's evaluation code would not have printed it
CANONICAL_ONLY = "reproduced under canonical, not this preset"
#: a cost measured on another GPU model than the paper's: raw hours are never compared across hardware
OTHER_HARDWARE = "measured on other hardware"
#: paper-internal checks (a number the text states about the paper's own table)
CONSISTENT = "consistent with its own table"
INCONSISTENT = "text disagrees with its own table"
VERDICTS = (REPRODUCED, CANONICAL_ONLY, BELOW, ABOVE, NOT_AS_STATED, OTHER_HARDWARE, NO_MEASUREMENT, NO_REPORTED,
            CONSISTENT, INCONSISTENT)
DEFAULT_TOLERANCE = {"psnr": 0.1, "ssim": 0.002}
#: The gate on cells the suite expects to reproduce exactly (``expect: reproduce``: MATLAB bicubic), judged
#: under ``canonical`` only. The papers print PSNR to 0.01 dB and SSIM to 1e-4, so a correct transcription is
#: within 0.005 / 0.00005 of the exact value plus whatever the paper's own bicubic differed by; over the 32
#: bicubic cells on file the largest canonical deviation is 0.0133 dB and 0.0007 SSIM (results/verdicts.md
#: states the measured maxima). +-0.02 dB / +-0.001 passes all of them and fails an edit of 0.1 dB, which
#: the former rule (any preset within +-0.1 dB) let through: the presets differ by up to 0.19 dB.
GATE_TOLERANCE = {"psnr": 0.02, "ssim": 0.001}
GATE_PRESET = "canonical"
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
    suite: str = ""  # the plugin/variant that reruns this claim ("hinas/no-resl"), for a cell of the suite's own methods

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        out.pop("base_id")
        return out


# --------------------------------------------------------------------------------------------------- data

def _load_checked(path: str | Path, schema: Path, what: str) -> pd.DataFrame:
    """A claims-data CSV as printed (strings, blank = empty string), validated against its schema."""
    csv = Path(path)
    if not csv.is_file():
        raise ReportedError(f"{csv}: {what} file not found (it ships in benchmarks/; restore it with git checkout)")
    frame = pd.read_csv(csv, dtype=str, keep_default_na=False)
    validate(frame, json.loads(schema.read_text()), str(csv))
    return frame


def load_claims(path: str | Path | None = None) -> pd.DataFrame:
    """The validated claims CSV (sizes, Mult-Adds, search cost, memory); every row's measure is known."""
    frame = _load_checked(path or CLAIMS_CSV, CLAIMS_SCHEMA, "claims")
    check_measures(frame, path or CLAIMS_CSV)
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
    """(paper label lower-cased, reported variant) -> (registered method, its variant).

    Each plugin states which rows of the reported numbers its variants reproduce
    (:meth:`Method.reported_variants`), so a paper's ablation rows (HiNAS Tables 2, 5, 7, 9) are judged
    against the plugin's variants, and count among the suite's own claims.
    """
    from srnas.methods import get_method, list_methods

    out: dict[tuple[str, str], tuple[str, str]] = {}
    for name in list_methods():
        method = get_method(name)
        if not method.paper_label:
            continue
        for reported, variant in method.reported_variants().items():
            out.setdefault((method.paper_label.lower(), reported or ""), (name, variant))
    return out


def protocol_revision(preset: str) -> int:
    """The revision of an evaluation preset's definition (records made under an older one are stale)."""
    from srnas.protocol.metrics import PROTOCOLS

    return PROTOCOLS[preset].revision if preset in PROTOCOLS else 1


def matching_records(records: Sequence[dict], method: str, variant: str, scale: int, preset: str, dataset: str) -> list[dict]:
    """The seeds of one configuration that measured this cell: paper profile, this preset at its current
    revision, no self-ensemble. Several configurations -> the one with most seeds (then the lexically last
    config hash), never a mix."""
    groups: dict[str, list[dict]] = {}
    revision = protocol_revision(preset)
    for r in records:
        ev = r.get("config", {}).get("eval", {})
        if (r["method"], r["variant"], r["scale"], r["profile"]) != (method, variant, scale, JUDGED_PROFILE):
            continue
        if ev.get("protocol") != preset or ev.get("self_ensemble") or dataset not in r.get("metrics", {}):
            continue
        if int(ev.get("protocol_revision", 1)) != revision:
            continue
        groups.setdefault(r["config_hash"], []).append(r)
    if not groups:
        return []
    return max(groups.items(), key=lambda kv: (len(kv[1]), kv[0]))[1]


def cell_tolerance(metric: str, preset: str, expect: bool, tolerance: dict[str, float] | None = None) -> tuple[float, bool]:
    """(tolerance, gate) of one PSNR/SSIM cell: a cell the suite expects to reproduce, measured under
    :data:`GATE_PRESET`, gets the tight :data:`GATE_TOLERANCE` (the gate); every other cell the claim's."""
    tol = {**DEFAULT_TOLERANCE, **(tolerance or {})}
    gate = expect and preset == GATE_PRESET
    return (GATE_TOLERANCE[metric] if gate else tol[metric]), gate


def cell_verdict(measured: float, reported: float, metric: str, preset: str, expect: bool,
                 tolerance: dict[str, float] | None = None) -> str:
    """The one rule for a reported PSNR/SSIM cell, shared by the verdicts page and the tables:
    ``reproduced`` within :func:`cell_tolerance` of the printed number, else ``below``/``above``."""
    t, _ = cell_tolerance(metric, preset, expect, tolerance)
    return judge_value(measured, reported - t, reported + t)


def judge_cells(reported: pd.DataFrame, records: Sequence[dict], tolerance: dict[str, float] | None = None) -> list[Verdict]:
    """Every PSNR/SSIM cell of ``reported.csv`` under its paper's preset and under ``canonical``.

    A cell the suite expects to reproduce (``expect: reproduce``) is judged under ``canonical`` with the
    tight :data:`GATE_TOLERANCE`: that verdict is the gate. Its paper-preset verdict is a finding.
    """
    tol = {**DEFAULT_TOLERANCE, **(tolerance or {})}
    labels = suite_labels()
    out: list[Verdict] = []
    for _, row in reported.iterrows():
        scale = int(row["scale"])
        presets = list(dict.fromkeys([p for p in (row["protocol"], GATE_PRESET) if p]))
        suite = labels.get((row["method"].lower(), row["variant"]))
        expect = row["expect"] == "reproduce"
        for metric in ("psnr", "ssim"):
            base = cell_id(row, metric)
            rep = _num(row[metric])
            common = dict(paper=row["paper"], source=row["source_table"], kind=metric,
                          subject=f"{row['method']}{' (' + row['variant'] + ')' if row['variant'] else ''} x{scale} {row['dataset']}",
                          reported=rep, unit="dB" if metric == "psnr" else "SSIM", scale=scale, base_id=base)
            if suite is None:
                out.append(Verdict(claim_id=base, measured=None, verdict=NO_MEASUREMENT if rep is not None else NO_REPORTED,
                                   reason=f"{row['method']} is not a plugin of this suite (a cited number)", cited=True,
                                   tolerance=f"±{tol[metric]}", expect=expect, **common))
                continue
            method, variant = suite
            group: list[Verdict] = []
            for preset in presets:
                t, gate = cell_tolerance(metric, preset, expect, tol)
                seeds = matching_records(records, method, variant, scale, preset, row["dataset"])
                values = [float(r["metrics"][row["dataset"]][metric]) for r in seeds]
                measured = statistics.fmean(values) if values else None
                cid = f"{base}@{preset}"
                if rep is None:
                    v, reason = NO_REPORTED, "the paper prints no number for this cell"
                elif measured is None:
                    # a method with nothing to train is measured on the CPU by `check --measure`; the others need a GPU run
                    how = "a GPU" if method_trains(method) else "srnas check --measure"
                    v, reason = NO_MEASUREMENT, (f"no `{JUDGED_PROFILE}`-profile record of {method}/{variant} x{scale} "
                                                 f"evaluated with the `{preset}` preset (needs {how})")
                else:
                    v = cell_verdict(measured, rep, metric, preset, expect, tol)
                    sd = f" ± {statistics.stdev(values):.4f}" if len(values) > 1 else ""
                    reason = f"Δ {measured - rep:+.4f} ({len(values)} seed{'s' if len(values) > 1 else ''}{sd})"
                group.append(Verdict(claim_id=cid, measured=measured, verdict=v, reason=reason, protocol=preset,
                                     tolerance=f"±{t}" + (" (gate)" if gate else ""), expect=gate, suite=f"{method}/{variant}", **common))
            _explain_presets(group, tol[metric])
            out.extend(group)
    return out


def presets_separated(a: float, b: float, tolerance: float) -> bool:
    """Whether two presets' measurements of one cell are told apart by the claim's tolerance: their
    +-tolerance intervals do not overlap. Only then can a printed number be attributed to one of them."""
    return abs(a - b) > 2 * tolerance + _EPS


def _explain_presets(group: list[Verdict], tolerance: float) -> None:
    """A cell that ``canonical`` reproduces and another preset does not is reproduced (the printed number is
    the standard value) but not under that preset: the verdict says so. That the paper *computed* it with
    canonical is claimed only when the two presets' measurements are separated by more than the tolerance;
    otherwise the reason says the evidence does not tell."""
    canon = [v for v in group if v.protocol == GATE_PRESET and v.verdict == REPRODUCED]
    if not canon:
        return
    ok = canon[0]
    for v in group:
        if v.verdict not in (BELOW, ABOVE):
            continue
        miss = f"{v.verdict} by {v.measured - v.reported:+.4f} under `{v.protocol}`; reproduced under `{ok.protocol}` (Δ {ok.measured - ok.reported:+.4f})"
        gap = v.measured - ok.measured
        if presets_separated(v.measured, ok.measured, tolerance):
            v.reason = (f"{miss}. The presets differ by {gap:+.4f}, more than twice the tolerance ±{tolerance}: the printed number "
                        f"was computed with `{ok.protocol}`'s protocol, not with the paper's own evaluation code")
        else:
            v.reason = (f"{miss}. The presets differ by only {gap:+.4f} (within twice the tolerance ±{tolerance}), so this does not "
                        "show which protocol produced the printed number")
        v.verdict = CANONICAL_ONLY


# ------------------------------------------------------------------------------------- other claims

@lru_cache(maxsize=None)
def _published_model(method: str, variant: str, scale: int):
    from srnas.harness.execution.config import resolve_config
    from srnas.methods import get_method

    m = get_method(method)
    config = resolve_config(m, JUDGED_PROFILE, scale, variant)
    return m.build(m.fixed_genotype(config), scale, config)


def unused_parameters(model) -> int:
    """Parameters no output depends on: weights a network builds but never uses.

    One forward and backward pass of a small input; a parameter outside the autograd graph gets no
    gradient. This asks the model's own graph (modules called directly or their weights used functionally,
    as the sliced DeCoNAS ops do), so it is independent of how the model's code describes itself."""
    import torch

    was = model.training
    model.eval()
    params = [p for p in model.parameters() if p.requires_grad]
    saved = [p.grad for p in params]
    try:
        for p in params:
            p.grad = None
        model(torch.rand(1, 3, 16, 16)).sum().backward()
        return sum(p.numel() for p in params if p.grad is None)
    finally:
        for p, g in zip(params, saved):
            p.grad = g
        model.train(was)


def _published_measure(row: pd.Series, name: str, fn: Callable[[], dict], *args: Any) -> dict:
    """A measure of a published model (params, MACs) that depends only on the code and the resolved config:
    read from srnas.measure_cache, recomputed when the plugin's code, the shared primitives or the config
    change (HNAS's MACs at 480x480 were half of every `srnas check`)."""
    from srnas.harness.execution.config import resolve_config
    from srnas.measure_cache import cached_measure, plugin_modules
    from srnas.methods import get_method

    method, variant, scale = row["suite_method"], row["suite_variant"], int(row["scale"])
    m = get_method(method)
    config = json.dumps(resolve_config(m, JUDGED_PROFILE, scale, variant), sort_keys=True, default=str)
    modules = plugin_modules(m, "srnas.harness.execution.config", "srnas.harness.execution.runner", "srnas.harness.reporting.claims")
    return cached_measure(name, lambda *_: fn(), (method, variant, scale, *args, config), modules)


def measure_published_params(row: pd.Series, records: Sequence[dict]) -> Measurement:
    from srnas.nas.flops import count_params

    def measure() -> dict:
        model = _published_model(row["suite_method"], row["suite_variant"], int(row["scale"]))
        return {"params": count_params(model), "unused": unused_parameters(model)}

    got = _published_measure(row, "published-params", measure)
    n, unused = got["params"], got["unused"]
    text = f"{n:,} parameters of the published genotype as built by the suite"
    if unused:
        text += (f"; {unused:,} of them are weights the network builds but never uses (no output depends on them: they get "
                 f"no gradient), so {n - unused:,} are used; the printed count includes the unused ones")
    return Measurement(n / 1e3, text)


def parse_input_size(text: str) -> tuple[int, int]:
    """The (H, W) of an input size as the claims file states it, ``NxCxHxW`` (e.g. ``1x3x480x480 (LR)``).

    Only the full form is accepted: a shorter one is ambiguous (``3x480`` is a channel count and a side,
    not a 3x480 image; reading it so made HNAS's Mult-Adds 160x too small)."""
    dims = [int(d) for d in re.findall(r"\d+", text.split("(")[0])]
    if len(dims) != 4 or dims[1] not in (1, 3):
        raise ReportedError(f"input size {text!r}: expected NxCxHxW with 1 or 3 channels (e.g. 1x3x480x480)")
    return dims[2], dims[3]


def measure_published_macs(row: pd.Series, records: Sequence[dict]) -> Measurement:
    h, w = parse_input_size(row["input_size"])

    def measure() -> dict:
        import torch

        from srnas.harness.execution.pipeline import count_macs_at

        model = _published_model(row["suite_method"], row["suite_variant"], int(row["scale"]))
        return {"macs": count_macs_at(model, (h, w), torch.device("cpu"))}

    macs = _published_measure(row, "published-macs", measure, h, w)["macs"]
    return Measurement(macs / 1e9, f"{macs:,} MACs at 1x3x{h}x{w} (LR) (FlopCounterMode, MACs = FLOPs / 2)")


def _search_scale(record: dict) -> int:
    return int((record.get("config", {}).get("search", {}) or {}).get("search_scale") or record["scale"])


def _inert(group: Sequence[dict]) -> tuple[bool | None, str]:
    """Whether one config's searches selected nothing: the search-signal label where the records carry the
    decodings, else the final distributions' entropy; None when neither was recorded."""
    from srnas.harness.reporting.signal import NEAR_UNIFORM, final_entropy, search_signal

    signal = search_signal(group)
    if signal is not None:
        return signal.inert, signal.label.split(": ", 1)[-1]
    ents = [final_entropy(r) for r in group]
    if ents and all(e is not None for e in ents):
        low = min(e for e in ents if e is not None)
        return low >= NEAR_UNIFORM, f"the final distributions stay near-uniform (normalised entropy >= {low:.4f} in every seed)"
    return None, ""


def measure_searched_params(row: pd.Series, records: Sequence[dict]) -> Measurement:
    """The size range of the genotypes the suite's searches found, as evidence for the paper's searched sizes.

    Only searches that could stand for the paper's count: searched at the claim's scale (or at the scale the
    paper's own schedule searches at, whose genotype the paper trains at every scale), and not inert (a
    search that selected nothing samples the space's size range, not the searched networks')."""
    from srnas.harness.execution.config import resolve_config
    from srnas.methods import get_method

    method, variant, scale = row["suite_method"], row["suite_variant"], int(row["scale"])
    searched = [r for r in records if r["method"] == method and r["variant"] == variant and r.get("searched")]
    if not searched:
        return Measurement(None, f"no searched {method} genotype in the run records yet")
    paper_scale = int(resolve_config(get_method(method), JUDGED_PROFILE, scale, variant)["search"].get("search_scale") or scale)
    scales = {scale, paper_scale}
    groups: dict[str, list[dict]] = {}
    for r in searched:
        groups.setdefault(r["config_hash"], []).append(r)
    usable, left = [], []
    for group in groups.values():
        where = f"{len(group)} from the {group[0]['profile']} profile, searched at x{_search_scale(group[0])}"
        if _search_scale(group[0]) not in scales:
            left.append(where)
            continue
        inert, why = _inert(group)
        if inert is None:
            left.append(f"{where} (its search signal was not recorded)")
        elif inert:
            left.append(f"{where} (inert: {why})")
        else:
            usable.extend(group)
    if not usable:
        return Measurement(None, f"no searched {method} genotype is evidence for this claim: it needs a search at "
                                 f"x{' or x'.join(map(str, sorted(scales)))} that is not inert; the "
                                 f"{len(searched)} searched run records on file are left out ({'; '.join(sorted(left))})")
    # one genotype per distinct search: reruns whose config differs only after the search (e.g. a fixed
    # decoder rule) find the same genotype for the same seed and must not count twice
    distinct = {(r["seed"], json.dumps(r["genotype"], sort_keys=True)): r for r in usable}
    plugin = get_method(method)
    counts = [plugin.paper_final_params(r["genotype"], scale) for r in distinct.values()]
    if any(c is None for c in counts):
        return Measurement(None, f"the {method} plugin states no size at the paper's final widths (Method.paper_final_params)")
    sizes = sorted(c / 1e3 for c in counts if c is not None)
    settings = sorted({f"{r['profile']} x{_search_scale(r)}" for r in usable})
    text = (f"{len(sizes)} distinct genotypes searched by this suite ({', '.join(settings)} profile/search scale; "
            f"{len(usable)} run records), built at the paper's final widths at x{scale}: " + ", ".join(f"{s:.1f}K" for s in sizes))
    if left:
        text += f"; left out: {'; '.join(sorted(left))}"
    return Measurement([sizes[0], sizes[-1]], text)


def measure_search_gpu_hours(row: pd.Series, records: Sequence[dict]) -> Measurement:
    scale = int(row["scale"]) if row["scale"] else None
    runs = gpu_searches(records, row["suite_method"], row["suite_variant"], scale)
    if not runs:
        return Measurement(None, f"needs a GPU: no `{JUDGED_PROFILE}`-profile search of {row['suite_method']}/{row['suite_variant']} "
                                 "has run on CUDA yet")
    hours, others = same_hardware(runs, row["gpu"])
    if not hours:
        claimed = (f"the paper ran on {row['gpu']}" if row["gpu"] and row["gpu"] != "unstated"
                   else "the paper does not state its GPU")
        return Measurement(None, f"measured {others}; {claimed}, and wall time is not compared across GPU models",
                           hardware_mismatch=True)
    value = statistics.fmean(hours)
    if row["unit"] == "GPU-days":
        value /= 24
    return Measurement(value, f"mean search wall time of {len(hours)} run(s) on the paper's GPU model ({row['gpu']})"
                       + (f"; not compared: {others}" if others else ""))


def measure_not_in_suite(row: pd.Series, records: Sequence[dict]) -> Measurement:
    return Measurement(None, f"{row['subject']} is not a plugin of this suite (quoted for context)")


MEASURES: dict[str, Callable[[pd.Series, Sequence[dict]], Measurement]] = {
    "published_params": measure_published_params,
    "published_macs": measure_published_macs,
    "searched_params": measure_searched_params,
    "search_gpu_hours": measure_search_gpu_hours,
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
        verdict = OTHER_HARDWARE if m.hardware_mismatch else NO_MEASUREMENT if rep is not None else NO_REPORTED
        return Verdict(verdict=verdict, reason=m.reason, **base)
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


def _plugin_config(method: str) -> MeasureContext:
    from srnas.harness.execution.config import resolve_config
    from srnas.methods import get_method

    return MeasureContext(lambda variant, scale: resolve_config(get_method(method), JUDGED_PROFILE, scale, variant))


def check_measures(claims: pd.DataFrame, where: str | Path = CLAIMS_CSV) -> None:
    """Every row names a measure the harness or its plugin provides; raised before any claim is judged."""
    for _, row in claims.iterrows():
        if row["measure"] in MEASURES:
            continue
        plugin_measures = plugin_measures_of(row["suite_method"])
        if row["measure"] not in plugin_measures:
            raise ReportedError(f"{where}: claim {row['claim_id']!r} names measure {row['measure']!r}, which neither the harness "
                                f"({', '.join(sorted(MEASURES))}) nor the {row['suite_method'] or '(blank)'} plugin "
                                f"({', '.join(sorted(plugin_measures)) or 'none'}) provides; fix its `measure` column")


def measure(row: pd.Series, records: Sequence[dict]) -> Measurement:
    """The row's measurement: one of the harness's :data:`MEASURES`, else a measure its plugin contributes
    (``Method.measures``), so a paper-specific measure lives in its plugin's folder."""
    if row["measure"] in MEASURES:
        return MEASURES[row["measure"]](row, records)
    return plugin_measures_of(row["suite_method"])[row["measure"]](row, records, _plugin_config(row["suite_method"]))


def plugin_measures_of(method: str) -> dict[str, Any]:
    """The claim measures a plugin contributes ({} for a blank or unknown method)."""
    from srnas.methods import get_method

    if not method:
        return {}
    try:
        return get_method(method).measures()
    except KeyError:
        return {}


def judge_claims(claims: pd.DataFrame, records: Sequence[dict]) -> list[Verdict]:
    check_measures(claims)
    return [judge_claim(row, measure(row, records)) for _, row in claims.iterrows()]


# ------------------------------------------------------------------------------ paper-internal consistency

def load_consistency(path: str | Path | None = None) -> pd.DataFrame:
    """The validated paper-internal consistency checks (``benchmarks/consistency.csv``)."""
    return _load_checked(path or CONSISTENCY_CSV, CONSISTENCY_SCHEMA, "consistency")


_CELL = re.compile(r"cell\(([^)]*)\)")


def _table_cell(reported: pd.DataFrame, paper: str, ref: str, where: str) -> float:
    parts = ref.split("|")
    if len(parts) != 5 or parts[4] not in ("psnr", "ssim"):
        raise ReportedError(f"{where}: cell({ref}) must be cell(METHOD|VARIANT|SCALE|DATASET|psnr or ssim)")
    method, variant, scale, dataset, metric = parts
    rows = reported[(reported["paper"] == paper) & (reported["method"] == method) & (reported["variant"] == variant)
                    & (reported["scale"] == scale) & (reported["dataset"] == dataset)]
    if len(rows) != 1 or rows.iloc[0][metric] == "":
        raise ReportedError(f"{where}: cell({ref}) names no {metric} number of {paper} in the reported numbers")
    return float(rows.iloc[0][metric])


def _arith(node: Any, where: str) -> float:
    """+ - * / abs over numbers: nothing else is evaluated."""
    import ast
    import operator

    ops = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv}
    if isinstance(node, ast.Expression):
        return _arith(node.body, where)
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
        return float(node.value)
    if isinstance(node, ast.BinOp) and type(node.op) in ops:
        return ops[type(node.op)](_arith(node.left, where), _arith(node.right, where))
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return -_arith(node.operand, where)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "abs" and len(node.args) == 1:
        return abs(_arith(node.args[0], where))
    raise ReportedError(f"{where}: table_expr may use numbers, cell(...), + - * / and abs() only")


def table_value(expr: str, reported: pd.DataFrame, paper: str, where: str) -> float:
    """The value of a consistency row's ``table_expr``: its cell(...) references read from the reported numbers."""
    import ast

    text = _CELL.sub(lambda m: repr(_table_cell(reported, paper, m.group(1), where)), expr)
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError:
        raise ReportedError(f"{where}: table_expr {expr!r} is not an arithmetic expression") from None
    return _arith(tree, where)


def judge_consistency(checks: pd.DataFrame, reported: pd.DataFrame) -> list[Verdict]:
    """Each number a paper's text states about its own tables, against the tables: consistent within the
    text's printing precision (or the stated 'about'), else the text disagrees with its own table."""
    out = []
    papers = set(reported["paper"])
    for i, row in checks.iterrows():
        where = f"{CONSISTENCY_CSV.name}:{int(i) + 2} ({row['claim_id']})"
        if "cell(" in row["table_expr"] and row["paper"] not in papers:
            continue  # a reported-numbers file without this paper (e.g. --reported of another set): nothing to check against
        value = table_value(row["table_expr"], reported, row["paper"], where)
        text, tol = float(row["text_value"]), float(row["tolerance"])
        ok = abs(text - value) <= tol + _EPS
        reason = f"the table gives {value:.4f} ({row['table_expr']}); the text states {row['text_value']}"
        if row["note"]:
            reason += f"; {row['note']}"
        out.append(Verdict(claim_id=row["claim_id"], paper=row["paper"], source=row["text_source"], kind="consistency",
                           subject=f"{row['text_source']}: \"{row['quote']}\" vs {row['table_source']}", reported=text,
                           measured=value, unit="", tolerance=f"±{tol:g}", verdict=CONSISTENT if ok else INCONSISTENT,
                           reason=reason, base_id=row["claim_id"]))
    return out


def papers_on_file(path: str | Path | None = None) -> dict[str, dict[str, Any]]:
    """Per plugin's paper: whether its result tables are on file, and why not (``benchmarks/papers.json``)."""
    return json.loads(Path(path or PAPERS_JSON).read_text())["papers"]


# ------------------------------------------------------------------------------------------ the ledger

def ledger(reported: pd.DataFrame, claims: pd.DataFrame, records: Sequence[dict], tolerance: dict[str, float] | None = None,
           consistency: pd.DataFrame | None = None) -> list[Verdict]:
    """Every claim on file, judged: PSNR/SSIM cells first (file order), then the other claims, then the
    papers' internal consistency (their text against their own tables)."""
    judged = [r for r in records if r.get("profile") == JUDGED_PROFILE or r.get("searched")]
    internal = judge_consistency(consistency, reported) if consistency is not None else []
    return judge_cells(reported, judged, tolerance) + judge_claims(claims, judged) + internal


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


def summary_line(verdicts: Sequence[Verdict], what: str) -> str:
    """'N verdicts <what>: a reproduced, b ...': the one sentence the page, the command and README share."""
    c = counts(verdicts)
    return f"{len(verdicts)} verdicts {what}: " + ", ".join(f"{n} {name}" for name, n in c.items() if n)


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
