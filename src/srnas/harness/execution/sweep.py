"""Sweeps: a grid of units (method x variant x scale x seed) run on a bounded local pool or on SLURM.

A unit is exactly what ``srnas run`` makes for one seed (same config, same hash, same record path), so a
sweep and a hand-run ``srnas run`` share one store. Safety comes from the store, not from the scheduler:
records are published with an atomic create-if-absent and units are leased (:mod:`srnas.harness.execution.lease`),
so two sweeps over one grid, a sweep and a ``srnas run``, or a requeued SLURM task never run a unit twice
or lose one. Units resume from their checkpoints after a kill.

- ``local``: one ``srnas run --wait`` subprocess per unit, at most ``jobs`` at a time, one GPU each
  through ``CUDA_VISIBLE_DEVICES`` when ``gpus`` is given; a worker that dies is retried (``retries``).
- ``slurm``: one submitit job array per sweep (``slurm_array_parallelism`` = jobs), SIGUSR2 before the
  time limit and requeue on timeout/preemption (submitit's Checkpointable); logs under the results folder.
- ``debug``: submitit's in-process executor (tests and dry runs).
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tqdm.auto import tqdm

from srnas.config import config_hash
from srnas.datasets.paths import DataRoot, DataRootLike, root_path
from srnas.errors import ConfigError
from srnas.harness.execution.lease import DEFAULT_STALE_AFTER_S, is_stale, lease_path, pid_alive, read_lease
from srnas.harness.execution.records import record_path, run_key

STATES = ("done", "running", "failed", "pending")


@dataclass(frozen=True)
class Unit:
    """One seed of one configuration: the unit of work, of records and of leases."""

    method: str
    variant: str
    scale: int
    profile: str
    seed: int
    config_hash: str
    overrides: tuple[str, ...] = ()

    @property
    def key(self) -> Path:
        return run_key(self.method, self.variant, self.scale, self.profile, self.seed, self.config_hash)

    @property
    def name(self) -> str:
        return f"{self.method}-{self.variant}-x{self.scale}-{self.profile}-seed{self.seed}-{self.config_hash}"

    def run_argv(self, results: Path, data_root: DataRootLike, device: str, threads: int, loader: str = "inline") -> list[str]:
        argv = [sys.executable, "-m", "srnas.cli", "run", self.method, "--variant", self.variant, "--scale", str(self.scale),
                "--seeds", str(self.seed), "--profile", self.profile, "--results", str(results), "--device", device,
                "--threads", str(threads), "--loader", loader, "--quiet", "--wait"]
        for o in self.overrides:
            argv += ["--set", o]
        root = root_path(data_root)
        argv += ["--data-root", str(root)] if root else []
        for name, folder in (data_root.supplied if isinstance(data_root, DataRoot) else ()):
            argv += [f"--{name.lower()}", folder]  # a user-supplied set's folder (Manga109), as `srnas run` takes it
        return argv


def expand(methods: Sequence[str], scales: Sequence[int], seeds: Sequence[int], profile: str,
           variants: Sequence[str] | None = None, overrides: Sequence[str] = ()) -> list[Unit]:
    """The grid's units with their config hashes; every config is resolved (and validated) up front."""
    from srnas.harness.execution.config import resolve_config
    from srnas.harness.execution.preflight import check_seeds
    from srnas.methods import get_method

    check_seeds(seeds)
    units = []
    for name in methods:
        method = get_method(name)
        for variant in variants or ["default"]:
            if variant not in method.variants():
                raise ConfigError(f"--variants {variant}: not a variant of {name} (known: {', '.join(method.variants())}); "
                                  "sweep one method per variant list, or drop it")
            for scale in scales:
                chash = config_hash(resolve_config(method, profile, scale, variant, overrides))
                units += [Unit(name, variant, scale, profile, seed, chash, tuple(overrides)) for seed in seeds]
    return units


def _status_path(results: Path, unit: Unit) -> Path:
    return Path(results) / "sweeps" / "status" / f"{unit.name}.json"


def log_path(results: Path, unit: Unit) -> Path:
    return Path(results) / "sweeps" / "logs" / f"{unit.name}.log"


