"""Deterministic memory accounting of one supernet training step (for the cell-sharing comparison).

Counting the bytes of the tensors autograd saves for backward is device-independent and exact, unlike
process RSS on a CPU, and these activations are what dominates a supernet step's peak memory on a GPU.
"""
from __future__ import annotations

import time

import torch
import torch.nn as nn


def saved_activation_bytes(net: nn.Module, x: torch.Tensor, y: torch.Tensor) -> int:
    """Bytes of the distinct non-parameter tensors autograd saves in one L1 training step of ``net``.

    Saved tensors stay alive until backward, so their storages are distinct while counted; a tensor saved
    by several ops (an input feeding every candidate op of an edge) is counted once, as it is stored once.
    """
    params = {p.untyped_storage().data_ptr() for p in net.parameters()}
    seen: dict[int, int] = {}

    def pack(t: torch.Tensor) -> torch.Tensor:
        storage = t.untyped_storage()
        if storage.nbytes() and storage.data_ptr() not in params:
            seen[storage.data_ptr()] = storage.nbytes()
        return t

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        loss = (net(x) - y).abs().mean()
    loss.backward()
    return sum(seen.values())


def cell_sharing_memory(scale: int, filters: int, layers: int, stem: int, batch: int = 1, patch: int = 64) -> dict:
    """Saved-activation bytes of one supernet step with cell sharing (Eq. 5) and with per-level cells (Eq. 6).

    Also returns the analytic ceiling of the ratio: the number of cell evaluations per step in each mode.
    Without sharing a cell runs once per incoming width path (at most 3); with sharing, once. The memory
    ratio cannot exceed the ratio of cell evaluations, because everything outside the cells (stems, 1x1
    projections, the head) is the same in both modes.
    """
    from srnas.methods.hinas.supernet import HiNASSupernet  # local: keep this module import-light

    out: dict = {"layers": layers}
    for mode, sharing in (("shared", True), ("per_level", False)):
        torch.manual_seed(0)
        net = HiNASSupernet(scale, filters=filters, layers=layers, stem_channels=stem, cell_sharing=sharing)
        x = torch.rand(batch, 3, patch, patch)
        y = torch.rand(batch, 3, patch * scale, patch * scale)
        start = time.perf_counter()
        saved = saved_activation_bytes(net, x, y)
        out[mode] = {"cells": sum(len(c) for c in net.cells), "saved_bytes": saved, "cell_sharing": sharing,
                     "weight_params": sum(p.numel() for p in net.weight_parameters()),
                     "step_seconds_cpu": round(time.perf_counter() - start, 2)}
    out["ratio"] = out["per_level"]["saved_bytes"] / out["shared"]["saved_bytes"]
    out["ceiling"] = out["per_level"]["cells"] / out["shared"]["cells"]
    return out
