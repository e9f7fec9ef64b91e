"""The step timer a dry run puts in place of a loop's progress bar (core layer: ``RunContext.progress`` uses it).

Every training loop of the suite reports each step to ``ctx.progress(total, desc)``. In a dry run that bar
is a :class:`StepTimer`: it times ``warmup + steps`` steps (CUDA-synchronised on a GPU), then stops the loop
with :class:`DryRunStop`, so no plugin needs to know it is being dry-run. The projection built from these
times lives in ``srnas.harness.execution.dryrun``.
"""
from __future__ import annotations

import collections
import time
from typing import Any, Callable

import torch


class DryRunStop(Exception):
    """Raised by a :class:`StepTimer` once its loop has run the steps a dry run asks for."""

    def __init__(self, desc: str):
        super().__init__(f"dry run: stopped {desc!r} after its timed steps")
        self.desc = desc


class StepTimer:
    """A stand-in for the tqdm bar of one loop: times each ``update`` and stops the loop after N steps."""

    def __init__(self, total: int, desc: str, steps: int, warmup: int, device: torch.device, log: dict[str, Any]):
        self.total, self.desc, self.steps, self.warmup, self.device = int(total), desc, steps, warmup, device
        self.times: list[float] = []
        self.entry = log.setdefault(desc, {"total_steps": self.total, "step_s": [], "data_s": 0.0})
        self.kind: str | None = None  # the kind of the steps being timed now (a loop that mixes kinds says so)
        self.planned = False  # a loop that gave its plan runs one sample of every kind itself: never stopped here
        self._seen: dict[str, int] = {}
        self._stop_at: dict[str, int] = {}  # a planned kind the timer itself ends (see stop_after)
        self._sync()
        self._t = time.perf_counter()

    def plan(self, counts: dict[str, int]) -> None:
        """The loop's steps per kind (e.g. warm-up weight steps, architecture+weight steps, steps with a
        validation): each kind is timed on its own and projected with its own count."""
        self.planned = True
        self.entry["plan"] = {k: int(v) for k, v in counts.items()}
        self.entry.setdefault("kinds", {})

    def set_kind(self, kind: str) -> None:
        self.kind = kind

    def stop_after(self, kind: str, steps: int) -> None:
        """End the loop (:class:`DryRunStop`) once ``steps`` steps of ``kind`` have run, warm-up included: for a
        phase that cannot be cut short by its loop (a derivation scoring its candidates one after another), so
        the phase runs unchanged and is timed on its first steps only."""
        self._stop_at[kind] = int(steps)

    def stop(self) -> None:
        """A planned loop that has timed what it needs ends here (what follows it is not projected)."""
        raise DryRunStop(self.desc)

    def _sync(self) -> None:
        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)

    def update(self, n: int = 1) -> None:
        self._sync()
        now = time.perf_counter()
        self.times.append((now - self._t) / max(n, 1))
        self._t = now
        if self.planned and self.kind is not None:
            seen = self._seen[self.kind] = self._seen.get(self.kind, 0) + 1
            if seen > self.warmup:  # the first step of each kind warms it up (allocations, autotuning)
                self.entry["kinds"].setdefault(self.kind, []).append(self.times[-1])
                self.entry["step_s"].append(self.times[-1])
            else:  # kept: a kind that occurs only once has no other time (projected from it, as an upper bound)
                self.entry.setdefault("warmup_kinds", {}).setdefault(self.kind, []).append(self.times[-1])
            if seen >= self._stop_at.get(self.kind, seen + 1):
                raise DryRunStop(self.desc)
            return
        if len(self.times) > self.warmup:
            self.entry["step_s"].append(self.times[-1])
        if len(self.times) >= self.warmup + self.steps:
            raise DryRunStop(self.desc)

    def set_postfix(self, *args: Any, **kwargs: Any) -> None:
        pass

    def close(self) -> None:
        pass


def stratified_schedule(steps: range, kind_of: Callable[[int], str], per_kind: int) -> tuple[dict[str, int], list[int]]:
    """A dry run's schedule for a loop whose steps are of several kinds: every kind's count over the whole
    loop, and the first ``per_kind + 1`` steps of each kind in schedule order (one warm-up, then the timed
    ones), so each kind is projected with its own median x its own count (issue 23: timing the first steps
    only projected a checkpoint, a validation or an architecture step at the price of a plain one)."""
    counts = collections.Counter(kind_of(s) for s in steps)
    taken: collections.Counter[str] = collections.Counter()
    picked = []
    for s in steps:
        kind = kind_of(s)
        if taken[kind] <= per_kind:
            picked.append(s)
            taken[kind] += 1
        if all(taken[k] > per_kind for k in counts):
            break
    return dict(counts), picked