def unit_state(results: Path, unit: Unit, stale_after_s: float = DEFAULT_STALE_AFTER_S) -> str:
    """done (record), running (a live lease), failed (last attempt failed), or pending."""
    if record_path(results, unit.key).exists():
        return "done"
    lpath = lease_path(results, unit.key)
    holder = read_lease(lpath)
    if holder is not None and not is_stale(holder, lpath, stale_after_s):
        return "running"
    status = _status_path(results, unit)
    if status.is_file():
        try:
            if json.loads(status.read_text()).get("state") == "failed":
                return "failed"
        except (OSError, ValueError):
            pass
    return "pending"


def _write_status(results: Path, unit: Unit, **info: Any) -> None:
    path = _status_path(results, unit)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(info))
    os.replace(tmp, path)


@dataclass
class SweepSummary:
    units: list[Unit]
    states: dict[str, str] = field(default_factory=dict)  # unit name -> state
    already_done: int = 0
    logs: dict[str, str] = field(default_factory=dict)  # unit name -> log path (failed units)
    progress: dict[str, dict[str, Any]] = field(default_factory=dict)  # unit name -> its lease's progress (running units)

    def count(self, state: str) -> int:
        return sum(s == state for s in self.states.values())

    @property
    def ok(self) -> bool:
        return self.count("failed") == 0 and self.count("pending") == 0

    def to_json(self) -> dict[str, Any]:
        """The summary as data (``srnas sweep --status --json``): counts, then one entry per unit."""
        return {"units": len(self.units), "counts": {s: self.count(s) for s in STATES if self.count(s)},
                "already_done": self.already_done,
                "unit_states": [{"name": u.name, "method": u.method, "variant": u.variant, "scale": u.scale, "profile": u.profile,
                                 "seed": u.seed, "config_hash": u.config_hash, "state": self.states.get(u.name),
                                 **({"log": self.logs[u.name]} if u.name in self.logs else {}),
                                 **({"progress": self.progress[u.name]} if u.name in self.progress else {})}
                                for u in self.units]}

    def render(self) -> str:
        counts = ", ".join(f"{self.count(s)} {s}" for s in STATES if self.count(s))
        lines = [f"sweep: {len(self.units)} units: {counts}" + (f" ({self.already_done} were done before)" if self.already_done else "")]
        for unit in self.units:
            if self.states.get(unit.name) == "failed":
                lines.append(f"  FAILED {unit.name}  log: {self.logs.get(unit.name, '?')}")
            elif self.states.get(unit.name) == "running":
                lines.append(f"  running {unit.name}: {progress_text(self.progress.get(unit.name) or {})}")
        return "\n".join(lines)


def progress_text(p: dict[str, Any]) -> str:
    """``search step 120/1600 (7.5 %), loss 0.0312, 2.1 steps/s, ETA 11 min 44 s`` from a lease's progress."""
    if not p or "total" not in p:
        return "started, no progress reported yet"
    out = f"{p.get('phase', '?')} step {p['step']}/{p['total']} ({100 * p['step'] / max(p['total'], 1):.1f} %)"
    for key in ("loss", "weight_loss", "arch_loss", "val_score"):
        if key in p:
            out += f", {key.replace('_', ' ')} {p[key]:.4g}"
    if "steps_per_s" in p:
        eta = int(p.get("eta_s", 0))
        out += f", {p['steps_per_s']:.3g} steps/s, ETA " + (f"{eta // 3600} h {eta % 3600 // 60} min" if eta >= 3600
                                                             else f"{eta // 60} min {eta % 60} s")
    return out


def status(units: Sequence[Unit], results: Path, stale_after_s: float = DEFAULT_STALE_AFTER_S) -> SweepSummary:
    summary = SweepSummary(list(units))
    for unit in units:
        summary.states[unit.name] = unit_state(results, unit, stale_after_s)
        if summary.states[unit.name] == "failed":
            summary.logs[unit.name] = str(log_path(results, unit))
        elif summary.states[unit.name] == "running":
            summary.progress[unit.name] = (read_lease(lease_path(results, unit.key)) or {}).get("progress", {})
    return summary


