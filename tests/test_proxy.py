"""The proxy PSNR presets (srnas.nas.proxy) compute the same bits as the per-plugin functions they replaced.

The references below are those functions as they stood (HNAS ``quantised_psnr``/``batch_psnr``, DeCoNAS
``y_psnr``, random search's tile PSNR): the records made before the move are only valid if every preset
gives exactly their values, on every shave the plugins use. Plus hand values, and the preset names."""
from __future__ import annotations

import math

import pytest
import torch

from srnas.nas.proxy import PROXY_SCORES, ProxyScore, proxy_score


def _ref_quantised_sq(sr, hr, shave):
    sr = sr.clamp(0, 1).mul(255).round()
    hr = hr.mul(255).round()
    if shave:
        sr, hr = sr[..., shave:-shave, shave:-shave], hr[..., shave:-shave, shave:-shave]
    return (sr - hr).pow(2)


def _ref_hnas(sr, hr, shave):
    mse = _ref_quantised_sq(sr, hr, shave).flatten(1).mean(1).clamp_min(1e-10)
    return 10 * torch.log10(255.0**2 / mse)


def _ref_hnas_batch(sr, hr, shave):
    mse = _ref_quantised_sq(sr, hr, shave).mean().clamp_min(1e-10)
    return (10 * torch.log10(255.0**2 / mse)).view(1)


def _ref_deconas(sr, hr, shave):
    w = sr.new_tensor((65.481 / 255, 128.553 / 255, 24.966 / 255)).view(1, 3, 1, 1)
    diff = ((sr.clamp(0, 1) - hr) * w).sum(1)
    if shave:
        diff = diff[:, shave:-shave, shave:-shave]
    mse = diff.pow(2).flatten(1).mean(1).clamp_min(1e-10)
    return -10 * torch.log10(mse)


def _ref_rsws(sr, hr, shave):
    assert shave == 0
    mse = ((sr.clamp(0, 1) - hr) ** 2).flatten(1).mean(1).clamp_min(1e-10)
    return -10 * torch.log10(mse)


REFERENCES = {"hnas-reward": (_ref_hnas, (0, 2, 3, 4)), "hnas-reward-batch": (_ref_hnas_batch, (0, 2, 3)),
              "deconas-reward": (_ref_deconas, (0, 2, 3, 4)), "rsws": (_ref_rsws, (0,))}


def test_every_preset_has_a_reference():
    assert set(PROXY_SCORES) == set(REFERENCES)


@pytest.mark.parametrize("name", sorted(REFERENCES))
def test_each_preset_gives_the_bits_of_the_function_it_replaced(name):
    ref, shaves = REFERENCES[name]
    gen = torch.Generator().manual_seed(7)
    for shape in [(1, 3, 12, 12), (4, 3, 24, 20), (16, 3, 48, 48)]:
        hr = torch.rand(shape, generator=gen)
        sr = hr + 0.05 * torch.randn(shape, generator=gen)  # some values outside [0, 1]: the clamp matters
        for shave in shaves:
            assert torch.equal(proxy_score(name).psnr(sr, hr, shave), ref(sr, hr, shave)), (name, shape, shave)


def test_hand_values():
    hr = torch.zeros(1, 3, 8, 8)
    sr = torch.full((1, 3, 8, 8), 10 / 255)  # every 8-bit level off by 10: MSE 100
    assert float(proxy_score("hnas-reward").psnr(sr, hr, 2)) == pytest.approx(10 * math.log10(255**2 / 100), abs=1e-4)
    # a grey difference d has luma difference d * (65.481 + 128.553 + 24.966) / 255
    d = 0.1
    expected = -10 * math.log10((d * 219.0 / 255) ** 2)
    assert float(proxy_score("deconas-reward").psnr(torch.full((2, 3, 8, 8), d), torch.zeros(2, 3, 8, 8), 2)[1]) == pytest.approx(expected, rel=1e-5)
    assert float(proxy_score("rsws").psnr(torch.full((1, 3, 4, 4), 0.1), torch.zeros(1, 3, 4, 4))) == pytest.approx(20.0, rel=1e-5)
    # the batch form is one PSNR of the mean error, not the mean of per-image PSNRs
    hr2 = torch.zeros(2, 3, 8, 8)
    sr2 = torch.stack([torch.full((3, 8, 8), 1 / 255), torch.full((3, 8, 8), 10 / 255)])  # MSE 1 and 100
    assert float(proxy_score("hnas-reward-batch").psnr(sr2, hr2)) == pytest.approx(10 * math.log10(255**2 / 50.5), abs=1e-3)


def test_bad_names_and_settings_are_refused():
    with pytest.raises(ValueError, match="unknown proxy score 'psnr'; known: hnas-reward"):
        proxy_score("psnr")
    with pytest.raises(ValueError, match="channel must be rgb"):
        ProxyScore("x", channel="ycbcr")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="no preset quantises"):
        ProxyScore("x", channel="y", quantize=True)
