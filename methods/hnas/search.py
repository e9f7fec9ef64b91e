"""The HNAS search: ENAS alternation of shared-weight and controller epochs, then derivation (spec §1.5).

Per epoch: ``shared_steps`` L1 steps of the supernet on the first split (each batch runs a fresh
architecture drawn from the controller), then ``controller_steps`` REINFORCE steps on the second split
with reward R = lambda * PSNR - (1 - lambda) * Cost, where PSNR is the quantised RGB PSNR of the sampled
architecture on that controller batch and Cost its normalised MACs (:mod:`.cost`). Every random draw is
a function of (seed, stream, step), and the state is checkpointed per epoch, so a resumed search equals
an uninterrupted one. The alternation itself (progress, checkpoint/resume, history) is the shared loop
:func:`srnas.nas.enas.run_enas`; :class:`HNASAlternation` plugs in HNAS's draws, reward and epoch rules.
"""
from __future__ import annotations

import math
import time
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from srnas.config import OptionalKeys
from srnas.context import RunContext
from srnas.datasets.patches import PatchSource
from srnas.methods.base import CandidateObjective, SearchResult
from srnas.methods.hnas.controller import HierarchicalController
from srnas.methods.hnas.cost import ArchCost, MacTable
from srnas.methods.hnas.derive import ArchProvider, best_of_n
from srnas.methods.hnas.space import Genotype, HNASSpace
from srnas.methods.hnas.supernet import HNASSupernet
from srnas.nas.ops import BicubicResidual
from srnas.nas.budget import search_budget
from srnas.nas.separation import candidate_separation
from srnas.nas.enas import EnasSchedule, run_enas
from srnas.nas.proxy import proxy_score
from srnas.nas.reinforce import Reinforce
from srnas.seeding import stream_generator
from srnas.train import make_optimizer, make_schedule


# Added after the short runs were recorded: absent means the paper behaviour. derive_score: "psnr" ranks
# derivation candidates by validation PSNR (the code); "reward" by the search's own lambda * PSNR - (1 - lambda)
# * Cost, so lambda reaches the derived architecture.
OPTIONAL = OptionalKeys({"options": {"reward_psnr": "per-image", "search_bn_stats": "batch", "derive_score": "psnr"}})


#: options.reward_psnr -> the proxy PSNR preset it names (srnas.nas.proxy): per image, or the code's one PSNR of a batch
REWARD_PSNR = {"per-image": proxy_score("hnas-reward").psnr, "batch": proxy_score("hnas-reward-batch").psnr}


def reward_psnr_of(config: dict[str, Any]) -> str:
    """``options.reward_psnr``, checked once against :data:`REWARD_PSNR` (the search, its alternation and the
    candidate objective all read it through here)."""
    name = OPTIONAL.read(config, "options.reward_psnr")
    if name not in REWARD_PSNR:
        raise ValueError(f"options.reward_psnr must be one of {', '.join(REWARD_PSNR)}, not {name!r}")
    return name


def track_running_stats(module: torch.nn.Module) -> None:
    """Give every BatchNorm running statistics again (``options.search_bn_stats: running``, the code):
    updated in train mode, used in eval mode (derivation)."""
    for m in module.modules():
        if isinstance(m, torch.nn.BatchNorm2d) and not m.track_running_stats:
            m.track_running_stats = True
            m.register_buffer("running_mean", torch.zeros(m.num_features))
            m.register_buffer("running_var", torch.ones(m.num_features))
            m.register_buffer("num_batches_tracked", torch.tensor(0, dtype=torch.long))


def _moments(x: list[float], y: list[float]) -> list[float]:
    xa, ya = np.asarray(x, float), np.asarray(y, float)
    return [float(len(xa)), float(xa.sum()), float(ya.sum()), float((xa * ya).sum()), float((xa * xa).sum()), float((ya * ya).sum())]


