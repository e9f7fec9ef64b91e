"""The shared trainer: one loop for every final network (and for methods' weight steps).

A plugin changes the optimiser, schedule and loss through its profile config, not by copying the loop.
Resumable: the loop checkpoints model/optimiser/scheduler/step under the phase name and, since batches
are a function of (seed, step), a resumed run equals an uninterrupted one.
"""
from __future__ import annotations

import contextlib
import math
from collections.abc import Iterable
from typing import Any

import torch
import torch.nn as nn

from srnas.context import RunContext
from srnas.datasets.patches import PatchSource
from srnas.datasets.pipeline import batch_stream
from srnas.losses import LossFn, make_loss
from srnas.step_timer import stratified_schedule


def make_optimizer(params: Iterable[torch.nn.Parameter], cfg: dict[str, Any]) -> torch.optim.Optimizer:
    name = cfg.get("optimizer", "adam")
    if name == "adam":
        return torch.optim.Adam(params, lr=cfg["lr"], betas=tuple(cfg.get("betas", (0.9, 0.999))), weight_decay=cfg.get("weight_decay", 0.0))
    if name == "sgd":
        return torch.optim.SGD(params, lr=cfg["lr"], momentum=cfg.get("momentum", 0.9), weight_decay=cfg.get("weight_decay", 0.0))
    raise ValueError(f"unknown optimizer {name!r}; use 'adam' or 'sgd'")


