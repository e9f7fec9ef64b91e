"""Y-channel PSNR/SSIM: edge cases, the skimage cross-check, and the direction of each faithful preset."""
from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from skimage.metrics import structural_similarity

from srnas.datasets import data_root
from srnas.errors import DatasetError
from srnas.protocol.imresize import imresize, modcrop
from srnas.protocol.metrics import PROTOCOLS, calc_psnr, calc_ssim, rgb2y, score_pair


def data_root_or_none() -> Path | None:
    try:
        return data_root()
    except DatasetError:
        return None


def _pair(shape=(48, 64, 3), seed=0) -> tuple[np.ndarray, np.ndarray]:
    """A smooth-ish HR image and its x2 bicubic reconstruction (a realistic, imperfect SR)."""
    rng = np.random.default_rng(seed)
    base = rng.integers(0, 256, size=(shape[0] // 4, shape[1] // 4) + shape[2:], dtype=np.uint8)
    hr = imresize(base, 4)
    hr = np.clip(hr.astype(int) + rng.integers(-20, 21, size=hr.shape), 0, 255).astype(np.uint8)
    sr = imresize(imresize(hr, 0.5), 2)
    return sr, hr


def test_identical_images_score_inf_psnr_and_unit_ssim() -> None:
    _, hr = _pair()
    r = score_pair(hr, hr, 2)
    assert math.isinf(r["psnr"]) and r["ssim"] == pytest.approx(1.0, abs=1e-12)


def test_grey_hr_is_used_as_y_and_rgb_y_preset_differs() -> None:
    sr, hr = _pair()
    grey_hr, grey_sr = hr[..., 0], sr[..., 0]
    canonical = score_pair(grey_sr, grey_hr, 2, "canonical")
    y = score_pair(grey_sr.astype(float), grey_hr.astype(float), 2, "canonical")
    assert canonical == y  # as_y: no conversion at all
    basicsr = score_pair(grey_sr, grey_hr, 2, "basicsr")
    assert basicsr["psnr"] != pytest.approx(canonical["psnr"], abs=1e-3)
    # an RGB SR of a grey HR (what a network fed R=G=B returns) is reduced to grey, not rejected
    rgb_sr = np.repeat(grey_sr[..., None], 3, axis=2)
    assert score_pair(rgb_sr, grey_hr, 2)["psnr"] == pytest.approx(canonical["psnr"], abs=1e-12)


def test_odd_sizes_must_be_modcropped_to_the_scale() -> None:
    sr, hr = _pair(shape=(52, 68, 3))
    hr_odd = np.pad(hr, ((0, 3), (0, 2), (0, 0)), mode="edge")  # 55x70: not a multiple of 4
    assert modcrop(hr_odd, 4).shape[:2] == (52, 68)
    with pytest.raises(ValueError, match="modcrop"):
        score_pair(sr, hr_odd, 4)
    assert score_pair(sr, modcrop(hr_odd, 4)[:52, :68], 4) == score_pair(sr, hr, 4)


def test_ssim_matches_skimage_gaussian_valid_region() -> None:
    sr, hr = _pair(shape=(96, 128, 3), seed=1)
    y_sr, y_hr = rgb2y(sr), rgb2y(hr)
    ours = calc_ssim(y_sr, y_hr)
    # skimage pads with 'reflect' and then crops (win_size-1)//2 = 5 px, i.e. averages our valid region.
    ref = structural_similarity(y_sr, y_hr, gaussian_weights=True, sigma=1.5, use_sample_covariance=False,
                                data_range=255)
    assert ours == pytest.approx(ref, abs=1e-4)


def test_zero_padding_includes_borders() -> None:
    sr, hr = _pair(seed=2)
    y_sr, y_hr = rgb2y(sr), rgb2y(hr)
    assert calc_ssim(y_sr, y_hr, "zero") != pytest.approx(calc_ssim(y_sr, y_hr, "valid"), abs=1e-6)


def test_each_faithful_preset_moves_the_number_in_the_documented_direction() -> None:
    sr, hr = _pair(shape=(96, 128, 3), seed=3)
    sr_float = sr.astype(np.float64) + 0.3  # a float network output: quantisation now matters
    canon = score_pair(sr_float, hr, 2, "canonical")
    # hnas drops the +16 offset: PSNR identical (difference unchanged), SSIM lower (smaller mu in C1 term)
    hnas = score_pair(sr_float, hr, 2, "hnas")
    assert hnas["psnr"] == pytest.approx(canon["psnr"], abs=1e-9) and hnas["ssim"] < canon["ssim"]
    # SR with a bad 4-px border (as real upscalers have): the smaller the shave, the lower the score.
    ringed = hr.astype(np.float64).copy()
    ringed += np.random.default_rng(4).normal(0, 2, size=hr.shape)
    ringed[:4] += 40
    ringed[-4:] -= 40
    ringed[:, :4] += 40
    ringed[:, -4:] -= 40
    canon4 = score_pair(ringed, hr, 4, "canonical")["psnr"]  # shave 4: ring excluded
    deconas4 = score_pair(ringed, hr, 4, "deconas")["psnr"]  # shave 2: half the ring counted
    hinas4 = score_pair(ringed, hr, 4, "hinas")["psnr"]  # shave 0: whole ring counted
    assert hinas4 < deconas4 < canon4
    # each hinas knob on its own changes the number
    base = PROTOCOLS["canonical"]
    for knob in ({"quantize": False}, {"swap_rb": True}, {"ssim_padding": "zero"}):
        variant = replace(base, name="variant", **knob)
        assert score_pair(sr_float, hr, 2, variant) != score_pair(sr_float, hr, 2, base), knob


@pytest.mark.skipif(not Path(data_root_or_none() or "/nonexistent").is_dir(), reason="shared datasets not found")
def test_basicsr_preset_raises_set14_bicubic_by_about_a_tenth_of_a_db() -> None:
    """README: grey -> RGB -> Y on Set14 ``bridge`` adds about 0.095 dB to the set mean."""
    from srnas.evaluate import bicubic_upscaler, evaluate

    canon = evaluate(bicubic_upscaler(2), 2, ["Set14"], "canonical")["Set14"]["psnr"]
    basicsr = evaluate(bicubic_upscaler(2), 2, ["Set14"], "basicsr")["Set14"]["psnr"]
    assert 0.07 < basicsr - canon < 0.12


# ---- the optimised score_pair against the plain formulas, bit for bit -------------------------------------

def _plain_score_pair(sr: np.ndarray, hr: np.ndarray, scale: int, name: str) -> dict[str, float]:
    """Each protocol step written out plainly, in the order the suite always computed it: float64 copies,
    Y of the whole image, then the crop, four filtered maps, the SSIM map, its row-major mean."""
    from scipy.ndimage import correlate1d

    p = PROTOCOLS[name]
    a = sr.astype(np.float64)
    a = np.floor(np.clip(a, 0, 255) + 0.5) if p.quantize else np.clip(a, 0, 255)
    if hr.ndim == 2 and a.ndim == 3:
        a = a.mean(axis=2)
        a = np.floor(a + 0.5) if p.quantize else a

    def y_of(img: np.ndarray) -> np.ndarray:
        img = img.astype(np.float64)
        if img.ndim == 2:
            if p.grey == "as_y":
                return img
            img = np.repeat(img[..., None], 3, axis=2)
        c = (24.966, 128.553, 65.481) if p.swap_rb else (65.481, 128.553, 24.966)
        y = (img[..., 0] * c[0] + img[..., 1] * c[1] + img[..., 2] * c[2]) / 255.0 + (16.0 if p.y_offset else 0.0)
        return np.floor(y + 0.5) if p.y_round else y

    s = p.shave_for(scale)
    ys, yh = y_of(a), y_of(hr)
    if s:
        ys, yh = ys[s:-s, s:-s], yh[s:-s, s:-s]
    # calc_psnr itself is unchanged; its last bit moves with how numpy's mean/log10 dispatch (a hand-written
    # mean differed by 1 ulp on comic), so the reference feeds the plain Y maps through it
    psnr = calc_psnr(ys, yh)
    if p.ssim_y_round:
        ys, yh = np.round(ys), np.round(yh)
    g = np.exp(-((np.arange(11) - 5.0) ** 2) / (2 * 1.5**2))
    g /= g.sum()
    maps = np.stack([ys, yh, ys * ys + yh * yh, ys * yh])
    if p.ssim_padding == "zero":
        maps = np.pad(maps, ((0, 0), (5, 5), (5, 5)))
    h, w = maps.shape[-2:]
    f = correlate1d(correlate1d(maps, g, axis=-1, mode="constant")[..., 5 : w - 5], g, axis=-2, mode="constant")
    mx, my, sq, xy = f[..., 5 : h - 5, :]
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
    ssim = ((2 * mx * my + c1) * (2 * (xy - mx * my) + c2)) / ((mx * mx + my * my + c1) * (sq - (mx * mx + my * my) + c2))
    return {"psnr": float(psnr), "ssim": float(ssim.mean())}


@pytest.mark.skipif(data_root_or_none() is None, reason="shared datasets not found (set SRNAS_DATA)")
def test_score_pair_equals_the_plain_formulas_bit_for_bit() -> None:
    """The evaluation's fast path (uint8 kept as is, border cut before Y, transposed column pass) changes
    no bit of any protocol's PSNR or SSIM: bicubic uint8 SR, float32/float64 network-like SR, grey HR."""
    from srnas.datasets import load_pairs

    rng = np.random.default_rng(3)
    checked = 0
    for set_name in ("Set5", "Set14"):
        for stem, lr, hr in load_pairs(set_name, 2):
            sr = imresize(lr, 2)
            noisy = sr + rng.normal(0, 3, sr.shape)
            variants = [sr, noisy, noisy.astype(np.float32)]
            if hr.ndim == 2:
                variants.append(np.repeat(noisy[..., None], 3, axis=2))
            for v in variants:
                for name in PROTOCOLS:
                    assert score_pair(v, hr, 2, name) == _plain_score_pair(v, hr, 2, name), (stem, name, v.dtype)
                    checked += 1
    assert checked > 250


def _ssim_inputs(x: np.ndarray, y: np.ndarray) -> tuple:
    from srnas.protocol.metrics import _gaussian_1d

    return x, y, _gaussian_1d(), (0.01 * 255) ** 2, (0.03 * 255) ** 2


def test_the_kernel_source_and_its_compiled_form_equal_the_scipy_path_bit_for_bit() -> None:
    """The SSIM map kernel, run as plain Python (the logic) and compiled by numba (the code the suite runs),
    against scipy's correlate1d path, on odd sizes where the ring of 11 rows wraps at every phase."""
    from srnas.protocol.metrics import ssim_map_scipy
    from srnas.protocol.ssim_kernel import _ssim_map_py, compiled_kernel

    kernel = compiled_kernel()
    assert kernel is not None, "numba is a dependency: install it (pip install -c constraints.txt -e .)"
    rng = np.random.default_rng(5)
    for shape in ((11, 11), (23, 17), (40, 33)):
        x = rng.random(shape) * 255
        y = np.clip(x + rng.normal(0, 9, shape), 0, 255)
        ref = np.ascontiguousarray(ssim_map_scipy(*_ssim_inputs(x, y)))
        assert ref.shape == (shape[0] - 10, shape[1] - 10)
        assert np.array_equal(_ssim_map_py(*_ssim_inputs(x, y)), ref), shape
        assert np.array_equal(kernel(*_ssim_inputs(x, y)), ref), shape


def test_without_numba_ssim_falls_back_to_the_scipy_path_with_the_same_number(monkeypatch) -> None:
    from srnas.protocol import ssim_kernel

    sr, hr = _pair((60, 44, 3), seed=2)
    ys, yh = rgb2y(sr), rgb2y(hr)
    compiled = calc_ssim(ys, yh), calc_ssim(ys, yh, "zero")
    monkeypatch.setattr(ssim_kernel, "compiled_kernel", lambda: None)
    assert (calc_ssim(ys, yh), calc_ssim(ys, yh, "zero")) == compiled


@pytest.mark.slow
@pytest.mark.skipif(data_root_or_none() is None, reason="shared datasets not found (set SRNAS_DATA)")
def test_compiled_ssim_map_equals_the_scipy_path_on_every_shipped_x2_image() -> None:
    """All 219 x2 bicubic pairs of Set5/Set14/B100/Urban100, valid and zero-padded (438 maps; ~40 s)."""
    from srnas.datasets import load_pairs
    from srnas.protocol.metrics import _crop, _prepare_sr, ssim_map_scipy, to_y
    from srnas.protocol.ssim_kernel import compiled_kernel

    kernel = compiled_kernel()
    assert kernel is not None
    checked = 0
    for set_name in ("Set5", "Set14", "B100", "Urban100"):
        for stem, lr, hr in load_pairs(set_name, 2):
            for p in (PROTOCOLS["canonical"], PROTOCOLS["hinas"]):
                s = p.shave_for(2)
                a, b = _crop(imresize(lr, 2), s), _crop(hr, s)
                x, y = to_y(_prepare_sr(a, b, p), p), to_y(b, p)
                if p.ssim_padding == "zero":
                    x, y = np.pad(x, 5), np.pad(y, 5)
                ref = np.ascontiguousarray(ssim_map_scipy(*_ssim_inputs(x, y)))
                assert np.array_equal(kernel(*_ssim_inputs(x, y)), ref), (set_name, stem, p.name)
                checked += 1
    assert checked == 438
