"""What a method sees of the run it is part of: device, phase checkpoints, progress, timings.

Checkpoints are per phase (``search``, ``train``) and written atomically, so a killed run resumes from
the last checkpoint and reproduces the uninterrupted run's numbers (batches are a function of the step).
"""
from __future__ import annotations

import contextlib
import json
import os
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import torch
from tqdm import tqdm


class RunContext:
    def __init__(self, run_dir: str | Path | None = None, device: str | torch.device = "cpu", quiet: bool = False,
                 dry_run: int | None = None):
        self.run_dir = Path(run_dir) if run_dir else None
        self.device = torch.device(device)
        self.quiet = quiet
        self.timings: dict[str, float] = {}
        self.notes: list[str] = []  # non-fatal events worth recording (e.g. non-deterministic ops)
        self.dry_run = dry_run  # time this many steps of every loop, then stop it (srnas.harness.dryrun)
        # where training batches are made (srnas.datasets.pipeline): speed only, never the batches themselves
        self.loader = os.environ.get("SRNAS_LOADER", "inline")
        self.dry_log: dict[str, Any] = {}
        self.timer: Any = None  # the StepTimer of the loop running now (dry runs)
        # Wall time per runner phase summed over attempts: a killed attempt's time up to its last checkpoint
        # is kept in clock.state (JSON) beside the checkpoints, so a resumed run's timings add up every attempt.
        self._phase: str | None = None
        self._phase_t0 = 0.0
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
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".clock.", suffix=".tmp")
        with os.fdopen(fd, "w") as fh:
            json.dump({"seconds": seconds, "attempts": self.attempts}, fh)
        os.replace(tmp, path)

    # -- checkpoints -------------------------------------------------------------------------
    def checkpoint_path(self, phase: str) -> Path | None:
        return self.run_dir / f"{phase}.pt" if self.run_dir else None

    def save_checkpoint(self, phase: str, state: dict[str, Any]) -> None:
        path = self.checkpoint_path(phase)
        if path is None:
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{phase}.", suffix=".tmp")
        os.close(fd)
        torch.save(state, tmp)
        os.replace(tmp, path)
        self._save_clock()

    def load_checkpoint(self, phase: str) -> dict[str, Any] | None:
        path = self.checkpoint_path(phase)
        if path is None or not path.exists():
            return None
        return torch.load(path, map_location=self.device, weights_only=False)

    # -- progress and timing -----------------------------------------------------------------
    def progress(self, total: int, desc: str, initial: int = 0) -> tqdm:
        if self.dry_run:
            from srnas.harness.dryrun import StepTimer

            self.timer = StepTimer(total - initial, desc, self.dry_run, 1, self.device, self.dry_log)
            return self.timer  # type: ignore[return-value]
        return tqdm(total=total, desc=desc, initial=initial, disable=self.quiet, file=sys.stderr, leave=False, dynamic_ncols=True)

    @contextlib.contextmanager
    def timed(self, phase: str) -> Iterator[None]:
        start = time.perf_counter()
        try:
            yield
        finally:
            self.timings[phase] = self.timings.get(phase, 0.0) + time.perf_counter() - start

    def log(self, message: str) -> None:
        if not self.quiet:
            tqdm.write(message, file=sys.stderr)
