"""Dry runs of a whole schedule: every phase at full shapes for a few steps, timed, then projected.

Every training loop of the suite (the shared trainer, the bilevel loop, the HNAS and DeCoNAS searches)
reports each step to ``ctx.progress(total, desc)``. In a dry run that bar is a :class:`StepTimer`: it
times ``warmup + steps`` steps (CUDA-synchronised on a GPU), then stops the loop with :class:`DryRunStop`.
The projection of a loop is the median timed step x its total steps, so no plugin needs to know it is
being dry-run. The result is a *projection* record, kept apart from run records and never judged.
"""
from __future__ import annotations

import statistics
import time
from typing import Any

import torch

from srnas.step_timer import DryRunStop, StepTimer  # noqa: F401 - re-exported: the dry run's vocabulary


def summarise(log: dict[str, Any]) -> dict[str, Any]:
    """Per loop: median step, data-loading share, projected wall time of the full loop."""
    out = {}
    for desc, e in log.items():
        steps = e["step_s"]
        if not steps:
            out[desc] = {"total_steps": e["total_steps"], "timed_steps": 0, "note": "finished before any timed step"}
            continue
        median = statistics.median(steps)
        out[desc] = {
            "total_steps": e["total_steps"], "timed_steps": len(steps), "median_step_s": median,
            "data_stall_fraction": min(1.0, e["data_s"] / sum(steps)) if sum(steps) else None,
            "projected_s": median * e["total_steps"],
        }
        if "plan" in e:  # stratified: every kind's median x its own count
            kinds = {k: _kind(c, e["kinds"].get(k, []), e.get("warmup_kinds", {}).get(k, []))
                     for k, c in e["plan"].items() if c}
            out[desc]["kinds"] = kinds
            out[desc]["projected_s"] = sum(v["median_step_s"] * v["count"] for v in kinds.values() if v["median_step_s"] is not None)
            untimed = [k for k, v in kinds.items() if v["median_step_s"] is None]
            notes = []
            if untimed:
                notes.append(f"not timed (projection excludes them): {', '.join(untimed)}")
            from_warmup = [k for k, v in kinds.items() if v.get("from_warmup")]
            if from_warmup:
                notes.append(f"projected from their warm-up step (an upper bound: the kind ran too few times to time it "
                             f"after one): {', '.join(from_warmup)}")
            if notes:
                out[desc]["note"] = "; ".join(notes)
    return out


def _kind(count: int, timed: list[float], warmup: list[float]) -> dict[str, Any]:
    """One step kind of a stratified loop: its count, its timed steps and their median. A kind that ran only its
    warm-up step (one that occurs once in the schedule, e.g. HiNAS's single validation without a checkpoint)
    is projected from that step, marked ``from_warmup``: it includes one-off costs, so it bounds from above
    rather than leaving the kind out of the projection (it once read "0 timed of 1" and counted nothing)."""
    if timed:
        return {"count": count, "timed_steps": len(timed), "median_step_s": statistics.median(timed)}
    if warmup:
        return {"count": count, "timed_steps": 0, "median_step_s": statistics.median(warmup), "from_warmup": True}
    return {"count": count, "timed_steps": 0, "median_step_s": None}


def _hr_pixels(name: str, data_root: Any) -> int | None:
    """Total HR pixels of an evaluation set (image headers only; Manga109 from its manifest's page sizes)."""
    from PIL import Image

    from srnas.datasets.loading import _hr_files, verify_hr
    from srnas.datasets.registry import get_spec, load_manifest

    manifest = load_manifest(name)
    if manifest.get("pages"):
        return sum(p["width"] * p["height"] for p in manifest["pages"])
    try:
        _, hr_dir = verify_hr(name, data_root, verify=False)
    except Exception:  # noqa: BLE001 - a set that is not here is projected as unknown
        return None
    total = 0
    for path in _hr_files(get_spec(name), hr_dir):
        with Image.open(path) as im:
            total += im.width * im.height
    return total


def _training_data(lazy: Any, data_root: Any) -> dict[str, Any] | None:
    """What a projection's loops ran on: the set, its image count, mean HR pixels, and whether the set is the
    synthetic DIV2K stand-in (``srnas data synth`` marks it, with its size). Validation and derivation inside the
    searches score tiles of these images, so a validation over every tile scales with the images' size: on the
    default stand-in (29x fewer pixels than DIV2K's frame) it is under-projected, on the frame-size stand-in and
    the real set it is DIV2K's own."""
    import json
    from pathlib import Path

    from srnas.datasets.loading import verify_hr
    from srnas.datasets.synth import STAND_IN_MARK

    described = lazy.describe()
    if described is None:
        return None
    source = lazy()
    pixels = [int(hr.shape[1]) * int(hr.shape[2]) for hr in source.hr]
    _, hr_dir = verify_hr(described["set"], data_root, verify=False)
    mark = Path(hr_dir).parent / STAND_IN_MARK
    stand_in = json.loads(mark.read_text()) if mark.is_file() else None
    return {**described, "mean_hr_pixels": sum(pixels) / len(pixels) if pixels else 0, "stand_in": stand_in}