def _correlation(moments: list[list[float]]) -> float | None:
    """Pearson r from summed per-epoch moments (None when either variable is constant)."""
    if not moments:
        return None
    n, sx, sy, sxy, sxx, syy = np.sum(np.asarray(moments), axis=0)
    vx, vy = n * sxx - sx * sx, n * syy - sy * sy
    if n < 2 or vx <= 0 or vy <= 0:
        return None
    return round(float((n * sxy - sx * sy) / math.sqrt(vx * vy)), 4)


def architecture_of(genotype: Genotype) -> dict[str, Any]:
    """The decisions of a genotype (what two searches must agree on to have found the same network)."""
    return {k: genotype[k] for k in ("normal", "upsampling", "upsampling_position")}


def make_space(config: dict[str, Any]) -> HNASSpace:
    return HNASSpace(layers=int(config["model"]["layers"]), udpb=bool(config["options"]["udpb"]))


def make_supernet(space: HNASSpace, scale: int, config: dict[str, Any]) -> HNASSupernet | BicubicResidual:
    """The supernet at search width; with ``options.bicubic_residual`` it predicts the residual over
    bicubic like the final model, so reward PSNRs rank architectures the way the final model will."""
    s, residual = config["search"], bool(config["options"]["bicubic_residual"])
    net = HNASSupernet(space, scale, int(s["channels"]), float(config["model"]["rgb_range"]), bool(s["search_bn"]), residual_output=residual)
    stats = OPTIONAL.read(config, "options.search_bn_stats")
    if stats == "running":
        track_running_stats(net)
    elif stats != "batch":
        raise ValueError(f"options.search_bn_stats must be 'batch' or 'running', not {stats!r}")
    return BicubicResidual(net, scale) if residual else net


def validation_scorer(net: torch.nn.Module, tiles: list[tuple[torch.Tensor, torch.Tensor]], shave: int, batch: int, device: torch.device,
                      psnr_fn=REWARD_PSNR["per-image"], per_tile_log: list[list[float]] | None = None):
    """score(provider): mean PSNR over held-out tiles; ``provider()`` is asked once per forward pass.

    With ``per_tile_log`` every call also appends its per-tile PSNRs (for the noise of the ranking)."""

    @torch.no_grad()
    def score(provider: ArchProvider) -> float:
        net.eval()
        values = []
        for i in range(0, len(tiles), batch):
            lr = torch.stack([t[0] for t in tiles[i : i + batch]]).to(device)
            hr = torch.stack([t[1] for t in tiles[i : i + batch]]).to(device)
            values.append(psnr_fn(net(lr, provider()), hr, shave))
        per_tile = torch.cat(values)
        if per_tile_log is not None:
            per_tile_log.append(per_tile.tolist())
        return float(per_tile.mean())

    return score


def reward_objective(config: dict[str, Any], scale: int) -> CandidateObjective:
    """The controller's reward R = lambda * PSNR - (1 - lambda) * Cost as a ranking of one architecture: the
    same PSNR (``options.reward_psnr``, quantised RGB, ``scale + reward_shave_extra`` border) and each
    architecture charged its own MACs (the paper's meaning; ``flops_cost: official``'s stale hooks have no
    counterpart for a fixed candidate), so the objective-matched random search ranks as this reward does."""
    s = config["search"]
    reward_psnr = reward_psnr_of(config)
    psnr_fn, shave, lam = REWARD_PSNR[reward_psnr], scale + int(s["reward_shave_extra"]), float(s["lambda"])
    cost = ArchCost(MacTable(make_space(config), scale, int(s["channels"]), int(s["cost_lr_size"])), float(s["cost_per_mac"]),
                    "sampled", s.get("cost_decimals"))
    return CandidateObjective(
        name=f"HNAS reward {lam:g} x PSNR - {1 - lam:g} x Cost ({reward_psnr} quantised RGB PSNR; Cost = {cost.cost_per_mac:g} x MACs)",
        accuracy=lambda sr, hr: psnr_fn(sr, hr, shave), cost=cost.own, combine=lambda a, c: lam * a - (1 - lam) * c)


