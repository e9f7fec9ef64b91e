"""srnas sweep: the local pool equals sequential runs, two sweeps at once never run a unit twice, a killed
worker's unit resumes, submitit's executor runs the same units, and leases behave."""
import json
import os
import signal
import subprocess
import sys
import threading
import time

import pytest

from srnas.cli import main
from srnas.harness.execution import lease as L
from srnas.harness.execution import sweep
from srnas.harness.execution.records import load_record, scan_records
from srnas.harness.execution.runner import run_method


def _numbers(record):
    return ({d: (m["psnr"], m["ssim"]) for d, m in record["metrics"].items()}, record["train_info"], record["config_hash"])


def test_local_pool_with_two_workers_equals_sequential_runs(tmp_path, capsys):
    assert main(["sweep", "--methods", "bicubic", "fsrcnn", "--seeds", "0", "1", "--profile", "smoke", "--jobs", "2",
                 "--results", str(tmp_path / "pool"), "--quiet"]) == 0
    pooled = {(r["method"], r["seed"]): r for r in scan_records(tmp_path / "pool")[0]}
    assert len(pooled) == 4
    for method in ("bicubic", "fsrcnn"):
        for seq in run_method(method, 2, [0, 1], "smoke", results=tmp_path / "seq", quiet=True):
            assert _numbers(seq.record) == _numbers(pooled[(method, seq.record["seed"])])
    assert "4 done" in capsys.readouterr().out
    assert main(["sweep", "--methods", "bicubic", "fsrcnn", "--seeds", "0", "1", "--profile", "smoke", "--status",
                 "--results", str(tmp_path / "pool")]) == 0
    assert "4 units: 4 done" in capsys.readouterr().out


