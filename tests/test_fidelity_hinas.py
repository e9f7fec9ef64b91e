"""HiNAS behaviours checked against hand-worked examples of the official code (hkzhang91/HiNAS)."""
from __future__ import annotations

import pytest
import torch

from srnas.methods.hinas.model import HiNASNet, low_level_endpoint
from srnas.methods.hinas.supernet import HiNASSupernet

CELL = [[["con_c_3x3", 0], ["con_c_3x3", 1]], [["skip_connect", 1], ["con_c_3x3", 2]], [["con_c_3x3", 0], ["con_c_3x3", 3]]]


@pytest.mark.parametrize(
    "levels, endpoint",
    [([0, 0], None), ([0, 1], 0), ([0, 1, 0], None), ([0, 0, 1, 0], None), ([0, 0, 1], 1), ([0, 1, 1], 0), ([0, 0, 0, 1, 2], 2)],
)
def test_low_level_endpoint_follows_the_official_rule(levels, endpoint):
    # sr_compnet.py: endpoint = index of the last 0 in the path; None (reduce(stem)) if that is the last layer
    assert low_level_endpoint(levels) == endpoint


def test_path_0_0_takes_reduce_of_the_stem():
    torch.manual_seed(0)
    genotype = {"cells": [CELL, CELL], "levels": [0, 0], "nodes": 3}
    net = HiNASNet(genotype, 2, filters=4, stem_channels=8, aspp_channels=8, low_channels=4).eval()
    seen = {}
    net.low.register_forward_hook(lambda m, inp, out: seen.update(low_in=inp[0]) or None)
    x = torch.rand(1, 3, 12, 12)
    net(x)
    with torch.no_grad():
        want = net.reduce(net.stem2(net.stem1(x)))
    torch.testing.assert_close(seen["low_in"], want)  # reduce(stem), not layer 0's output


def _tiny_supernet(l2_input: str) -> HiNASSupernet:
    torch.manual_seed(0)
    return HiNASSupernet(2, filters=4, nodes=2, layers=3, stem_channels=8, head="bicubic", l2_input=l2_input).eval()


def test_routed_l2_input_is_the_previous_layers_beta_weighted_input():
    net = _tiny_supernet("routed")
    got: dict[tuple[int, int], tuple[torch.Tensor, torch.Tensor]] = {}
    for l, cells in enumerate(net.cells):
        for i, cell in cells.items():
            cell.register_forward_hook(lambda m, inp, out, key=(l, int(i)): got.update({key: (inp[0], inp[1])}) or None)
    x = torch.rand(1, 3, 8, 8)
    with torch.no_grad():
        net(x)
        beta = net.beta_weights()
        s = net.stem1(x)
        stem2 = net.stem2(s)
        # layer 0, level 0: l-2 input is reduce1(stem); its routed input is beta(stem -> same) * proj(stem2)
        torch.testing.assert_close(got[(0, 0)][0], net.reduce1(s))
        routed_00 = beta[net.rows[0][0], 1] * net.prev_proj[0]["0_0"](stem2)
        torch.testing.assert_close(got[(0, 0)][1], routed_00)
        # layer 1 reads it back as its l-2 input at level 0 (beta gates it); level 1 reads layer 0's level 1
        torch.testing.assert_close(got[(1, 0)][0], routed_00)
        torch.testing.assert_close(got[(1, 1)][0], got[(0, 1)][1])
        # layer 1 reaches level 2 first: its l-2 input goes through upsamplers from layer 0's level 1
        torch.testing.assert_close(got[(1, 2)][0], net.upsamplers[1](got[(0, 1)][1]))
    assert len(net.skip_proj[0]) == 0  # no separate l-2 projections in the code's form


def test_projection_l2_input_ignores_beta_and_routed_needs_cell_sharing():
    net = _tiny_supernet("projection")
    x = torch.rand(1, 3, 8, 8)
    got = {}
    net.cells[1]["0"].register_forward_hook(lambda m, inp, out: got.update(s0=inp[0]) or None)
    with torch.no_grad():
        net(x)
        s = net.stem1(x)
        torch.testing.assert_close(got["s0"], net.skip_proj[1]["0_0"](net.stem2(s)))  # unweighted projection
    with pytest.raises(ValueError, match="cell_sharing"):
        HiNASSupernet(2, filters=4, nodes=2, layers=2, stem_channels=8, cell_sharing=False, l2_input="routed")


def test_routed_supernet_runs_a_discrete_path():
    net = _tiny_supernet("routed")
    arch = {"cells": [[[["con_c_3x3", 0], ["con_c_3x3", 1]], [["con_c_3x3", 1], ["con_c_3x3", 2]]]] * 3, "levels": [0, 1, 2]}
    with torch.no_grad():
        y = net(torch.rand(1, 3, 8, 8), arch)
    assert y.shape == (1, 3, 16, 16) and torch.isfinite(y).all()


def test_configs_without_the_endpoint_option_rebuild_with_the_former_rule():
    from srnas.harness.execution.config import resolve_config
    from srnas.methods import get_method

    method = get_method("hinas")
    config = resolve_config(method, "smoke", 2)
    assert config["options"]["endpoint"] == "official"
    genotype = {"cells": [CELL, CELL], "levels": [0, 0], "nodes": 3, "width_levels": "linear"}
    assert method.build(genotype, 2, config).endpoint_layer is None  # reduce(stem)
    del config["options"]["endpoint"]  # a record made before the option existed
    assert method.build(genotype, 2, config).endpoint_layer == 0
    assert low_level_endpoint([0, 0], "last-non-final") == 0 and low_level_endpoint([0, 1, 0], "last-non-final") == 0
    with pytest.raises(ValueError, match="endpoint"):
        low_level_endpoint([0, 0], "spec")
