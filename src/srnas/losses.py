"""Training losses shared by all methods: pixel losses and the differentiable SSIM term of HiNAS."""
from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F

LossFn = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


def _gauss(size: int = 11, sigma: float = 1.5, channels: int = 3, device=None, dtype=None) -> torch.Tensor:
    ax = torch.arange(size, device=device, dtype=dtype) - (size - 1) / 2
    g = torch.exp(-(ax**2) / (2 * sigma**2))
    g = g / g.sum()
    return torch.outer(g, g).expand(channels, 1, size, size).contiguous()


def ssim_map_mean(x: torch.Tensor, y: torch.Tensor, data_range: float = 1.0) -> torch.Tensor:
    """Mean SSIM over RGB with an 11x11 Gaussian window and zero padding (HiNAS's loss SSIM)."""
    c = x.shape[1]
    w = _gauss(channels=c, device=x.device, dtype=x.dtype)
    c1, c2 = (0.01 * data_range) ** 2, (0.03 * data_range) ** 2
    mu_x, mu_y = F.conv2d(x, w, padding=5, groups=c), F.conv2d(y, w, padding=5, groups=c)
    sxx = F.conv2d(x * x, w, padding=5, groups=c) - mu_x**2
    syy = F.conv2d(y * y, w, padding=5, groups=c) - mu_y**2
    sxy = F.conv2d(x * y, w, padding=5, groups=c) - mu_x * mu_y
    m = ((2 * mu_x * mu_y + c1) * (2 * sxy + c2)) / ((mu_x**2 + mu_y**2 + c1) * (sxx + syy + c2))
    return m.mean()


#: the pixel losses a config may name (``train.loss``, ``search.loss``); checked before any work starts
PIXEL_LOSSES = {"l1": F.l1_loss, "mse": F.mse_loss}


def make_loss(name: str, ssim_weight: float = 0.0, average_terms: bool = False) -> LossFn:
    """``l1`` / ``mse`` pixel loss, plus ``ssim_weight * log10(1/SSIM)`` when the weight is non-zero.

    ``average_terms`` divides the sum by the number of terms, as HiNAS's code does.
    """
    pixel = PIXEL_LOSSES.get(name)
    if pixel is None:
        raise ValueError(f"unknown loss {name!r}; use 'l1' or 'mse'")

    def loss(sr: torch.Tensor, hr: torch.Tensor) -> torch.Tensor:
        total = pixel(sr, hr)
        if ssim_weight:
            ssim = ssim_map_mean(sr, hr).clamp_min(1e-6)
            total = total + ssim_weight * (-torch.log10(ssim))
            if average_terms:
                total = total / 2
        return total

    return loss
