"""The phases of one run -- search, build, train, evaluate, cost -- shared by ``srnas run`` (the runner),
the dry run and ``srnas eval``, so the three assemble one run the same way and differ only in what they do
around it (#24): the runner checkpoints each phase and writes a run record, the dry run stops each loop
after its timed steps and writes a projection, the checkpoint evaluation loads weights instead of training.

Phase checkpoints: the plugin's own (``search``, ``train``, written by the shared loops) plus two artifacts
kept here, ``search_result`` (the derived genotype, so a kill during training never redoes the search) and
``trained`` (the final weights, so a kill during evaluation never retrains).
"""
from __future__ import annotations

import contextlib
import copy
import math
import warnings
from collections.abc import Iterator
from typing import Any

import numpy as np
import torch
import torch.nn as nn

from srnas.context import RunContext
from srnas.datasets.paths import DataRootLike
from srnas.datasets.patches import PatchSource
from srnas.evaluate import evaluate, module_upscaler
from srnas.methods.base import Method, SearchResult
from srnas.nas.flops import count_macs, count_params
from srnas.seeding import seed_everything

MACS_LR_INPUT = (480, 480)
"""The first of the two input sizes papers state MACs at: a 3x480x480 LR input (HNAS Table II's convention;
the name stays in the records' ``convention`` text); the other is the LR of a 1280x720 HR output."""
HD_OUTPUT = (720, 1280)


def phase_seed(seed: int, phase: str) -> int:
    """A seed for one phase, independent of whether earlier phases ran or were restored from a checkpoint."""
    return int(np.random.SeedSequence([seed, *phase.encode()]).generate_state(1)[0])


def count_macs_at(model: nn.Module, lr_hw: tuple[int, int], device: torch.device) -> int:
    """MACs at a 1x3xHxW LR input; counted on a weightless ``meta`` copy when the model allows (no compute)."""
    try:
        ghost = copy.deepcopy(model).to("meta")
        return count_macs(ghost, (1, 3, *lr_hw), device="meta")
    except Exception:  # models with host-side ops (e.g. MATLAB bicubic in numpy) need a real pass
        return count_macs(model, (1, 3, *lr_hw), device=device)


def model_cost(model: nn.Module, scale: int, device: torch.device) -> dict[str, Any]:
    """Params and MACs at the two input sizes papers use, each size stated next to its number."""
    hd_lr = (math.ceil(HD_OUTPUT[0] / scale), math.ceil(HD_OUTPUT[1] / scale))
    sizes = [(MACS_LR_INPUT, "HNAS Table II convention"), (hd_lr, f"LR for a {HD_OUTPUT[1]}x{HD_OUTPUT[0]} HR output")]
    macs = []
    for (h, w), why in sizes:
        n = count_macs_at(model, (h, w), device)
        macs.append({"input": f"1x3x{h}x{w} (LR)", "convention": why, "macs": n, "macs_per_lr_pixel": n / (h * w)})
    return {"params": count_params(model), "macs": macs}


@contextlib.contextmanager
def noting_nondeterminism(ctx: RunContext) -> Iterator[None]:
    """Record torch's "no deterministic implementation" warnings in ``ctx.notes`` (seeding asks for
    deterministic kernels with warn_only, so a GPU run that used a non-deterministic op says so in its
    record); every warning is still shown."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("default")
        try:
            yield
        finally:
            for w in caught:
                text = str(w.message)
                if "determinis" in text and text not in ctx.notes:
                    ctx.notes.append(text)
    for w in caught:
        warnings.showwarning(w.message, w.category, w.filename, w.lineno)


class LazyTrainingData:
    """The training PatchSource, loaded on first use and shared by every seed of a sweep."""

    def __init__(self, config: dict[str, Any], data_root: DataRootLike):
        self.config, self.data_root, self._source = config, data_root, None

    def describe(self) -> dict[str, Any] | None:
        """What the run trained on (None when nothing was loaded: bicubic, published-genotype evaluations)."""
        if self._source is None:
            return None
        return {"set": self.config["data"]["train_set"], "images": len(self._source), "lr_source": self._source.lr_source}

    def __call__(self) -> PatchSource:
        if self._source is None:
            d = self.config["data"]
            self._source = PatchSource.from_dataset(d["train_set"], self.config["scale"], self.data_root, limit=d.get("limit_images"))
        return self._source


def uses_search(method: Method, config: dict[str, Any]) -> bool:
    """Searching methods search unless a variant pins a published genotype (``options.genotype``)."""
    return method.searches and not config.get("options", {}).get("genotype")


def search_phase(method: Method, config: dict[str, Any], seed: int, ctx: RunContext, data: LazyTrainingData) -> tuple[SearchResult, float, bool]:
    """The search (or the fixed genotype), restored whole from ``search_result`` when a finished search was
    checkpointed: (result, seconds, searched)."""
    cached = ctx.load_checkpoint("search_result")
    if cached is not None:
        ctx.log("[search] restored finished search from checkpoint")
        return SearchResult(cached["genotype"], cached["info"], cached["model"]), cached["seconds"], cached["searched"]
    searched = uses_search(method, config)
    ctx.start_phase("search")
    if searched:
        result = method.search(data(), copy.deepcopy(config), seed, ctx)
    else:
        result = SearchResult(method.fixed_genotype(copy.deepcopy(config)))
    seconds = ctx.phase_seconds("search")
    if searched:
        ctx.save_checkpoint("search_result", {"genotype": result.genotype, "info": result.info, "model": result.model, "seconds": seconds, "searched": True})
    return result, seconds, searched


def build_phase(method: Method, result: SearchResult, config: dict[str, Any], seed: int, numerics: Any,
                device: torch.device | str) -> nn.Module:
    """The model to train: the search's own (one-phase methods) or ``method.build`` of its genotype, built
    under the ``build`` phase seed (so its initial weights do not depend on whether the search ran or was
    restored), on ``device``."""
    seed_everything(phase_seed(seed, "build"), numerics=numerics)
    model = result.model if result.model is not None else method.build(result.genotype, config["scale"], copy.deepcopy(config))
    return model.to(device)


def train_phase(method: Method, model: nn.Module, config: dict[str, Any], seed: int, ctx: RunContext, data: LazyTrainingData) -> tuple[dict[str, Any], float]:
    """Final training, restored from ``trained`` when it finished before: (train info, seconds)."""
    cached = ctx.load_checkpoint("trained")
    if cached is not None:
        ctx.log("[train] restored trained weights from checkpoint")
        model.load_state_dict(cached["model"])
        return cached["info"], cached["seconds"]
    ctx.start_phase("train")
    info = method.train(model, data() if method.trains else None, copy.deepcopy(config), seed, ctx)
    seconds = ctx.phase_seconds("train")
    ctx.save_checkpoint("trained", {"model": model.state_dict(), "info": info, "seconds": seconds})
    return info, seconds


def evaluate_phase(model: nn.Module, scale: int, ev: dict[str, Any], data_root: DataRootLike, device: torch.device | str,
                   progress: bool = False, convention: str = "symmetric") -> dict[str, Any]:
    """Per-image and per-set scores of ``model`` (in eval mode) under an ``eval`` config section (datasets,
    protocol, lr_source, self_ensemble, tile): what a run records, and what ``srnas eval`` re-measures."""
    model.eval()
    upscaler = module_upscaler(model, device, tile=ev.get("tile"))
    return evaluate(upscaler, scale, datasets=ev["datasets"], protocol=ev["protocol"], lr_source=ev["lr_source"],
                    data_root=data_root, ensemble=bool(ev.get("self_ensemble", False)), progress=progress, per_image=True,
                    convention=convention)
