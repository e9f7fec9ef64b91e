"""A smoke sweep as a SLURM job array on a real one-node cluster on localhost (tests/slurm/setup_local_slurm.sh),
with one array task requeued mid-run: every record present once, the requeued unit resumed from its
checkpoint to the uninterrupted numbers. Slow; skipped with the reason where SLURM cannot be set up."""
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from srnas.harness.execution import sweep
from srnas.harness.execution.lease import lease_path
from srnas.harness.execution.records import load_record, record_path, scan_records
from srnas.harness.execution.runner import run_method

pytestmark = pytest.mark.slow
SETUP = Path(__file__).parent / "slurm" / "setup_local_slurm.sh"


@pytest.fixture(scope="module")
def cluster():
    pytest.importorskip("submitit")
    if shutil.which("sinfo"):
        up = subprocess.run(["sinfo", "-h", "-o", "%T"], capture_output=True, text=True)
        if up.returncode == 0 and any(s in up.stdout for s in ("idle", "mixed", "allocated")):
            return
    done = subprocess.run(["bash", str(SETUP)], capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"no local SLURM cluster: {SETUP.name} exited {done.returncode}: {(done.stderr or done.stdout).strip()[-300:]}")


def test_a_job_array_sweep_survives_a_requeue(cluster, tmp_path):
    overrides = ["train.steps=600", "train.checkpoint_every=20"]
    results = tmp_path / "results"
    units = sweep.expand(["fsrcnn"], [2], [0, 1, 2], "smoke", overrides=overrides)
    argv = [sys.executable, "-m", "srnas.cli", "sweep", "--methods", "fsrcnn", "--seeds", "0", "1", "2", "--profile", "smoke",
            "--executor", "slurm", "--jobs", "2", "--slurm-time", "20", "--results", str(results), "--quiet"]
    for o in overrides:
        argv += ["--set", o]
    log = open(tmp_path / "sweep.log", "w")
    proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, text=True)
    victim, deadline = None, time.time() + 240
    while victim is None and time.time() < deadline and proc.poll() is None:
        for unit in units:
            ckpt = results / "checkpoints" / unit.key / "train.pt"
            lease = lease_path(results, unit.key)
            if ckpt.exists() and lease.exists():
                owner = json.loads(lease.read_text() or "{}").get("owner", "")
                if owner.startswith("slurm:"):
                    victim = (unit, owner.removeprefix("slurm:"))
                    break
        time.sleep(0.2)
    assert victim is not None, "no array task reached a checkpoint"
    unit, task = victim
    subprocess.run(["scontrol", "requeue", task], check=True)
    assert proc.wait(timeout=600) == 0, (tmp_path / "sweep.log").read_text()
    log.close()
    records, problems = scan_records(results)
    assert sorted(r["seed"] for r in records) == [0, 1, 2] and not problems
    requeued = load_record(record_path(results, unit.key))
    assert requeued["attempts"] >= 2 and "train" in requeued["resumed_from"]
    (reference,) = run_method("fsrcnn", 2, [unit.seed], "smoke", overrides=overrides, results=tmp_path / "ref", quiet=True)
    assert requeued["metrics"]["Set5"]["psnr"] == reference.record["metrics"]["Set5"]["psnr"]
    assert requeued["train_info"] == reference.record["train_info"]
    print(f"requeued array task {task} (seed {unit.seed}): attempts {requeued['attempts']}, resumed_from {requeued['resumed_from']}")
    print((tmp_path / "sweep.log").read_text()[-2000:])