def _bar(total: int, initial: int, quiet: bool) -> tqdm:
    return tqdm(total=total, initial=initial, desc="sweep", unit="unit", disable=quiet, file=sys.stderr, dynamic_ncols=True)


def _claim_path(results: Path, unit: Unit) -> Path:
    return Path(results) / "sweeps" / "claims" / f"{unit.name}.claim"


def _claim(results: Path, unit: Unit) -> bool:
    """Claim ``unit`` for this sweep process (an exclusive file: host, pid). A claim whose process is gone
    on this host is taken over. The child ``srnas run`` takes the unit's lease only after its start-up
    (seconds of imports): without a claim, two sweeps started together both launched the same units."""
    import socket

    path = _claim_path(results, unit)
    path.parent.mkdir(parents=True, exist_ok=True)
    info = {"host": socket.gethostname(), "pid": os.getpid()}
    for _ in range(2):
        try:
            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            holder = read_lease(path) or {}
            if holder.get("host") == info["host"] and holder.get("pid") == info["pid"]:
                return True
            if holder.get("host") == info["host"] and not pid_alive(int(holder.get("pid", -1))):
                path.unlink(missing_ok=True)  # its sweep died: take the unit over
                continue
            return False
        with os.fdopen(fd, "w") as fh:
            json.dump(info, fh)
        return True
    return False


def _unclaim(results: Path, unit: Unit) -> None:
    path = _claim_path(results, unit)
    holder = read_lease(path) or {}
    if holder.get("pid") == os.getpid():
        path.unlink(missing_ok=True)


def _next_unit(todo: deque[Unit], results: Path) -> Unit | None:
    """The first unit of ``todo`` that this sweep can claim and no other process holds a lease on, removed
    from ``todo``; None when every remaining unit is being run elsewhere.

    Two sweeps over one grid used to launch the same units and wait on each other's leases, moving in
    lock-step: the second added no throughput. Now each takes the next free unit; a unit another sweep runs
    is left to it, and picked up here only if that sweep dies (its claim and lease go stale)."""
    for unit in list(todo):
        state = unit_state(results, unit)
        if state == "done" or (state != "running" and _claim(results, unit)):
            todo.remove(unit)
            return unit
    return None


def run_local(units: Sequence[Unit], results: Path, jobs: int = 1, gpus: Sequence[str] = (), retries: int = 1,
              data_root: DataRootLike = None, device: str = "cpu", threads: int = 1, quiet: bool = False,
              loader: str = "inline") -> SweepSummary:
    """Run the units not yet done on a pool of ``jobs`` subprocesses (one ``srnas run`` each)."""
    results = Path(results)
    summary = status(units, results)
    todo = deque(u for u in units if summary.states[u.name] != "done")
    summary.already_done = len(units) - len(todo)
    slots: list[str | None] = list(gpus) if gpus else [None] * jobs
    free = deque(range(min(jobs, len(slots))))
    attempts: dict[str, int] = {}
    running: dict[subprocess.Popen, tuple[Unit, int]] = {}
    bar = _bar(len(units), summary.already_done, quiet)
    try:
        while todo or running:
            while todo and free:
                unit = _next_unit(todo, results)
                if unit is None:
                    break  # every remaining unit is being run by another sweep: wait for it here, then look again
                if unit_state(results, unit) == "done":  # another sweep finished it meanwhile
                    summary.states[unit.name] = "done"
                    bar.update(1)
                    continue
                slot = free.popleft()
                attempts[unit.name] = attempts.get(unit.name, 0) + 1
                env = dict(os.environ)
                if slots[slot] is not None:
                    env["CUDA_VISIBLE_DEVICES"] = str(slots[slot])
                log = log_path(results, unit)
                log.parent.mkdir(parents=True, exist_ok=True)
                with open(log, "a") as fh:
                    fh.write(f"--- attempt {attempts[unit.name]} on slot {slot} (gpu {slots[slot]}) ---\n")
                    fh.flush()
                    proc = subprocess.Popen(unit.run_argv(results, data_root, device, threads, loader), stdout=fh,
                                            stderr=subprocess.STDOUT, env=env)
                running[proc] = (unit, slot)
                summary.states[unit.name] = "running"
            time.sleep(0.2)
            for proc in [p for p in running if p.poll() is not None]:
                unit, slot = running.pop(proc)
                free.append(slot)
                _unclaim(results, unit)
                done = record_path(results, unit.key).exists()
                if proc.returncode == 0 and done:
                    summary.states[unit.name] = "done"
                    _write_status(results, unit, state="done", attempts=attempts[unit.name])
                    bar.update(1)
                elif attempts[unit.name] <= retries:
                    todo.append(unit)  # resumes from its checkpoints
                else:
                    summary.states[unit.name] = "failed"
                    summary.logs[unit.name] = str(log_path(results, unit))
                    _write_status(results, unit, state="failed", attempts=attempts[unit.name], returncode=proc.returncode)
                    bar.update(1)
            bar.set_postfix(done=summary.count("done"), running=len(running), failed=summary.count("failed"), refresh=False)
    finally:
        for proc, (unit, _) in running.items():
            proc.kill()
            _unclaim(results, unit)
        bar.close()
    return summary


