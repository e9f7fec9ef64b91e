"""srnas run: determinism, resume after a kill, skip of finished runs, record integrity, config errors."""
import json

import pytest

from srnas.cli import main
from srnas.context import RunContext
from srnas.errors import RecordError
from srnas.harness.execution.records import load_record, seal, write_record
from srnas.harness.execution.runner import run_method

SMOKE = dict(scale=2, seeds=[0], profile="smoke", quiet=True)


class Killed(Exception):
    """Stands in for SIGKILL in the middle of training."""


def _metrics(outcome):
    return {d: (m["psnr"], m["ssim"]) for d, m in outcome.record["metrics"].items()}


def test_same_seed_gives_identical_numbers(tmp_path):
    a = run_method("fsrcnn", results=tmp_path / "a", **SMOKE)[0]
    b = run_method("fsrcnn", results=tmp_path / "b", **SMOKE)[0]
    assert _metrics(a) == _metrics(b)
    assert a.record["config_hash"] == b.record["config_hash"]
    assert a.record["train_info"]["loss_curve"] == b.record["train_info"]["loss_curve"]


def test_other_seed_gives_other_numbers(tmp_path):
    a = run_method("fsrcnn", results=tmp_path, **SMOKE)[0]
    b = run_method("fsrcnn", results=tmp_path, **{**SMOKE, "seeds": [1]})[0]
    assert _metrics(a) != _metrics(b)


def test_killed_run_resumes_to_the_uninterrupted_numbers(tmp_path, monkeypatch):
    reference = run_method("fsrcnn", results=tmp_path / "ref", **SMOKE)[0]
    save = RunContext.save_checkpoint

    def save_then_die(self, phase, state):
        save(self, phase, state)
        if phase == "train":  # smoke: checkpoint_every 2 of 5 steps -> dies after step 2
            raise Killed

    monkeypatch.setattr(RunContext, "save_checkpoint", save_then_die)
    with pytest.raises(Killed):
        run_method("fsrcnn", results=tmp_path / "run", **SMOKE)
    assert list((tmp_path / "run" / "checkpoints").rglob("train.pt"))
    assert not list((tmp_path / "run").rglob("*.json"))  # no record for an unfinished run
    monkeypatch.setattr(RunContext, "save_checkpoint", save)

    resumed = run_method("fsrcnn", results=tmp_path / "run", **SMOKE)[0]
    assert resumed.record["resumed_from"] == ["train"]
    assert _metrics(resumed) == _metrics(reference)
    assert resumed.record["train_info"]["loss_curve"] == reference.record["train_info"]["loss_curve"]
    assert not list((tmp_path / "run" / "checkpoints").rglob("*.pt"))  # cleaned after the record


def test_finished_run_is_skipped_and_never_overwritten(tmp_path):
    first = run_method("bicubic", results=tmp_path, **SMOKE)[0]
    before = first.path.read_bytes()
    again = run_method("bicubic", results=tmp_path, **SMOKE)[0]
    assert again.skipped and not first.skipped
    assert again.path == first.path and first.path.read_bytes() == before


def _record():
    return {"schema": 1, "status": "complete", "method": "m", "variant": "default", "scale": 2, "profile": "smoke",
            "seed": 0, "config_hash": "abc", "config": {}, "metrics": {"Set5": {"psnr": 30.0, "ssim": 0.9}}}


