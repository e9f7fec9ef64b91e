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
    """MATLAB ``imresize(lr, s, 'bicubic')`` on uint8 levels, as a module (no weights).

    Inputs are uint8 levels / 255, so rounding back to uint8 is exact and the output equals the
    numpy protocol's bicubic bit for bit.
    """

    def __init__(self, scale: int):
        super().__init__()
        self.scale = scale

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = []
        for img in x:
            a = np.clip(np.floor(img.detach().cpu().numpy().transpose(1, 2, 0) * 255 + 0.5), 0, 255).astype(np.uint8)
            up = imresize(a, self.scale).astype(np.float32) / 255
            out.append(torch.from_numpy(up.transpose(2, 0, 1)))
        return torch.stack(out).to(x.device)


@register
class BicubicMethod(Method):
    name = "bicubic"
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
