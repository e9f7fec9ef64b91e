"""The must-show: bicubic x2/x4 on Set5/Set14/B100/Urban100 matches the published row.

Published bicubic (e.g. EDSR/RCAN tables): PSNR within 0.02 dB, SSIM within 0.002. The LR is pinned to
``generate`` + symmetric (MATLAB imresize), the degradation the published numbers were made with, so the
test does not depend on which LR folders happen to ship.
"""
from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
import torch

from srnas.datasets import DatasetError, data_root
from srnas.evaluate import bicubic_upscaler, evaluate, module_upscaler

try:
    data_root()
    HAVE_DATA = True
except DatasetError:
    HAVE_DATA = False
needs_data = pytest.mark.skipif(not HAVE_DATA, reason="shared datasets not found (set SRNAS_DATA)")

PUBLISHED = {
    2: {"Set5": (33.66, 0.9299), "Set14": (30.24, 0.8688), "B100": (29.56, 0.8431), "Urban100": (26.88, 0.8403)},
    4: {"Set5": (28.42, 0.8104), "Set14": (26.00, 0.7027), "B100": (25.96, 0.6675), "Urban100": (23.14, 0.6577)},
}


@needs_data
@pytest.mark.parametrize("scale", [pytest.param(2, marks=pytest.mark.slow), 4])  # x2: ~30-40 s on a shared core
def test_bicubic_matches_published_row(scale: int) -> None:
    torch.set_num_threads(1)
    results = evaluate(bicubic_upscaler(scale), scale, lr_source="generate")
    for name, (psnr, ssim) in PUBLISHED[scale].items():
        r = results[name]
        assert r["lr_source"] == "generate:imresize(symmetric)"
        assert abs(r["psnr"] - psnr) <= 0.02, (name, r["psnr"], psnr)
        assert abs(r["ssim"] - ssim) <= 0.002, (name, r["ssim"], ssim)


class _NearestX2(torch.nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.nn.functional.interpolate(x, scale_factor=2, mode="nearest")


def test_module_upscaler_tiling_matches_whole_image_and_handles_grey() -> None:
    rng = np.random.default_rng(0)
    lr = rng.integers(0, 256, size=(37, 53, 3), dtype=np.uint8)
    whole = module_upscaler(_NearestX2())(lr)
    tiled = module_upscaler(_NearestX2(), tile=16, overlap=4)(lr)
    assert whole.shape == (74, 106, 3) and np.array_equal(whole, tiled)
    assert np.allclose(whole[::2, ::2], lr, atol=1e-3)
    grey = module_upscaler(_NearestX2())(lr[..., 0])
    assert grey.shape == (74, 106, 3)


@needs_data
def test_module_is_accepted_by_evaluate_and_wrong_scale_is_a_clear_error() -> None:
    r = evaluate(_NearestX2(), 2, ["Set5"])
    assert r["Set5"]["n"] == 5 and 25 < r["Set5"]["psnr"] < 33.66  # nearest is worse than bicubic
    with pytest.raises(Exception, match="is the scale right"):
        evaluate(_NearestX2(), 3, ["Set5"])


@needs_data
def test_cli_json_and_bad_input_exit_code() -> None:
    cmd = [sys.executable, "-m", "srnas.cli", "eval", "bicubic", "--scale", "2", "--datasets", "Set5", "--json"]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True)
    assert json.loads(out.stdout)["Set5"]["psnr"] == pytest.approx(33.673, abs=0.001)
    bad = subprocess.run(cmd[:-2] + ["Set5,Nope"], capture_output=True, text=True)
    assert bad.returncode == 2 and "Nope" in bad.stderr and "Traceback" not in bad.stderr
