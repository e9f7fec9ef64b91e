"""HNAS derivation (best of N, one architecture per evaluation) and the search loop (determinism, resume)."""
import copy

import numpy as np
import pytest
import torch

from srnas.context import RunContext
from srnas.datasets.patches import PatchSource
from srnas.harness.execution.config import resolve_config
from srnas.methods import get_method
from srnas.methods.hnas.derive import best_of_n
from srnas.methods.hnas.search import REWARD_PSNR

torch.set_num_threads(1)


def _archs(n):
    return [{"id": i} for i in range(n)]


def test_best_of_n_picks_the_highest_score_and_fixes_one_architecture_per_evaluation():
    pool = iter(_archs(5))
    quality = {0: 1.0, 1: 5.0, 2: 3.0, 3: 5.0, 4: 0.0}
    seen_per_eval = []

    def score(provider):
        ids = {provider()["id"] for _ in range(4)}  # four forward passes, like four validation batches
        seen_per_eval.append(ids)
        return quality[next(iter(ids))]

    best, log = best_of_n(lambda: next(pool), score, n=5)
    assert best == {"id": 1}  # first of the tied best
    assert all(len(ids) == 1 for ids in seen_per_eval)
    assert [c["score"] for c in log] == [1.0, 5.0, 3.0, 5.0, 0.0]


def test_official_resampling_mixes_architectures_and_records_the_last_one():
    pool = iter(_archs(40))

    def score(provider):
        return float(np.mean([provider()["id"] for _ in range(4)]))

    best, log = best_of_n(lambda: next(pool), score, n=3, resample_per_forward=True)
    assert [c["architectures_mixed"] for c in log] == [4, 4, 4]
    assert best == {"id": 11}  # the third evaluation drew 8..11; its score (9.5) is the best, its last draw is kept


def test_quantised_psnr_matches_a_hand_value():
    hr = torch.zeros(1, 3, 8, 8)
    sr = torch.full((1, 3, 8, 8), 10 / 255)
    assert float(REWARD_PSNR["per-image"](sr, hr, shave=2)) == pytest.approx(10 * np.log10(255**2 / 100), abs=1e-4)


def _tiny_data():
    rng = np.random.default_rng(0)
    images = []
    for i in range(5):
        base = rng.integers(0, 255, (8, 8, 3)).astype(np.float64)
        img = np.kron(base, np.ones((5, 5, 1)))  # blocky images: learnable structure
        images.append((f"img{i}", img.clip(0, 255).astype(np.uint8)))
    return PatchSource.from_images(images, 2)


def _config(**options):
    method = get_method("hnas")
    config = resolve_config(method, "smoke", 2, variant="lambda-0.2")
    config["options"].update(options)
    return method, config


def test_search_is_deterministic_for_a_seed(tmp_path):
    method, config = _config()
    data = _tiny_data()
    a = method.search(data, copy.deepcopy(config), 3, RunContext(quiet=True))
    b = method.search(data, copy.deepcopy(config), 3, RunContext(quiet=True))
    assert a.genotype == b.genotype and a.info["history"] == b.info["history"]
    assert a.genotype["layers"] == config["model"]["layers"]
    assert all(c["architectures_mixed"] == 1 for c in a.info["candidates"])


class _Killed(Exception):
    pass


def test_killed_search_resumes_to_the_uninterrupted_result(tmp_path):
    method, config = _config(flops_cost="official")
    data = _tiny_data()
    full = method.search(data, copy.deepcopy(config), 1, RunContext(quiet=True))
    ctx = RunContext(run_dir=tmp_path, quiet=True)
    save = ctx.save_checkpoint

    def save_then_die(phase, state):
        save(phase, state)
        raise _Killed

    ctx.save_checkpoint = save_then_die
    with pytest.raises(_Killed):
        method.search(data, copy.deepcopy(config), 1, ctx)
    resumed = method.search(data, copy.deepcopy(config), 1, RunContext(run_dir=tmp_path, quiet=True))
    assert resumed.genotype == full.genotype and resumed.info["history"] == full.info["history"]


def test_the_psnr_only_probe_rewards_psnr_only_and_its_frozen_twin_differs_only_in_the_controller_lr():
    """Issue 25: with the entropy in the reward (tens of nats, a spread of nats per sample) the 'PSNR-only'
    probe rewarded mostly entropy; both probes now drop it, and they differ in nothing but the frozen lr."""
    from srnas.harness.execution.config import resolve_config
    from srnas.methods import get_method

    method = get_method("hnas")
    only, frozen = (resolve_config(method, "compare", 2, v) for v in ("psnr-only", "frozen-controller"))
    assert only["search"]["lambda"] == 1.0 and only["search"]["entropy_weight"] == 0.0
    assert frozen["search"]["controller_lr"] == 0.0 and only["search"]["controller_lr"] > 0
    thawed = {**frozen, "variant": only["variant"], "search": {**frozen["search"], "controller_lr": only["search"]["controller_lr"]}}
    assert thawed == only


@pytest.mark.parametrize("options, message", [
    ({"derive_score": "ssim"}, "derive_score must be 'psnr'"),
    ({"derive_score": "reward", "derive_resample_per_forward": True}, "reward needs one architecture per candidate"),
])
def test_a_bad_derivation_option_fails_before_the_search_trains(options, message):
    """The derivation's options are read when the search starts: they once failed after the whole search."""
    method, config = _config(**options)
    ctx = RunContext(quiet=True)
    steps = []
    ctx.progress = lambda total, desc, initial=0: steps.append(desc)  # type: ignore[method-assign]
    with pytest.raises(ValueError, match=message):
        method.search(_tiny_data(), config, 0, ctx)
    assert steps == []  # no loop started
