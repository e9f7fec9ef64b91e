"""``srnas run``: search -> build -> train -> evaluate one method for several seeds, one record per seed.

Each seed is an independent, resumable unit keyed by (method, variant, scale, profile, seed, config
hash). A finished unit is skipped on rerun (its record is the proof); an interrupted one resumes from
its phase checkpoints (:mod:`srnas.harness.execution.pipeline`, whose phases the dry run and ``srnas eval``
share). The runner adds what makes a run a unit: the lease, the resume, the record.
"""
from __future__ import annotations

import copy
import math
import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from srnas.config import config_hash
from srnas.context import RunContext
from srnas.datasets.paths import DataRootLike
from srnas.harness.execution.config import applied_defaults, resolve_config
from srnas.harness.execution.env import git_state, provenance
from srnas.harness.execution.lease import DEFAULT_STALE_AFTER_S, acquire, lease_path, read_lease
from srnas.harness.execution.pipeline import (
    LazyTrainingData,
    build_phase,
    evaluate_phase,
    model_cost,
    noting_nondeterminism,
    search_phase,
    train_phase,
    uses_search,
)
from srnas.errors import ConfigError
from srnas.threads import pin_threads
from srnas.harness.execution.preflight import check_device, check_eval_sets, check_seeds, check_threads, check_train_set, check_writable_folder
from srnas.harness.execution.records import RecordExists, checkpoint_dir, load_record, record_path, run_key, write_record
from srnas.harness.execution.weights import save_weights, weights_path
from srnas.methods import get_method, plugin_provenance, stale_plugin_code
from srnas.methods.base import Method
from srnas.seeding import numerics_of, seed_everything


@dataclass
class RunOutcome:
    path: Path
    record: dict[str, Any] | None  # None only when another worker holds the unit (``elsewhere``)
    skipped: bool  # True when a valid record already existed (or another worker holds the unit) and nothing ran
    elsewhere: dict[str, Any] | None = None  # the lease holder's info when another live worker runs this unit
    stale: str | None = None  # skipped, but the record was made by other plugin code than this process loaded


def to_json(value: Any) -> Any:
    """Plugin output (numpy/torch scalars, tensors, tuples, NaN) as strict JSON data."""
    if isinstance(value, dict):
        return {str(k): to_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_json(v) for v in value]
    if isinstance(value, torch.Tensor):
        return to_json(value.detach().cpu().tolist())
    if isinstance(value, np.generic):
        return to_json(value.item())
    if isinstance(value, np.ndarray):
        return to_json(value.tolist())
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)  # "nan"/"inf": kept visible, JSON stays strict
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return str(value)


def unit_log_path(results: str | Path, key: Path) -> Path:
    """A unit's event log (start, every resume with its step): ``RESULTS/logs/<key>.log``."""
    return Path(results) / "logs" / key.parent / f"{key.name}.log"


def run_seed(
    method: Method,
    config: dict[str, Any],
    seed: int,
    results: Path,
    data: LazyTrainingData | None = None,
    data_root: DataRootLike = None,
    device: str = "cpu",
    quiet: bool = False,
    wait: bool = False,
    poll_s: float = 2.0,
    stale_after_s: float = DEFAULT_STALE_AFTER_S,
    loader: str = "inline",
) -> RunOutcome:
    """One seed end to end; returns the existing record untouched if this unit already finished.

    The unit is leased first (:mod:`srnas.harness.execution.lease`): if a live worker holds it, this returns at once
    with ``elsewhere`` set, or with ``wait`` polls until that worker's record appears (or its lease goes
    stale, and then takes the unit over and resumes it from its checkpoints).
    """
    chash = config_hash(config)
    key = run_key(method.name, config["variant"], config["scale"], config["profile"], seed, chash)
    path = record_path(results, key)
    lpath = lease_path(results, key)
    while True:
        if path.exists():
            record = load_record(path)  # a defective record raises RecordError
            return RunOutcome(path, record, skipped=True, stale=stale_plugin_code(record))
        lease = acquire(lpath, stale_after_s)
        if lease is not None:
            break
        if not wait:
            return RunOutcome(path, None, skipped=True, elsewhere=read_lease(lpath) or {})
        time.sleep(poll_s)
    try:
        return _run_leased(method, config, seed, results, key, path, data, data_root, device, quiet, lease, loader)
    finally:
        lease.release()


