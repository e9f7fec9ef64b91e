"""The one differentiable-search loop (first-order DARTS alternation), shared by HiNAS and Trilevel NAS.

Each step: (after ``warmup_steps`` of weight-only training) one architecture step on an A-batch, then one
weight step on a W-batch. Two-phase methods (HiNAS) pass disjoint W/A data and keep the best supernet on
a validation score; one-phase methods (Trilevel) pass the same data and anneal their relaxation through
``on_step``. Resumable like the trainer: supernet, architecture, optimisers and step are checkpointed.
"""
from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any, Protocol

import torch
import torch.nn as nn

from srnas.config import OptionalKeys
from srnas.context import RunContext
from srnas.datasets.patches import PatchSource
from srnas.losses import LossFn
from srnas.nas.budget import search_budget
from srnas.seeding import arch_batch_seed
from srnas.step_timer import stratified_schedule
from srnas.train import make_optimizer, make_schedule


class Supernet(Protocol):
    def weight_parameters(self) -> list[nn.Parameter]: ...
    def arch_parameters(self) -> list[nn.Parameter]: ...
    def __call__(self, x: torch.Tensor) -> torch.Tensor: ...
    def state_dict(self) -> dict: ...
    def load_state_dict(self, state: dict) -> Any: ...


# Read by the shared loop from the search section; a plugin built on it adds these to its optional_config()
# (search.arch_batches: srnas.seeding.arch_batch_seed; absent = the seed + 7919 every record so far used).
BILEVEL_OPTIONAL = OptionalKeys({"search": {"arch_batches": "offset-7919"}})


def weight_training(cfg: dict[str, Any], loss: dict[str, Any]) -> dict[str, Any]:
    """The weight updates of :func:`bilevel_search` under search config ``cfg`` as a shared-trainer config.

    ``loss`` holds the trainer's loss keys (``loss``, ``ssim_weight``, ``average_loss_terms``) of the
    weight loss the plugin passes. Random search with weight sharing trains its supernet with this, so
    it spends exactly the weight-update budget of the differentiable search (steps x batch x patch,
    optimiser, schedule over the same number of steps, clipping).
    """
    w = cfg["weights"]
    return {
        "steps": int(cfg["steps"]), "batch": int(cfg["batch"]), "lr_patch": int(cfg["lr_patch"]), "augment": bool(cfg.get("augment", True)),
        "optimizer": w.get("optimizer", "adam"), "lr": w["lr"], "min_lr": w.get("min_lr", 0.0), "schedule": w.get("schedule", "cosine"),
        "momentum": w.get("momentum", 0.9), "weight_decay": w.get("weight_decay", 0.0), "grad_clip": w.get("grad_clip", 0.0) or 0.0,
        "loss": loss.get("loss", "l1"), "ssim_weight": loss.get("ssim_weight", 0.0), "average_loss_terms": loss.get("average_loss_terms", False),
        "checkpoint_every": int(cfg.get("checkpoint_every", 0) or 0),
    }


def _best_name(phase: str, step: int) -> str:
    return f"{phase}-best-{step}"


def _save_best(ctx: RunContext, phase: str, best: dict[str, Any]) -> None:
    """The keep-best supernet state, in its own file named by its step, written only when it is new.

    Pickling the whole best copy into every checkpoint was 9.4 % of a short HiNAS search's CPU. The file is
    written before the checkpoint that names it, and older ones are removed only after, so a kill at any
    point leaves a checkpoint whose best state is on disk."""
    path = ctx.checkpoint_path(_best_name(phase, best["step"])) if best["state"] is not None else None
    if path is not None and not path.exists():
        ctx.save_checkpoint(_best_name(phase, best["step"]), {"step": best["step"], "state": best["state"]})


def _drop_older_best(ctx: RunContext, phase: str, keep_step: int | None) -> None:
    path = ctx.checkpoint_path(phase)
    if path is None:
        return
    for old in path.parent.glob(f"{phase}-best-*.pt"):
        if old.stem != _best_name(phase, keep_step or -1):
            old.unlink(missing_ok=True)


def _load_best(ctx: RunContext, phase: str, step: int | None) -> dict[str, Any] | None:
    if step is None:
        return None
    saved = ctx.load_checkpoint(_best_name(phase, step))
    if saved is None or saved.get("step") != step:
        raise RuntimeError(f"the {phase} checkpoint names a best state at step {step}, but "
                           f"{ctx.checkpoint_path(_best_name(phase, step))} is missing or holds another step; "
                           "delete the unit's checkpoint folder to restart it")
    return saved["state"]


