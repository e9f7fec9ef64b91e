"""The HiNAS search end to end on a tiny synthetic set: a valid, deterministic genotype, resumable."""
from __future__ import annotations

import copy

import numpy as np
import torch

from srnas.context import RunContext
from srnas.datasets.patches import PatchSource
from srnas.methods import get_method
from srnas.methods.hinas.space import validate_genotype
from srnas.profiles import BASE_PROFILES

torch.set_num_threads(1)


def _data() -> PatchSource:
    rng = np.random.default_rng(0)
    # smooth random images (upsampled noise) so SR is learnable at all
    imgs = [np.kron(rng.integers(0, 256, (12, 12, 3)), np.ones((4, 4, 1))).astype(np.uint8) for _ in range(8)]
    return PatchSource.from_images([(f"im{i}", im) for i, im in enumerate(imgs)], 2)


def _config() -> dict:
    m = get_method("hinas")
    cfg = copy.deepcopy(BASE_PROFILES["smoke"])
    for key, value in m.profile("smoke").items():
        cfg[key] = {**cfg[key], **value}
    cfg["scale"] = 2
    return cfg


def test_search_is_deterministic_and_derives_a_valid_genotype():
    m = get_method("hinas")
    a = m.search(_data(), _config(), 0, RunContext(quiet=True))
    b = m.search(_data(), _config(), 0, RunContext(quiet=True))
    validate_genotype(a.genotype)
    assert a.genotype == b.genotype
    assert a.info["best_step"] is not None  # keep-best on V ran
    assert set(a.info["params_at_paper_width"]) == {"2", "3", "4"}


class _Killed(Exception):
    pass


def test_search_resumes_to_the_same_genotype(tmp_path, monkeypatch):
    import srnas.methods.hinas.method as hinas_method

    m = get_method("hinas")
    full = m.search(_data(), _config(), 1, RunContext(tmp_path / "a", quiet=True))
    real_score = hinas_method.tile_score

    def killed(*args, **kwargs):  # the first validation (step 4) dies; the step-2 checkpoint survives
        raise _Killed

    monkeypatch.setattr(hinas_method, "tile_score", killed)
    try:
        m.search(_data(), _config(), 1, RunContext(tmp_path / "b", quiet=True))
    except _Killed:
        pass
    assert (tmp_path / "b" / "search.pt").exists()
    monkeypatch.setattr(hinas_method, "tile_score", real_score)
    resumed = m.search(_data(), _config(), 1, RunContext(tmp_path / "b", quiet=True))
    assert resumed.genotype == full.genotype
    assert resumed.info["best_score"] == full.info["best_score"]


def test_keep_best_state_is_written_beside_the_checkpoint_once_and_resumes(tmp_path, monkeypatch):
    """The checkpoint carries only the best step and score; the best supernet weights are their own file,
    written when a new best appears (not re-pickled with every checkpoint), and a resume after a kill that
    follows a best-state checkpoint ends in the same genotype and best score as an uninterrupted search."""
    import srnas.methods.hinas.method as hinas_method

    m = get_method("hinas")
    cfg = _config()
    cfg["search"] = {**cfg["search"], "steps": 10, "validate_from": 2, "validate_every": 2, "checkpoint_every": 2}
    full = m.search(_data(), cfg, 1, RunContext(tmp_path / "a", quiet=True))
    saved = []
    real_save = RunContext.save_checkpoint
    monkeypatch.setattr(RunContext, "save_checkpoint", lambda self, phase, state: (saved.append((phase, state)), real_save(self, phase, state))[1])
    calls = {"n": 0}
    real_score = hinas_method.tile_score

    def dies_on_the_fourth(*args, **kwargs):  # validations at steps 2, 4, 6 succeed; the one at step 8 dies
        calls["n"] += 1
        if calls["n"] == 4:
            raise _Killed
        return real_score(*args, **kwargs)

    monkeypatch.setattr(hinas_method, "tile_score", dies_on_the_fourth)
    try:
        m.search(_data(), cfg, 1, RunContext(tmp_path / "b", quiet=True))
    except _Killed:
        pass
    mains = [state for phase, state in saved if phase == "search"]
    bests = [phase for phase, _ in saved if phase.startswith("search-best-")]
    assert mains and all("state" not in s["best"] for s in mains)
    assert len(bests) == len(set(bests)) and len(bests) <= 3  # one file per new best, never rewritten
    best_step = mains[-1]["best"]["step"]
    assert best_step is not None and sorted(p.name for p in (tmp_path / "b").glob("search-best-*.pt")) == [f"search-best-{best_step}.pt"]
    monkeypatch.setattr(hinas_method, "tile_score", real_score)
    resumed = m.search(_data(), cfg, 1, RunContext(tmp_path / "b", quiet=True))
    assert resumed.genotype == full.genotype
    assert resumed.info["best_score"] == full.info["best_score"] and resumed.info["best_step"] == full.info["best_step"]
