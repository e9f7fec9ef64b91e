"""Run a plugin's search and final training on the ``meta`` device under :class:`srnas.device_audit.DeviceAudit`.

The harness part of the device audit: it resolves the plugin's config and data as a run does, then runs
the phases asked for on ``meta``, where every op is shape-only (seconds per plugin on a CPU). Used by the
registry-wide test (``tests/test_device_audit.py``), the host-read budgets and ``benchmarks/host_syncs.py``.
"""
from __future__ import annotations

import copy

import torch
import torch.fx.experimental._config as fx_config

from srnas.context import RunContext
from srnas.datasets.paths import DataRootLike
from srnas.device_audit import DeviceAudit
from srnas.harness.execution.config import resolve_config
from srnas.harness.execution.pipeline import LazyTrainingData, uses_search
from srnas.methods import get_method
from srnas.methods.base import SearchResult


def audit_run(method_name: str, profile: str = "smoke", scale: int = 2, seed: int = 0, overrides: tuple[str, ...] = (),
              data_root: DataRootLike = None, count_sites: bool = False, phases: tuple[str, ...] = ("search", "train"),
              strict: bool = True, audit: DeviceAudit | None = None) -> DeviceAudit:
    """Run one plugin's search (if it searches) and final training (if it trains) on ``meta`` under a
    :class:`DeviceAudit`; raises :class:`DeviceMismatch` at the first op that mixes devices. ``phases``
    limits the audit (and its host-read count) to the search or the training."""
    method = get_method(method_name)
    config = resolve_config(method, profile, scale, "default", list(overrides))
    data = LazyTrainingData(config, data_root)
    ctx = RunContext(device="meta", quiet=True)
    audit = audit or DeviceAudit(count_sites=count_sites, strict=strict)
    torch.manual_seed(seed)
    # nonzero() on meta has no data to size its output: assume every element is nonzero (every branch runs)
    with fx_config.patch(meta_nonzero_assume_all_nonzero=True):  # type: ignore[attr-defined]  # torch config modules gain patch() at import
        if "search" in phases and uses_search(method, config):
            with audit:
                result = method.search(data(), copy.deepcopy(config), seed, ctx)
        else:
            result = SearchResult(method.fixed_genotype(copy.deepcopy(config)))
        if "train" in phases and method.trains:
            with audit:
                model = result.model if result.model is not None else method.build(result.genotype, scale, copy.deepcopy(config))
                model = model.to(ctx.device)
                method.train(model, data(), copy.deepcopy(config), seed, ctx)
    return audit
