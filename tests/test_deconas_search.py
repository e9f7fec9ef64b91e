"""DeCoNAS search on a tiny synthetic set: determinism, resume, and what the penalty selects."""
import numpy as np
import pytest
import torch

from srnas.context import RunContext
from srnas.datasets.patches import PatchSource
from srnas.harness.execution.config import resolve_config
from srnas.methods.deconas import DeCoNASMethod
from srnas.methods.deconas.complexity import complexity_fraction
from srnas.methods.deconas.search import REWARD_PSNR, make_controller, SearchSettings

torch.set_num_threads(1)


def _data() -> PatchSource:
    rng = np.random.default_rng(0)
    smooth = [np.kron(rng.integers(0, 256, (8, 8, 3)), np.ones((6, 6, 1))).astype(np.uint8) for _ in range(8)]
    return PatchSource.from_images([(f"im{i}", im) for i, im in enumerate(smooth)], 2)


def _config(**search) -> dict:
    config = resolve_config(DeCoNASMethod(), "smoke", 2)
    config["search"].update(search)
    return config


def _search(config, tmp_path=None, seed=0):
    ctx = RunContext(run_dir=tmp_path, quiet=True)
    torch.manual_seed(123)  # the harness seeds globally; the plugin must not depend on it
    return DeCoNASMethod().search(_data(), config, seed, ctx)


def test_same_seed_same_search_and_resume_reproduces_it(tmp_path):
    config = _config(epochs=3)
    first = _search(config, tmp_path)
    assert (tmp_path / "search.pt").exists()  # the state after the last epoch is on disk (a kill in derivation resumes there)
    resumed = _search(config, tmp_path)  # resumes after epoch 3 of 3: the sampler's state gives the same derivation
    again = _search(config)
    assert first.genotype == resumed.genotype == again.genotype
    assert first.info["history"] == resumed.info["history"] == again.info["history"]
    assert first.info["derive_candidates"] == again.info["derive_candidates"]
    other = _search(config, seed=1)
    assert other.info["history"] != first.info["history"]


def test_a_huge_penalty_derives_the_cheapest_candidate():
    result = _search(_config(penalty=1000.0, derive_samples=6))
    cands = result.info["derive_candidates"]
    assert len(cands) > 1
    assert result.genotype["arc"] == min(cands, key=lambda c: c["p_cb"])["arc"]
    assert result.info["p_cb_correct"] == pytest.approx(complexity_fraction(result.genotype["arc"], 4, 8))


def test_controller_logits_are_bounded_by_the_tanh_constant():
    st = SearchSettings.from_config(_config())
    ctrl = make_controller(30, st)
    with torch.no_grad():
        for head in ctrl.heads.values():
            head.weight.zero_()
            head.bias.copy_(torch.tensor([-50.0, 50.0]))  # raw logits far apart
    _, log_prob, _, _ = ctrl(actions=[1] * 30)
    bound = 1.1 / 2.5  # logits = (1.1 / 2.5) * tanh(raw) -> p(bit = 1) <= sigmoid(2 * bound)
    p_max = 1 / (1 + np.exp(-2 * bound))
    assert float(log_prob) == pytest.approx(30 * np.log(p_max), rel=1e-4)


def test_y_psnr_matches_a_hand_computation():
    hr = torch.zeros(1, 3, 8, 8)
    sr = torch.full((1, 3, 8, 8), 0.1)
    expected = -10 * np.log10((0.1 * (65.481 + 128.553 + 24.966) / 255) ** 2)
    assert float(REWARD_PSNR.psnr(sr, hr, shave=2)[0]) == pytest.approx(expected, rel=1e-5)