def _run_leased(method: Method, config: dict[str, Any], seed: int, results: Path, key: Path, path: Path,
                data: LazyTrainingData | None, data_root: DataRootLike, device: str, quiet: bool,
                lease: Any = None, loader: str = "inline") -> RunOutcome:
    if path.exists():  # finished by the previous holder between our check and our lease
        record = load_record(path)
        return RunOutcome(path, record, skipped=True, stale=stale_plugin_code(record))
    git_at_start = git_state()  # the code this attempt runs; checked again when the record is written
    plugin = plugin_provenance(type(method))  # the plugin code this process loaded (srnas.methods)
    chash = config_hash(config)
    data = data or LazyTrainingData(config, data_root)
    ckpt = checkpoint_dir(results, key)
    resumed_from = sorted(p.stem for p in ckpt.glob("*.pt")) if ckpt.is_dir() else []
    ctx = RunContext(run_dir=ckpt, device=device, quiet=quiet, log_file=unit_log_path(results, key), loader=loader)
    if lease is not None:  # the heartbeat carries the unit's progress (srnas sweep --status)
        lease.progress = ctx.progress_snapshot
    if resumed_from:
        ctx.log(f"[unit] attempt {ctx.attempts}: resuming from checkpoints {', '.join(resumed_from)}")
    else:
        ctx.log(f"[unit] attempt {ctx.attempts}: starting")
    numerics = numerics_of(config)
    determinism = seed_everything(seed, numerics=numerics)
    if ctx.device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(ctx.device)
    scale = config["scale"]

    with noting_nondeterminism(ctx):
        result, search_s, searched = search_phase(method, config, seed, ctx, data)
        model = build_phase(method, result, config, seed, numerics, ctx.device)
        train_info, train_s = train_phase(method, model, config, seed, ctx, data)

    start = time.perf_counter()
    metrics = evaluate_phase(model, scale, config["eval"], data_root, ctx.device, progress=not quiet)
    eval_s = time.perf_counter() - start
    cost = model_cost(model, scale, ctx.device)
    wfile = weights_path(path)
    wsha = save_weights(model, wfile)

    prov = provenance(ctx.device, git_at_start, plugin)  # env, git (start state), version, plugin, finish time
    record = {
        "method": method.name,
        "variant": config["variant"],
        "scale": scale,
        "profile": config["profile"],
        "seed": seed,
        "config_hash": chash,
        "config": config,
        "defaults_applied": applied_defaults(method, config),  # outside the hash: a changed default stays visible
        "paper_label": method.paper_label,
        "reported_variant": method.reported_variant(config["variant"]),
        "genotype": result.genotype,
        "searched": searched,
        "search_info": result.info,
        "train_info": train_info,
        "metrics": metrics,
        "cost": cost,
        "weights": {"file": wfile.name, "sha256": wsha, "format": "safetensors"} if wsha else None,
        "timings_s": {"search": round(search_s, 3), "train": round(train_s, 3), "eval": round(eval_s, 3)},
        "device": str(ctx.device),
        "determinism": determinism,
        # this attempt's peak (a resumed run's earlier attempts are not in it)
        "peak_gpu_memory_bytes": torch.cuda.max_memory_allocated(ctx.device) if ctx.device.type == "cuda" else None,
        **prov,
        "train_data": data.describe(),
        "loader": ctx.loader,  # where batches were made; the batches are the same for every loader
        "resumed_from": resumed_from,
        "attempts": ctx.attempts,
        "notes": ctx.notes + (["the git tree changed while this run went on: its numbers come from the start state "
                               "(git.commit), not from git.at_publish"] if prov["git"].get("changed_during_run") else []),
    }
    try:
        sealed = write_record(path, to_json(record))
    except RecordExists:  # another worker finished this unit first: its record stands, ours is dropped
        return RunOutcome(path, load_record(path), skipped=True)
    shutil.rmtree(ckpt, ignore_errors=True)
    return RunOutcome(path, sealed, skipped=False)


