"""Model cost: parameters and multiply-adds from ``torch.utils.flop_counter.FlopCounterMode``.

SR and NAS papers say "FLOPs" for multiply-adds, so we report MACs = counted FLOPs / 2, always with the
input size they were measured at. Interpolation and PixelShuffle count 0 (memory ops); transposed
convolutions are counted by PyTorch's formula.
"""
from __future__ import annotations

import torch
import torch.nn as nn
from torch.utils.flop_counter import FlopCounterMode


def count_params(model: nn.Module, trainable_only: bool = True) -> int:
    return sum(p.numel() for p in model.parameters() if p.requires_grad or not trainable_only)


@torch.no_grad()
def count_macs(model: nn.Module, input_size: tuple[int, ...] = (1, 3, 48, 48), device: str | torch.device = "cpu") -> int:
    """Multiply-adds of one forward pass on a zero input of ``input_size`` (N, C, H, W)."""
    was_training = model.training
    model.eval()
    x = torch.zeros(input_size, device=device)
    counter = FlopCounterMode(display=False)
    with counter:
        model(x)
    model.train(was_training)
    return counter.get_total_flops() // 2


def cost_summary(model: nn.Module, lr_size: tuple[int, int] = (480, 480)) -> dict[str, object]:
    """Params and MACs, with the LR input size stated (HNAS's Table II convention is 3x480x480 LR)."""
    h, w = lr_size
    return {"params": count_params(model), "macs": count_macs(model, (1, 3, h, w)), "macs_input": f"1x3x{h}x{w} (LR)"}
