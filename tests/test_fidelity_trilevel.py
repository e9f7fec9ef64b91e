"""Trilevel NAS: the order-constraint reading of "sorting" (node weights on a tree), hand-checked."""
from __future__ import annotations

import math

import pytest
import torch

from srnas.methods.trilevel.space import SpaceConfig
from srnas.methods.trilevel.supernet import TrilevelSupernet, order_constraint_loss, tree_path_distribution


def _logit(p: float) -> float:
    return math.log(p / (1 - p))


def test_tree_path_distribution_by_hand():
    # 3 positions: L0, L1 (LR nodes), U0, U1, U2 (leaves). gates: L = 0.8, 0.5; U = 0.5, 0.4, 0.9
    gamma = torch.tensor([_logit(p) for p in (0.8, 0.5, 0.5, 0.4, 0.9)], dtype=torch.float64)
    # path scores: U0 = 0.5; U1 = 0.8 * 0.4 = 0.32; U2 = 0.8 * 0.5 * 0.9 = 0.36; total 1.18
    want = torch.tensor([0.5, 0.32, 0.36], dtype=torch.float64) / 1.18
    torch.testing.assert_close(tree_path_distribution(gamma, 3), want)
    # order violations: L0 -> L1 none; L0 -> U1 none (0.4 < 0.8); L1 -> U2: 0.9 - 0.5 = 0.4
    assert float(order_constraint_loss(gamma, 3)) == pytest.approx(0.4)
    sorted_gamma = torch.tensor([_logit(p) for p in (0.9, 0.6, 0.5, 0.7, 0.3)], dtype=torch.float64)
    assert float(order_constraint_loss(sorted_gamma, 3)) == 0.0


def test_order_constraint_variant_hardens_and_derives_the_best_path():
    space = SpaceConfig(scale=2, channels=4, cells=3, path_cells=2, network_level="order-constraint")
    net = TrilevelSupernet(space)
    assert net.gamma.numel() == 5
    with torch.no_grad():
        net.gamma.copy_(torch.tensor([_logit(p) for p in (0.8, 0.5, 0.5, 0.4, 0.9)]))
    net.radius_t = 0.5
    assert net.distributions()["path"].argmax() == 0 and 0 < float(net.distributions()["path"].max()) < 1
    net.radius_t = 1.0
    assert net.distributions()["path"].tolist() == [1.0, 0.0, 0.0]  # hardened: a discrete path
    assert net.genotype()["upsample_after"] == space.positions[0]
    assert float(net.order_loss()) == pytest.approx(0.4, abs=1e-6)
    y = net(torch.rand(1, 3, 6, 6))
    assert y.shape == (1, 3, 12, 12)


def test_default_reading_has_no_order_term_and_bad_name_is_refused():
    net = TrilevelSupernet(SpaceConfig(scale=2, channels=4))
    assert float(net.order_loss()) == 0.0 and net.gamma.numel() == len(net.space.positions)
    with pytest.raises(ValueError, match="network_level"):
        TrilevelSupernet(SpaceConfig(scale=2, channels=4, network_level="sorted"))
