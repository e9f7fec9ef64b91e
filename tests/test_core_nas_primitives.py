"""Shared NAS primitives: the LSTM policy, REINFORCE, the mixed op, FLOPs counting."""
import math

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

from srnas.nas.controller import Decision, SequencePolicy
from srnas.nas.flops import count_macs, count_params
from srnas.nas.mixed import MixedOp, Zero
from srnas.nas.reinforce import EMABaseline, Reinforce


def _policy(**kw):
    torch.manual_seed(0)
    decisions = [Decision("op", 5), Decision("in", 0, attend=2), Decision("in", 0, attend=4), Decision("op", 5)]
    return SequencePolicy(decisions, hidden=16, **kw)


def test_sampled_tokens_are_in_range():
    p = _policy()
    g = torch.Generator().manual_seed(1)
    for _ in range(50):
        tokens, _, _, _ = p(generator=g)
        assert 0 <= tokens[0] < 5 and 0 <= tokens[1] < 2 and 0 <= tokens[2] < 4 and 0 <= tokens[3] < 5


def test_log_prob_and_entropy_match_a_hand_computation():
    p = _policy(layers=2, tanh_constant=1.1 / 2.5)
    actions = [3, 1, 2, 0]
    _, log_prob, entropy, _ = p(actions=actions)
    # Recompute step by step with the same modules.
    x = torch.zeros(16)
    state = [(torch.zeros(1, 16), torch.zeros(1, 16)) for _ in p.lstm]
    lp = ent = 0.0
    for d, a in zip(p.decisions, actions):
        inp = x.view(1, -1)
        for k, cell in enumerate(p.lstm):
            state[k] = cell(inp, state[k])
            inp = state[k][0]
        logits = p._logits(d, inp[0])
        logp = F.log_softmax(logits, -1).detach()
        lp += float(logp[a])
        ent += float(-(logp.exp() * logp).sum())
        x = p.embeds[d.head](torch.tensor(a))
    assert float(log_prob.detach()) == pytest.approx(lp, abs=1e-5)
    assert float(entropy.detach()) == pytest.approx(ent, abs=1e-5)


def test_out_of_range_action_is_rejected():
    with pytest.raises(ValueError, match="out of range"):
        _policy()(actions=[0, 2, 0, 0])


def test_ema_baseline():
    b = EMABaseline(decay=0.9)
    assert b.update(10.0) == 10.0
    assert b.update(20.0) == pytest.approx(11.0)


@pytest.mark.parametrize("entropy_in", ["reward", "loss"])
def test_reinforce_raises_probability_of_above_baseline_sample(entropy_in):
    p = _policy()
    rl = Reinforce(p, lr=0.05, baseline_decay=0.5, entropy_weight=0.0, entropy_in=entropy_in)
    rl.baseline.value = 0.0
    actions = [4, 1, 3, 2]
    before = float(p(actions=actions)[1].detach())
    _, lp, ent, _ = p(actions=actions)
    stats = rl.step(lp, ent, reward=1.0)
    assert stats["advantage"] > 0
    assert float(p(actions=actions)[1].detach()) > before
    # and a below-baseline sample becomes less likely
    rl.baseline.value = 10.0
    before = float(p(actions=actions)[1].detach())
    _, lp, ent, _ = p(actions=actions)
    assert rl.step(lp, ent, reward=1.0)["advantage"] < 0
    assert float(p(actions=actions)[1].detach()) < before


def test_mixed_op_is_the_weighted_sum_and_skips_zero_weights():
    calls = []

    class Tag(nn.Module):
        def __init__(self, k):
            super().__init__()
            self.k = k

        def forward(self, x):
            calls.append(self.k)
            return x * self.k

    op = MixedOp([Tag(1.0), Tag(2.0), Zero()])
    x = torch.ones(1, 1, 2, 2)
    w = torch.tensor([0.25, 0.75, 0.0])
    assert torch.allclose(op(x, w), x * (0.25 + 1.5))
    calls.clear()
    op(x, torch.tensor([0.0, 1.0, 0.0]))
    assert calls == [2.0]


def test_mixed_op_passes_gradients_to_architecture_weights():
    op = MixedOp([nn.Identity(), Zero()])
    alpha = torch.zeros(2, requires_grad=True)
    op(torch.ones(1, 1, 2, 2), torch.softmax(alpha, 0)).sum().backward()
    assert alpha.grad is not None and alpha.grad[0] > 0 > alpha.grad[1]


def test_flop_counter_on_hand_computed_nets():
    conv = nn.Conv2d(3, 8, 3, padding=1)
    assert count_macs(conv, (1, 3, 10, 10)) == 3 * 8 * 9 * 100
    assert count_macs(nn.Sequential(nn.Conv2d(4, 16, 1), nn.PixelShuffle(2)), (1, 4, 5, 5)) == 4 * 16 * 25
    deconv = nn.ConvTranspose2d(4, 4, 3, stride=2, padding=1, output_padding=1)
    # PyTorch counts a transposed conv over the *input* positions: Cin * Cout * k*k * H_in * W_in.
    assert count_macs(deconv, (1, 4, 6, 6)) == 4 * 4 * 9 * 36
    assert count_params(conv) == 3 * 8 * 9 + 8


def test_flops_ignores_interpolation():
    class Up(nn.Module):
        def forward(self, x):
            return F.interpolate(x, scale_factor=2, mode="bicubic", align_corners=False)

    assert count_macs(Up(), (1, 3, 8, 8)) == 0
    assert math.isclose(count_params(Up()), 0)
