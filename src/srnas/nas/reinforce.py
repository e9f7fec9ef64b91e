"""REINFORCE with a moving-average baseline and an entropy bonus (ENAS-style), shared by the RL methods.

HNAS and DeCoNAS differ only in what they plug in: the reward, what the baseline tracks, the entropy
weight and where the entropy goes (reward or loss). Those are arguments here, not copies of the loop.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch


@dataclass
class EMABaseline:
    """b <- decay * b + (1 - decay) * value, starting at the first value seen."""

    decay: float = 0.95
    value: float | None = None

    def update(self, x: float) -> float:
        self.value = x if self.value is None else self.decay * self.value + (1 - self.decay) * x
        return self.value

    def reset(self) -> None:
        self.value = None


def policy_loss(log_prob: torch.Tensor, entropy: torch.Tensor, advantage: float, entropy_weight: float = 0.0) -> torch.Tensor:
    """-(log pi) * advantage - w_H * H : descending it raises the probability of above-baseline samples."""
    return -log_prob * advantage - entropy_weight * entropy


class Reinforce:
    """One controller update per sampled architecture.

    ``entropy_in``: ``"reward"`` adds ``entropy_weight * H`` to the reward (HNAS paper, DeCoNAS code);
    ``"loss"`` subtracts it from the loss (HNAS official code). ``baseline_on``: ``"reward"`` (the usual)
    or ``"psnr"`` (DeCoNAS code's inconsistency: the baseline tracks PSNR only).
    """

    def __init__(
        self,
        policy: torch.nn.Module,
        lr: float = 3e-4,
        betas: tuple[float, float] = (0.9, 0.999),
        weight_decay: float = 0.0,
        baseline_decay: float = 0.95,
        entropy_weight: float = 0.0,
        entropy_in: str = "reward",
        baseline_on: str = "reward",
    ):
        if entropy_in not in ("reward", "loss") or baseline_on not in ("reward", "psnr"):
            raise ValueError("entropy_in must be 'reward' or 'loss'; baseline_on 'reward' or 'psnr'")
        self.policy = policy
        self.opt = torch.optim.Adam(policy.parameters(), lr=lr, betas=betas, weight_decay=weight_decay)
        self.baseline = EMABaseline(baseline_decay)
        self.entropy_weight = entropy_weight
        self.entropy_in = entropy_in
        self.baseline_on = baseline_on

    def step(self, log_prob: torch.Tensor, entropy: torch.Tensor, reward: float, psnr: float | None = None) -> dict[str, float]:
        if self.entropy_in == "reward":
            reward = reward + self.entropy_weight * float(entropy.detach())
        tracked = psnr if self.baseline_on == "psnr" and psnr is not None else reward
        # As ENAS/HNAS code: the baseline takes this sample in first, then advantage = R - b.
        advantage = reward - self.baseline.update(tracked)
        w_h = self.entropy_weight if self.entropy_in == "loss" else 0.0
        loss = policy_loss(log_prob, entropy, advantage, w_h)
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        self.opt.step()
        assert self.baseline.value is not None  # set by the update above
        return {"reward": reward, "advantage": advantage, "baseline": float(self.baseline.value), "entropy": float(entropy.detach()), "loss": float(loss.detach())}

    def state_dict(self) -> dict:
        return {"policy": self.policy.state_dict(), "opt": self.opt.state_dict(), "baseline": self.baseline.value}

    def load_state_dict(self, state: dict) -> None:
        self.policy.load_state_dict(state["policy"])
        self.opt.load_state_dict(state["opt"])
        self.baseline.value = state["baseline"]
