"""Trilevel supernet: one-hot supernet == derived network, exact expected cost, one-phase search ends one-hot."""
from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch

from srnas.context import RunContext
from srnas.datasets.patches import PatchSource
from srnas.methods import get_method
from srnas.methods.trilevel.search import one_phase_search, radius_fraction
from srnas.methods.trilevel.space import SpaceConfig
from srnas.methods.trilevel.supernet import TrilevelSupernet
from srnas.nas.flops import count_macs


def _space(**kw) -> SpaceConfig:
    base = dict(scale=2, channels=8, cells=3, path_cells=2, res_scale=1.0)
    return SpaceConfig(**{**base, **kw})


def _random_logits(net: TrilevelSupernet, seed: int) -> None:
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in net.arch_parameters():
            p.copy_(torch.randn(p.shape, generator=g))


@pytest.mark.parametrize("bicubic_residual", [False, True])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_one_hot_supernet_equals_derived_network(seed, bicubic_residual):
    torch.manual_seed(seed)
    net = TrilevelSupernet(_space(bicubic_residual=bicubic_residual))
    _random_logits(net, seed)
    net.radius_t = 1.0
    derived = net.derive()
    x = torch.rand(2, 3, 12, 10)
    with torch.no_grad():
        torch.testing.assert_close(derived(x), net(x), atol=1e-5, rtol=1e-5)
    assert derived(x).shape == (2, 3, 24, 20)


@pytest.mark.parametrize("scale", [2, 3, 4])
def test_cost_model_matches_flop_counter(scale):
    net = TrilevelSupernet(_space(scale=scale))
    _random_logits(net, scale)
    net.radius_t = 1.0
    derived, genotype = net.derive(), net.genotype()
    per_pixel = count_macs(derived, (1, 3, 10, 10)) / 100
    assert per_pixel == net.space.genotype_macs(genotype) == pytest.approx(float(net.expected_macs().detach()))


def test_expected_macs_is_the_expectation_over_all_architectures():
    space = _space(cells=2, path_cells=1, ops=("conv_3x3", "sep_conv_3x3"), width_ratios=(0.5, 1.0))
    net = TrilevelSupernet(space)
    _random_logits(net, 3)
    net.radius_t = 0.3
    with torch.no_grad():
        d = net.distributions()
    total = 0.0
    per_cell = list(itertools.product(range(2), range(2), range(2)))  # op0, op1, width
    for k_index, cells in itertools.product(range(2), itertools.product(per_cell, repeat=2)):
        prob = float(d["path"][k_index])
        genotype = {"upsample_after": space.positions[k_index], "cells": []}
        for j, (o0, o1, w) in enumerate(cells):
            prob *= float(d["ops"][j, 0, o0] * d["ops"][j, 1, o1] * d["widths"][j, w])
            genotype["cells"].append({"ops": [space.ops[o0], space.ops[o1]], "width": space.widths[w]})
        total += prob * space.genotype_macs(genotype)
    assert float(net.expected_macs().detach()) == pytest.approx(total, rel=1e-5)


def test_cost_penalty_gradient_prefers_cheaper_choices():
    torch.manual_seed(0)
    net = TrilevelSupernet(_space())
    net.radius_t = 0.0  # sparsemax: the gradient is the centred cost itself (inside the simplex)
    net.expected_macs().backward()
    # a later upsampler (fewer HR cells) and narrower widths are cheaper: descent raises their logits
    assert float(net.gamma.grad[-1]) < float(net.gamma.grad[0])
    assert bool((net.beta.grad[:, 0] < net.beta.grad[:, -1]).all())


def test_radius_schedule():
    assert radius_fraction(5, 100, 10, 0.7) == 0.0
    assert radius_fraction(40, 100, 10, 0.7) == pytest.approx(0.5)
    assert radius_fraction(70, 100, 10, 0.7) == 1.0 and radius_fraction(99, 100, 10, 0.7) == 1.0


def _tiny_data(scale: int = 2) -> PatchSource:
    rng = np.random.default_rng(0)
    images = [(f"img{i}", (rng.random((40, 44, 3)) * 255).astype(np.uint8)) for i in range(3)]
    return PatchSource.from_images(images, scale)


def _tiny_config() -> dict:
    method = get_method("trilevel")
    from srnas.harness.execution.config import resolve_config

    return resolve_config(method, "smoke", 2, overrides=["search.steps=8", "search.warmup_steps=2", "search.anneal_end=0.6"])


def test_search_is_deterministic_ends_one_hot_and_returns_the_trained_network(tmp_path):
    config, data = _tiny_config(), _tiny_data()
    results = []
    for run in range(2):
        torch.manual_seed(0)
        results.append(one_phase_search(data, config, 0, RunContext(tmp_path / str(run), quiet=True)))
    a, b = results
    assert a.genotype == b.genotype
    assert a.info["all_one_hot"] is True
    flat = [e for row in a.info["final_entropy"]["ops"] for e in row] + a.info["final_entropy"]["widths"] + [a.info["final_entropy"]["path"]]
    assert flat and all(e == 0.0 for e in flat)
    assert a.info["history"][-1]["radius_t"] == 1.0 and a.info["history"][-1]["entropy_path"] == 0.0
    for pa, pb in zip(a.model.state_dict().values(), b.model.state_dict().values()):
        torch.testing.assert_close(pa, pb, rtol=0, atol=0)
    rebuilt = get_method("trilevel").build(a.genotype, 2, config)
    rebuilt.load_state_dict(a.model.state_dict())
    x = torch.rand(1, 3, 9, 9)
    with torch.no_grad():
        torch.testing.assert_close(rebuilt(x), a.model(x))


def test_search_resumes_to_the_same_result(tmp_path):
    config, data = _tiny_config(), _tiny_data()
    torch.manual_seed(0)
    full = one_phase_search(data, config, 1, RunContext(tmp_path / "full", quiet=True))
    checkpointed = {**config, "search": {**config["search"], "steps": 8, "checkpoint_every": 3}}
    ctx = RunContext(tmp_path / "resumed", quiet=True)
    torch.manual_seed(0)
    one_phase_search(data, checkpointed, 1, ctx)  # writes checkpoints at steps 3 and 6
    assert torch.load(tmp_path / "resumed" / "search.pt", weights_only=False)["step"] == 6
    torch.manual_seed(0)
    resumed = one_phase_search(data, checkpointed, 1, ctx)  # restarts from step 6
    assert resumed.genotype == full.genotype
    for pa, pb in zip(full.model.state_dict().values(), resumed.model.state_dict().values()):
        torch.testing.assert_close(pa, pb, rtol=0, atol=0)
