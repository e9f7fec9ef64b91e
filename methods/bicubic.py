"""Bicubic interpolation: the floor every SR method must clear, computed exactly as MATLAB does."""
from __future__ import annotations

from typing import Any

import numpy as np
import torch
import torch.nn as nn

from srnas.methods import register
from srnas.methods.base import Genotype, Method
from srnas.protocol.imresize import imresize


class MatlabBicubic(nn.Module):
    """MATLAB ``imresize(lr, s, 'bicubic')`` as a module (no weights).

    An input on uint8 levels (the usual LR files / 255) is rounded back to uint8 exactly and upscaled as
    MATLAB does for uint8 images, so the output equals the numpy protocol's bicubic bit for bit (every
    preset's LR is on uint8 levels, DeCoNAS's rounded LR made from HR included). A float LR off those
    levels (an input made elsewhere) is upscaled in float, unrounded.
    """

    def __init__(self, scale: int):
        super().__init__()
        self.scale = scale

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = []
        for img in x:
            levels = img.detach().cpu().double().numpy().transpose(1, 2, 0) * 255
            rounded = np.clip(np.floor(levels + 0.5), 0, 255)
            if np.abs(levels - rounded).max() < 1e-3:  # uint8 levels (float32 / 255 round trip)
                up = imresize(rounded.astype(np.uint8), self.scale).astype(np.float64)
            else:
                up = imresize(levels, self.scale)
            out.append(torch.from_numpy((up / 255).astype(np.float32).transpose(2, 0, 1)))
        return torch.stack(out).to(x.device)


@register
class BicubicMethod(Method):
    name = "bicubic"
    listing_order = 0
    reference = True
    paper_label = "bicubic"
    searches = False
    trains = False
    description = "MATLAB-exact bicubic upsampling (no search, no training)"

    def profile(self, name: str) -> dict[str, Any]:
        return {"train": {"steps": 0}}

    def build(self, genotype: Genotype, scale: int, config: dict[str, Any]) -> nn.Module:
        return MatlabBicubic(scale)

    def train(self, model, data, config, seed, ctx) -> dict[str, Any]:
        return {"steps": 0}