def _project_eval(model: Any, config: dict[str, Any], scale: int, ctx: Any, data_root: Any, images: int) -> dict[str, Any]:
    """Seconds per HR pixel of forward + scoring on the first ``images`` images of the first evaluation set
    that is present, projected over every evaluation set's pixels."""
    from srnas.datasets import load_pairs
    from srnas.evaluate import module_upscaler
    from srnas.protocol.metrics import score_pair

    ev = config["eval"]
    upscale = module_upscaler(model, ctx.device, tile=ev.get("tile"))
    timed, pixels, used = 0.0, 0, None
    for name in ev["datasets"]:
        try:
            pairs = load_pairs(name, scale, ev["lr_source"], data_root=data_root)[:images]
        except Exception:  # noqa: BLE001 - e.g. Manga109 not supplied: try the next set
            continue
        for _, lr, hr in pairs:
            t = time.perf_counter()
            score_pair(upscale(lr), hr, scale, ev["protocol"])
            timed += time.perf_counter() - t
            pixels += hr.shape[0] * hr.shape[1]
        used = name
        break
    if not pixels:
        return {"note": "no evaluation set available to time"}
    per_px = timed / pixels
    sets = {name: _hr_pixels(name, data_root) for name in ev["datasets"]}
    return {"timed_on": f"{used}, {images} image(s)", "s_per_hr_pixel": per_px,
            "projected_s": {k: (v * per_px if v else None) for k, v in sets.items()},
            "projected_total_s": sum(v * per_px for v in sets.values() if v)}


