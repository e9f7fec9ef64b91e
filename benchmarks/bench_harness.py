"""pytest-benchmark timings of the harness's hot paths (``tox -e bench``; skipped in the normal test run).

What is timed, single-threaded on CPU: the final-model forward pass evaluation spends its time in,
MAC counting on a weightless copy, and the record/table path a large sweep goes through.
"""
import pytest
import torch

from srnas.harness.reporting.aggregate import group_records
from srnas.harness.execution.records import load_record, write_record
from srnas.harness.execution.pipeline import count_macs_at
from srnas.harness.reporting.tables import render
from srnas.methods import get_method


@pytest.fixture(scope="module")
def fsrcnn():
    torch.set_num_threads(1)
    method = get_method("fsrcnn")
    config = {"model": {}, "options": {"bicubic_residual": True}}
    return method.build(method.fixed_genotype(config), 2, config).eval()


def test_fsrcnn_forward_128px_lr(benchmark, fsrcnn):
    x = torch.rand(1, 3, 128, 128)
    with torch.no_grad():
        out = benchmark(fsrcnn, x)
    assert out.shape == (1, 3, 256, 256)


def test_count_macs_on_meta_copy_480px(benchmark, fsrcnn):
    macs = benchmark(count_macs_at, fsrcnn, (480, 480), torch.device("cpu"))
    assert macs > 0


def _record(method: str, seed: int) -> dict:
    return {
        "method": method, "variant": "default", "scale": 2, "profile": "short", "seed": seed, "config_hash": "c" + method,
        "config": {"train": {"steps": 1500, "batch": 16, "lr_patch": 24}, "eval": {"protocol": "canonical"}},
        "metrics": {d: {"psnr": 30.0 + seed / 10, "ssim": 0.9, "n": 5} for d in ("Set5", "Set14", "B100", "Urban100")},
        "cost": {"params": 1000, "macs": [{"input": "1x3x480x480 (LR)", "macs": 10**9, "macs_per_lr_pixel": 4340.3}]},
        "timings_s": {"search": 1.0, "train": 2.0, "eval": 3.0},
        "train_info": {"loss_curve": [[i, 0.1] for i in range(20)]},
    }


def test_record_write_and_verified_load(benchmark, tmp_path):
    counter = iter(range(10**6))

    def roundtrip():
        path = tmp_path / f"r{next(counter)}.json"
        write_record(path, _record("fsrcnn", 0))
        return load_record(path)

    assert benchmark(roundtrip)["status"] == "complete"


def test_render_table_for_a_sweep_of_60_runs(benchmark):
    records = [_record(f"m{i}", s) for i in range(20) for s in range(3)]
    text = benchmark(lambda: render(group_records(records, "short", 2), "short", 2))
    assert "m19" in text