def weight_training(config: dict[str, Any]) -> dict[str, Any]:
    """The shared-weight phase as a shared-trainer config: epochs x shared steps, Adam, cosine, L1. The search
    builds its optimiser and schedule from it, and RSWS trains its supernet with it (the equal budget)."""
    s = config["search"]
    return {"steps": int(s["epochs"]) * int(s["shared_steps_per_epoch"]), "batch": int(s["batch"]), "lr_patch": int(s["lr_patch"]),
            "augment": True, "optimizer": "adam", "lr": s["weight_lr"], "min_lr": s["weight_min_lr"], "schedule": "cosine",
            "weight_decay": 0.0, "grad_clip": 0.0, "loss": "l1", "checkpoint_every": int(s["shared_steps_per_epoch"])}


class HNASAlternation:
    """HNAS's part of the shared ENAS loop (:func:`srnas.nas.enas.run_enas`): each shared-weight batch runs an
    architecture drawn from the policy on its own named stream ("weights-arch", step); each controller step
    scores a drawn architecture ("controller-arch", step) on the second split with the joint reward, the
    cost of a fresh draw ("flops-arch", step) under ``flops_cost: official``; the baseline resets and the
    controller lr decays per epoch as configured."""

    def __init__(self, net: torch.nn.Module, controller: HierarchicalController, reinforce: Reinforce, cost: ArchCost,
                 table: MacTable, weights_data: PatchSource, controller_data: PatchSource, config: dict[str, Any], scale: int,
                 seed: int, device: torch.device):
        s, opts = config["search"], config["options"]
        self.net, self.controller, self.reinforce, self.cost, self.table = net, controller, reinforce, cost, table
        self.weights_data, self.controller_data, self.seed, self.device = weights_data, controller_data, seed, device
        self.s, self.batch, self.lr_patch = s, int(s["batch"]), int(s["lr_patch"])
        self.lam, self.position_weight = float(s["lambda"]), float(opts["position_weight"])
        self.psnr_fn = REWARD_PSNR[reward_psnr_of(config)]
        self.reward_shave = scale + int(s["reward_shave_extra"])
        # the code keeps the supernet in train mode for the controller epoch (BN: batch statistics, running
        # statistics updated); with batch-only BN, eval mode computes the same
        self.controller_mode_train = OPTIONAL.read(config, "options.search_bn_stats") == "running"
        self.scale, self.resample_per_forward = scale, bool(opts["derive_resample_per_forward"])
        self.derive_score = OPTIONAL.read(config, "options.derive_score")
        if self.derive_score not in ("psnr", "reward"):  # checked before the search, not after it
            raise ValueError(f"options.derive_score must be 'psnr' (the code: best validation PSNR) or 'reward', not {self.derive_score!r}")
        if self.derive_score == "reward" and self.resample_per_forward:
            raise ValueError("options.derive_score: reward needs one architecture per candidate (derive_resample_per_forward: false)")
        weight_cfg = weight_training(config)
        self.opt = make_optimizer(net.parameters(), weight_cfg)
        self.sched = make_schedule(self.opt, weight_cfg, weight_cfg["steps"])

    def start_child_epoch(self, epoch: int) -> None:
        self.net.train()

    def child_step(self, step: int) -> torch.Tensor:
        with torch.no_grad():
            genotype = self.controller(generator=stream_generator(self.seed, "weights-arch", step)).genotype
        lr, hr = self.weights_data.batch(step, self.seed, self.batch, self.lr_patch)
        loss = F.l1_loss(self.net(lr.to(self.device), genotype), hr.to(self.device))
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        self.opt.step()
        self.sched.step()
        return loss.detach()

    def start_controller_epoch(self, epoch: int) -> None:
        if self.s["reset_baseline_each_epoch"]:
            self.reinforce.baseline.reset()
        decayed = epoch >= int(self.s["controller_lr_decay_epoch"])
        for group in self.reinforce.opt.param_groups:
            group["lr"] = self.s["controller_lr"] * (self.s["controller_lr_gamma"] if decayed else 1.0)
        self.net.train(self.controller_mode_train)

    def controller_step(self, step: int) -> dict[str, float]:
        sample = self.controller(generator=stream_generator(self.seed, "controller-arch", step), position_weight=self.position_weight)
        lr, hr = self.controller_data.batch(step, self.seed, self.batch, self.lr_patch)
        with torch.no_grad():
            psnr = float(self.psnr_fn(self.net(lr.to(self.device), sample.genotype), hr.to(self.device), self.reward_shave).mean())
        if self.cost.mode == "official":  # the code charges the FLOPs of a fresh, independent draw
            with torch.no_grad():
                fresh = self.controller(generator=stream_generator(self.seed, "flops-arch", step)).genotype
            c, _ = self.cost(fresh)
        else:
            c, _ = self.cost(sample.genotype)
        stats = self.reinforce.step(sample.log_prob, sample.entropy, self.lam * psnr - (1 - self.lam) * c)
        return {**stats, "psnr": psnr, "cost": c, "macs": self.table.macs(sample.genotype),
                "position": int(sample.genotype["upsampling_position"])}

    def epoch_row(self, epoch: int, child_losses: list[float], controller_logs: list[dict[str, float]]) -> dict[str, Any]:
        logs = controller_logs
        return {
            "epoch": epoch + 1,
            "weight_loss": float(np.mean(child_losses)) if child_losses else math.nan,
            **({k: float(np.mean([x[k] for x in logs])) for k in ("reward", "psnr", "cost", "macs", "entropy")} if logs else {}),
            # spread of the policy entropy across this epoch's samples: with entropy in the reward only
            # its deviation from the baseline moves the policy
            **({"entropy_std": float(np.std([x["entropy"] for x in logs]))} if logs else {}),
            # sufficient statistics of (upsampling position of the scored sample, charged cost)
            "position_cost_moments": _moments([x["position"] for x in logs], [x["cost"] for x in logs]),
        }

    def derivation_size(self) -> int:
        return int(self.s["derive_candidates"])

    def derive(self, progress: Any) -> dict[str, Any]:
        """Best of N architectures drawn from the trained policy ("derive", i), each scored with one fixed
        architecture (unless ``derive_resample_per_forward``, the code) on held-out tiles of the controller split,
        ranked by PSNR or by the reward (``options.derive_score``)."""
        tiles = self.controller_data.tiles(int(self.s["derive_lr_patch"]), int(self.s["derive_tiles"]) or None)
        per_tile: list[list[float]] = []
        psnr_score = validation_scorer(self.net, tiles, self.scale, self.batch, self.device, self.psnr_fn, per_tile)
        draws = iter(range(10**9))
        self.controller.eval()

        def sample() -> Genotype:
            with torch.no_grad():
                return self.controller(generator=stream_generator(self.seed, "derive", next(draws))).genotype

        psnrs: list[float] = []
        if self.derive_score == "reward":  # rank by the search's own objective, so lambda reaches the derived net
            def score(provider: ArchProvider) -> float:
                genotype = provider()
                psnrs.append(psnr_score(lambda: genotype))
                # each candidate is charged its own MACs, whatever flops_cost charged during the search
                return self.lam * psnrs[-1] - (1 - self.lam) * self.cost.own(genotype)
        else:
            score = psnr_score
        best, candidates = best_of_n(sample, score, self.derivation_size(), self.resample_per_forward, progress)
        return {"best": best, "candidates": candidates, "psnrs": psnrs, "per_tile": per_tile, "tiles": len(tiles)}

    def state_dict(self) -> dict[str, Any]:
        return {"net": self.net.state_dict(), "opt": self.opt.state_dict(), "sched": self.sched.state_dict(),
                "reinforce": self.reinforce.state_dict(), "cost_seen": self.cost.seen}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.net.load_state_dict(state["net"])
        self.opt.load_state_dict(state["opt"])
        self.sched.load_state_dict(state["sched"])
        self.reinforce.load_state_dict(state["reinforce"])
        self.cost.seen = state["cost_seen"]


