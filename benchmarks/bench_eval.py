"""Evaluation speed against BasicSR's metric code, measured in one run on the same images, as a ratio.

- ``suite``: the suite's whole x2 bicubic evaluation of Set5/Set14/B100/Urban100 (loading through the
  decoded-image and LR caches, MATLAB bicubic upscaling, Y conversion, PSNR and SSIM), caches warm.
- ``basicsr``: BasicSR's ``calculate_psnr`` + ``calculate_ssim`` (crop_border = 2, test_y_channel) on the
  same SR/HR pairs already in memory — their published formulas (``basicsr/metrics/psnr_ssim.py``: float32
  ``bgr2ycbcr`` luma, ``cv2.filter2D`` with the 11x11 Gaussian window), written here as the reference because
  the basicsr package itself drags in a training stack. Needs ``opencv-python-headless``; skipped without it.

Goals (issues 13, 28): whole evaluation <= 0.5 x, metrics <= 0.35 x BasicSR's CPU time, as the median of
interleaved pairs, with numbers unchanged (<= 1e-6 dB from the committed ``results/bicubic_eval_x2.json``).
The last test also times ``imresize``'s banded passes against the dense products at 256^2 ... 2048^2 and
writes ``results/eval_speed.{json,md}``.

    tox -e bench -- benchmarks/bench_eval.py      (one thread: OMP/MKL threads are pinned to 1 here)
"""
from __future__ import annotations

import json
import statistics
import time
from pathlib import Path

import numpy as np
import pytest

from srnas.datasets import load_pairs
from srnas.evaluate import bicubic_upscaler, evaluate
from srnas.harness.execution.env import cpu_model
from srnas.protocol.imresize import imresize
from srnas.protocol.metrics import score_pair
from srnas.threads import pin_threads

SETS = ("Set5", "Set14", "B100", "Urban100")
RESULTS = Path(__file__).resolve().parents[1] / "results"
NUMBERS: dict[str, dict] = {}
RATIOS: dict[str, dict] = {}
PAIRS = 3

cv2 = pytest.importorskip("cv2")
cv2.setNumThreads(1)
pin_threads(1)


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


