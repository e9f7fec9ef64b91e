"""Derived HiNAS networks: every genotype (random ones too) builds and runs at x2/x3/x4."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from srnas.methods import get_method
from srnas.methods.hinas.derive import derive_genotype
from srnas.methods.hinas.space import is_valid_path, random_cell, random_path, validate_genotype
from srnas.methods.hinas.supernet import HiNASSupernet

torch.set_num_threads(1)
SMALL = {"filters": 4, "stem_channels": 8, "aspp_channels": 8, "low_channels": 4}


def _config(**options) -> dict:
    m = get_method("hinas")
    cfg = m.profile("smoke")
    cfg["options"].update(options)
    cfg["model"].update(SMALL)
    return cfg


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("scale", [2, 3, 4])
def test_random_genotypes_build_and_run(seed, scale):
    m = get_method("hinas")
    space = m.search_space(_config(), scale)
    genotype = space.genotype(space.sample(np.random.default_rng(seed)))
    validate_genotype(genotype)
    net = m.build(genotype, scale, _config()).eval()
    with torch.no_grad():
        out = net(torch.rand(1, 3, 7, 9))
    assert out.shape == (1, 3, 7 * scale, 9 * scale)


def test_derived_genotype_of_a_supernet_builds_at_every_scale():
    torch.manual_seed(0)
    net = HiNASSupernet(4, filters=4, stem_channels=8)
    with torch.no_grad():
        net.beta.copy_(torch.randn_like(net.beta))
        net.alpha.copy_(torch.randn_like(net.alpha))
    genotype = derive_genotype(net)
    validate_genotype(genotype)
    for scale in (2, 3, 4):
        model = get_method("hinas").build(genotype, scale, _config())
        assert model.eval()(torch.rand(1, 3, 6, 6)).shape == (1, 3, 6 * scale, 6 * scale)


def test_random_paths_are_valid_and_cover_the_space():
    rng = np.random.default_rng(0)
    seen = {tuple(random_path(rng, 3)) for _ in range(400)}
    assert all(is_valid_path(list(p)) for p in seen)
    # levels per layer {0,1}, {0,1,2}, {0,1,2} with steps of at most one: 5 paths of 2 layers, then
    # the 2 ending at 0 go on 2 ways, the 2 ending at 1 go on 3 ways, the 1 ending at 2 goes on 2 ways
    assert len(seen) == 2 * 2 + 2 * 3 + 1 * 2


def test_invalid_genotypes_are_rejected():
    rng = np.random.default_rng(0)
    cells = [random_cell(rng, 3), random_cell(rng, 3)]
    with pytest.raises(ValueError):
        validate_genotype({"cells": cells, "levels": [2, 2]})  # layer 0 has only levels 0 and 1
    bad = [[["none", 0], ["con_c_3x3", 1]]] + cells[0][1:]
    with pytest.raises(ValueError):
        validate_genotype({"cells": [bad, cells[1]], "levels": [0, 0]})


def test_bicubic_skip_makes_an_untrained_net_close_to_bicubic():
    torch.manual_seed(0)
    net = get_method("hinas").build({"cells": [random_cell(np.random.default_rng(0), 3)] * 2, "levels": [0, 1]}, 2, _config())
    with torch.no_grad():
        net.decoder[-2].weight.zero_()
        net.decoder[-2].bias.zero_()
        x = torch.rand(1, 3, 8, 8)
        ref = torch.nn.functional.interpolate(x, scale_factor=2, mode="bicubic", align_corners=False)
        assert torch.allclose(net.eval()(x), ref)
