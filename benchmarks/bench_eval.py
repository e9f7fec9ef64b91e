"""Evaluation speed against BasicSR's metric code, measured in one run on the same images, as a ratio.

- ``suite``: the suite's whole x2 bicubic evaluation of Set5/Set14/B100/Urban100 (loading through the
  decoded-image and LR caches, MATLAB bicubic upscaling, Y conversion, PSNR and SSIM), caches warm.
- ``basicsr``: BasicSR's ``calculate_psnr`` + ``calculate_ssim`` (crop_border = 2, test_y_channel) on the
  same SR/HR pairs already in memory — their published formulas (``basicsr/metrics/psnr_ssim.py``: float32
  ``bgr2ycbcr`` luma, ``cv2.filter2D`` with the 11x11 Gaussian window), written here as the reference because
  the basicsr package itself drags in a training stack. Needs ``opencv-python-headless``; skipped without it.

The goal (issue 13) is suite <= 0.5 x basicsr with warm caches and numbers unchanged (<= 1e-6 dB from the
committed ``results/bicubic_eval_x2.json``). The last test writes ``results/eval_speed.{json,md}``.

    tox -e bench -- benchmarks/bench_eval.py      (one thread: OMP/MKL threads are pinned to 1 here)
"""
from __future__ import annotations

import json
import platform
from pathlib import Path

import numpy as np
import pytest
import torch

from srnas.datasets import load_pairs
from srnas.evaluate import bicubic_upscaler, evaluate
from srnas.protocol.imresize import imresize
from srnas.protocol.metrics import score_pair

SETS = ("Set5", "Set14", "B100", "Urban100")
RESULTS = Path(__file__).resolve().parents[1] / "results"
TIMES: dict[str, float] = {}
NUMBERS: dict[str, dict] = {}

cv2 = pytest.importorskip("cv2")
cv2.setNumThreads(1)
torch.set_num_threads(1)


# ---- BasicSR's formulas (reference) -----------------------------------------------------------------------

def _bgr2y(img: np.ndarray) -> np.ndarray:
    img = img.astype(np.float32) / 255.0
    return (np.dot(img, [24.966, 128.553, 65.481]) / 255.0 + 16.0 / 255.0)[..., None] * 255.0


def basicsr_psnr(img: np.ndarray, img2: np.ndarray, crop: int) -> float:
    img, img2 = img[crop:-crop, crop:-crop].astype(np.float64), img2[crop:-crop, crop:-crop].astype(np.float64)
    img, img2 = _bgr2y(img), _bgr2y(img2)
    mse = np.mean((img.astype(np.float64) - img2.astype(np.float64)) ** 2)
    return float(10.0 * np.log10(255.0 * 255.0 / mse))


def _ssim(img: np.ndarray, img2: np.ndarray) -> float:
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
    img, img2 = img.astype(np.float64), img2.astype(np.float64)
    kernel = cv2.getGaussianKernel(11, 1.5)
    window = np.outer(kernel, kernel.transpose())
    mu1 = cv2.filter2D(img, -1, window)[5:-5, 5:-5]
    mu2 = cv2.filter2D(img2, -1, window)[5:-5, 5:-5]
    mu1_sq, mu2_sq, mu1_mu2 = mu1**2, mu2**2, mu1 * mu2
    sigma1_sq = cv2.filter2D(img**2, -1, window)[5:-5, 5:-5] - mu1_sq
    sigma2_sq = cv2.filter2D(img2**2, -1, window)[5:-5, 5:-5] - mu2_sq
    sigma12 = cv2.filter2D(img * img2, -1, window)[5:-5, 5:-5] - mu1_mu2
    return float((((2 * mu1_mu2 + c1) * (2 * sigma12 + c2)) / ((mu1_sq + mu2_sq + c1) * (sigma1_sq + sigma2_sq + c2))).mean())


def basicsr_ssim(img: np.ndarray, img2: np.ndarray, crop: int) -> float:
    img, img2 = img[crop:-crop, crop:-crop].astype(np.float64), img2[crop:-crop, crop:-crop].astype(np.float64)
    img, img2 = _bgr2y(img), _bgr2y(img2)
    return float(np.mean([_ssim(img[..., i], img2[..., i]) for i in range(img.shape[2])]))


# ---- the measurements ----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def pairs():
    """(SR, HR) uint8 of every image, SR = MATLAB bicubic x2 of the LR the suite evaluates."""
    return [(imresize(lr, 2), hr) for name in SETS for _, lr, hr in load_pairs(name, 2)]


