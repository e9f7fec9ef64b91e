"""The shared ENAS loop (srnas.nas.enas) on a toy strategy: step numbering, the controller's start epoch,
one history row per epoch, a checkpoint after every epoch that a resumed run continues from, the derivation
after the last epoch, and a dry run that times all three step kinds (child, controller, derive) with their
own counts. The plugins' own resume-equals-uninterrupted runs
are checked over the registry in tests/test_resume_contract.py."""
from __future__ import annotations

from typing import Any

import pytest
import torch

from srnas.context import RunContext
from srnas.nas.enas import EnasSchedule, run_enas
from srnas.step_timer import DryRunStop


class Toy:
    """A strategy whose state is a counter; every call is logged."""

    def __init__(self, candidates: int = 7) -> None:
        self.calls: list[tuple[str, int]] = []
        self.total = 0.0
        self.candidates = candidates

    def start_child_epoch(self, epoch: int) -> None:
        self.calls.append(("child-epoch", epoch))

    def child_step(self, step: int) -> torch.Tensor:
        self.calls.append(("child", step))
        self.total += step
        return torch.tensor(float(step), requires_grad=True) * 0.5

    def start_controller_epoch(self, epoch: int) -> None:
        self.calls.append(("controller-epoch", epoch))

    def controller_step(self, step: int) -> dict[str, float]:
        self.calls.append(("controller", step))
        return {"reward": float(step) + self.total}

    def epoch_row(self, epoch: int, child_losses: list[float], controller_logs: list[dict[str, float]]) -> dict[str, Any]:
        return {"epoch": epoch + 1, "loss": child_losses, "rewards": [x["reward"] for x in controller_logs]}

    def state_dict(self) -> dict[str, Any]:
        return {"total": self.total}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.total = state["total"]

    def derivation_size(self) -> int:
        return self.candidates

    def derive(self, progress: Any) -> str:
        for i in range(self.candidates):
            self.calls.append(("derive", i))
            progress.update(1)
        return f"best of {self.candidates} after {self.total}"


SCHEDULE = EnasSchedule(epochs=3, child_steps=2, controller_steps=2, controller_start_epoch=1)


def test_steps_are_numbered_over_the_search_and_the_controller_starts_late():
    toy = Toy()
    run = run_enas(toy, SCHEDULE, RunContext(quiet=True), "toy")
    assert toy.calls == [("child-epoch", 0), ("child", 0), ("child", 1),
                         ("child-epoch", 1), ("child", 2), ("child", 3), ("controller-epoch", 1), ("controller", 2), ("controller", 3),
                         ("child-epoch", 2), ("child", 4), ("child", 5), ("controller-epoch", 2), ("controller", 4), ("controller", 5),
                         *[("derive", i) for i in range(7)]]
    assert run.derived == "best of 7 after 15.0"  # derived after the last epoch, from its state
    # the losses come back detached and read once per epoch, as the floats the steps returned
    assert [row["loss"] for row in run.history] == [[0.0, 0.5], [1.0, 1.5], [2.0, 2.5]]
    assert [row["rewards"] for row in run.history] == [[], [8.0, 9.0], [19.0, 20.0]]


def test_a_resumed_loop_continues_from_the_last_epoch_saved(tmp_path):
    full = run_enas(Toy(), SCHEDULE, RunContext(quiet=True), "toy")
    ctx = RunContext(run_dir=tmp_path, quiet=True)
    save, saved = ctx.save_checkpoint, []

    def save_then_die(phase: str, state: dict[str, Any]) -> None:
        save(phase, state)
        saved.append(state["epoch"])
        if state["epoch"] == 2:
            raise KeyboardInterrupt

    ctx.save_checkpoint = save_then_die  # type: ignore[method-assign]
    with pytest.raises(KeyboardInterrupt):
        run_enas(Toy(), SCHEDULE, ctx, "toy")
    assert saved == [1, 2]
    again = Toy()
    resumed = run_enas(again, SCHEDULE, RunContext(run_dir=tmp_path, quiet=True), "toy")
    assert resumed.resumed_at == 2 and resumed.history == full.history
    assert [c for c in again.calls if c[0] == "child"] == [("child", 4), ("child", 5)]
    # the last epoch is saved too: a run killed in its derivation resumes straight to it
    finished = run_enas(Toy(), SCHEDULE, RunContext(run_dir=tmp_path, quiet=True), "toy")
    assert finished.resumed_at == 3 and finished.history == full.history and finished.derived == full.derived


def test_the_progress_counts_the_derivation():
    """A unit's step/total (and so its ETA in `srnas sweep --status`) runs to the end of its derivation."""
    ctx = RunContext(quiet=True)
    seen = []

    class Spy(Toy):
        def derive(self, progress: Any) -> str:
            seen.append((ctx.status["step"], ctx.status["total"]))
            out = super().derive(progress)
            seen.append((ctx.status["step"], ctx.status["total"]))
            return out

    run_enas(Spy(), SCHEDULE, ctx, "toy")
    assert seen == [(10, 17), (17, 17)]  # 6 child + 4 controller steps, then 7 candidates


def test_a_dry_run_times_every_kind_the_derivation_included():
    ctx = RunContext(quiet=True, dry_run=2)
    toy = Toy()
    with pytest.raises(DryRunStop):
        run_enas(toy, SCHEDULE, ctx, "toy")
    entry = ctx.dry_log["toy"]
    assert entry["plan"] == {"child": 6, "controller": 4, "derive": 7}
    # one warm-up and up to two timed steps of each kind (an epoch has two of each loop kind); the derivation is
    # cut after its third candidate
    assert [c for c in toy.calls if c[0] != "child-epoch" and c[0] != "controller-epoch"] == [
        ("child", 0), ("child", 1), ("controller", 0), ("controller", 1), ("derive", 0), ("derive", 1), ("derive", 2)]
    assert {k: len(v) for k, v in entry["kinds"].items()} == {"child": 1, "controller": 1, "derive": 2}


def test_a_dry_run_of_a_short_derivation_stops_after_it():
    """Fewer candidates than the timed steps: the derivation runs whole, then the loop stops (it used to stop
    before the derivation and project nothing for it); a lone candidate is projected from its warm-up step."""
    from srnas.harness.execution.dryrun import summarise

    ctx = RunContext(quiet=True, dry_run=5)
    with pytest.raises(DryRunStop):
        run_enas(Toy(candidates=1), SCHEDULE, ctx, "toy")
    derive = summarise(ctx.dry_log)["toy"]["kinds"]["derive"]
    assert derive["count"] == 1 and derive["timed_steps"] == 0 and derive["from_warmup"] and derive["median_step_s"] > 0


def test_a_checkpoint_of_the_old_per_plugin_loop_is_named_with_the_fix(tmp_path):
    from srnas.errors import SrnasError

    ctx = RunContext(run_dir=tmp_path, quiet=True)
    ctx.save_checkpoint("search", {"epoch": 1, "history": [], "supernet": {}, "sampler": None})  # DeCoNAS's former layout
    with pytest.raises(SrnasError, match=r"search\.pt: a search checkpoint from an older version .* delete it"):
        run_enas(Toy(), SCHEDULE, ctx, "toy")