def run_search(data: PatchSource, config: dict[str, Any], seed: int, ctx: RunContext) -> SearchResult:
    s, opts, scale = config["search"], config["options"], data.scale
    device = ctx.device
    weights_data, controller_data = data.split(s["split"])
    space = make_space(config)
    with torch.random.fork_rng(devices=[]):  # initial weights depend on the seed only, not on global RNG state
        torch.manual_seed(int(stream_generator(seed, "init", 0).initial_seed()))
        net = make_supernet(space, scale, config).to(device)
        controller = HierarchicalController(space, hidden=int(s["controller_hidden"])).to(device)
    reinforce = Reinforce(
        controller,
        lr=s["controller_lr"],
        betas=tuple(s["controller_betas"]),
        weight_decay=s["controller_weight_decay"],
        baseline_decay=s["baseline_decay"],
        entropy_weight=s["entropy_weight"],
        entropy_in=opts["entropy_in"],
    )
    with torch.no_grad():  # the policy's mode before any update: did the search move it? (search-signal diagnostic)
        initial_mode = controller(greedy=True).genotype
    epochs, w_steps, c_steps = int(s["epochs"]), int(s["shared_steps_per_epoch"]), int(s["controller_steps_per_epoch"])
    weight_cfg = weight_training(config)
    table = MacTable(space, scale, int(s["channels"]), int(s["cost_lr_size"]))
    cost = ArchCost(table, float(s["cost_per_mac"]), opts["flops_cost"], s.get("cost_decimals"))
    lam = float(s["lambda"])
    reward_psnr = reward_psnr_of(config)
    started = time.perf_counter()
    alternation = HNASAlternation(net, controller, reinforce, cost, table, weights_data, controller_data, config, scale, seed, device)
    loop = run_enas(alternation, EnasSchedule(epochs, w_steps, c_steps), ctx, "hnas search")
    history, derived = loop.history, loop.derived
    best, candidates, psnrs, derive_score = derived["best"], derived["candidates"], derived["psnrs"], alternation.derive_score
    genotype = {**best, "layers": space.layers}
    with torch.no_grad():
        final_mode = controller(greedy=True).genotype
    r = _correlation([h["position_cost_moments"] for h in history if "position_cost_moments" in h])
    info = {
        "derived_macs_search_width": table.macs(best),
        "macs_input": f"1x3x{table.lr}x{table.lr} (LR), search width C={table.channels}",
        "cost_normalisation": f"Cost = {cost.cost_per_mac:g} x MACs ({cost.mode}), rounded to {cost.decimals} decimals",
        "lambda": lam,
        "candidates": [{"score_psnr": psnrs[i] if derive_score == "reward" else c["score"], "macs": table.macs(c["genotype"]),
                        "architectures_mixed": c["architectures_mixed"], **({"reward": c["score"]} if derive_score == "reward" else {})}
                       for i, c in enumerate(candidates)],
        "derive_score": derive_score,
        # do the held-out tiles separate the candidates' PSNRs by more than the score's own noise?
        "validation_noise": candidate_separation(derived["per_tile"]),
        "history": history,
        # does the charged cost follow the scored architecture's upsampling position (the main MAC driver)?
        "position_cost_r": r,
        "budget": search_budget(weight_cfg["steps"], weight_cfg["batch"], weight_cfg["lr_patch"], epochs * c_steps),
        "initial_architecture": architecture_of(initial_mode),
        "final_architecture": architecture_of(final_mode),
        "reward_psnr": reward_psnr,
        "validation_tiles": derived["tiles"],
        "search_seconds_this_session": round(time.perf_counter() - started, 1),
    }
    return SearchResult(genotype=genotype, info=info)
