"""DeCoNAS search (methods-spec section 4.2): ENAS-style shared-weight child training + REINFORCE.

Per epoch: ``steps_per_epoch`` child steps, each on an arc sampled from the controller (L1 loss, Adam);
then, from ``controller_start_epoch`` on, ``controller_steps`` controller updates, each scoring one
sampled arc on one validation batch with reward = Y-PSNR - penalty * P_cb (+ 1e-4 * entropy). After the
last epoch the controller samples ``derive_samples`` arcs; each is scored on the held-out validation
tiles and the best one (by reward, or by PSNR with ``options.derive_by: psnr``) is the genotype.

The validation images are a held-out tail of the training set given to ``search`` (the official code
validates on DIV2K's validation split, which a plugin does not receive). State is checkpointed after
every epoch (supernet, optimisers, controller, baseline, sampler RNG), so a killed search resumes to
the same result. The alternation itself (progress, checkpoint/resume, history) is the shared loop
:func:`srnas.nas.enas.run_enas`; :class:`DeCoNASSearch` plugs in DeCoNAS's sampler, reward and epoch row.
"""
from __future__ import annotations

import math
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
from srnas.nas.enas import EnasSchedule, run_enas
from srnas.nas.proxy import proxy_score
from srnas.nas.reinforce import Reinforce
from srnas.seeding import sequential_generator

#: the reward's PSNR (srnas.nas.proxy): BT.601 luma of float SR, per image, ``scale`` border pixels dropped
REWARD_PSNR = proxy_score("deconas-reward")


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
    return torch.cat([REWARD_PSNR.psnr(supernet(lr.to(device), arc), hr.to(device), scale) for lr, hr in batches]).tolist()


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
        accuracy=lambda sr, hr: REWARD_PSNR.psnr(sr, hr, scale),
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
        self.sampler = sequential_generator(seed)  # every draw in turn, checkpointed (srnas.seeding)

    def penalty_of(self, arc: Arc) -> float:
        return complexity_fraction(arc, self.L, self.channels, self.st.complexity)  # type: ignore[arg-type]

    def sample_arc(self) -> Arc:
        with torch.no_grad():
            tokens, _, _, _ = self.controller(generator=self.sampler)
        return tokens

    # -- the strategy of the shared ENAS loop (srnas.nas.enas.run_enas) --

    def start_child_epoch(self, epoch: int) -> None:
        self.supernet.train()

    def child_step(self, step: int) -> torch.Tensor:
        """One shared-weight step on one sampled arc (L1 loss)."""
        arc = self.sample_arc()
        lr, hr = self.train_data.batch(step, self.seed, self.st.batch, self.st.lr_patch, patch_filter=self.st.patch_filter)
        loss = F.l1_loss(self.supernet(lr.to(self.ctx.device), arc), hr.to(self.ctx.device))
        self.child_opt.zero_grad(set_to_none=True)
        loss.backward()
        self.child_opt.step()
        self.child_sched.step()
        return loss.detach()

    def start_controller_epoch(self, epoch: int) -> None:
        self.supernet.eval()

    def controller_step(self, step: int) -> dict[str, float]:
        """One REINFORCE update; the k-th controller step of the search scores validation batch k (cycling)."""
        tokens, log_prob, entropy, _ = self.controller(generator=self.sampler)
        batch = self.ctrl_batches[step % len(self.ctrl_batches)]
        psnr = _score(self.supernet, tokens, [batch], self.scale, self.ctx.device)
        p_cb = self.penalty_of(tokens)
        out = self.reinforce.step(log_prob, entropy, psnr - self.st.penalty * p_cb, psnr=psnr)
        return {"val_psnr": psnr, "p_cb": p_cb, "reward": out["reward"], "entropy": out["entropy"]}

    def epoch_row(self, epoch: int, child_losses: list[float], controller_logs: list[dict[str, float]]) -> dict[str, Any]:
        row: dict[str, Any] = {"epoch": epoch + 1, "child_l1": sum(child_losses) / len(child_losses)}
        if controller_logs:
            row.update({k: float(np.mean([x[k] for x in controller_logs])) for k in ("val_psnr", "p_cb", "reward", "entropy")})
            row["baseline"] = float(self.reinforce.baseline.value)  # type: ignore[arg-type]  # set by the steps above
        return row

    def state_dict(self) -> dict[str, Any]:
        return {"supernet": self.supernet.state_dict(), "child_opt": self.child_opt.state_dict(),
                "child_sched": self.child_sched.state_dict(), "reinforce": self.reinforce.state_dict(),
                "sampler": self.sampler.get_state()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.supernet.load_state_dict(state["supernet"])
        self.child_opt.load_state_dict(state["child_opt"])
        self.child_sched.load_state_dict(state["child_sched"])
        self.reinforce.load_state_dict(state["reinforce"])
        self.sampler.set_state(state["sampler"])

    def derivation_size(self) -> int:
        return self.st.derive_samples

    def derive(self, progress: Any = None) -> tuple[Arc, list[dict[str, Any]]]:
        """Score ``derive_samples`` distinct sampled arcs on the held-out tiles; best first. ``progress`` (a
        progress bar) is advanced after each draw, a repeated arc (not scored again) included."""
        self.supernet.eval()
        seen: dict[tuple[int, ...], dict[str, Any]] = {}
        self.derive_tile_scores: list[list[float]] = []
        for _ in range(self.st.derive_samples):
            arc = self.sample_arc()
            if tuple(arc) not in seen:
                self.derive_tile_scores.append(_tile_scores(self.supernet, arc, self.derive_batches, self.scale, self.ctx.device))
                psnr = float(np.mean(self.derive_tile_scores[-1]))
                p_cb = self.penalty_of(arc)
                seen[tuple(arc)] = {"arc": arc, "val_psnr": psnr, "p_cb": p_cb, "reward": psnr - self.st.penalty * p_cb}
            if progress is not None:
                progress.update(1)
        key = "val_psnr" if self.st.derive_by == "psnr" else "reward"
        ranked = sorted(seen.values(), key=lambda r: -r[key])
        return ranked[0]["arc"], ranked

    def mode(self) -> Arc:
        """The controller's most likely arc (greedy decoding): compared before and after the search."""
        with torch.no_grad():
            tokens, _, _, _ = self.controller(greedy=True)
        return tokens

    def run(self) -> tuple[Arc, dict[str, Any]]:
        initial_mode = self.mode()  # before any update (and before a resume restores the controller)
        st = self.st
        schedule = EnasSchedule(st.epochs, st.steps_per_epoch, st.controller_steps, st.controller_start_epoch)
        loop = run_enas(self, schedule, self.ctx, "search")
        history, spent = loop.history, loop.seconds
        best, ranked = loop.derived
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

