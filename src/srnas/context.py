"""What a method sees of the run it is part of: device, phase checkpoints, progress, timings.

Checkpoints are per phase (``search``, ``train``) and written atomically, so a killed run resumes from
the last checkpoint and reproduces the uninterrupted run's numbers (batches are a function of the step).
"""
from __future__ import annotations

import contextlib
import errno
import json
import shutil
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import torch
from tqdm import tqdm

from srnas.atomic import atomic_path, write_text_atomic


class RunContext:
    def __init__(self, run_dir: str | Path | None = None, device: str | torch.device = "cpu", quiet: bool = False,
                 dry_run: int | None = None, log_file: str | Path | None = None, loader: str = "inline"):
        self.run_dir = Path(run_dir) if run_dir else None
        self.log_file = Path(log_file) if log_file else None  # the unit's event log (outlives its checkpoints)
        self.device = torch.device(device)
        self.quiet = quiet
        self.timings: dict[str, float] = {}
        self.notes: list[str] = []  # non-fatal events worth recording (e.g. non-deterministic ops)
        self.dry_run = dry_run  # time this many steps of every loop, then stop it (srnas.harness.execution.dryrun)
        # where training batches are made (srnas.datasets.pipeline): speed only, never the batches themselves
        self.loader = loader
        self.dry_log: dict[str, Any] = {}
        self.timer: Any = None  # the StepTimer of the loop running now (dry runs)
        # Wall time per runner phase summed over attempts: a killed attempt's time up to its last checkpoint
        # is kept in clock.state (JSON) beside the checkpoints, so a resumed run's timings add up every attempt.
        self._phase: str | None = None
        self._phase_t0 = 0.0
        # Progress of the loop running now (phase, step/total, recent loss, steps/s): the lease's heartbeat
        # carries it, so `srnas sweep --status` shows how far a multi-hour unit is and when it will end.
        self.status: dict[str, Any] = {}
        self.carried: dict[str, float] = {}
        self.attempts = 1
        clock = self._clock_path()
        if clock is not None and clock.is_file():
            try:
                saved = json.loads(clock.read_text())
                self.carried = {k: float(v) for k, v in saved.get("seconds", {}).items()}
                self.attempts = int(saved.get("attempts", 0)) + 1
            except (OSError, ValueError, TypeError, AttributeError):
                pass  # a damaged clock only loses the earlier attempts' time, never the run

    # -- wall time across attempts ---------------------------------------------------------------
    def _clock_path(self) -> Path | None:
        return self.run_dir / "clock.state" if self.run_dir else None

    def start_phase(self, phase: str) -> None:
        """Start timing a runner phase (search, train); earlier attempts' time for it is carried."""
        self._phase, self._phase_t0 = phase, time.perf_counter()

    def phase_seconds(self, phase: str) -> float:
        """Seconds spent in ``phase`` so far, over every attempt (earlier ones up to their last checkpoint)."""
        now = time.perf_counter() - self._phase_t0 if phase == self._phase else 0.0
        return self.carried.get(phase, 0.0) + now

    def _save_clock(self) -> None:
        path = self._clock_path()
        if path is None:
            return
        seconds = dict(self.carried)
        if self._phase:
            seconds[self._phase] = self.phase_seconds(self._phase)
        write_text_atomic(path, json.dumps({"seconds": seconds, "attempts": self.attempts}))

    # -- checkpoints -------------------------------------------------------------------------
    def checkpoint_path(self, phase: str) -> Path | None:
        return self.run_dir / f"{phase}.pt" if self.run_dir else None

    def save_checkpoint(self, phase: str, state: dict[str, Any]) -> None:
        path = self.checkpoint_path(phase)
        if path is None:
            return
        # the attempt count and time go to disk first: a kill between the two writes then leaves a checkpoint
        # whose attempt is counted (written after, a kill in between left a resumed run saying "1 attempt";
        # CI caught it once in tests/test_sweep.py). The price: such a kill counts the time since the
        # previous checkpoint, which the next attempt redoes, twice -- at most one checkpoint interval.
        self._save_clock()
        with atomic_path(path, "the unit resumes from its last complete checkpoint") as tmp:
            try:
                torch.save(state, tmp)
            except RuntimeError as exc:  # torch's writer reports a full disk as a RuntimeError
                if "writ" not in str(exc).lower():
                    raise
                full = shutil.disk_usage(path.parent).free < 2**26
                raise OSError(errno.ENOSPC if full else errno.EIO, str(exc).splitlines()[0]) from None

    def load_checkpoint(self, phase: str) -> dict[str, Any] | None:
        path = self.checkpoint_path(phase)
        if path is None or not path.exists():
            return None
        return torch.load(path, map_location=self.device, weights_only=False)

    # -- progress and timing -----------------------------------------------------------------
    def progress(self, total: int, desc: str, initial: int = 0) -> tqdm:
        if self.dry_run:
            from srnas.step_timer import StepTimer

            self.timer = StepTimer(total - initial, desc, self.dry_run, 1, self.device, self.dry_log)
            return self.timer  # type: ignore[return-value]
        self.status = {"phase": desc, "step": initial, "total": total, "since_step": initial, "since": time.time()}
        bar = tqdm(total=total, desc=desc, initial=initial, disable=self.quiet, file=sys.stderr, leave=False, dynamic_ncols=True)
        return _Tracked(bar, self.status)  # type: ignore[return-value]

    def report(self, **values: float) -> None:
        """Values a loop has already read on the host (a curve point's loss, a validation score): shown
        with the progress. Never a reason to read a device tensor."""
        self.status.update({k: float(v) for k, v in values.items()})

    def progress_snapshot(self) -> dict[str, Any]:
        """Phase, step/total, the last reported values, steps/s since the loop (re)started, and the ETA."""
        st = dict(self.status)
        if not st:
            return {}
        elapsed = time.time() - st.pop("since")
        done = st["step"] - st.pop("since_step")
        if done > 0 and elapsed > 0:
            rate = done / elapsed
            st["steps_per_s"] = round(rate, 3)
            st["eta_s"] = round((st["total"] - st["step"]) / rate, 1)
        return st

    @contextlib.contextmanager
    def timed(self, phase: str) -> Iterator[None]:
        start = time.perf_counter()
        try:
            yield
        finally:
            self.timings[phase] = self.timings.get(phase, 0.0) + time.perf_counter() - start

    def log(self, message: str) -> None:
        """A run event (a phase resumed at step N, ...): on stderr unless quiet, and always appended to the
        unit's event log (``RESULTS/logs/<unit>.log``), so a quiet sweep unit's history can be read afterwards."""
        if not self.quiet:
            tqdm.write(message, file=sys.stderr)
        if self.log_file is not None:
            self.log_file.parent.mkdir(parents=True, exist_ok=True)
            stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime())
            with open(self.log_file, "a") as fh:
                fh.write(f"{stamp} {message}\n")


class _Tracked:
    """A progress bar that also keeps ``status['step']`` (the lease heartbeat reads it)."""

    def __init__(self, bar: tqdm, status: dict[str, Any]):
        self._bar, self._status = bar, status

    def update(self, n: int = 1) -> None:
        self._status["step"] = self._status.get("step", 0) + n
        self._bar.update(n)

    def close(self) -> None:
        self._bar.close()

    def set_kind(self, kind: str) -> None:
        """The kind of the coming steps: only a dry run's timer uses it."""

    def __getattr__(self, name: str) -> Any:
        return getattr(self._bar, name)
