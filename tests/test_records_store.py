"""The record store cannot be fooled: copies never count twice, stray files are skipped and reported,
two writers of one unit publish exactly one record."""
import json
import multiprocessing as mp
import shutil

import pytest

from srnas.cli import main
from srnas.harness.reporting.aggregate import group_records
from srnas.harness.execution.records import RecordExists, load_record, record_path, run_key, scan_records, write_record


def _record(seed, psnr, profile="short", method="deconas"):
    return {"method": method, "variant": "default", "scale": 2, "profile": profile, "seed": seed, "config_hash": "cfg1",
            "config": {"eval": {"protocol": "canonical"}}, "metrics": {"Set5": {"psnr": psnr, "ssim": 0.9}},
            "cost": {"params": 10, "macs": [{"input": "1x3x480x480 (LR)", "macs": 10, "macs_per_lr_pixel": 1.0}]}, "timings_s": {"search": 0, "train": 0, "eval": 0}}


def _write(results, rec):
    path = record_path(results, run_key(rec["method"], rec["variant"], rec["scale"], rec["profile"], rec["seed"], rec["config_hash"]))
    write_record(path, rec)
    return path


def test_a_copy_under_another_name_is_never_counted(tmp_path):
    p0 = _write(tmp_path, _record(0, 35.5))
    _write(tmp_path, _record(2, 36.3))
    shutil.copy(p0, p0.with_name("seed0-cfg1 (copy).json"))
    shutil.copy(p0, p0.parent.parent / "seed0-cfg1.json")  # a copy one folder up
    records, problems = scan_records(tmp_path)
    assert sorted(r["seed"] for r in records) == [0, 2]
    assert len(problems) == 2 and all("never counted" in p.reason for p in problems)
    (g,) = group_records(records, "short", 2)
    assert g.seeds == [0, 2]


def test_a_stray_or_broken_json_is_reported_and_the_rest_still_aggregates(tmp_path, capsys):
    _write(tmp_path, _record(0, 35.5))
    stray = tmp_path / "runs" / "notes.json"
    stray.write_text("{not json")
    assert main(["table", "--profile", "short", "--scale", "2", "--results", str(tmp_path)]) == 0
    err = capsys.readouterr().err
    assert str(stray) in err and "unreadable" in err and "delete it" in err


def test_check_fails_when_a_bad_file_sits_in_a_judged_group(tmp_path, capsys):
    p = _write(tmp_path, _record(0, 33.67, profile="paper", method="bicubic"))
    p.with_name("seed1-cfg1.json").write_text("{}")
    assert main(["check", "--results", str(tmp_path), "--no-page"]) == 1
    assert "judged (paper-profile) group" in capsys.readouterr().err


def test_write_record_never_overwrites(tmp_path):
    path = _write(tmp_path, _record(0, 35.5))
    with pytest.raises(RecordExists):
        write_record(path, _record(0, 99.0))
    assert load_record(path)["metrics"]["Set5"]["psnr"] == 35.5


def _race(args):
    path, value, barrier = args
    barrier.wait()
    try:
        write_record(path, _record(0, value))
        return "won"
    except RecordExists:
        return "lost"


def _racer(path, value, barrier, queue):
    queue.put(_race((path, value, barrier)))


def test_two_writers_of_one_unit_publish_exactly_one_record(tmp_path):
    ctx = mp.get_context("fork")
    for trial in range(20):
        path = tmp_path / f"t{trial}" / "seed0-cfg1.json"
        barrier, queue = ctx.Barrier(2), ctx.Queue()
        procs = [ctx.Process(target=_racer, args=(path, 30.0 + i, barrier, queue)) for i in range(2)]
        for p in procs:
            p.start()
        for p in procs:
            p.join(30)
        outcomes = sorted(queue.get(timeout=5) for _ in procs)
        assert outcomes == ["lost", "won"], trial
        assert len([f for f in path.parent.iterdir() if f.suffix == ".json"]) == 1
        assert not list(path.parent.glob(".*.tmp"))
        json.loads(path.read_text())


def test_a_record_names_the_code_its_run_started_on_and_says_when_the_tree_changed(monkeypatch):
    """git state is captured when the run starts; a tree that changes before the record is written is
    stated (changed_during_run, at_publish), never silently replaced by the state at the end."""
    from srnas.harness.execution import env

    start = {"commit": "a" * 40, "dirty": False}
    monkeypatch.setattr(env, "git_state", lambda root=env.REPO_ROOT: start)
    assert env.git_provenance(dict(start)) == start
    later = {"commit": "b" * 40, "dirty": True}
    monkeypatch.setattr(env, "git_state", lambda root=env.REPO_ROOT: later)
    assert env.git_provenance(dict(start)) == {**start, "changed_during_run": True, "at_publish": later}


def test_a_run_whose_tree_changes_mid_run_says_so_in_its_record(tmp_path, monkeypatch):
    import json

    from srnas.cli import main
    from srnas.harness.execution import env, runner

    states = iter([{"commit": "a" * 40, "dirty": False}])
    later = {"commit": "b" * 40, "dirty": False}
    monkeypatch.setattr(runner, "git_state", lambda root=env.REPO_ROOT: next(states, later))
    monkeypatch.setattr(env, "git_state", lambda root=env.REPO_ROOT: later)
    assert main(["run", "bicubic", "--profile", "smoke", "--scale", "2", "--results", str(tmp_path), "--quiet",
                 "--set", 'eval.datasets=["Set5"]']) == 0
    (path,) = (tmp_path / "runs").rglob("*.json")
    record = json.loads(path.read_text())
    assert record["git"]["commit"] == "a" * 40 and record["git"]["changed_during_run"] is True
    assert record["git"]["at_publish"] == later and any("git tree changed" in n for n in record["notes"])
