"""DeCoNAS search (methods-spec section 4.2): ENAS-style shared-weight child training + REINFORCE.

Per epoch: ``steps_per_epoch`` child steps, each on an arc sampled from the controller (L1 loss, Adam);
then, from ``controller_start_epoch`` on, ``controller_steps`` controller updates, each scoring one
sampled arc on one validation batch with reward = Y-PSNR - penalty * P_cb (+ 1e-4 * entropy). After the
last epoch the controller samples ``derive_samples`` arcs; each is scored on the held-out validation
tiles and the best one (by reward, or by PSNR with ``options.derive_by: psnr``) is the genotype.

The validation images are a held-out tail of the training set given to ``search`` (the official code
validates on DIV2K's validation split, which a plugin does not receive). State is checkpointed after
every epoch (supernet, optimisers, controller, baseline, sampler RNG), so a killed search resumes to
the same result.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from srnas.config import OptionalKeys
from srnas.context import RunContext
from srnas.datasets.patches import PatchSource
from srnas.methods.base import CandidateObjective
from srnas.methods.deconas.complexity import complexity_fraction
from srnas.methods.deconas.space import OPS, Arc, num_bits
from srnas.nas.controller import Decision, SequencePolicy
from srnas.nas.budget import search_budget
from srnas.nas.separation import candidate_separation
from srnas.nas.reinforce import Reinforce

_Y = (65.481 / 255, 128.553 / 255, 24.966 / 255)


def y_psnr(sr: torch.Tensor, hr: torch.Tensor, shave: int) -> torch.Tensor:
    """Per-image BT.601 Y PSNR (peak 1) of float RGB batches, ``shave`` border pixels dropped."""
    w = sr.new_tensor(_Y).view(1, 3, 1, 1)
    diff = ((sr.clamp(0, 1) - hr) * w).sum(1)
    if shave:
        diff = diff[:, shave:-shave, shave:-shave]
    mse = diff.pow(2).flatten(1).mean(1).clamp_min(1e-10)
    return -10 * torch.log10(mse)


# The official code's data handling (options added after runs were recorded); absent means the paper's: no
# patch filter, no loss cut. search.* is read here, train.* by the shared trainer's config.
OPTIONAL = OptionalKeys({"search": {"patch_filter": None}, "train": {"patch_filter": None, "loss_cut": 0.0}})


@dataclass
class SearchSettings:
    """The ``search`` and ``options`` config entries the loop reads, with their meaning."""

    epochs: int
    steps_per_epoch: int
    batch: int
    lr_patch: int
    child_lr: float
    child_lr_halve_every_epochs: int
    controller_start_epoch: int
    controller_steps: int
    controller_lr: float
    controller_hidden: int
    controller_layers: int
    tanh_constant: float
    op_tanh_reduce: float
    baseline_decay: float
    entropy_weight: float
    penalty: float
    val_fraction: float
    val_patch: int
    val_batch: int
    derive_samples: int
    derive_tiles: int
    complexity: str
    baseline_on: str
    derive_by: str
    controller: str = "row"
    patch_filter: str | None = None

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> "SearchSettings":
        s, o = config["search"], config["options"]
        fields = {k: s[k] for k in cls.__dataclass_fields__ if k in s and k not in ("controller", "patch_filter")}
        return cls(**fields, patch_filter=OPTIONAL.read(config, "search.patch_filter"), complexity=o.get("complexity", "correct"), baseline_on=o.get("baseline_on", "reward"), derive_by=o.get("derive_by", "reward"), controller=o.get("controller", "row"))


def make_controller(n_bits: int, st: SearchSettings) -> SequencePolicy:
    """The DeCoNAS controller: 2-layer LSTM, 2-way logits (1.1 / 2.5) * tanh(.).

    ``controller: row`` (default; the official ``controller.py``, the slides only picture it): one LSTM step per
    source row (10 steps for 4 layers), emitting the row's 3 op bits from 3 op heads shared by all rows;
    the row's 3-bit value (first op most significant) selects the next input from an 8-entry embedding;
    the first input is learned (``g_emb``) and the LSTM has no bias. ``controller: per-bit`` is the
    suite's earlier form: one LSTM step and one position-specific head per bit (30 steps).
    """
    squash = st.tanh_constant / st.op_tanh_reduce
    if st.controller == "per-bit":
        decisions = [Decision(f"bit{i}", 2) for i in range(n_bits)]
        return SequencePolicy(decisions, hidden=st.controller_hidden, layers=st.controller_layers, tanh_constant=squash)
    if st.controller != "row":
        raise ValueError(f"options.controller must be 'row' or 'per-bit', not {st.controller!r}")
    n_ops = len(OPS)
    decisions = [Decision(f"op{j}", 2, same_step=j > 0) for _ in range(n_bits // n_ops) for j in range(n_ops)]
    return SequencePolicy(decisions, hidden=st.controller_hidden, layers=st.controller_layers, tanh_constant=squash, learned_start=True, lstm_bias=False)


def _val_batches(tiles: list[tuple[torch.Tensor, torch.Tensor]], size: int) -> list[tuple[torch.Tensor, torch.Tensor]]:
    return [(torch.stack([t[0] for t in tiles[i : i + size]]), torch.stack([t[1] for t in tiles[i : i + size]])) for i in range(0, len(tiles), size)]


@torch.no_grad()
def _tile_scores(supernet: nn.Module, arc: Arc, batches: list[tuple[torch.Tensor, torch.Tensor]], scale: int, device: torch.device) -> list[float]:
    """Per-image Y-PSNR of ``arc`` over ``batches`` (eval mode; the supernet has no BN/dropout)."""
    return torch.cat([y_psnr(supernet(lr.to(device), arc), hr.to(device), scale) for lr, hr in batches]).tolist()


def _score(supernet: nn.Module, arc: Arc, batches: list[tuple[torch.Tensor, torch.Tensor]], scale: int, device: torch.device) -> float:
    """Mean of :func:`_tile_scores`: the PSNR the controller and the derivation see."""
    return float(np.mean(_tile_scores(supernet, arc, batches, scale, device)))


def reward_objective(config: dict[str, Any], scale: int) -> CandidateObjective:
    """The controller's (and the default derivation's) reward Y-PSNR - penalty * P_cb as a ranking of one arc:
    the same per-image Y-PSNR with a ``scale``-pixel border and the same complexity count
    (``options.complexity``); the entropy bonus belongs to the policy, not to an arc, and is left out."""
    st = SearchSettings.from_config(config)
    layers, channels = int(config["model"]["layers_per_dnb"]), int(config["model"]["channels"])
    return CandidateObjective(
        name=f"DeCoNAS reward Y-PSNR - {st.penalty:g} x P_cb ({st.complexity} complexity count)",
        accuracy=lambda sr, hr: y_psnr(sr, hr, scale),
        cost=lambda arc: complexity_fraction(arc, layers, channels, st.complexity),  # type: ignore[arg-type]
        combine=lambda a, c: a - st.penalty * c)


class DeCoNASSearch:
    """One search run; ``run()`` returns (best arc, info)."""

    def __init__(self, supernet: nn.Module, data: PatchSource, config: dict[str, Any], seed: int, ctx: RunContext):
        self.st = SearchSettings.from_config(config)
        self.model_cfg = config["model"]
        self.L = int(self.model_cfg["layers_per_dnb"])
        self.channels = int(self.model_cfg["channels"])
        self.seed, self.ctx, self.scale = seed, ctx, data.scale
        self.supernet = supernet.to(ctx.device)
        self.train_data, val_data = data.split([1 - self.st.val_fraction, self.st.val_fraction])
        tiles = val_data.tiles(self.st.val_patch)
        if not tiles:
            raise ValueError(f"no validation image is {self.st.val_patch} LR pixels wide; lower search.val_patch")
        self.ctrl_batches = _val_batches(tiles, self.st.val_batch)
        # derive on an evenly spread subset of tiles, so every held-out image contributes
        pick = np.linspace(0, len(tiles) - 1, min(self.st.derive_tiles, len(tiles))).round().astype(int)
        self.derive_batches = _val_batches([tiles[i] for i in sorted(set(pick.tolist()))], self.st.val_batch)
        self.controller = make_controller(num_bits(self.L), self.st).to(ctx.device)
        self.reinforce = Reinforce(
            self.controller,
            lr=self.st.controller_lr,
            baseline_decay=self.st.baseline_decay,
            entropy_weight=self.st.entropy_weight,
            entropy_in="reward",
            baseline_on=self.st.baseline_on,
        )
        self.child_opt = torch.optim.Adam(self.supernet.parameters(), lr=self.st.child_lr)
        halve = max(self.st.child_lr_halve_every_epochs * self.st.steps_per_epoch, 1)
        self.child_sched = torch.optim.lr_scheduler.StepLR(self.child_opt, step_size=halve, gamma=0.5)
        self.sampler = torch.Generator().manual_seed(seed)

    def penalty_of(self, arc: Arc) -> float:
        return complexity_fraction(arc, self.L, self.channels, self.st.complexity)  # type: ignore[arg-type]

    def sample_arc(self) -> Arc:
        with torch.no_grad():
            tokens, _, _, _ = self.controller(generator=self.sampler)
        return tokens

    def child_epoch(self, epoch: int, steps: int | None = None) -> float:
        """``steps_per_epoch`` shared-weight steps (``steps``: fewer, for a dry run), one sampled arc each; mean L1 loss."""
        self.supernet.train()
        losses = []
        self.bar.set_kind("child")
        for i in range(self.st.steps_per_epoch if steps is None else steps):
            step = epoch * self.st.steps_per_epoch + i
            arc = self.sample_arc()
            lr, hr = self.train_data.batch(step, self.seed, self.st.batch, self.st.lr_patch, patch_filter=self.st.patch_filter)
            loss = F.l1_loss(self.supernet(lr.to(self.ctx.device), arc), hr.to(self.ctx.device))
            self.child_opt.zero_grad(set_to_none=True)
            loss.backward()
            self.child_opt.step()
            self.child_sched.step()
            losses.append(loss.item())
            self.bar.update(1)
        return sum(losses) / len(losses)

    def controller_epoch(self, epoch: int, steps: int | None = None) -> dict[str, float]:
        """``controller_steps`` REINFORCE updates (``steps``: fewer, for a dry run), the k-th on validation batch k (cycling)."""
        self.supernet.eval()
        rows = []
        self.bar.set_kind("controller")
        for i in range(self.st.controller_steps if steps is None else steps):
            tokens, log_prob, entropy, _ = self.controller(generator=self.sampler)
            batch = self.ctrl_batches[(epoch * self.st.controller_steps + i) % len(self.ctrl_batches)]
            psnr = _score(self.supernet, tokens, [batch], self.scale, self.ctx.device)
            p_cb = self.penalty_of(tokens)
            out = self.reinforce.step(log_prob, entropy, psnr - self.st.penalty * p_cb, psnr=psnr)
            rows.append((psnr, p_cb, out["reward"], out["entropy"]))
            self.bar.update(1)
        psnr, p_cb, reward, ent = (float(np.mean(c)) for c in zip(*rows))
        return {"val_psnr": psnr, "p_cb": p_cb, "reward": reward, "entropy": ent, "baseline": float(self.reinforce.baseline.value)}

    def derive(self) -> tuple[Arc, list[dict[str, Any]]]:
        """Score ``derive_samples`` distinct sampled arcs on the held-out tiles; best first."""
        self.supernet.eval()
        seen: dict[tuple[int, ...], dict[str, Any]] = {}
        self.derive_tile_scores: list[list[float]] = []
        for _ in range(self.st.derive_samples):
            arc = self.sample_arc()
            if tuple(arc) in seen:
                continue
            self.derive_tile_scores.append(_tile_scores(self.supernet, arc, self.derive_batches, self.scale, self.ctx.device))
            psnr = float(np.mean(self.derive_tile_scores[-1]))
            p_cb = self.penalty_of(arc)
            seen[tuple(arc)] = {"arc": arc, "val_psnr": psnr, "p_cb": p_cb, "reward": psnr - self.st.penalty * p_cb}
        key = "val_psnr" if self.st.derive_by == "psnr" else "reward"
        ranked = sorted(seen.values(), key=lambda r: -r[key])
        return ranked[0]["arc"], ranked

    def _state(self, epoch: int, history: list[dict[str, Any]], seconds: float) -> dict[str, Any]:
        return {
            "epoch": epoch,
            "history": history,
            "seconds": seconds,
            "supernet": self.supernet.state_dict(),
            "child_opt": self.child_opt.state_dict(),
            "child_sched": self.child_sched.state_dict(),
            "reinforce": self.reinforce.state_dict(),
            "sampler": self.sampler.get_state(),
        }

    def mode(self) -> Arc:
        """The controller's most likely arc (greedy decoding): compared before and after the search."""
        with torch.no_grad():
            tokens, _, _, _ = self.controller(greedy=True)
        return tokens

    def run(self) -> tuple[Arc, dict[str, Any]]:
        initial_mode = self.mode()  # before any update (and before a resume restores the controller)
        start_epoch, history, spent = 0, [], 0.0
        state = self.ctx.load_checkpoint("search")
        if state is not None:
            self.supernet.load_state_dict(state["supernet"])
            self.child_opt.load_state_dict(state["child_opt"])
            self.child_sched.load_state_dict(state["child_sched"])
            self.reinforce.load_state_dict(state["reinforce"])
            self.sampler.set_state(state["sampler"])
            start_epoch, history, spent = state["epoch"], state["history"], state["seconds"]
            self.ctx.log(f"[search] resumed at epoch {start_epoch}/{self.st.epochs}")
        # one progress step per shared-weight or controller update (a dry run times steps, not epochs)
        per_epoch = [self.st.steps_per_epoch + (self.st.controller_steps if e >= self.st.controller_start_epoch else 0)
                     for e in range(self.st.epochs)]
        self.bar = bar = self.ctx.progress(sum(per_epoch), "search", initial=sum(per_epoch[:start_epoch]))
        if self.ctx.dry_run:
            # a dry run times both kinds of step, each projected with its own count, then stops before derivation
            n = self.ctx.dry_run + 1
            ctrl_epochs = sum(e >= self.st.controller_start_epoch for e in range(self.st.epochs))
            bar.plan({"child": self.st.epochs * self.st.steps_per_epoch, "controller": ctrl_epochs * self.st.controller_steps})
            self.child_epoch(start_epoch, min(n, self.st.steps_per_epoch))
            if self.st.controller_steps > 0:
                self.controller_epoch(start_epoch, min(n, self.st.controller_steps))
            bar.stop()
        for epoch in range(start_epoch, self.st.epochs):
            t0 = time.perf_counter()
            row: dict[str, Any] = {"epoch": epoch + 1, "child_l1": self.child_epoch(epoch)}
            if epoch >= self.st.controller_start_epoch and self.st.controller_steps > 0:
                row.update(self.controller_epoch(epoch))
            history.append(row)
            spent += time.perf_counter() - t0
            if epoch + 1 < self.st.epochs:
                self.ctx.save_checkpoint("search", self._state(epoch + 1, history, spent))
        bar.close()
        best, ranked = self.derive()
        st = self.st
        info = {
            "history": history,
            "derived": {k: v for k, v in ranked[0].items() if k != "arc"},
            "derive_candidates": ranked,
            # do the held-out tiles separate the candidates' PSNRs by more than the score's own noise?
            "validation_noise": candidate_separation(self.derive_tile_scores),
            "penalty": self.st.penalty,
            "complexity_count": self.st.complexity,
            "p_cb_correct": complexity_fraction(best, self.L, self.channels, "correct"),
            "p_cb_official": complexity_fraction(best, self.L, self.channels, "official"),
            "active_bits": int(sum(best)),
            "validation_tiles": {"controller": sum(len(b[0]) for b in self.ctrl_batches), "derive": sum(len(b[0]) for b in self.derive_batches)},
            "initial_architecture": {"arc": initial_mode},
            "budget": search_budget(st.epochs * st.steps_per_epoch, st.batch, st.lr_patch,
                                    max(st.epochs - st.controller_start_epoch, 0) * st.controller_steps),
            "final_architecture": {"arc": self.mode()},
            "loop_seconds": round(spent, 2),
        }
        if not math.isfinite(ranked[0]["val_psnr"]):
            raise RuntimeError("search diverged: the derived arc scores a non-finite PSNR")
        return best, info

