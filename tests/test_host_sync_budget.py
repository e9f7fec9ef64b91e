"""Host-read budgets per loop step (issue 23): each read of a device tensor drains an accelerator's queue, so
the loops read losses and masks only where a decision or a record needs them. Counted on ``meta`` by the
same counter as ``benchmarks/host_syncs.py``, as the difference between runs with more steps of one loop."""
from __future__ import annotations

import pytest

from srnas.harness.execution.audit import audit_run

# loop: (plugin, config key of its step count, base, extra steps k, epochs the extra steps repeat in, budget)
# Budgets: after the reductions (results/host_syncs.md), with the reads that remain by design -- the
# controller's token per decision (it builds the architecture on the host) and history rows, which at these
# tiny step counts are written every step.
BUDGETS = {
    "trainer step": ("fsrcnn", "train.steps", 20, 20, 1, 0.0),  # one read per curve point: 0 per step amortised
    # Trilevel: sparsestmax projects all rows at once and never asks the device when they are done (12.0 per
    # step measured; 54 while it projected row by row)
    "Trilevel step": ("trilevel", "search.steps", 10, 10, 1, 20.0),
    "HiNAS arch + weight step": ("hinas", "search.steps", 4, 4, 1, 40.0),
    "HNAS controller step": ("hnas", "search.controller_steps_per_epoch", 2, 2, 2, 80.0),
    "DeCoNAS child step": ("deconas", "search.steps_per_epoch", 2, 2, 2, 60.0),
}


@pytest.mark.parametrize("loop", list(BUDGETS))
def test_host_reads_per_step_stay_within_budget(loop):
    plugin, key, base, k, epochs, budget = BUDGETS[loop]
    phase = "train" if key.startswith("train.") else "search"
    fixed = ["train.checkpoint_every=0"] if phase == "train" else (["search.checkpoint_every=0"] if plugin in ("hinas", "trilevel") else [])
    lo = audit_run(plugin, overrides=(f"{key}={base}", *fixed), phases=(phase,)).host_reads
    hi = audit_run(plugin, overrides=(f"{key}={base + k}", *fixed), phases=(phase,)).host_reads
    per_step = (hi - lo) / (k * epochs)
    print(f"{loop}: {per_step:.2f} host reads per step")
    assert per_step <= budget, f"{loop}: {per_step:.2f} host reads per step > budget {budget}"
