"""benchmarks/gpu_paper_path.sh, the one prepared call for a session lent a GPU (issue 23), run here on the CPU
with small settings: a GPU session's device minutes must not be spent finding a typo in it. One failing step
(an unknown method) must not stop the others, and the script must still exit non-zero and name it."""
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_gpu_script_runs_every_step_and_names_a_failed_one(tmp_path):
    """Its steps in order under a generous budget; the failed one named, the ones after it run."""
    env = {**os.environ, "OUT": str(tmp_path / "out"), "WORK": str(tmp_path / "work"), "PY": sys.executable,
           "DEVICE": "cpu", "SIZE": "96x120", "DISTINCT": "2", "DRY_RUN_METHODS": "trilevel", "DRY_RUN_STEPS": "1",
           "SMOKE_METHODS": "no-such-method bicubic"}
    done = subprocess.run(["bash", str(ROOT / "benchmarks" / "gpu_paper_path.sh")], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=600)
    log = (tmp_path / "out" / "log").read_text()
    assert done.returncode == 1, log
    assert "FAILED: smoke no-such-method (exit 2)" in log and "all steps passed" not in log
    results = tmp_path / "out" / "results"
    (projection,) = results.glob("projections/trilevel/default/x2/paper/cpu-*.json")
    rec = json.loads(projection.read_text())
    assert rec["train_data"]["stand_in"]["hr_size"] == [96, 120] and rec["train_data"]["stand_in"]["distinct"] == 2
    assert list(results.glob("runs/bicubic/default/x2/smoke/seed0-*.json"))  # the step after the failed one ran
    page = (results / "tables" / "projections_paper.md").read_text()
    assert "FAILED: " in log and "skipped" not in log
    assert f"| trilevel | default | x2 | cpu ({rec['env']['cpu']}) | current |" in page


def test_the_gpu_script_skips_what_its_budget_cannot_hold_and_still_writes_the_page(tmp_path):
    """A call that would overrun the device tool's limit skips the steps its budget cannot hold, by name, and
    still writes the page (here a budget of 20 s whose reserve for the page leaves the other steps nothing)."""
    env = {**os.environ, "OUT": str(tmp_path / "out"), "WORK": str(tmp_path / "work"), "PY": sys.executable,
           "DEVICE": "cpu", "SIZE": "96x120", "DISTINCT": "1", "DRY_RUN_METHODS": "trilevel", "SMOKE_METHODS": "bicubic",
           "BUDGET_S": "20", "RESERVE_S": "18"}
    done = subprocess.run(["bash", str(ROOT / "benchmarks" / "gpu_paper_path.sh")], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)
    log = (tmp_path / "out" / "log").read_text()
    assert done.returncode == 1 and "== dry-run trilevel: skipped, the call's budget of 20s is spent" in log, log
    assert "smoke bicubic (skipped: budget)" in log
    assert (tmp_path / "out" / "results" / "tables" / "projections_paper.md").is_file()
