"""HNAS behaviours checked against hand-worked examples of the official code (guoyongcs/HNAS-SR)."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from srnas.methods.hnas import search as hnas_search
from srnas.methods.hnas.cost import ArchCost, MacTable
from srnas.methods.hnas.space import HNASSpace
from srnas.methods.hnas.search import REWARD_PSNR, track_running_stats


def _space() -> HNASSpace:
    return HNASSpace(layers=3, udpb=False)


def test_official_flops_charge_is_the_union_of_fresh_draws_at_their_last_resolution():
    space = _space()
    table = MacTable(space, 2, 4)
    rng = np.random.default_rng(0)
    g1 = space.sample(rng)
    g2 = {**g1, "upsampling_position": (int(g1["upsampling_position"]) + 1) % 3}
    g3 = space.sample(rng)
    scored = space.sample(rng)  # what earned the PSNR: never enters the official charge
    cost = ArchCost(table, cost_per_mac=1.0, mode="official", decimals=None)
    charged = [cost(g)[1] for g in (g1, g2, g3)]
    # by hand: after g1 the union is g1's modules; g2 re-sizes the same modules to its own resolutions
    # and adds the cells at the moved position; g3 adds its edges on top
    want1 = sum(table.items(g1).values())
    union = {**table.items(g1), **table.items(g2)}
    want2 = sum(union.values())
    union.update(table.items(g3))
    want3 = sum(union.values())
    assert charged == [want1, want2, want3]
    assert charged[2] >= table.macs(g3)  # the charge never falls below the fresh draw's own MACs
    sampled = ArchCost(table, cost_per_mac=1.0, mode="sampled", decimals=None)
    assert sampled(scored)[1] == table.macs(scored)


def test_official_search_charges_a_fresh_draw_not_the_scored_architecture(tmp_path, monkeypatch):
    """In the official-code variant each controller step charges the FLOPs of its own independent draw."""
    from srnas.context import RunContext
    from srnas.datasets.patches import PatchSource
    from srnas.harness.execution.config import resolve_config
    from srnas.methods import get_method
    from srnas.methods.hnas.controller import HierarchicalController

    streams: dict[int, str] = {}
    real_stream = hnas_search.stream_generator

    def tagged(seed, stream, step):
        gen = real_stream(seed, stream, step)
        streams[gen.initial_seed()] = stream
        return gen

    drawn: list[tuple[str, dict]] = []
    real_forward = HierarchicalController.forward

    def recording(self, genotype=None, generator=None, position_weight=1.0, greedy=False):
        out = real_forward(self, genotype, generator, position_weight, greedy)
        if generator is not None:
            drawn.append((streams[generator.initial_seed()], out.genotype))
        return out

    charged: list[dict] = []
    real_call = ArchCost.__call__

    def spy(self, genotype):
        charged.append(genotype)
        return real_call(self, genotype)

    monkeypatch.setattr(hnas_search, "stream_generator", tagged)
    monkeypatch.setattr(HierarchicalController, "forward", recording)
    monkeypatch.setattr(ArchCost, "__call__", spy)
    config = resolve_config(get_method("hnas"), "smoke", 2, "official-code")
    config["search"].update({"epochs": 2, "controller_steps_per_epoch": 6})
    g = torch.Generator().manual_seed(0)
    imgs = [(f"i{k}", torch.randint(0, 256, (40, 40, 3), generator=g, dtype=torch.uint8).numpy()) for k in range(6)]
    out = hnas_search.run_search(PatchSource.from_images(imgs, 2), config, 0, RunContext(tmp_path, device="cpu", quiet=True))
    fresh = [gen for stream, gen in drawn if stream == "flops-arch"]
    scored = [gen for stream, gen in drawn if stream == "controller-arch"]
    assert len(charged) == len(fresh) == len(scored) == 12
    assert all(c is f for c, f in zip(charged, fresh))  # charged exactly the fresh draws, in order
    assert out.info["reward_psnr"] == "batch"
    assert "position_cost_r" in out.info


def test_batch_psnr_is_one_psnr_of_the_batch_mean_error():
    hr = torch.zeros(2, 3, 4, 4)
    sr = hr.clone()
    sr[0] += 1 / 255  # MSE 1 (8-bit units)
    sr[1] += 10 / 255  # MSE 100
    per_image = REWARD_PSNR["per-image"](sr, hr, 0)
    assert per_image.tolist() == pytest.approx([10 * math.log10(255**2), 10 * math.log10(255**2 / 100)], abs=1e-3)
    # the code: one PSNR of the mean MSE (50.5), 31.10 dB, vs 38.13 dB for the mean of per-image PSNRs
    assert float(REWARD_PSNR["batch"](sr, hr, 0)) == pytest.approx(10 * math.log10(255**2 / 50.5), abs=1e-3)
    assert float(per_image.mean()) - float(REWARD_PSNR["batch"](sr, hr, 0)) > 7


def test_running_stats_option_uses_them_in_eval():
    bn = torch.nn.Sequential(torch.nn.BatchNorm2d(2, affine=False))
    from srnas.methods.hnas.ops import batch_stats_only

    batch_stats_only(bn)
    x = torch.randn(4, 2, 3, 3) * 3 + 5
    bn.eval()
    y_batch = bn(x)
    assert float(y_batch.mean().abs()) < 1e-5  # batch statistics even in eval
    track_running_stats(bn)
    bn.train()
    bn(x)
    bn.eval()
    torch.testing.assert_close(bn[0].running_mean, 0.1 * x.mean((0, 2, 3)))  # one momentum-0.1 update
    assert float(bn(x).mean().abs()) > 1  # eval now uses running statistics
