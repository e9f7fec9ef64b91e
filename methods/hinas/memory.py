"""Deterministic memory accounting of one supernet training step (for the cell-sharing comparison).

Counting the bytes of the tensors autograd saves for backward is device-independent and exact, unlike
process RSS on a CPU, and these activations are what dominates a supernet step's peak memory on a GPU.
"""
from __future__ import annotations

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