def _unit_job_class():
    import submitit

    class UnitJob(submitit.helpers.Checkpointable):
        """One unit as a submitit job; on SIGUSR2 (time limit) or preemption submitit requeues it with the
        same arguments and the unit resumes from its checkpoints (the lease of the earlier attempt of the
        same array task is taken over)."""

        def __init__(self, results: str, data_root: DataRootLike, device: str, threads: int, loader: str = "inline"):
            self.results, self.data_root, self.device, self.threads, self.loader = results, data_root, device, threads, loader

        def __call__(self, unit: Unit) -> str:
            from srnas.harness.execution.runner import run_method, summary_line

            outcome = run_method(unit.method, unit.scale, [unit.seed], unit.profile, unit.variant, unit.overrides,
                                 data_root=self.data_root, device=self.device, results=self.results, quiet=True,
                                 threads=self.threads, wait=True, loader=self.loader)[0]
            return summary_line(outcome)

    return UnitJob


def run_submitit(units: Sequence[Unit], results: Path, cluster: str = "slurm", jobs: int = 1, data_root: DataRootLike = None,
                 device: str = "cpu", threads: int = 1, slurm: dict[str, Any] | None = None, quiet: bool = False,
                 loader: str = "inline") -> SweepSummary:
    """One job array for the units not yet done; waits for it and summarises."""
    try:
        import submitit
    except ImportError:
        raise ConfigError("--executor slurm needs submitit: pip install 'srnas-bench[slurm]' -c constraints.txt") from None
    results = Path(results)
    summary = status(units, results)
    todo = [u for u in units if summary.states[u.name] != "done"]
    summary.already_done = len(units) - len(todo)
    if not todo:
        return summary
    executor = submitit.AutoExecutor(folder=results / "sweeps" / "submitit" / "%j", cluster=cluster)
    if cluster == "slurm":
        params = {"slurm_array_parallelism": jobs, "slurm_signal_delay_s": 120, "name": "srnas-sweep", **(slurm or {})}
        executor.update_parameters(**{k: v for k, v in params.items() if v is not None})
    job_fn = _unit_job_class()(str(results), data_root, device, threads, loader)
    array = executor.map_array(job_fn, todo)
    bar = _bar(len(units), summary.already_done, quiet)
    for unit, job in zip(todo, array):
        try:
            job.result()
            summary.states[unit.name] = "done" if record_path(results, unit.key).exists() else "failed"
        except Exception as exc:  # noqa: BLE001 - a failed unit is reported, the others go on
            summary.states[unit.name] = "failed"
            summary.logs[unit.name] = f"{job.paths.stderr} ({type(exc).__name__})"
        if summary.states[unit.name] == "failed":
            summary.logs.setdefault(unit.name, str(job.paths.stderr))
            _write_status(results, unit, state="failed", job=str(job.job_id))
        bar.update(1)
    bar.close()
    return summary