@pytest.mark.parametrize("damage", ["truncate", "edit", "drop_hash", "not_json", "incomplete"])
def test_damaged_record_is_detected(tmp_path, damage):
    path = tmp_path / "r.json"
    write_record(path, _record())
    text = path.read_text()
    if damage == "truncate":
        path.write_text(text[: len(text) // 2])
    elif damage == "edit":
        path.write_text(text.replace("30.0", "31.0"))
    elif damage == "drop_hash":
        data = json.loads(text)
        del data["sha256"]
        path.write_text(json.dumps(data))
    elif damage == "not_json":
        path.write_text("")
    elif damage == "incomplete":
        path.write_text(json.dumps(seal({**_record(), "status": "running"}) | {"status": "running"}))
    with pytest.raises(RecordError, match="delete it and rerun"):
        load_record(path)


def test_intact_record_loads_and_cannot_be_overwritten(tmp_path):
    path = tmp_path / "r.json"
    write_record(path, _record())
    assert load_record(path)["metrics"]["Set5"]["psnr"] == 30.0
    with pytest.raises(RecordError, match="never overwritten"):
        write_record(path, _record())


def test_rerun_over_a_corrupt_record_fails_loudly(tmp_path, capsys):
    outcome = run_method("bicubic", results=tmp_path, **SMOKE)[0]
    outcome.path.write_text(outcome.path.read_text()[:100])
    assert main(["run", "bicubic", "--profile", "smoke", "--results", str(tmp_path), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert str(outcome.path) in err and "delete it and rerun" in err


@pytest.mark.parametrize(
    "override, message",
    [
        ("train.stepz=3", "unknown config key 'train.stepz'"),
        ("train.steps=abc", "bad value for train.steps"),
        ("train.augment=1", "bad value for train.augment"),
        ("nosuch.key=1", "unknown config key 'nosuch'"),
        ("train.steps", "expected KEY.PATH=VALUE"),
    ],
)
def test_bad_config_is_a_one_line_error_with_exit_2(tmp_path, capsys, override, message):
    code = main(["run", "fsrcnn", "--profile", "smoke", "--results", str(tmp_path), "--quiet", "--set", override])
    err = capsys.readouterr().err
    assert code == 2 and message in err and "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "runs").exists()


def test_unknown_variant_and_method_exit_2(tmp_path, capsys):
    assert main(["run", "fsrcnn", "--variant", "nope", "--profile", "smoke", "--results", str(tmp_path)]) == 2
    assert "unknown variant 'nope'" in capsys.readouterr().err
    assert main(["run", "no-such-method", "--profile", "smoke", "--results", str(tmp_path)]) == 2
    assert "unknown method 'no-such-method'" in capsys.readouterr().err


def test_record_describes_the_run(tmp_path):
    outcome = run_method("fsrcnn", results=tmp_path, **SMOKE)[0]
    r = outcome.record
    assert outcome.path == tmp_path / "runs/fsrcnn/default/x2/smoke" / f"seed0-{r['config_hash']}.json"
    assert r["config"]["scale"] == 2 and r["config"]["profile"] == "smoke" and r["config"]["options"]["bicubic_residual"] is True
    assert r["cost"]["params"] > 0 and [m["input"] for m in r["cost"]["macs"]] == ["1x3x480x480 (LR)", "1x3x360x640 (LR)"]
    assert r["env"]["torch_threads"] == 1 and r["device"] == "cpu"
    assert set(r["timings_s"]) == {"search", "train", "eval"}
    assert r["metrics"]["Set5"]["n"] == 5 and r["metrics"]["Set5"]["protocol"] == "canonical"
    assert r["determinism"]["tf32"] == {"matmul": False, "cudnn": False}  # faithful float32, recorded
    assert r["peak_gpu_memory_bytes"] is None and r["attempts"] == 1


def test_params_command_prints_the_integer_first(capsys, tmp_path):
    assert main(["params", "fsrcnn", "--scale", "2"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "24683"  # FSRCNN(56,12,4) on RGB: 3->56 5x5, 56->12, 4x 12->12 3x3, 12->56, 9x9 deconv, PReLUs
    assert "1x3x480x480 (LR)" in lines[1]
    genotype = tmp_path / "g.json"
    genotype.write_text(json.dumps({"genotype": {"d": 32, "s": 8, "m": 2}}))
    assert main(["params", "fsrcnn", "--genotype", str(genotype)]) == 0
    assert int(capsys.readouterr().out.splitlines()[0]) < 24683


def test_nondeterministic_op_warnings_are_noted_in_the_record(tmp_path, monkeypatch):
    import warnings

    from srnas.methods.fsrcnn import FSRCNNMethod

    train = FSRCNNMethod.train

    def train_with_a_nondeterministic_op(self, *args, **kwargs):
        warnings.warn("upsample_bilinear2d_backward_out_cuda does not have a deterministic implementation", UserWarning)
        return train(self, *args, **kwargs)

    monkeypatch.setattr(FSRCNNMethod, "train", train_with_a_nondeterministic_op)
    with pytest.warns(UserWarning, match="deterministic"):
        record = run_method("fsrcnn", results=tmp_path, **SMOKE)[0].record
    assert record["notes"] == ["upsample_bilinear2d_backward_out_cuda does not have a deterministic implementation"]


def test_resumed_record_equals_an_uninterrupted_one_and_its_time_adds_every_attempt(tmp_path, monkeypatch):
    """Cut mid-window (curve points every 2 steps, checkpoints every 3): the curve, final loss and every
    number equal the uninterrupted run's; only the fields that say it resumed (and wall times) differ."""
    import time

    args = dict(SMOKE, overrides=["train.steps=40", "train.checkpoint_every=3"])
    reference = run_method("fsrcnn", results=tmp_path / "ref", **args)[0].record
    save = RunContext.save_checkpoint

    def slow_save_then_die(self, phase, state):
        if phase == "train" and state["step"] == 9:
            time.sleep(0.5)  # time spent before the checkpoint: must be carried into the resumed record
            save(self, phase, state)
            raise Killed
        save(self, phase, state)

    monkeypatch.setattr(RunContext, "save_checkpoint", slow_save_then_die)
    with pytest.raises(Killed):
        run_method("fsrcnn", results=tmp_path / "run", **args)
    monkeypatch.setattr(RunContext, "save_checkpoint", save)
    resumed = run_method("fsrcnn", results=tmp_path / "run", **args)[0].record
    volatile = {"timings_s", "resumed_from", "attempts", "finished_utc", "sha256", "env", "git"}

    def stable(record):  # wall-clock seconds per evaluated set are timings too
        out = {k: v for k, v in record.items() if k not in volatile}
        out["metrics"] = {d: {k: v for k, v in m.items() if k != "seconds"} for d, m in record["metrics"].items()}
        return out

    assert stable(resumed) == stable(reference)
    assert resumed["train_info"]["final_loss"] == reference["train_info"]["final_loss"]
    assert resumed["resumed_from"] == ["train"] and resumed["attempts"] == 2 and reference["attempts"] == 1
    assert resumed["timings_s"]["train"] >= 0.5