def dry_run_method(name: str, scale: int, profile: str, variant: str = "default", overrides: Any = (), steps: int = 3,
                   data_root: Any = None, device: str = "cpu", results: Any = "results", seed: int = 0,
                   threads: int | None = None, loader: str = "inline") -> tuple[dict[str, Any], Any]:
    """Every phase of ``profile``'s schedule at full shapes for ``steps`` timed steps each; writes and
    returns the projection record (``RESULTS/projections/...``), never a run record."""
    import json
    import resource
    import tempfile
    from datetime import datetime, timezone
    from pathlib import Path

    import numpy as np

    from srnas.atomic import write_text_atomic
    from srnas.config import config_hash
    from srnas.context import RunContext
    from srnas.harness.execution.config import applied_defaults
    from srnas.harness.execution.env import git_state, provenance
    from srnas.harness.execution.pipeline import LazyTrainingData, build_phase, search_phase, train_phase, uses_search
    from srnas.harness.execution.runner import prepare, to_json
    from srnas.methods import plugin_provenance
    from srnas.methods.base import SearchResult
    from srnas.nas.flops import count_params
    from srnas.seeding import numerics_of, seed_everything

    if steps < 1:
        raise ValueError("--dry-run N needs N >= 1")
    # eval sets are not required: a missing one (Manga109) is projected from its manifest's page sizes
    git_at_start = git_state()  # the code this dry run times (a record read at the end once named later code)
    method, config, device = prepare(name, scale, profile, variant, overrides, data_root, device, results, threads, eval_sets=False)
    plugin = plugin_provenance(type(method))  # the plugin code this process loaded
    # a scratch run folder: the checkpoint steps a loop times really write their checkpoint (it is part of
    # their cost), and nothing is left behind
    scratch = tempfile.TemporaryDirectory(prefix="srnas-dry-run-")
    ctx = RunContext(run_dir=Path(scratch.name), device=device, quiet=True, dry_run=steps, loader=loader)
    if ctx.device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(ctx.device)
    seed_everything(seed, numerics=numerics_of(config))
    lazy = LazyTrainingData(config, data_root)
    load_t = time.perf_counter()
    data = lazy() if (method.trains or uses_search(method, config)) else None
    load_s = time.perf_counter() - load_t
    if data is not None:  # data time inside each timed loop -> its stall fraction (the source's parts report too)
        def add_data_time(seconds: float) -> None:
            if ctx.timer is not None:
                ctx.timer.entry["data_s"] += seconds

        data.observer = add_data_time
    notes = []
    result: SearchResult | None = None
    try:  # the run's own phases (harness.execution.pipeline); each loop stops itself after its timed steps
        result, _, _ = search_phase(method, config, seed, ctx, lazy)
    except DryRunStop:
        derives = any("derive" in (e.get("plan") or {}) for e in ctx.dry_log.values())
        notes.append("search stopped after its timed steps; " + (
            "its derivation's candidates were timed as the loop's 'derive' steps" if derives else
            "a derivation after the search loop that reports no steps of its own is not projected"))
        representative = method.representative_genotype(config, scale)
        if representative is not None:
            published, genotype = representative
            notes.append(f"final training timed on {published}, the paper's published architecture (the search was cut short)")
            result = SearchResult(genotype)
        else:
            space = method.search_space(config, scale)
            if space is not None:
                result = SearchResult(space.genotype(space.sample(np.random.default_rng(seed))))
                notes.append("final training timed on a genotype sampled from the space (the search was cut short)")
    model = None
    if result is not None:
        model = build_phase(method, result, config, seed, numerics_of(config), ctx.device)
        if result.model is None and method.trains:  # a one-phase search's model is trained by its search
            try:
                train_phase(method, model, config, seed, ctx, lazy)
            except DryRunStop:
                pass
    else:
        notes.append("no architecture to train or evaluate without a finished search (one-phase method): "
                     "training is the search loop, projected above")
    scratch.cleanup()
    loops = summarise(ctx.dry_log)
    evaluation = _project_eval(model.eval(), config, scale, ctx, data_root, images=steps) if model is not None else {}
    total = sum(v.get("projected_s", 0.0) for v in loops.values()) + evaluation.get("projected_total_s", 0.0)
    peak = (torch.cuda.max_memory_allocated(ctx.device) if ctx.device.type == "cuda"
            else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)
    chash = config_hash(config)
    record = {
        "kind": "projection", "method": name, "variant": variant, "scale": scale, "profile": profile, "config_hash": chash,
        "config": config, "defaults_applied": applied_defaults(method, config), "dry_run_steps": steps, "device": str(ctx.device), "loops": loops, "evaluation": evaluation,
        "data_load_s": load_s, "projected_total_s": total, "projected_total_hours": total / 3600,
        "peak_memory_bytes": peak, "peak_memory_kind": "torch.cuda.max_memory_allocated" if ctx.device.type == "cuda" else "process max RSS",
        "tf32": bool(torch.backends.cuda.matmul.allow_tf32) if ctx.device.type == "cuda" else None,
        "params": count_params(model) if model is not None else None, "notes": notes,
        "data_clock": "parts",  # the stall clock hears the split/at_scale parts a search draws from (the table's mark)
        "train_data": _training_data(lazy, data_root),  # stand-in or the real set: what validation was timed on
        **provenance(ctx.device, git_at_start, plugin),
    }
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    path = Path(results) / "projections" / name / variant / f"x{scale}" / profile / f"{ctx.device.type}-{chash}-{stamp}.json"
    write_text_atomic(path, json.dumps(to_json(record), indent=1, sort_keys=True))
    return record, path


def describe(record: dict[str, Any], path: Any) -> str:
    lines = [f"dry run of {record['method']}/{record['variant']} x{record['scale']} {record['profile']} on {record['device']} "
             f"({record['dry_run_steps']} timed steps per loop) -> {path}"]
    for desc, loop in record["loops"].items():
        if "projected_s" not in loop:
            continue
        if loop.get("kinds"):  # each kind's median x its own count
            times = ", ".join(f"{k} {v['count']:,} x {v['median_step_s']:.3f} s" for k, v in loop["kinds"].items()
                              if v["median_step_s"] is not None)
            lines.append(f"  {desc:<18} {loop['total_steps']:>9,} steps by kind ({times}) = {loop['projected_s'] / 3600:8.2f} h"
                         f"  (data stall {loop['data_stall_fraction']:.0%})")
        else:
            lines.append(f"  {desc:<18} {loop['total_steps']:>9,} steps x {loop['median_step_s']:.3f} s = {loop['projected_s'] / 3600:8.2f} h"
                         f"  (data stall {loop['data_stall_fraction']:.0%})")
    ev = record["evaluation"]
    if "projected_total_s" in ev:
        lines.append(f"  {'evaluation':<18} {ev['projected_total_s'] / 3600:8.2f} h  (timed on {ev['timed_on']})")
    mem = record["peak_memory_bytes"] / 2**30
    lines.append(f"  projected total {record['projected_total_hours']:.2f} h on this device; peak memory {mem:.2f} GiB ({record['peak_memory_kind']})")
    lines += [f"  note: {n}" for n in record["notes"]]
    return "\n".join(lines)
