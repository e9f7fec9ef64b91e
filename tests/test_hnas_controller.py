"""HNAS hierarchical controller: valid tokens, exact log-prob/entropy, REINFORCE sign with the joint reward."""
import pytest
import torch
import torch.nn.functional as F

from srnas.methods.hnas.controller import HierarchicalController
from srnas.methods.hnas.space import NODES, HNASSpace
from srnas.nas.reinforce import Reinforce

torch.set_num_threads(1)


def _controller(layers=6, udpb=True, hidden=16):
    torch.manual_seed(0)
    return HierarchicalController(HNASSpace(layers, udpb), hidden=hidden)


def test_sampled_genotypes_are_valid_token_sequences():
    ctrl = _controller(layers=6)
    g = torch.Generator().manual_seed(0)
    positions = set()
    for _ in range(80):
        sample = ctrl(generator=g)
        normal, up, pos = ctrl.space.tokens(sample.genotype)
        for tokens, n_ops in ((normal, 7), (up, 5)):
            assert len(tokens) == 4 * NODES
            for node in range(NODES):
                in_a, in_b, op_a, op_b = tokens[4 * node : 4 * node + 4]
                assert 0 <= in_a < node + 2 and 0 <= in_b < node + 2
                assert 0 <= op_a < n_ops and 0 <= op_b < n_ops
        assert 0 <= pos <= 5
        positions.add(pos)
    assert positions == set(range(6))  # every position reachable from the untrained (near-uniform) policy


def test_official_space_has_six_normal_ops():
    ctrl = _controller(udpb=False)
    assert ctrl.normal.heads["op"].out_features == 6
    assert ctrl.upsampling.heads["op"].out_features == 5


def test_paper_sizes_100_hidden_and_network_level_input_of_both_last_states():
    ctrl = HierarchicalController(HNASSpace(12))
    assert ctrl.normal.hidden == ctrl.upsampling.hidden == ctrl.network.hidden == 100
    assert ctrl.network.input_proj.in_features == 200
    assert ctrl.network.anchors["position"].shape[0] == 12


def _hand_log_prob_entropy(policy, actions, initial=None):
    """Step the policy's LSTM by hand and sum log-softmax / entropy of the chosen tokens."""
    h = policy.hidden
    x = torch.zeros(h) if initial is None else policy.input_proj(initial)
    state = (torch.zeros(1, h), torch.zeros(1, h))
    lp = ent = 0.0
    for d, a in zip(policy.decisions, actions):
        state = policy.lstm[0](x.view(1, -1), state)
        logp = F.log_softmax(policy._logits(d, state[0][0]), -1).detach()
        lp += float(logp[a])
        ent += float(-(logp.exp() * logp).sum())
        x = policy.embeds[d.head](torch.tensor(a))
    return lp, ent, state[0][0]


@pytest.mark.parametrize("position_weight", [1.0, 10.0])
def test_log_prob_and_entropy_match_a_hand_computation(position_weight):
    ctrl = _controller(layers=4, hidden=8)
    genotype = ctrl(generator=torch.Generator().manual_seed(3)).genotype
    scored = ctrl(genotype, position_weight=position_weight)
    assert scored.genotype == genotype
    normal, up, pos = ctrl.space.tokens(genotype)
    lp_n, h_n, last_n = _hand_log_prob_entropy(ctrl.normal, normal)
    lp_u, h_u, last_u = _hand_log_prob_entropy(ctrl.upsampling, up)
    lp_p, h_p, _ = _hand_log_prob_entropy(ctrl.network, [pos], initial=torch.cat([last_n, last_u]).detach())
    assert float(scored.log_prob.detach()) == pytest.approx(lp_n + lp_u + position_weight * lp_p, abs=1e-5)
    assert float(scored.entropy.detach()) == pytest.approx(h_n + h_u + position_weight * h_p, abs=1e-5)


def test_position_gradient_reaches_the_cell_controllers():
    ctrl = _controller(layers=4, hidden=8)
    sample = ctrl(generator=torch.Generator().manual_seed(0), position_weight=1.0)
    ctrl.zero_grad()
    _, pos_lp, _, _ = ctrl.network([sample.genotype["upsampling_position"]], initial_input=torch.cat([ctrl.normal()[3], ctrl.upsampling()[3]]))
    pos_lp.backward()
    assert ctrl.normal.lstm[0].weight_hh.grad.abs().sum() > 0
    assert ctrl.upsampling.lstm[0].weight_hh.grad.abs().sum() > 0


@pytest.mark.parametrize("entropy_in", ["reward", "loss"])
def test_higher_psnr_sample_gets_positive_advantage_and_becomes_more_likely(entropy_in):
    ctrl = _controller(layers=4, hidden=16)
    rl = Reinforce(ctrl, lr=0.01, betas=(0.5, 0.999), entropy_weight=0.0, entropy_in=entropy_in)
    lam, cost = 0.6, 0.5
    gen = torch.Generator().manual_seed(1)
    low, high = ctrl(generator=gen).genotype, ctrl(generator=gen).genotype
    # baseline settles on the low-PSNR architecture's reward
    for _ in range(3):
        s = ctrl(low)
        rl.step(s.log_prob, s.entropy, lam * 30.0 - (1 - lam) * cost)
    before = float(ctrl(high).log_prob.detach())
    s = ctrl(high)
    stats = rl.step(s.log_prob, s.entropy, lam * 31.0 - (1 - lam) * cost)
    assert stats["advantage"] > 0
    assert float(ctrl(high).log_prob.detach()) > before


def test_sampling_is_deterministic_for_a_generator_seed():
    ctrl = _controller()
    a = ctrl(generator=torch.Generator().manual_seed(7)).genotype
    b = ctrl(generator=torch.Generator().manual_seed(7)).genotype
    assert a == b
