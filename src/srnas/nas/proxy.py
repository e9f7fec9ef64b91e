"""Proxy PSNR: how a search scores an architecture on held-out data, as one primitive with named presets.

The final evaluation has :class:`srnas.protocol.metrics.Protocol` (numpy, float64, MATLAB-exact Y). Inside a
search the score is a batched torch tensor on the search's device, read once per batch, and each paper's code
chose its own: HNAS rewards the RGB PSNR of 8-bit-quantised outputs (per image, or one PSNR of the batch's
mean error as its ``utility.calc_psnr`` does), DeCoNAS the BT.601 luma PSNR of float outputs, random search
with weight sharing the float RGB PSNR. Those were separate functions in each plugin; here they are one
:class:`ProxyScore` whose preset a plugin names, so the choice is data (stated in records and READMEs) and the
arithmetic lives once. Each preset computes the same bits as the function it replaced (tests/test_proxy.py).

HiNAS's model-selection score (mean SSIM + mean PSNR / 100, computed per tile on the host in float64) is a
different rule -- a sum of two metrics, keep-best rather than ranking -- and stays with its plugin.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import torch

#: BT.601 luma weights over [0, 1] RGB (no +16 offset: it cancels in a difference)
BT601_UNIT = (65.481 / 255, 128.553 / 255, 24.966 / 255)


@dataclass(frozen=True)
class ProxyScore:
    """Every choice that changes a search's PSNR, as one named record (the in-search twin of Protocol)."""

    name: str
    channel: Literal["rgb", "y"] = "rgb"  # y: BT.601 luma of the difference (peak 1)
    quantize: bool = False  # SR and HR rounded to 8-bit levels first (peak 255)
    reduce: Literal["per-image", "batch"] = "per-image"  # batch: one PSNR of the whole batch's mean error
    note: str = ""

    def __post_init__(self) -> None:
        if self.channel not in ("rgb", "y") or self.reduce not in ("per-image", "batch"):
            raise ValueError(f"proxy score {self.name!r}: channel must be rgb|y and reduce per-image|batch")
        if self.quantize and self.channel == "y":
            raise ValueError(f"proxy score {self.name!r}: no preset quantises a luma difference; add the step first")

    def squared_error(self, sr: torch.Tensor, hr: torch.Tensor, shave: int = 0) -> torch.Tensor:
        """Per-pixel squared error of NCHW batches in [0, 1] (SR clamped), ``shave`` border pixels dropped."""
        if self.quantize:
            sr, hr = sr.clamp(0, 1).mul(255).round(), hr.mul(255).round()
            if shave:
                sr, hr = sr[..., shave:-shave, shave:-shave], hr[..., shave:-shave, shave:-shave]
            return (sr - hr).pow(2)
        diff = sr.clamp(0, 1) - hr
        if self.channel == "y":
            diff = (diff * diff.new_tensor(BT601_UNIT).view(1, 3, 1, 1)).sum(1)
        if shave:
            diff = diff[..., shave:-shave, shave:-shave]
        return diff.pow(2)

    def psnr(self, sr: torch.Tensor, hr: torch.Tensor, shave: int = 0) -> torch.Tensor:
        """PSNR in dB: one value per image, or (``reduce: batch``) a 1-element tensor that averages alike."""
        sq = self.squared_error(sr, hr, shave)
        mse = (sq.mean() if self.reduce == "batch" else sq.flatten(1).mean(1)).clamp_min(1e-10)
        out = 10 * torch.log10(255.0**2 / mse) if self.quantize else -10 * torch.log10(mse)
        return out.view(1) if self.reduce == "batch" else out


PROXY_SCORES: dict[str, ProxyScore] = {
    p.name: p
    for p in [
        ProxyScore("hnas-reward", quantize=True, note="HNAS reward: RGB PSNR of 8-bit SR against 8-bit HR, per image"),
        ProxyScore("hnas-reward-batch", quantize=True, reduce="batch",
                   note="HNAS code (utility.calc_psnr on a batch): one RGB PSNR of the batch's mean squared error"),
        ProxyScore("deconas-reward", channel="y", note="DeCoNAS reward: BT.601 luma PSNR of float SR, per image"),
        ProxyScore("rsws", note="random search with weight sharing: float RGB PSNR per held-out tile"),
    ]
}


def proxy_score(name: str) -> ProxyScore:
    """The preset called ``name``; an unknown name lists the known ones."""
    try:
        return PROXY_SCORES[name]
    except KeyError:
        raise ValueError(f"unknown proxy score {name!r}; known: {', '.join(PROXY_SCORES)}") from None
