"""FSRCNN (Dong, Loy & Tang, ECCV 2016): the hand-designed CNN baseline, trained by the shared trainer.

Architecture FSRCNN(d=56, s=12, m=4): 5x5 feature extraction -> 1x1 shrink -> m 3x3 mapping layers ->
1x1 expand -> 9x9 stride-s deconvolution, PReLU after every convolution. Deviations from the paper, all
recorded in the config: RGB in/out (the suite's contract; the paper works on Y), output padding so the
output is exactly s times the input, and, in ``smoke``/``short`` only, a bicubic residual
(``options.bicubic_residual``) so a CPU-sized run converges in minutes.

Reported numbers: the only FSRCNN rows on file are HiNAS's ``FSRCNN(KD)``, an FSRCNN distilled from a
teacher (a different training recipe), so they are not this model's target and ``paper_label`` is
None: its paper runs say "no reported number on file" rather than being judged against a distilled
model. The SRCNN rows (DeCoNAS's table) are a different network and are not used either.
"""
from __future__ import annotations

from typing import Any

import torch
import torch.nn as nn

from srnas.methods import register
from srnas.methods.base import Genotype, Method
from srnas.nas.ops import BicubicResidual

DEFAULT_SHAPE = {"d": 56, "s": 12, "m": 4}


class FSRCNN(nn.Module):
    """FSRCNN(d, s, m) mapping RGB LR to RGB HR with a final transposed convolution."""

    def __init__(self, scale: int, d: int = 56, s: int = 12, m: int = 4, channels: int = 3):
        super().__init__()
        layers: list[nn.Module] = [nn.Conv2d(channels, d, 5, padding=2), nn.PReLU(d), nn.Conv2d(d, s, 1), nn.PReLU(s)]
        for _ in range(m):
            layers += [nn.Conv2d(s, s, 3, padding=1), nn.PReLU(s)]
        layers += [nn.Conv2d(s, d, 1), nn.PReLU(d)]
        self.body = nn.Sequential(*layers)
        self.deconv = nn.ConvTranspose2d(d, channels, 9, stride=scale, padding=4, output_padding=scale - 1)
        self._init_weights()

    def _init_weights(self) -> None:
        """The paper's init: He (MSRA) for convolutions, N(0, 0.001) for the deconvolution, zero biases."""
        for module in self.body:
            if isinstance(module, nn.Conv2d):
                nn.init.kaiming_normal_(module.weight, a=0.25, nonlinearity="leaky_relu")
                nn.init.zeros_(module.bias)
        nn.init.normal_(self.deconv.weight, std=1e-3)
        nn.init.zeros_(self.deconv.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.deconv(self.body(x))


def _scale_grad(ratio: float):
    return lambda grad: grad * ratio


@register
class FSRCNNMethod(Method):
    name = "fsrcnn"
    listing_order = 5
    paper_label = None
    searches = False
    description = "FSRCNN(56,12,4), hand-designed CNN baseline (Dong et al. 2016)"

    def profile(self, name: str) -> dict[str, Any]:
        if name == "paper":
            # From Dong et al. 2016: MSE loss, SGD, lr 1e-3 for the convolutions and 1e-4 for the deconvolution
            # (deconv_lr_ratio), training on the 91-image set (the paper then fine-tunes on General-100, which
            # the suite does not ship: T91 only), small LR sub-images. Ours, not the paper's: batch, patch
            # size, step count, momentum 0.9 and the constant schedule (Caffe-style fixed lr).
            return {
                "data": {"train_set": "T91"},
                "train": {"loss": "mse", "optimizer": "sgd", "lr": 1e-3, "momentum": 0.9, "schedule": "constant",
                          "batch": 128, "lr_patch": 10, "steps": 500_000},
                "model": dict(DEFAULT_SHAPE),
                "options": {"bicubic_residual": False, "deconv_lr_ratio": 0.1},
            }
        # smoke/short: the suite's shared budget (base profile train settings), plus the bicubic residual.
        return {"model": dict(DEFAULT_SHAPE), "options": {"bicubic_residual": True, "deconv_lr_ratio": 1.0}}

    def fixed_genotype(self, config: dict[str, Any]) -> Genotype:
        return {k: int(config["model"].get(k, v)) for k, v in DEFAULT_SHAPE.items()}

    def build(self, genotype: Genotype, scale: int, config: dict[str, Any]) -> nn.Module:
        shape = {**DEFAULT_SHAPE, **genotype}
        net = FSRCNN(scale, shape["d"], shape["s"], shape["m"])
        options = config.get("options", {})
        ratio = float(options.get("deconv_lr_ratio", 1.0))
        if ratio != 1.0:
            # With plain SGD (no weight decay) scaling the gradient is exactly a per-layer learning rate.
            for p in net.deconv.parameters():
                p.register_hook(_scale_grad(ratio))
        return BicubicResidual(net, scale) if options.get("bicubic_residual") else net