def bilevel_search(
    supernet: Supernet,
    weight_data: PatchSource,
    arch_data: PatchSource,
    cfg: dict[str, Any],
    seed: int,
    ctx: RunContext,
    loss_fn: LossFn,
    arch_loss_fn: LossFn | None = None,
    on_step: Callable[[int, bool], dict[str, float] | None] | None = None,
    validate: Callable[[], float] | None = None,
    phase: str = "search",
) -> dict[str, Any]:
    """Alternate weight and architecture steps for ``cfg['steps']`` steps.

    cfg keys: steps, warmup_steps, batch, lr_patch, augment, weights{optimizer,lr,min_lr,schedule,...},
    arch{lr, weight_decay, betas, optimizer}, validate_every, validate_from, checkpoint_every.
    Returns a JSON summary; if ``validate`` is given the supernet ends in its best-scoring state.
    """
    steps, warmup = int(cfg["steps"]), int(cfg.get("warmup_steps", 0))
    arch_loss_fn = arch_loss_fn or loss_fn
    w_params, a_params = list(supernet.weight_parameters()), list(supernet.arch_parameters())
    w_opt = make_optimizer(w_params, cfg["weights"])
    w_sched = make_schedule(w_opt, cfg["weights"], steps)
    a_cfg = cfg.get("arch", {})
    # arch.optimizer: "adam" (DARTS and HiNAS's code: weight decay added to the gradient, so Adam's scaling
    # lets it cap the logits where the gradient is small) or "adamw" (decoupled: the logits shrink by lr x decay
    # per step) -- issue 25's probe of what keeps HiNAS's distributions near uniform
    a_kind = a_cfg.get("optimizer", "adam")
    if a_kind not in ("adam", "adamw"):
        raise ValueError(f"search.arch.optimizer must be 'adam' or 'adamw', not {a_kind!r}")
    a_opt = (torch.optim.Adam if a_kind == "adam" else torch.optim.AdamW)(
        a_params, lr=a_cfg.get("lr", 3e-4), betas=tuple(a_cfg.get("betas", (0.5, 0.999))), weight_decay=a_cfg.get("weight_decay", 1e-3))
    start, history = 0, []
    best: dict[str, Any] = {"score": None, "step": None, "state": None}
    state = ctx.load_checkpoint(phase)
    if state is not None:
        supernet.load_state_dict(state["supernet"])
        w_opt.load_state_dict(state["w_opt"])
        a_opt.load_state_dict(state["a_opt"])
        w_sched.load_state_dict(state["w_sched"])
        start, history, best = state["step"], state["history"], state["best"]
        if "state" not in best:  # the keep-best weights live beside the checkpoint, written when they changed
            best = {**best, "state": _load_best(ctx, phase, best["step"])}
        ctx.log(f"[{phase}] resumed at step {start}/{steps}")
    batch, patch, aug = cfg["batch"], cfg["lr_patch"], cfg.get("augment", True)
    arch_seed = arch_batch_seed(seed, BILEVEL_OPTIONAL.read({"search": cfg}, "search.arch_batches"))
    every = int(cfg.get("checkpoint_every", 0) or 0)
    v_every, v_from = int(cfg.get("validate_every", 0) or 0), int(cfg.get("validate_from", 0))
    bar = ctx.progress(steps, phase, initial=start)

    def is_validating(step: int) -> bool:
        return bool(validate and v_every and step + 1 >= v_from and (step + 1) % v_every == 0)

    def checkpointing(step: int) -> bool:
        return bool(every and (step + 1) % every == 0 and step + 1 < steps)

    def kind_of(step: int) -> str:
        kind = "weight" if step < warmup or not a_params else ("arch+weight+validate" if is_validating(step) else "arch+weight")
        return kind + "+checkpoint" if checkpointing(step) else kind

    schedule: Any = range(start, steps)
    if ctx.dry_run:
        # a dry run times every kind of step, not only the first: a few steps of each kind, in schedule order,
        # each projected with its own count (the warm-up, the architecture steps, validations, checkpoints differ)
        counts, schedule = stratified_schedule(range(start, steps), kind_of, ctx.dry_run)
        bar.plan(counts)
    for step in schedule:
        validating = is_validating(step)
        bar.set_kind(kind_of(step))
        # a history row every steps // 25 steps, at the end and at validations: only those steps read the
        # losses and diagnostics back to the host (each read drains an accelerator's queue)
        record = (step + 1) % max(steps // 25, 1) == 0 or step == steps - 1 or validating
        extra = on_step(step, record) if on_step else None
        row: dict[str, float] = {"step": step + 1}
        if step >= warmup and a_params:
            lr, hr = arch_data.batch(step, arch_seed, batch, patch, aug)
            a_loss = arch_loss_fn(supernet(lr.to(ctx.device)), hr.to(ctx.device))
            a_opt.zero_grad(set_to_none=True)
            w_opt.zero_grad(set_to_none=True)
            a_loss.backward()
            a_opt.step()
            if record:
                row["arch_loss"] = float(a_loss.detach())
        lr, hr = weight_data.batch(step, seed, batch, patch, aug)
        w_loss = loss_fn(supernet(lr.to(ctx.device)), hr.to(ctx.device))
        w_opt.zero_grad(set_to_none=True)
        a_opt.zero_grad(set_to_none=True)
        w_loss.backward()
        if cfg["weights"].get("grad_clip"):
            nn.utils.clip_grad_norm_(w_params, cfg["weights"]["grad_clip"])
        w_opt.step()
        w_sched.step()
        if record:
            row["weight_loss"] = float(w_loss.detach())
        if extra:
            row.update(extra)
        if validating:
            assert validate is not None
            score = float(validate())
            row["val_score"] = score
            if best["score"] is None or score > best["score"]:
                best = {"score": score, "step": step + 1, "state": copy.deepcopy(supernet.state_dict())}
        if record:
            history.append(row)
            ctx.report(**{k: v for k, v in row.items() if k in ("weight_loss", "arch_loss", "val_score")})
        if checkpointing(step):
            _save_best(ctx, phase, best)
            ctx.save_checkpoint(phase, {"supernet": supernet.state_dict(), "w_opt": w_opt.state_dict(), "a_opt": a_opt.state_dict(),
                                        "w_sched": w_sched.state_dict(), "step": step + 1, "history": history,
                                        "best": {k: v for k, v in best.items() if k != "state"}})
            _drop_older_best(ctx, phase, best["step"])
        bar.update(1)  # after the checkpoint: a step's time (and a dry run's timing of its kind) includes its save
    bar.close()
    if best["state"] is not None:
        supernet.load_state_dict(best["state"])
    return {"steps": steps, "warmup_steps": warmup, "history": history, "best_score": best["score"], "best_step": best["step"],
            "budget": search_budget(steps, batch, patch, (steps - warmup) if a_params else 0)}