def test_two_sweeps_at_once_make_each_record_once(tmp_path):
    argv = [sys.executable, "-m", "srnas.cli", "sweep", "--methods", "bicubic", "fsrcnn", "--scales", "2", "--seeds", "0", "1", "2",
            "--profile", "smoke", "--jobs", "2", "--results", str(tmp_path), "--quiet"]
    procs = [subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) for _ in range(2)]
    outs = [p.communicate(timeout=300)[0] for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs
    records, problems = scan_records(tmp_path)
    assert len(records) == 6 and not problems
    logs = "".join(p.read_text() for p in (tmp_path / "sweeps" / "logs").glob("*.log"))
    assert logs.count(" train ") == 6  # "search Ns train Ns eval Ns": each unit computed exactly once
    # each sweep took the next free unit: no unit was launched twice to wait on the other sweep's lease
    # (before: 6 "already done" -- the two sweeps moved in lock-step and the second added no throughput)
    assert logs.count("--- attempt") == 6 and logs.count("already done") == 0
    assert not list((tmp_path / "sweeps" / "claims").glob("*.claim"))  # every claim released


def test_a_worker_killed_mid_unit_is_retried_and_resumes_to_the_uninterrupted_record(tmp_path):
    overrides = ["train.steps=400", "train.checkpoint_every=20"]
    (unit,) = sweep.expand(["fsrcnn"], [2], [0], "smoke", overrides=overrides)
    results = tmp_path / "sweep"
    box = {}
    t = threading.Thread(target=lambda: box.update(s=sweep.run_local([unit], results, jobs=1, retries=1, quiet=True)))
    t.start()
    ckpt = results / "checkpoints" / unit.key / "train.pt"
    lpath = L.lease_path(results, unit.key)
    deadline = time.time() + 120
    while not ckpt.exists() and time.time() < deadline:
        time.sleep(0.05)
    assert ckpt.exists(), "the unit never reached a training checkpoint"
    os.kill(int(json.loads(lpath.read_text())["pid"]), signal.SIGKILL)
    t.join(300)
    assert box["s"].ok
    resumed = load_record(next((results / "runs").rglob("*.json")))
    assert "train" in resumed["resumed_from"] and resumed["attempts"] == 2
    (reference,) = run_method("fsrcnn", 2, [0], "smoke", overrides=overrides, results=tmp_path / "ref", quiet=True)
    assert _numbers(resumed) == _numbers(reference.record)
    assert "attempt 2" in sweep.log_path(results, unit).read_text()


def test_submitit_debug_executor_runs_the_same_units(tmp_path, capsys):
    pytest.importorskip("submitit")
    assert main(["sweep", "--methods", "bicubic", "--seeds", "0", "1", "--profile", "smoke", "--executor", "debug",
                 "--results", str(tmp_path), "--quiet"]) == 0
    records = scan_records(tmp_path)[0]
    assert sorted(r["seed"] for r in records) == [0, 1]
    assert (tmp_path / "sweeps" / "submitit").is_dir()
    (ref,) = run_method("bicubic", 2, [0], "smoke", results=tmp_path / "ref", quiet=True)
    assert _numbers(ref.record) == _numbers(next(r for r in records if r["seed"] == 0))


def test_an_unknown_variant_in_a_sweep_is_a_clear_error(tmp_path, capsys):
    assert main(["sweep", "--methods", "bicubic", "--variants", "nosuch", "--profile", "smoke", "--results", str(tmp_path)]) == 2
    assert "not a variant of bicubic" in capsys.readouterr().err


# --------------------------------------------------------------------------------------------- leases

def test_a_live_holder_keeps_its_lease_and_release_frees_it(tmp_path):
    path = tmp_path / "u.lease"
    held = L.acquire(path)
    assert held is not None
    child = subprocess.run([sys.executable, "-c", f"from srnas.harness.execution.lease import acquire; print(acquire({str(path)!r}) is None)"],
                           capture_output=True, text=True, check=True)
    assert child.stdout.strip() == "True"  # another process cannot take a lease whose holder is alive
    held.release()
    assert not path.exists() and L.acquire(path) is not None


def test_a_dead_holders_lease_is_taken_over(tmp_path):
    path = tmp_path / "u.lease"
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    path.write_text(json.dumps({"host": L.socket.gethostname(), "pid": dead.pid, "owner": f"x:{dead.pid}", "token": "old",
                                "heartbeat": time.time()}))
    got = L.acquire(path)
    assert got is not None and json.loads(path.read_text())["token"] == got.info["token"]


def test_a_silent_holder_on_another_host_goes_stale_after_the_timeout(tmp_path):
    path = tmp_path / "u.lease"
    path.write_text(json.dumps({"host": "elsewhere", "pid": 1, "owner": "elsewhere:1", "token": "t", "heartbeat": time.time() - 100}))
    assert L.acquire(path, stale_after_s=1000) is None
    assert L.acquire(path, stale_after_s=50) is not None


def test_a_requeued_slurm_task_takes_over_its_own_lease(tmp_path, monkeypatch):
    path = tmp_path / "u.lease"
    monkeypatch.setenv("SLURM_ARRAY_JOB_ID", "77")
    monkeypatch.setenv("SLURM_ARRAY_TASK_ID", "3")
    path.write_text(json.dumps({"host": "node9", "pid": 12345, "owner": "slurm:77_3", "token": "t", "heartbeat": time.time()}))
    assert L.acquire(path) is not None


def test_sweep_status_shows_a_running_units_step_loss_and_eta(tmp_path, capsys):
    """The lease heartbeat carries the unit's progress; --status prints it (issue 23)."""
    env = {**os.environ, "SRNAS_LEASE_HEARTBEAT_S": "0.3"}
    grid = ["--methods", "fsrcnn", "--scales", "2", "--seeds", "0", "--profile", "smoke", "--set", "train.steps=20000",
            "--set", "train.checkpoint_every=0", "--results", str(tmp_path)]
    proc = subprocess.Popen([sys.executable, "-m", "srnas.cli", "sweep", *grid, "--quiet"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        line = ""
        deadline = time.time() + 120
        while time.time() < deadline:
            time.sleep(0.5)
            if not (tmp_path / "leases").exists():
                continue
            assert main(["sweep", *grid, "--status"]) == 0
            out = capsys.readouterr().out
            line = next((x for x in out.splitlines() if x.strip().startswith("running")), "")
            if "ETA" in line and "loss" in line:
                break
        assert "1 running" in out
        assert "train step " in line and "/20000" in line and "loss" in line and "steps/s" in line and "ETA" in line, line
    finally:
        os.killpg(proc.pid, signal.SIGKILL)  # the sweep and the unit process it started
        proc.wait()
    log = next((tmp_path / "logs").rglob("*.log")).read_text()
    assert "attempt 1: starting" in log


def test_a_resumed_unit_says_so_in_its_log(tmp_path):
    from srnas.harness.execution.runner import unit_log_path
    from srnas.harness.execution.records import run_key

    outcome = run_method("fsrcnn", 2, [0], "smoke", results=tmp_path, quiet=True)[0]
    key = run_key("fsrcnn", "default", 2, "smoke", 0, outcome.record["config_hash"])
    assert "attempt 1: starting" in unit_log_path(tmp_path, key).read_text()


def test_status_of_a_folder_that_does_not_exist_is_an_error(tmp_path, capsys):
    assert main(["sweep", "--methods", "fsrcnn", "--profile", "smoke", "--status", "--results", str(tmp_path / "typo")]) == 2
    assert "no such folder" in capsys.readouterr().err


def test_the_loader_reaches_every_unit_as_an_argument_not_through_the_environment(tmp_path, monkeypatch):
    """Issue 24: run options are arguments (SRNAS_LOADER only a CLI default). A sweep hands --loader to each
    worker's command line and leaves this process's environment alone; the records name the loader."""
    monkeypatch.delenv("SRNAS_LOADER", raising=False)
    unit = sweep.expand(["fsrcnn"], [2], [0], "smoke")[0]
    argv = unit.run_argv(tmp_path, None, "cpu", 1, "workers=2")
    assert argv[argv.index("--loader") + 1] == "workers=2"
    assert main(["sweep", "--methods", "fsrcnn", "--seeds", "0", "--profile", "smoke", "--loader", "workers=2",
                 "--results", str(tmp_path / "pool"), "--quiet"]) == 0
    assert "SRNAS_LOADER" not in os.environ
    (record,) = scan_records(tmp_path / "pool")[0]
    assert record["loader"] == "workers=2"
    direct = run_method("fsrcnn", 2, [0], "smoke", results=tmp_path / "direct", quiet=True, loader="workers=2")[0].record
    assert direct["loader"] == "workers=2" and _numbers(direct) == _numbers(record)
