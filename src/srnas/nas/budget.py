"""The search budget as one measured quantity, the same for every method (recorded in search info).

Comparing searches needs their budgets on one scale: supernet weight-update steps x batch x LR-patch
pixels (the LR pixels the shared weights are trained on), and architecture steps (controller updates or
architecture-gradient steps); wall time is the record's ``timings_s.search``.
"""
from __future__ import annotations

from typing import Any


def search_budget(weight_steps: int, batch: int, lr_patch: int, arch_steps: int) -> dict[str, Any]:
    return {
        "weight_steps": int(weight_steps),
        "batch": int(batch),
        "lr_patch": int(lr_patch),
        "weight_lr_pixels": int(weight_steps) * int(batch) * int(lr_patch) ** 2,
        "arch_steps": int(arch_steps),
    }


def format_budget(budget: dict[str, Any]) -> str:
    """One line for tables: the supernet's LR pixels and the architecture steps ("no supernet" for none)."""
    b = budget
    supernet = ("no supernet" if not b["weight_steps"] else
                f"{b['weight_steps']} × {b['batch']} × {b['lr_patch']}² = {b['weight_lr_pixels'] / 1e6:.2f} M LR px")
    return f"{supernet}; {b['arch_steps']} arch steps"
