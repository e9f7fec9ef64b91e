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
    assert f"| trilevel | default | x2 | cpu ({rec['env']['cpu']}) | current |" in page
