"""Named random streams (``srnas.seeding``): one derivation for every plugin's draws, HNAS's bits kept, and
the DARTS loop's ``seed + 7919`` architecture batches named as an option whose collision a test shows."""
from __future__ import annotations

import numpy as np
import pytest
import torch

import srnas.datasets.patches as patches
from srnas.cli import main
from srnas.seeding import ARCH_BATCHES, arch_batch_seed, stream_generator, stream_seed


def _hnas_generator_before_it_moved(seed: int, stream: str, step: int) -> torch.Generator:
    """methods/hnas/search.py's own stream_generator, as it was when HNAS's records were made."""
    state = np.random.SeedSequence([seed, step, *stream.encode()]).generate_state(2, dtype=np.uint64)
    return torch.Generator().manual_seed(int(state[0]) & ((1 << 63) - 1))


@pytest.mark.parametrize("seed, stream, step", [(0, "init", 0), (3, "controller-arch", 17), (9, "derive", 29), (5, "flops-arch", 1000)])
def test_the_shared_stream_is_hnas_own_derivation(seed, stream, step):
    assert stream_generator(seed, stream, step).initial_seed() == _hnas_generator_before_it_moved(seed, stream, step).initial_seed()


def test_named_streams_are_distinct_across_names_seeds_and_indices():
    seen = {stream_seed(s, name, i) for s in range(50) for name in ("init", "derive", "arch-batches") for i in range(4)}
    assert len(seen) == 50 * 3 * 4


def test_offset_arch_batches_are_another_seeds_weight_batches_and_named_ones_are_not():
    """The reason for the option: from one source (Trilevel's arch_split 0) seed s's architecture batches under
    the recorded rule are exactly seed s + 7919's weight batches; the named stream is no small seed's stream."""
    g = torch.Generator().manual_seed(0)
    lr = (torch.rand(3, 24, 24, generator=g) * 255).to(torch.uint8)
    source = patches.PatchSource(["a"], [lr], [lr.repeat_interleave(2, 1).repeat_interleave(2, 2)], scale=2)
    arch = source.batch(5, arch_batch_seed(0, "offset-7919"), 2, 8)
    weights_of_7919 = source.batch(5, 7919, 2, 8)
    assert all(torch.equal(a, b) for a, b in zip(arch, weights_of_7919))
    named = [arch_batch_seed(s, "named") for s in range(100)]
    assert len(set(named)) == 100 and min(named) > 10**6
    with pytest.raises(ValueError, match="search.arch_batches must be one of offset-7919, named"):
        arch_batch_seed(0, "plus-one")
    assert ARCH_BATCHES[0] == "offset-7919"


@pytest.mark.parametrize("mode, expected", [(None, 7919), ("named", stream_seed(0, "arch-batches"))])
def test_the_darts_loop_draws_its_architecture_batches_from_the_configured_stream(tmp_path, monkeypatch, mode, expected):
    """Trilevel smoke, seed 0: absent (every recorded config) = seed + 7919; ``--set search.arch_batches=named``
    = the named stream (and a declared optional key, so --set accepts it)."""
    seeds: set[int] = set()
    real = patches.PatchSource.batch

    def spy(self, step, seed, *args, **kwargs):
        seeds.add(seed)
        return real(self, step, seed, *args, **kwargs)

    monkeypatch.setattr(patches.PatchSource, "batch", spy)
    argv = ["run", "trilevel", "--profile", "smoke", "--seeds", "0", "--results", str(tmp_path), "--quiet"]
    assert main(argv + (["--set", f"search.arch_batches={mode}"] if mode else [])) == 0
    assert expected in seeds and ({7919} if mode else {stream_seed(0, "arch-batches")}).isdisjoint(seeds)


def test_the_integer_keyed_and_sequential_helpers_keep_the_recorded_bits():
    """RSWS's streams were np.random.default_rng([seed, *key]) and DeCoNAS's sampler a CPU generator seeded
    with the run seed when their records were made; the helpers that replace them draw the same values."""
    from srnas.seeding import numpy_stream, sequential_generator

    for key in [(2,), (1, 0), (1, 57)]:
        assert np.array_equal(numpy_stream(7, *key).integers(0, 1 << 30, 16), np.random.default_rng([7, *key]).integers(0, 1 << 30, 16))
    assert torch.equal(torch.rand(8, generator=sequential_generator(9)), torch.rand(8, generator=torch.Generator().manual_seed(9)))


def test_no_plugin_makes_its_own_random_generator():
    """Issue 24: four seeding conventions had grown in the plugins. Every generator a plugin draws from now
    comes from srnas.seeding (named streams, integer-keyed numpy streams, the one sequential sampler); a
    plugin that builds one itself is named here with the line to change."""
    import ast
    import inspect
    from pathlib import Path

    from srnas.methods import get_method, list_methods

    makers = {"default_rng", "Generator", "RandomState", "SeedSequence"}
    found = []
    for name in list_methods():
        source = Path(inspect.getfile(type(get_method(name))))
        files = sorted(source.parent.glob("*.py")) if source.parent.name != "methods" else [source]
        for path in files:
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in makers:
                    found.append(f"{path.name}:{node.lineno} ({name}): {node.func.attr}(...); draw from srnas.seeding instead")
    assert not found, "\n".join(found)
