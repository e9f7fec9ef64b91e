"""The `deconas` preset against a written-out version of the DeCoNAS code's test path.

Junem360/DeCoNAS (dc3f098) scores its test sets in ``src/DIV2K/train.py`` (test loop) with the LR made by
``data_utils.make_eval_batch(.., 'x2_small')``. Written out below step by step, with the code's dtypes:
cv2 loads BGR uint8, ``/255`` in float32, modcrop, a MATLAB-style bicubic resize by 1/2 in float64, then
``round(clip(x * 255, 0, 255)) / 255`` to float32 -- the LR is rounded to 8-bit levels. The prediction is
rounded the same way, both are cropped by 2 px, PSNR is ``calc_psnr`` on the float32 Y of ``bgr2y`` (peak
1), SSIM is ``calculate_ssim`` (``fftconvolve`` of an 11x11 Gaussian, valid) on the uint8 Y of ``bgr2y``
(``np.round``). The resize itself is the suite's MATLAB-exact ``imresize`` (the code's ``imresize`` is the
same algorithm, a port of MATLAB's); everything else here is the code's arithmetic, not the suite's.
"""
from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import signal

from srnas.datasets.loading import load_hr
from srnas.evaluate import bicubic_upscaler, evaluate, rounded_lr_from_hr
from srnas.protocol.imresize import imresize, modcrop


def _code_bgr2y(x: np.ndarray) -> np.ndarray:
    if x.dtype == np.uint8:
        x = np.float64(x)
        y = 65.481 / 255. * x[:, :, 2] + 128.553 / 255. * x[:, :, 1] + 24.966 / 255. * x[:, :, 0] + 16
        return np.round(y).astype(np.uint8)
    return 65.481 / 255. * x[:, :, 2] + 128.553 / 255. * x[:, :, 1] + 24.966 / 255. * x[:, :, 0] + 16 / 255


def _code_psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = np.mean((a - b) ** 2)
    return 20 * math.log10(1.0 / math.sqrt(mse))


def _code_ssim(img1: np.ndarray, img2: np.ndarray) -> float:
    img1, img2 = img1.astype(np.float64), img2.astype(np.float64)
    x, y = np.mgrid[-11 // 2 + 1:11 // 2 + 1, -11 // 2 + 1:11 // 2 + 1]
    window = np.exp(-((x ** 2 + y ** 2) / (2.0 * 1.5 ** 2)))
    window /= window.sum()
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
    mu1, mu2 = signal.fftconvolve(window, img1, mode="valid"), signal.fftconvolve(window, img2, mode="valid")
    s1 = signal.fftconvolve(window, img1 * img1, mode="valid") - mu1 * mu1
    s2 = signal.fftconvolve(window, img2 * img2, mode="valid") - mu2 * mu2
    s12 = signal.fftconvolve(window, img1 * img2, mode="valid") - mu1 * mu2
    return float(np.mean(((2 * mu1 * mu2 + c1) * (2 * s12 + c2)) / ((mu1 * mu1 + mu2 * mu2 + c1) * (s1 + s2 + c2))))


def _code_scores(hr_rgb: np.ndarray, scale: int) -> tuple[np.ndarray, dict[str, float]]:
    """(LR as the code feeds it, ×255; {psnr, ssim}) of MATLAB bicubic as the "prediction"."""
    if hr_rgb.ndim == 2:  # cv2.imread loads a grey file as 3 equal channels
        hr_rgb = np.repeat(hr_rgb[..., None], 3, axis=2)
    label = hr_rgb[..., ::-1].astype(np.float32) / 255  # BGR, float32
    label = modcrop(label, scale)
    lr = imresize(label.astype(np.float64), 1 / scale)
    lr = (np.round(np.clip(lr * 255., 0., 255.)) / 255).astype(np.float32)
    pred = imresize(np.round(lr * 255).astype(np.uint8), scale).astype(np.float32) / 255  # the bicubic "model"
    pred = (np.round(np.clip(pred * 255., 0., 255.)) / 255).astype(np.float32)
    pred, label = pred[2:-2, 2:-2, :], label[2:-2, 2:-2, :]
    psnr = _code_psnr(_code_bgr2y(pred), _code_bgr2y(label))
    ssim = _code_ssim(_code_bgr2y((pred * 255).astype(np.uint8)), _code_bgr2y((label * 255).astype(np.uint8)))
    return lr * 255, {"psnr": psnr, "ssim": ssim}


def test_deconas_lr_is_the_codes_rounded_lr():
    for _, hr in load_hr("Set5")[:2]:
        hr = modcrop(hr, 2)
        ours = rounded_lr_from_hr(hr, 2)
        code_lr, _ = _code_scores(hr, 2)
        assert ours.dtype == np.uint8
        assert np.array_equal(ours.astype(np.float32), np.round(code_lr)[..., ::-1])


@pytest.mark.parametrize("name", ["Set5", "Set14"])
def test_deconas_preset_scores_as_the_code_does(name):
    ours = evaluate(bicubic_upscaler(2), 2, [name], "deconas", per_image=True)[name]
    assert "rounded" in ours["lr_source"]
    for stem, hr in load_hr(name):
        _, code = _code_scores(hr, 2)
        mine = ours["images"][stem]
        # PSNR: the code's Y and MSE are float32 (its ~1e-7 relative error); ours float64
        assert mine["psnr"] == pytest.approx(code["psnr"], abs=2e-4), stem
        assert mine["ssim"] == pytest.approx(code["ssim"], abs=1e-6), stem
