"""The one ENAS alternation loop (Pham et al., 2018), shared by the RL searches (HNAS, DeCoNAS).

Per epoch: ``child_steps`` shared-weight steps, each on an architecture the controller draws, then (from
``controller_start_epoch`` on) ``controller_steps`` REINFORCE steps, each scoring one drawn architecture on
held-out data. After the last epoch the strategy derives its architecture (best of N candidates, each scored on
held-out tiles: its own rule), one progress step per candidate.

The loop owns what every such search needs and no plugin should rewrite: the progress bar with its three
step kinds (child, controller, derive: a dry run times each and projects each with its own count -- a
derivation scores each candidate on up to a thousand held-out tiles, so it is not free; it was once left out),
checkpoint/resume per epoch (the strategy's state, the history, the loop seconds), the history rows, and the
losses kept on the device and read once per epoch (one host sync per epoch instead of one per step). What
differs between the methods -- the architecture draw and its random stream, the reward, the baseline and
learning-rate rules, what an epoch's history row holds -- is the strategy's (:class:`EnasStrategy`).
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any, Protocol

import torch

from srnas.context import RunContext
from srnas.errors import SrnasError


class EnasStrategy(Protocol):
    """A plugin's part of the alternation (a structural type: the methods below are the contract, implemented
    by HNASAlternation and DeCoNASSearch). Steps are numbered over the whole search (epoch x steps per epoch
    + index), the numbering every data batch and random stream of the suite's RL searches is keyed by."""

    def start_child_epoch(self, epoch: int) -> None:
        """Before an epoch's shared-weight steps (e.g. the supernet to train mode)."""

    def child_step(self, step: int) -> torch.Tensor:
        """One shared-weight update on one drawn architecture; returns the detached loss (read per epoch)."""

    def start_controller_epoch(self, epoch: int) -> None:
        """Before an epoch's controller steps (baseline reset, learning-rate decay, supernet mode)."""

    def controller_step(self, step: int) -> dict[str, float]:
        """One REINFORCE update on one drawn architecture; returns what the epoch's history row averages."""

    def epoch_row(self, epoch: int, child_losses: list[float], controller_logs: list[dict[str, float]]) -> dict[str, Any]:
        """The history row of a finished epoch (``epoch`` counted from 0; the row names it from 1)."""

    def state_dict(self) -> dict[str, Any]:
        """Everything a resumed search needs to continue bit-identically (weights, optimisers, controller,
        baseline, any sequential random generator)."""

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore what :meth:`state_dict` saved, before the loop continues from the saved epoch."""

    def derivation_size(self) -> int:
        """How many candidates the derivation scores (each one progress step of kind ``derive``)."""

    def derive(self, progress: Any) -> Any:
        """Score the candidates after the last epoch, calling ``progress.update(1)`` after each; returns the
        plugin's derivation (kept in :attr:`EnasRun.derived`)."""


@dataclass(frozen=True)
class EnasSchedule:
    """How many steps of each kind, per epoch."""

    epochs: int
    child_steps: int
    controller_steps: int
    controller_start_epoch: int = 0  # DeCoNAS trains the child alone for its first epochs

    def controller_steps_in(self, epoch: int) -> int:
        return self.controller_steps if epoch >= self.controller_start_epoch else 0

    def steps_in(self, epoch: int) -> int:
        return self.child_steps + self.controller_steps_in(epoch)


@dataclass
class EnasRun:
    """What the loop hands back: one history row per epoch and the loop's wall time over every session."""

    history: list[dict[str, Any]] = field(default_factory=list)
    seconds: float = 0.0
    resumed_at: int = 0
    derived: Any = None  # what the strategy's derive() returned


CHECKPOINT = "search"


def run_enas(strategy: EnasStrategy, schedule: EnasSchedule, ctx: RunContext, desc: str) -> EnasRun:
    """Run (or resume) the alternation, then the derivation; a dry run stops here after timing each kind of step.

    The state is saved after every epoch, the last included, so a run killed during derivation resumes
    straight to it. ``desc`` names the loop's progress bar and its dry-run projection; the bar counts the
    derivation's candidates too, so a unit's progress and ETA do not end before its derivation does."""
    run = EnasRun()
    state = ctx.load_checkpoint(CHECKPOINT)
    if state is not None:
        if not isinstance(state, dict) or "strategy" not in state:
            # a checkpoint of the plugin's own loop from before the shared one: resuming it would mix codes
            raise SrnasError(f"{ctx.checkpoint_path(CHECKPOINT)}: a search checkpoint from an older version of this search "
                             "(no 'strategy' entry); delete it to start the search afresh")
        strategy.load_state_dict(state["strategy"])
        run = EnasRun(list(state["history"]), float(state["seconds"]), int(state["epoch"]))
        ctx.log(f"[search] resumed at epoch {run.resumed_at}/{schedule.epochs}")
    per_epoch = [schedule.steps_in(e) for e in range(schedule.epochs)]
    candidates = strategy.derivation_size()
    bar = ctx.progress(sum(per_epoch) + candidates, desc, initial=sum(per_epoch[: run.resumed_at]))
    if ctx.dry_run:
        # time a few steps of each kind, each projected with its own count (one warm-up step each)
        n = ctx.dry_run + 1
        bar.plan({"child": schedule.epochs * schedule.child_steps,
                  "controller": sum(schedule.controller_steps_in(e) for e in range(schedule.epochs)),
                  "derive": candidates})
        epoch = run.resumed_at
        _epoch(strategy, schedule, epoch, bar, child=min(n, schedule.child_steps),
               controller=min(n, schedule.controller_steps) if schedule.controller_steps > 0 else 0)
        # the derivation runs as it would after the last epoch; the timer ends it after n candidates
        bar.set_kind("derive")
        bar.stop_after("derive", n)
        strategy.derive(bar)
        bar.stop()
    for epoch in range(run.resumed_at, schedule.epochs):
        started = time.perf_counter()
        losses, logs = _epoch(strategy, schedule, epoch, bar, schedule.child_steps, schedule.controller_steps_in(epoch))
        row = strategy.epoch_row(epoch, losses, logs)
        run.history.append(row)
        run.seconds += time.perf_counter() - started
        # a multi-hour search is not silent: the epoch's numbers (already on the host) go to the progress status
        ctx.report(**{k: v for k, v in row.items() if isinstance(v, float) and math.isfinite(v)})
        ctx.save_checkpoint(CHECKPOINT, {"epoch": epoch + 1, "history": run.history, "seconds": run.seconds,
                                         "strategy": strategy.state_dict()})
    bar.set_kind("derive")
    run.derived = strategy.derive(bar)
    bar.close()
    return run


def _epoch(strategy: EnasStrategy, schedule: EnasSchedule, epoch: int, bar: Any, child: int,
           controller: int) -> tuple[list[float], list[dict[str, float]]]:
    """``child`` shared-weight steps then ``controller`` controller steps of one epoch."""
    strategy.start_child_epoch(epoch)
    bar.set_kind("child")
    losses: list[torch.Tensor] = []
    for i in range(child):
        losses.append(strategy.child_step(epoch * schedule.child_steps + i).detach())
        bar.update(1)
    logs: list[dict[str, float]] = []
    if controller > 0:
        strategy.start_controller_epoch(epoch)
        bar.set_kind("controller")
        for j in range(controller):
            logs.append(strategy.controller_step(epoch * schedule.controller_steps + j))
            bar.update(1)
    # one host read per epoch: float32 losses become the same Python floats a per-step float() gave
    return (torch.stack(losses).cpu().tolist() if losses else []), logs