def _bgr(a: np.ndarray) -> np.ndarray:
    """As BasicSR's loop holds an image: BGR, grey read as 3 channels (cv2.imread)."""
    return np.repeat(a[..., None], 3, 2) if a.ndim == 2 else a[..., ::-1]


def _basicsr_full_eval() -> list[tuple[float, float]]:
    """The same evaluation loop as the suite's (cached loading, MATLAB bicubic), scored by BasicSR's functions."""
    out = []
    for name in SETS:
        for _, lr, hr in load_pairs(name, 2):
            sr, hr3 = _bgr(imresize(lr, 2)), _bgr(hr)
            out.append((basicsr_psnr(sr, hr3, 2), basicsr_ssim(sr, hr3, 2)))
    return out


def test_a_suite_full_x2_evaluation(benchmark):
    evaluate(bicubic_upscaler(2), 2, SETS)  # warm the decoded-image and LR caches
    result = benchmark.pedantic(lambda: evaluate(bicubic_upscaler(2), 2, SETS), rounds=2, iterations=1)
    TIMES["suite_full"] = benchmark.stats.stats.min
    NUMBERS["suite"] = {k: {"psnr": v["psnr"], "ssim": v["ssim"]} for k, v in result.items()}


def test_b_same_evaluation_with_basicsr_metrics(benchmark):
    benchmark.pedantic(_basicsr_full_eval, rounds=2, iterations=1)
    TIMES["basicsr_full"] = benchmark.stats.stats.min


def test_c_suite_metrics_only(benchmark, pairs):
    benchmark.pedantic(lambda: [score_pair(sr, hr, 2, "canonical") for sr, hr in pairs], rounds=2, iterations=1)
    TIMES["suite_metrics"] = benchmark.stats.stats.min


def test_d_basicsr_metrics_only_then_the_ratios(benchmark, pairs):
    bgr = [(_bgr(sr), _bgr(hr)) for sr, hr in pairs]
    benchmark.pedantic(lambda: [(basicsr_psnr(sr, hr, 2), basicsr_ssim(sr, hr, 2)) for sr, hr in bgr], rounds=2, iterations=1)
    TIMES["basicsr_metrics"] = benchmark.stats.stats.min
    if set(TIMES) != {"suite_full", "basicsr_full", "suite_metrics", "basicsr_metrics"}:
        pytest.skip("run the whole file: the ratios need every measurement")
    committed = json.loads((RESULTS / "bicubic_eval_x2.json").read_text())
    drift = max(abs(NUMBERS["suite"][s]["psnr"] - committed[s]["psnr"]) for s in SETS)
    full = TIMES["suite_full"] / TIMES["basicsr_full"]
    metrics = TIMES["suite_metrics"] / TIMES["basicsr_metrics"]
    record = {"seconds": {k: round(v, 2) for k, v in TIMES.items()}, "ratio_full_evaluation": round(full, 3),
              "ratio_metrics_only": round(metrics, 3), "goal": "<= 0.5", "max_psnr_drift_db_vs_committed": drift,
              "images": 219, "threads": 1, "machine": platform.machine(), "numbers": NUMBERS["suite"]}
    (RESULTS / "eval_speed.json").write_text(json.dumps(record, indent=1) + "\n")
    (RESULTS / "eval_speed.md").write_text(
        "# Evaluation speed vs BasicSR's metric code (generated by benchmarks/bench_eval.py)\n\n"
        "One thread, the 219 images of Set5/Set14/B100/Urban100 at x2, best of 2 rounds, decoded-image and LR caches warm. "
        "BasicSR = its published calculate_psnr/calculate_ssim formulas (cv2.filter2D, float32 luma) with crop_border 2.\n\n"
        "| what | suite s | with BasicSR's metrics s | ratio (goal <= 0.5) |\n| --- | --- | --- | --- |\n"
        f"| full evaluation: load, MATLAB bicubic x2, Y, PSNR, SSIM | {TIMES['suite_full']:.2f} | {TIMES['basicsr_full']:.2f} | "
        f"**{full:.2f}** ({'met' if full <= 0.5 else 'not met'}) |\n"
        f"| metrics only, SR/HR pairs in memory | {TIMES['suite_metrics']:.2f} | {TIMES['basicsr_metrics']:.2f} | "
        f"**{metrics:.2f}** ({'met' if metrics <= 0.5 else 'not met'}) |\n\n"
        f"Numbers unchanged: max PSNR drift vs the committed results/bicubic_eval_x2.json = {drift:.1e} dB.\n")
    assert drift <= 1e-6