def make_schedule(opt: torch.optim.Optimizer, cfg: dict[str, Any], total_steps: int) -> torch.optim.lr_scheduler.LRScheduler:
    """``cosine`` (to min_lr), ``poly`` (power 0.9), ``step`` (halve every step_size), ``constant``."""
    name = cfg.get("schedule", "cosine")
    base, floor = cfg["lr"], cfg.get("min_lr", 0.0)
    total = max(total_steps, 1)
    if name == "cosine":
        f = lambda t: (floor + (base - floor) * 0.5 * (1 + math.cos(math.pi * min(t, total) / total))) / base  # noqa: E731
    elif name == "poly":
        f = lambda t: max((1 - min(t, total) / total) ** cfg.get("power", 0.9), floor / base)  # noqa: E731
    elif name == "step":
        size = int(cfg.get("step_size", max(total // 2, 1)))
        f = lambda t: cfg.get("gamma", 0.5) ** (t // size)  # noqa: E731
    elif name == "constant":
        f = lambda t: 1.0  # noqa: E731
    else:
        raise ValueError(f"unknown schedule {name!r}; use cosine, poly, step or constant")
    return torch.optim.lr_scheduler.LambdaLR(opt, f)


def loss_from_config(cfg: dict[str, Any]) -> LossFn:
    return make_loss(cfg.get("loss", "l1"), cfg.get("ssim_weight", 0.0), cfg.get("average_loss_terms", False))


#: the mixed-precision modes of ``train.amp`` (checked with the config before any work, and here)
AMP_MODES = ("off", "bf16", "fp16")


def fit(
    model: nn.Module,
    data: PatchSource,
    cfg: dict[str, Any],
    seed: int,
    ctx: RunContext,
    loss_fn: LossFn | None = None,
    phase: str = "train",
) -> dict[str, Any]:
    """Train ``model`` for ``cfg['steps']`` steps on random patches of ``data``; returns a JSON summary."""
    steps = int(cfg["steps"])
    model.to(ctx.device).train()
    loss_fn = loss_fn or loss_from_config(cfg)
    opt = make_optimizer([p for p in model.parameters() if p.requires_grad], cfg)
    sched = make_schedule(opt, cfg, steps)
    start, curve = 0, []
    state = ctx.load_checkpoint(phase)
    if state is not None:
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["optimizer"])
        sched.load_state_dict(state["scheduler"])
        start, curve = state["step"], state["curve"]
        ctx.log(f"[{phase}] resumed at step {start}/{steps}")
    every = int(cfg.get("checkpoint_every", 0) or 0)
    # Curve points sit at fixed steps (every `points_every`, and the last step) and the open window is part
    # of the checkpoint, so the curve and final_loss do not depend on where a run was cut and resumed.
    points_every = max(steps // 20, 1)
    window: list[float] = list(state.get("window", [])) if state is not None else []
    # loss_cut (DeCoNAS code, final training): a batch whose loss is >= loss_cut x the mean loss of the
    # batches trained so far is skipped and another one drawn for the same step
    cut = float(cfg.get("loss_cut") or 0.0)
    trained_sum, skipped = (state.get("trained_sum", 0.0), state.get("skipped", 0)) if state is not None else (0.0, 0)
    bar = ctx.progress(steps, phase, initial=start)
    # the main batch of every step from the run's loader (identical batches whatever the loader); filtered
    # patches and loss_cut redraws need per-sample decisions and come from PatchSource.batch itself
    filtered = cfg.get("patch_filter")
    stream = None if filtered else batch_stream(data, seed, cfg["batch"], cfg["lr_patch"], cfg.get("augment", True), start, steps,
                                                getattr(ctx, "loader", "inline"), ctx.device)
    amp = cfg.get("amp") or "off"
    if amp not in AMP_MODES:
        raise ValueError(f"train.amp must be 'off', 'bf16' or 'fp16', not {amp!r}")
    autocast = (lambda: torch.autocast(ctx.device.type, dtype=torch.bfloat16 if amp == "bf16" else torch.float16)) if amp != "off" else contextlib.nullcontext
    scaler = torch.amp.GradScaler(ctx.device.type, enabled=amp == "fp16")
    if state is not None and "scaler" in state:
        scaler.load_state_dict(state["scaler"])
    # Losses stay on the device until a curve point or a checkpoint needs them: one host read per curve point
    # instead of two per step (each read drains an accelerator's queue). Read back as the same Python
    # floats and summed in step order, the curve and trained_sum are bit-identical to per-step reads.
    pending: list[torch.Tensor] = []

    def read_pending() -> None:
        nonlocal trained_sum
        if pending:
            for value in torch.stack(pending).tolist():
                window.append(value)
                trained_sum += value
            pending.clear()

    def checkpointing(step: int) -> bool:
        return bool(every and (step + 1) % every == 0 and step + 1 < steps)

    def kind_of(step: int) -> str:
        return "step+checkpoint" if checkpointing(step) else "step"

    schedule: Any = range(start, steps)
    if ctx.dry_run:  # plain steps and steps that save a checkpoint, each timed and projected with its own count
        counts, schedule = stratified_schedule(range(start, steps), kind_of, ctx.dry_run)
        bar.plan(counts)
    for step in schedule:
        if ctx.dry_run:
            bar.set_kind(kind_of(step))
        draw = 0
        while True:
            if stream is not None and draw == 0:
                lr, hr = next(stream)
            else:
                lr, hr = data.batch(step, seed, cfg["batch"], cfg["lr_patch"], cfg.get("augment", True), filtered, draw)
            lr, hr = lr.to(ctx.device, non_blocking=True), hr.to(ctx.device, non_blocking=True)
            with autocast():
                loss = loss_fn(model(lr), hr)
            if not cut or step == 0 or float(loss.detach()) < cut * trained_sum / step:
                break
            skipped, draw = skipped + 1, draw + 1
            if draw > 100:
                raise RuntimeError(f"[{phase}] loss_cut {cut}: 100 batches in a row skipped at step {step}; training diverged")
        opt.zero_grad(set_to_none=True)
        scaler.scale(loss).backward()
        if cfg.get("grad_clip"):
            scaler.unscale_(opt)
            nn.utils.clip_grad_value_(model.parameters(), cfg["grad_clip"])
        scaler.step(opt)
        scaler.update()
        sched.step()
        pending.append(loss.detach())
        if cut:  # the next step's loss_cut decision needs the running sum on the host
            read_pending()
        if (step + 1) % points_every == 0 or step == steps - 1:
            read_pending()
            curve.append([step + 1, sum(window) / len(window)])
            ctx.report(loss=curve[-1][1])
            window.clear()
        if checkpointing(step):
            read_pending()
            ctx.save_checkpoint(phase, {"model": model.state_dict(), "optimizer": opt.state_dict(), "scheduler": sched.state_dict(), "step": step + 1,
                                        "curve": curve, "window": window, "trained_sum": trained_sum, "skipped": skipped,
                                        **({"scaler": scaler.state_dict()} if scaler.is_enabled() else {})})
        bar.update(1)  # after the checkpoint: a step's time (and a dry run's timing of its kind) includes its save
    bar.close()
    model.eval()
    out = {"steps": steps, "final_loss": curve[-1][1] if curve else None, "loss_curve": curve}
    if cut:
        out["loss_cut_skipped_batches"] = skipped
    return out
