"""Every registered plugin runs its smoke profile end to end through the runner; broken plugins are skipped."""
import math
from importlib.metadata import EntryPoint

import pytest

import srnas.methods as registry
from srnas.cli import main
from srnas.harness.execution.runner import run_method
from srnas.methods import ENTRY_POINT_GROUP, broken_methods, list_methods


@pytest.mark.smoke
@pytest.mark.parametrize("name", list_methods())
def test_smoke_profile_runs_end_to_end(name, tmp_path):
    outcome = run_method(name, 2, [0], "smoke", results=tmp_path, quiet=True)[0]
    record = outcome.record
    assert record["status"] == "complete" and record["method"] == name
    for dataset in record["config"]["eval"]["datasets"]:
        scores = record["metrics"][dataset]
        assert math.isfinite(scores["psnr"]) and 0 < scores["ssim"] <= 1 and scores["n"] > 0
    assert record["cost"]["params"] >= 0
    # the defaults the config left out are named beside it, outside the hash (tests/test_optional_defaults.py)
    assert isinstance(record["defaults_applied"], dict) and "train.amp" in record["defaults_applied"]


def _fake_entry_points(group=None):
    assert group == ENTRY_POINT_GROUP
    return [EntryPoint(name="broken-plugin", value="srnas_no_such_module:Nope", group=ENTRY_POINT_GROUP)]


def test_broken_entry_point_is_reported_and_skipped(monkeypatch, capsys):
    monkeypatch.setattr(registry, "entry_points", _fake_entry_points)
    monkeypatch.setattr(registry, "_BROKEN", {})
    assert "broken-plugin" not in list_methods() and "bicubic" in list_methods()
    assert "srnas_no_such_module" in broken_methods()["broken-plugin"]
    assert main(["methods"]) == 0
    captured = capsys.readouterr()
    assert "bicubic" in captured.out.split() and "broken-plugin" not in captured.out
    assert "plugin 'broken-plugin' failed to load" in captured.err
    assert main(["run", "broken-plugin", "--profile", "smoke"]) == 2
    assert "failed to load" in capsys.readouterr().err