def _test_module(name: str):
    """A module of tests/ (the dense imresize reference lives beside the bit-identity tests that use it)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(f"_srnas_{name}", RESULTS.parent / "tests" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _paired(suite, reference, pairs: int) -> dict:
    """Interleaved (suite, reference) CPU-time pairs in this process; the ratio of each pair, its median and range.

    CPU time of one thread, not wall time, and pairs rather than best-of: a loaded machine slows both sides
    of a pair alike, so the ratio stays meaningful where absolute seconds do not."""
    rows = []
    for i in range(pairs):
        order = (suite, reference) if i % 2 == 0 else (reference, suite)  # alternate who goes first
        t = {}
        for fn in order:
            start = time.process_time()
            fn()
            t[fn] = time.process_time() - start
        rows.append((t[suite], t[reference]))
    ratios = sorted(a / b for a, b in rows)
    return {"pairs": [[round(a, 4), round(b, 4)] for a, b in rows], "ratio_median": round(statistics.median(ratios), 3),
            "ratio_min": round(ratios[0], 3), "ratio_max": round(ratios[-1], 3),
            "seconds_median": [statistics.median(a for a, _ in rows), statistics.median(b for _, b in rows)]}


def test_a_full_x2_evaluation_vs_the_same_loop_with_basicsr_metrics(benchmark):
    evaluate(bicubic_upscaler(2), 2, SETS)  # warm the decoded-image and LR caches
    NUMBERS["suite"] = {k: {"psnr": v["psnr"], "ssim": v["ssim"]} for k, v in evaluate(bicubic_upscaler(2), 2, SETS).items()}
    result = benchmark.pedantic(lambda: _paired(lambda: evaluate(bicubic_upscaler(2), 2, SETS), _basicsr_full_eval, PAIRS),
                                rounds=1, iterations=1)
    benchmark.extra_info.update(result)
    RATIOS["full"] = result


def test_b_metrics_only_vs_basicsr_metrics(benchmark, pairs):
    bgr = [(_bgr(sr), _bgr(hr)) for sr, hr in pairs]
    result = benchmark.pedantic(lambda: _paired(lambda: [score_pair(sr, hr, 2, "canonical") for sr, hr in pairs],
                                                lambda: [(basicsr_psnr(sr, hr, 2), basicsr_ssim(sr, hr, 2)) for sr, hr in bgr],
                                                PAIRS), rounds=1, iterations=1)
    benchmark.extra_info.update(result)
    RATIOS["metrics"] = result


def test_c_imresize_banded_vs_dense_then_the_page(benchmark):
    """One x2 upscale (the baseline's pass) and one 1/2 downscale (the LR degradation) per side length,
    banded passes vs the dense products they replaced, same bits asserted."""
    _dense_reference_imresize = _test_module("test_imresize")._dense_reference_imresize

    rng = np.random.default_rng(0)
    rows = []
    for side in (256, 512, 1024, 2048):
        hr = imresize(rng.integers(0, 256, (side // 8, side // 8, 3), dtype=np.uint8), 8)  # smooth, like a photo
        lr = imresize(hr, 0.5)

        def banded():
            imresize(lr, 2), imresize(hr, 0.5)

        def dense():
            _dense_reference_imresize(lr, 2), _dense_reference_imresize(hr, 0.5)

        assert np.array_equal(imresize(lr, 2), _dense_reference_imresize(lr, 2))
        assert np.array_equal(imresize(hr, 0.5), _dense_reference_imresize(hr, 0.5))
        r = _paired(banded, dense, 5 if side <= 512 else 3)
        rows.append({"side": side, **r, "banded_ns_per_hr_px": round(1e9 * r["seconds_median"][0] / side**2, 1),
                     "dense_ns_per_hr_px": round(1e9 * r["seconds_median"][1] / side**2, 1)})
    benchmark.pedantic(lambda: None, rounds=1, iterations=1)
    benchmark.extra_info["imresize"] = rows
    if set(RATIOS) != {"full", "metrics"}:
        pytest.skip("run the whole file: the page needs every measurement")
    committed = json.loads((RESULTS / "bicubic_eval_x2.json").read_text())
    drift = max(abs(NUMBERS["suite"][s]["psnr"] - committed[s]["psnr"]) for s in SETS)
    full, metrics = RATIOS["full"], RATIOS["metrics"]
    record = {"full_evaluation": full, "metrics_only": metrics, "imresize": rows, "goals": {"full": "<= 0.5", "metrics": "<= 0.35"},
              "max_psnr_drift_db_vs_committed": drift, "images": 219, "threads": 1, "cpu": cpu_model(),
              "numbers": NUMBERS["suite"]}
    (RESULTS / "eval_speed.json").write_text(json.dumps(record, indent=1) + "\n")

    def cell(r: dict, goal: float) -> str:
        met = "met" if r["ratio_median"] <= goal else "not met"
        return f"**{r['ratio_median']:.2f}** ({r['ratio_min']:.2f}-{r['ratio_max']:.2f}): {met}"

    def secs(r: dict, i: int) -> str:
        return f"{r['seconds_median'][i]:.2f}"

    lines = [
        "# Evaluation speed vs BasicSR's metric code (generated by benchmarks/bench_eval.py)", "",
        f"One thread (srnas.threads.pin_threads), CPU seconds, {PAIRS} interleaved pairs per row, median ratio with its range; "
        f"the 219 images of Set5/Set14/B100/Urban100 at x2, decoded-image and LR caches warm; {cpu_model()}. "
        "BasicSR = its published calculate_psnr/calculate_ssim formulas (cv2.filter2D, float32 luma) with crop_border 2.", "",
        "| what | suite s (median) | with BasicSR's metrics s (median) | ratio, median (range) |", "| --- | --- | --- | --- |",
        f"| full evaluation: load, MATLAB bicubic x2, Y, PSNR, SSIM | {secs(full, 0)} | {secs(full, 1)} | {cell(full, 0.5)} (goal <= 0.5) |",
        f"| metrics only, SR/HR pairs in memory | {secs(metrics, 0)} | {secs(metrics, 1)} | {cell(metrics, 0.35)} (goal <= 0.35) |", "",
        f"Numbers unchanged: max PSNR drift vs the committed results/bicubic_eval_x2.json = {drift:.1e} dB.", "",
        "## imresize: banded passes vs the dense matrix products they replaced", "",
        "One x2 upscale of the LR plus one 1/2 downscale of the HR (smooth RGB images), 5 (256², 512²) or 3 interleaved pairs; "
        "CPU time per HR pixel (median); same uint8 bits asserted.", "",
        "| HR side | banded ns / HR px | dense ns / HR px | banded / dense (range) |", "| --- | --- | --- | --- |",
        *[f"| {r['side']}² | {r['banded_ns_per_hr_px']:.1f} | {r['dense_ns_per_hr_px']:.1f} | {r['ratio_median']:.3f} "
          f"({r['ratio_min']:.3f}-{r['ratio_max']:.3f}) |" for r in rows], ""]
    (RESULTS / "eval_speed.md").write_text("\n".join(lines))
    assert drift <= 1e-6
