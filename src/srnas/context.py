"""What a method sees of the run it is part of: device, phase checkpoints, progress, timings.

Checkpoints are per phase (``search``, ``train``) and written atomically, so a killed run resumes from
the last checkpoint and reproduces the uninterrupted run's numbers (batches are a function of the step).
"""
from __future__ import annotations

import contextlib
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
    def __init__(self, run_dir: str | Path | None = None, device: str | torch.device = "cpu", quiet: bool = False):
        self.run_dir = Path(run_dir) if run_dir else None
        self.device = torch.device(device)
        self.quiet = quiet
        self.timings: dict[str, float] = {}
        self.notes: list[str] = []  # non-fatal events worth recording (e.g. non-deterministic ops)

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

    def load_checkpoint(self, phase: str) -> dict[str, Any] | None:
        path = self.checkpoint_path(phase)
        if path is None or not path.exists():
            return None
        return torch.load(path, map_location=self.device, weights_only=False)

    # -- progress and timing -----------------------------------------------------------------
    def progress(self, total: int, desc: str, initial: int = 0) -> tqdm:
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
