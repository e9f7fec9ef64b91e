"""The equal-budget comparison: within a search space, the method, random search with weight sharing (RSWS)
and random architectures get the same final training, and RSWS trains its supernet on exactly the
method's shared-weight budget. Checked by construction (configs) and by running tiny searches."""
from __future__ import annotations

import json

import pytest

from srnas.cli import main
from srnas.harness.execution.config import resolve_config
from srnas.methods import get_method, space_baseline, weight_sharing_spaces

# every plugin with a weight-sharing space (Method.weight_sharing), each shrunk by its own Method.tiny("compare"),
# the same way for the method and its baselines
SPACES = weight_sharing_spaces()
COMMON = ["train.steps=2", "data.limit_images=24", 'eval.datasets=["Set5"]']
RSWS = ["search.random_ws.candidates=2", "search.random_ws.val_max_tiles=4"]


def _rows(space: str) -> dict[str, tuple[str, str]]:
    baseline = space_baseline()
    rows = {"search": (space, "default"), "rsws": (baseline, space), "random-arch": (baseline, f"{space}-random-arch")}
    if f"{space}-objective" in get_method(baseline).variants():  # RSWS ranked by the search's own objective
        rows["rsws-objective"] = (baseline, f"{space}-objective")
    return rows


@pytest.mark.parametrize("space", SPACES)
def test_compared_rows_share_final_training_and_evaluation(space):
    configs = {row: resolve_config(get_method(m), "compare", 2, v, []) for row, (m, v) in _rows(space).items()}
    for row in set(configs) - {"search"}:
        assert configs[row]["train"] == configs["search"]["train"], row
        assert configs[row]["eval"] == configs["search"]["eval"], row
        assert configs[row]["model"] == configs["search"]["model"], row
    assert configs["search"]["train"]["steps"] == 1500
    # RSWS's supernet training is the method's, read from the same config
    for row in {"rsws", "rsws-objective"} & set(configs):
        assert get_method(space_baseline()).supernet_training(configs[row]) == get_method(space).supernet_training(configs["search"])
    assert configs["rsws"]["search"]["random_ws"]["candidates"] == 30  # the HiNAS paper's N


@pytest.mark.parametrize("space", SPACES)
def test_rsws_spends_exactly_the_methods_recorded_supernet_budget(space, tmp_path):
    records = {}
    for row, (method, variant) in _rows(space).items():
        extra = RSWS if method == space_baseline() else []
        argv = ["run", method, "--variant", variant, "--profile", "compare", "--results", str(tmp_path / row), "--quiet"]
        for o in get_method(space).tiny("compare") + COMMON + extra:
            argv += ["--set", o]
        assert main(argv) == 0
        (path,) = list((tmp_path / row / "runs").rglob("*.json"))
        records[row] = json.loads(path.read_text())
    budget = {row: r["search_info"]["budget"] for row, r in records.items()}
    weights = ("weight_steps", "batch", "lr_patch", "weight_lr_pixels")
    assert {k: budget["rsws"][k] for k in weights} == {k: budget["search"][k] for k in weights}
    assert budget["search"]["weight_lr_pixels"] > 0 and budget["random-arch"]["weight_lr_pixels"] == 0
    assert budget["rsws"]["arch_steps"] == 0
    # the same final training: same steps, optimiser and loss in the recorded configs and the same step count run
    assert records["rsws"]["config"]["train"] == records["search"]["config"]["train"] == records["random-arch"]["config"]["train"]
    assert records["rsws"]["search_info"]["validation_noise"]["candidates"] == 2
