"""The training-batch loaders: identical batches whatever the loader, resumable, and cached inputs."""
from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn as nn

from srnas.context import RunContext
from srnas.datasets.patches import PatchSource
from srnas.datasets.pipeline import GatheredBatches, batch_stream, parse_loader
from srnas.train import fit


@pytest.fixture(scope="module")
def source() -> PatchSource:
    rng = np.random.default_rng(1)
    images = [(f"{i}", rng.integers(0, 256, (int(rng.integers(40, 70)), int(rng.integers(40, 70)), 3), dtype=np.uint8)) for i in range(7)]
    return PatchSource.from_images(images, 2)


@pytest.mark.parametrize("augment", [True, False])
def test_every_loader_makes_the_batches_of_patchsource(source, augment):
    want = [source.batch(s, 5, 6, 12, augment) for s in range(3, 9)]
    for loader in ("inline", "workers=2", "device"):
        got = list(batch_stream(source, 5, 6, 12, augment, 3, 9, loader, "cpu"))
        assert len(got) == 6
        for (a, b), (c, d) in zip(want, got):
            assert torch.equal(a, c) and torch.equal(b, d), loader
    gathered = GatheredBatches(source, 5, 6, 12, augment)
    assert torch.equal(gathered[4][1], want[1][1])


def test_the_data_clock_hears_every_batch_of_every_loader_and_of_the_sources_parts(source):
    """The dry run's data-stall clock (``PatchSource.observer``) is told once per batch, whichever loader makes
    it, and by the parts a search draws from (``split``, ``at_scale``): set on the loaded source alone, it
    never heard a search loop. The observer changes no batch."""
    heard: list[float] = []
    clocked = PatchSource(source.names, source.lr, source.hr, source.scale, source.lr_source, heard.append)
    for loader in ("inline", "workers=1", "device"):
        heard.clear()
        got = list(batch_stream(clocked, 5, 6, 12, True, 3, 7, loader, "cpu"))
        assert len(heard) == 4 and all(t >= 0 for t in heard), loader
        assert all(torch.equal(a, b) for (a, _), (b, _) in zip(got, (source.batch(s, 5, 6, 12) for s in range(3, 7))))
    train, val = clocked.split([0.6, 0.4])
    heard.clear()
    train.batch(0, 1, 2, 8), val.batch(0, 1, 2, 8), clocked.at_scale(3).batch(0, 1, 2, 8)
    assert len(heard) == 3
    assert source.split([0.6, 0.4])[0].observer is None  # an unclocked source stays silent


def test_bad_loader_names_are_refused():
    assert parse_loader("workers=3") == ("workers", 3)
    for bad in ("workers=0", "workers=x", "gpu"):
        with pytest.raises(ValueError, match="--loader"):
            parse_loader(bad)


class _Stop(Exception):
    pass


class _StoppingBar:
    """A progress bar that kills the run after ``n`` updates (an interrupted attempt)."""

    def __init__(self, n: int | None):
        self.n, self.count = n, 0

    def update(self, k: int = 1) -> None:
        self.count += k
        if self.n is not None and self.count >= self.n:
            raise _Stop

    def close(self) -> None:
        pass


def _fit(source, run_dir, loader, stop_after=None):
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.ReLU(), nn.Conv2d(4, 12, 3, padding=1), nn.PixelShuffle(2))
    ctx = RunContext(run_dir, device="cpu", quiet=True)
    ctx.loader = loader
    ctx.progress = lambda total, desc, initial=0: _StoppingBar(stop_after)  # type: ignore[method-assign]
    cfg = {"steps": 8, "batch": 4, "lr_patch": 10, "optimizer": "adam", "lr": 1e-3, "schedule": "constant", "loss": "l1", "checkpoint_every": 3}
    fit(model, source, cfg, seed=2, ctx=ctx)
    return [p.detach().clone() for p in model.parameters()]


def test_training_is_the_same_for_every_loader_and_across_a_resume(source, tmp_path):
    inline = _fit(source, tmp_path / "a", "inline")
    workers = _fit(source, tmp_path / "b", "workers=2")
    assert all(torch.equal(x, y) for x, y in zip(inline, workers))
    with pytest.raises(_Stop):
        _fit(source, tmp_path / "c", "workers=2", stop_after=5)  # killed after step 5; checkpoint at 3
    resumed = _fit(source, tmp_path / "c", "workers=2")
    assert all(torch.equal(x, y) for x, y in zip(inline, resumed))


def test_second_load_of_a_training_set_reads_the_decoded_cache(tmp_path, monkeypatch):
    """The DIV2K stand-in decoded once; a second run reads arrays from the cache, never a PNG."""
    from srnas.datasets import data_root, loading
    from srnas.datasets.synth import synth_div2k

    monkeypatch.setenv("SRNAS_CACHE", str(tmp_path / "cache"))
    root = synth_div2k(tmp_path / "d2k", size=(24, 36), link_from=data_root())
    first = PatchSource.from_dataset("DIV2K_train", 2, data_root=root, limit=6)
    assert list((tmp_path / "cache").rglob("*.npy"))

    def no_decoding(path):
        raise AssertionError(f"decoded {path} again")

    monkeypatch.setattr(loading, "read_image", no_decoding)
    second = PatchSource.from_dataset("DIV2K_train", 2, data_root=root, limit=6)
    assert all(torch.equal(a, b) for a, b in zip(first.hr + first.lr, second.hr + second.lr))


def test_mixed_precision_is_opt_in_and_part_of_the_config(source, tmp_path):
    from srnas.errors import ConfigError
    from srnas.harness.execution.config import resolve_config
    from srnas.methods import get_method

    fsrcnn = get_method("fsrcnn")
    assert "amp" not in resolve_config(fsrcnn, "short", 2)["train"]  # recorded configs keep their hashes
    assert resolve_config(fsrcnn, "short", 2, overrides=["train.amp=bf16"])["train"]["amp"] == "bf16"
    with pytest.raises(ConfigError):
        resolve_config(fsrcnn, "short", 2, overrides=["train.amp=3"])
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(3, 12, 3, padding=1), nn.PixelShuffle(2))
    cfg = {"steps": 3, "batch": 2, "lr_patch": 8, "optimizer": "adam", "lr": 1e-3, "schedule": "constant", "loss": "l1", "amp": "bf16"}
    out = fit(model, source, cfg, seed=0, ctx=RunContext(tmp_path, device="cpu", quiet=True))
    assert np.isfinite(out["final_loss"])
    with pytest.raises(ValueError, match="train.amp"):
        fit(model, source, {**cfg, "amp": "fp8"}, seed=0, ctx=RunContext(tmp_path / "x", device="cpu", quiet=True))
