"""The `random` baseline (RSWS) on a tiny fake weight-sharing space, independent of the real plugins."""
from typing import Any

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from srnas.harness.execution.config import resolve_config
from srnas.harness.execution.runner import run_method
from srnas.methods import get_method, register
from srnas.methods.base import CandidateObjective, Method
from srnas.methods.random_ws import SampledArchitecture
from srnas.nas.ops import BicubicResidual

KERNELS = (1, 3, 5)


class KernelSupernet(nn.Module):
    """One 3->3 conv per kernel size, applied after bicubic upsampling; ``arch`` picks one."""

    def __init__(self, scale: int):
        super().__init__()
        self.scale = scale
        self.convs = nn.ModuleList(nn.Conv2d(3, 3, k, padding=k // 2) for k in KERNELS)

    def forward(self, x: torch.Tensor, arch: int) -> torch.Tensor:
        return self.convs[arch](F.interpolate(x, scale_factor=self.scale, mode="bicubic", align_corners=False))


class KernelSpace:
    def __init__(self, scale: int):
        self.scale = scale

    def sample(self, rng: np.random.Generator) -> int:
        return int(rng.integers(len(KERNELS)))

    def supernet(self) -> nn.Module:
        return BicubicResidual(KernelSupernet(self.scale), self.scale)

    def genotype(self, arch: int) -> dict[str, Any]:
        return {"kernel": KERNELS[arch]}


class Net(nn.Module):
    def __init__(self, kernel: int, scale: int):
        super().__init__()
        self.scale, self.conv = scale, nn.Conv2d(3, 3, kernel, padding=kernel // 2)

    def forward(self, x):
        return self.conv(F.interpolate(x, scale_factor=self.scale, mode="bicubic", align_corners=False))


@register
class KernelSpaceMethod(Method):
    name = "test-kernel-space"

    def profile(self, name: str) -> dict[str, Any]:
        return {"train": {"steps": 4, "lr": 0.01}, "model": {"marker": 7}}

    def search_space(self, config, scale):
        return KernelSpace(scale)

    def build(self, genotype, scale, config):
        return Net(genotype["kernel"], scale)

    def candidate_objective(self, config, scale):
        # a search that pays 100 dB per kernel tap: the cheapest candidate wins whatever its PSNR
        return CandidateObjective(name="PSNR - 100 x kernel", accuracy=lambda sr, hr: -10 * torch.log10(((sr - hr) ** 2).flatten(1).mean(1)),
                                  cost=lambda arch: float(KERNELS[arch]), combine=lambda a, c: a - 100 * c)


SPACE = ["options.space=test-kernel-space"]


def test_random_inherits_the_space_plugins_budget():
    config = resolve_config(get_method("random"), "smoke", 2, "default", SPACE + ["search.random_ws.candidates=3"])
    assert config["train"]["steps"] == 4 and config["train"]["lr"] == 0.01 and config["model"]["marker"] == 7
    assert config["search"]["random_ws"]["candidates"] == 3 and config["options"]["space"] == "test-kernel-space"


def test_random_search_picks_the_best_scored_candidate_and_builds_it(tmp_path):
    overrides = SPACE + ["search.random_ws.candidates=3", "search.random_ws.supernet_steps=6"]
    record = run_method("random", 2, [0], "smoke", overrides=overrides, results=tmp_path, quiet=True)[0].record
    info = record["search_info"]
    scores = [c["val_psnr"] for c in info["candidates"]]
    assert len(scores) == 3 and info["best_index"] == int(np.argmax(scores))
    best_arch = info["candidates"][info["best_index"]]["arch"]
    assert record["genotype"] == {"space": "test-kernel-space", "genotype": {"kernel": KERNELS[best_arch]}}
    assert record["cost"]["params"] == 3 * 3 * KERNELS[best_arch] ** 2 + 3  # the space plugin's build
    assert record["train_info"]["steps"] == 4  # trained at the space plugin's budget
    again = run_method("random", 2, [0], "smoke", overrides=overrides, results=tmp_path / "again", quiet=True)[0].record
    assert again["search_info"] == info


def test_sampled_architecture_sequence_survives_a_checkpoint():
    space = KernelSpace(2)
    seen = []

    class Recorder(nn.Module):
        def forward(self, x, arch):
            seen.append(arch)
            return x

    wrapper = SampledArchitecture(Recorder(), space, seed=3)
    for _ in range(6):
        wrapper(torch.zeros(1))
    full = list(seen)
    seen.clear()
    restored = SampledArchitecture(Recorder(), space, seed=3)
    first = SampledArchitecture(Recorder(), space, seed=3)
    for _ in range(3):
        first(torch.zeros(1))
    restored.load_state_dict(first.state_dict())  # what the trainer's checkpoint carries
    seen.clear()
    for _ in range(3):
        restored(torch.zeros(1))
    assert seen == full[3:] and len(set(full)) > 1


def test_kill_during_training_never_redoes_the_search(tmp_path, monkeypatch):
    from srnas.context import RunContext
    from srnas.methods.random_ws import RandomSearchMethod

    overrides = SPACE + ["search.random_ws.candidates=3", "search.random_ws.supernet_steps=3"]
    reference = run_method("random", 2, [0], "smoke", overrides=overrides, results=tmp_path / "ref", quiet=True)[0].record
    save = RunContext.save_checkpoint

    def save_then_die(self, phase, state):
        save(self, phase, state)
        if phase == "train":
            raise KeyboardInterrupt

    monkeypatch.setattr(RunContext, "save_checkpoint", save_then_die)
    try:
        run_method("random", 2, [0], "smoke", overrides=overrides, results=tmp_path / "run", quiet=True)
    except KeyboardInterrupt:
        pass
    else:
        raise AssertionError("the simulated kill did not happen")
    monkeypatch.setattr(RunContext, "save_checkpoint", save)
    monkeypatch.setattr(RandomSearchMethod, "search", lambda *a, **k: (_ for _ in ()).throw(AssertionError("searched again")))
    resumed = run_method("random", 2, [0], "smoke", overrides=overrides, results=tmp_path / "run", quiet=True)[0].record
    assert resumed["resumed_from"] == ["search", "search_result", "train"]  # supernet, derived genotype, final net
    scores = lambda r: {d: (m["psnr"], m["ssim"]) for d, m in r["metrics"].items()}  # noqa: E731
    assert resumed["genotype"] == reference["genotype"] and scores(resumed) == scores(reference)


def test_random_architecture_rows_draw_one_uniform_architecture_without_a_supernet(tmp_path, monkeypatch):
    import json
    from types import SimpleNamespace

    import pytest

    from srnas.methods import random_ws

    def no_supernet(*args, **kwargs):
        raise AssertionError("a random-architecture row must not train a supernet")

    monkeypatch.setattr(random_ws, "fit", no_supernet)  # the supernet phase; final training is the space's own
    method = get_method("random")
    assert {"hinas-random-arch", "hnas-random-arch", "deconas-random-arch"} <= set(method.variants())
    run_method("random", scale=2, profile="smoke", variant="deconas-random-arch", seeds=[0, 1], results=str(tmp_path), quiet=True)
    recs = [json.loads(p.read_text()) for p in (tmp_path / "runs").rglob("*.json")]
    assert len(recs) == 2 and all(r["search_info"]["budget"]["weight_steps"] == 0 for r in recs)
    space = method._space_method(recs[0]["config"]).search_space(recs[0]["config"], 2)
    for r in recs:  # the genotype is the seed's uniform draw from the space, nothing else
        assert r["genotype"]["genotype"] == space.genotype(space.sample(np.random.default_rng([r["seed"], random_ws._CANDIDATE_STREAM])))
    assert recs[0]["genotype"] != recs[1]["genotype"]
    # the comparison page's pairing: RSWS's first candidate of a seed is that seed's random architecture (one stream)
    monkeypatch.undo()  # RSWS trains its supernet
    rsws = run_method("random", scale=2, profile="smoke", variant="deconas", seeds=[1], results=str(tmp_path / "rsws"), quiet=True)[0].record
    first = rsws["search_info"]["candidates"][0]["arch"]
    assert space.genotype(first) == next(r for r in recs if r["seed"] == 1)["genotype"]["genotype"]
    assert "mode" not in resolve_config(method, "smoke", 2, "hinas")["search"]["random_ws"]  # RSWS configs keep their hashes
    bad = resolve_config(method, "smoke", 2, "deconas-random-arch")
    bad["search"]["random_ws"]["mode"] = "grid"
    with pytest.raises(ValueError, match="random_ws.mode"):
        method.search(SimpleNamespace(scale=2), bad, 0, None)


def test_objective_ranked_random_search_ranks_the_same_candidates_by_the_spaces_own_objective(tmp_path):
    """The objective-matched RSWS row (issue 25): same supernet and candidates as the PSNR-ranked row of the
    seed, the pick by the space's objective; a space without one is refused with the fix named."""
    import pytest

    overrides = SPACE + ["search.random_ws.candidates=6", "search.random_ws.supernet_steps=6"]
    by_psnr = run_method("random", 2, [0], "smoke", overrides=overrides, results=tmp_path / "psnr", quiet=True)[0].record["search_info"]
    record = run_method("random", 2, [0], "smoke", overrides=overrides + ["search.random_ws.rank_by=objective"],
                        results=tmp_path / "objective", quiet=True)[0].record
    info = record["search_info"]
    assert [c["val_psnr"] for c in info["candidates"]] == [c["val_psnr"] for c in by_psnr["candidates"]]
    assert info["best_index_by_psnr"] == by_psnr["best_index"] and info["rank_by"] == "objective" and info["objective"] == "PSNR - 100 x kernel"
    objectives = [c["objective"] for c in info["candidates"]]
    assert info["best_index"] == int(np.argmax(objectives))
    assert all(c["objective"] == c["accuracy"] - 100 * c["cost"] for c in info["candidates"])
    chosen = info["candidates"][info["best_index"]]["arch"]
    assert KERNELS[chosen] == min(KERNELS[c["arch"]] for c in info["candidates"])  # the cost decides here
    assert record["genotype"]["genotype"] == {"kernel": KERNELS[chosen]}
    assert {"hnas-objective", "trilevel-objective", "deconas-objective"} <= set(get_method("random").variants())
    assert "hinas-objective" not in get_method("random").variants()  # HiNAS ranks by its validation loss alone
    assert "rank_by" not in resolve_config(get_method("random"), "compare", 2, "hnas")["search"]["random_ws"]  # RSWS hashes kept
    with pytest.raises(TypeError, match="rank_by: psnr"):
        run_method("random", 2, [0], "smoke", overrides=["options.space=hinas", "search.random_ws.rank_by=objective"],
                   results=tmp_path / "hinas", quiet=True)
