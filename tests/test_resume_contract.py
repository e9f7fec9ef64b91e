"""Resume equals uninterrupted, once for every searching plugin in the registry (timm's style: a plugin is in
unless listed with a reason). A unit killed right after its first search checkpoint and run again must give
the record an uninterrupted run gives: same genotype, same search history, same metrics on every image and
the same final weights (sha256). Before, five plugin-specific tests checked this five ways and a new plugin
was checked by none."""
from __future__ import annotations

import pytest

from srnas.context import RunContext
from srnas.harness.execution.runner import run_method
from srnas.methods import get_method, list_methods

#: searching plugins left out, with the reason
NOT_RESUMED = {"random": "its supernet training is the shared trainer's, whose resume tests/test_core_training.py checks"}
RESUMED = [n for n in list_methods() if get_method(n).searches and n not in NOT_RESUMED]


class Killed(Exception):
    pass


def _stable(record: dict) -> dict:
    info = record["search_info"]
    return {"genotype": record["genotype"], "history": info.get("history"), "final": info.get("final_architecture"),
            "metrics": {d: {k: v for k, v in m.items() if k != "seconds"} for d, m in record["metrics"].items()},
            "weights": (record.get("weights") or {}).get("sha256"), "train": record.get("train_info", {}).get("final_loss")}


@pytest.mark.parametrize("method", RESUMED)
def test_a_search_killed_after_its_first_checkpoint_resumes_to_the_uninterrupted_record(method, tmp_path, monkeypatch):
    args = dict(scale=2, seeds=[0], profile="smoke", overrides=['eval.datasets=["Set5"]'], quiet=True)
    reference = run_method(method, results=tmp_path / "ref", **args)[0].record
    save = RunContext.save_checkpoint
    killed: list[str] = []

    def save_then_die(self, phase, state):
        save(self, phase, state)
        if phase != "train" and not killed:  # the first checkpoint of a search phase
            killed.append(phase)
            raise Killed

    monkeypatch.setattr(RunContext, "save_checkpoint", save_then_die)
    try:
        run_method(method, results=tmp_path / "run", **args)
    except Killed:
        pass
    assert killed, f"{method}'s smoke search wrote no checkpoint: nothing to resume from (lower its checkpoint_every)"
    monkeypatch.setattr(RunContext, "save_checkpoint", save)
    resumed = run_method(method, results=tmp_path / "run", **args)[0].record
    assert killed[0] in " ".join(resumed["resumed_from"]), resumed["resumed_from"]
    assert _stable(resumed) == _stable(reference)
