"""HiNAS supernet: mixing weights, gradients to alpha and beta, sharing modes, discrete-arch runs."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from srnas.methods.hinas.memory import saved_activation_bytes
from srnas.methods.hinas.space import OP_NAMES, random_cell, random_path
from srnas.methods.hinas.supernet import HiNASSupernet, SearchCell

torch.set_num_threads(1)


def _net(**kw) -> HiNASSupernet:
    torch.manual_seed(0)
    return HiNASSupernet(2, filters=4, stem_channels=8, **kw)


def test_mixing_weights_are_distributions_and_masked_levels_are_zero():
    net = _net()
    a = net.alpha_weights()
    assert a.shape == (2, 9, len(OP_NAMES))
    assert torch.allclose(a.sum(-1), torch.ones(2, 9))
    b = net.beta_weights()
    assert torch.allclose(b.sum(-1), torch.ones(b.shape[0]))
    assert b[~net.beta_mask].abs().max() == 0  # impossible moves never get weight
    # one row per source node: the stem (same/up), layer-0 level 0 (same/up), layer-0 level 1 (down/same/up)
    assert net.beta_mask.tolist() == [[False, True, True], [False, True, True], [True, True, True]]


def test_mixed_edge_is_the_weighted_sum_of_its_ops():
    torch.manual_seed(0)
    cell = SearchCell(4, 1).eval()
    x0, x1 = torch.rand(1, 4, 6, 6), torch.rand(1, 4, 6, 6)
    w = torch.softmax(torch.randn(2, len(OP_NAMES)), -1)
    expect = sum(w[0, k] * op(x0) for k, op in enumerate(cell.edges[0].ops)) + sum(w[1, k] * op(x1) for k, op in enumerate(cell.edges[1].ops))
    assert torch.allclose(cell(x0, x1, w), expect, atol=1e-6)


@pytest.mark.parametrize("cell_sharing", [True, False])
def test_gradients_reach_alpha_and_beta(cell_sharing):
    net = _net(cell_sharing=cell_sharing)
    out = net(torch.rand(2, 3, 8, 8))
    assert out.shape == (2, 3, 16, 16)
    out.mean().backward()
    assert (net.alpha.grad.abs().sum(-1) > 0).all()  # every edge of every layer
    multi = net.beta_mask.sum(-1) > 1
    assert (net.beta.grad[multi].abs().sum(-1) > 0).all()


def test_shared_arch_has_one_alpha_for_all_layers():
    net = _net(arch_sharing="shared")
    assert net.alpha.shape[0] == 1
    w = net.alpha_weights()
    assert torch.equal(w[0], w[1])


def test_discrete_arch_runs_only_its_path_and_ignores_other_cells():
    net = _net()
    rng = np.random.default_rng(1)
    arch = {"cells": [random_cell(rng, 3) for _ in range(2)], "levels": random_path(rng, 2)}
    x = torch.rand(2, 3, 8, 8)
    y = net(x, arch)
    assert y.shape == (2, 3, 16, 16)
    off_path = [i for i in range(3) if i != arch["levels"][1]]
    # perturbing a cell that is off the path must not change the output
    with torch.no_grad():
        for p in net.cells[1][str(off_path[0])].parameters():
            p.add_(1.0)
    assert torch.allclose(net(x, arch), y)


def test_per_level_cells_save_more_activations_than_cell_sharing():
    x, y = torch.rand(2, 3, 8, 8), torch.rand(2, 3, 16, 16)
    shared = saved_activation_bytes(_net(cell_sharing=True), x, y)
    separate = saved_activation_bytes(_net(cell_sharing=False), x, y)
    assert separate > shared > 0


def test_arch_init_ones_is_the_official_codes_uniform_start():
    ones = _net(arch_init="ones")
    assert torch.equal(ones.alpha.detach(), torch.ones_like(ones.alpha)) and torch.equal(ones.beta.detach(), torch.ones_like(ones.beta))
    assert torch.allclose(ones.alpha_weights(), torch.full_like(ones.alpha_weights(), 1 / len(OP_NAMES)))
    default = _net()
    assert default.alpha.abs().max() < 0.01 and not torch.equal(default.alpha.detach(), torch.zeros_like(default.alpha))
    with pytest.raises(ValueError, match="arch_init"):
        _net(arch_init="zeros")