def summary_line(outcome: RunOutcome) -> str:
    if outcome.record is None:
        h = outcome.elsewhere or {}
        return f"{outcome.path}: running elsewhere ({h.get('owner', '?')} since {h.get('started_utc', '?')}); not started here"
    r = outcome.record
    scores = " ".join(f"{name} {m['psnr']:.2f}/{m['ssim']:.4f}" for name, m in r["metrics"].items())
    t = r["timings_s"]
    state = "already done" if outcome.skipped else f"search {t['search']:.0f}s train {t['train']:.0f}s eval {t['eval']:.0f}s"
    if outcome.stale:
        state = (f"already done, STALE: {outcome.stale}; its numbers are the old code's -- run into another --results "
                 "folder to measure this code")
    return (
        f"{r['method']}/{r['variant']} x{r['scale']} {r['profile']} seed {r['seed']}: {scores} | "
        f"{r['cost']['params']:,} params | {state} -> {outcome.path}"
    )


def prepare(name: str, scale: int, profile: str, variant: str, overrides: Sequence[str], data_root: DataRootLike,
            device: str, results: str | Path, threads: int | None, eval_sets: bool = True) -> tuple[Method, dict[str, Any], str]:
    """Preflight shared by runs and dry runs: threads, device, results folder, config, data present."""
    check_threads(threads)
    device = check_device(device)
    check_writable_folder(results)
    pin_threads(threads)  # torch and the BLAS/OpenMP pools (the LR degradation and metrics are numpy/scipy)
    method = get_method(name)
    config = resolve_config(method, profile, scale, variant, overrides)
    if eval_sets:
        ev = config["eval"]
        check_eval_sets(ev["datasets"], scale, ev["lr_source"], data_root)
    if not uses_search(method, config):
        check_buildable(method, config)
    if method.trains or uses_search(method, config):
        check_train_set(config["data"]["train_set"], data_root)
    return method, config, device


def check_buildable(method: Method, config: dict[str, Any]) -> None:
    """The network of a method without search is built (and run once on a tiny input) before any work: a
    model option its shapes cannot take (``--set model.d=0``) is a one-line error naming the config, not a
    torch traceback after the data has loaded."""
    try:
        model = method.build(method.fixed_genotype(copy.deepcopy(config)), config["scale"], copy.deepcopy(config))
        with torch.no_grad():
            model.eval()(torch.zeros(1, 3, 8, 8))
    except (RuntimeError, ValueError, TypeError, KeyError, IndexError, ZeroDivisionError) as exc:
        model_keys = ", ".join(f"model.{k}={v}" for k, v in sorted((config.get("model") or {}).items()))
        raise ConfigError(f"{method.name}: the network cannot be built with {model_keys or 'this config'} "
                          f"({type(exc).__name__}: {str(exc).splitlines()[0][:160]}); fix the --set value") from None


def run_method(
    name: str,
    scale: int,
    seeds: Sequence[int],
    profile: str,
    variant: str = "default",
    overrides: Sequence[str] = (),
    data_root: DataRootLike = None,
    device: str = "cpu",
    results: str | Path = "results",
    quiet: bool = False,
    threads: int | None = 1,
    on_seed: Callable[[RunOutcome], None] | None = None,
    wait: bool = False,
    loader: str = "inline",
) -> list[RunOutcome]:
    """Resolve the config once, check everything the run needs (preflight), then run (or skip, if
    finished) every seed in order. ``loader``: where training batches are made
    (:func:`srnas.datasets.pipeline.parse_loader`; speed only, the batches are the same)."""
    check_seeds(seeds)
    method, config, device = prepare(name, scale, profile, variant, overrides, data_root, device, results, threads)
    data = LazyTrainingData(config, data_root)
    outcomes = []
    for seed in seeds:
        outcome = run_seed(method, config, seed, Path(results), data, data_root, device, quiet, wait=wait, loader=loader)
        if on_seed:
            on_seed(outcome)
        outcomes.append(outcome)
    return outcomes
