"""Seeding and determinism: one call before anything random happens in a run, and the random streams every
plugin draws from (named streams, integer-keyed numpy streams, one sequential sampler) -- no plugin makes its
own generator (tests/test_seeding_streams.py reads their sources)."""
from __future__ import annotations

import os
import random

import numpy as np
import torch


NUMERICS = ("faithful", "fast")


def numerics_setup(numerics: str = "faithful") -> dict[str, object]:
    """The floating-point regime of a run or an evaluation, set in one place so both score alike.

    ``faithful`` (default): deterministic kernels requested (warn-only, so SR upsampling ops without a
    deterministic CUDA kernel are reported rather than silently disabling determinism), cuDNN autotuning
    off, TF32 off -- the papers' float32 arithmetic (PyTorch enables TF32 for cuDNN convolutions by default,
    which changes every conv result on Ampere and later GPUs). ``fast`` (opt-in, ``train.numerics: fast``):
    TF32 and cuDNN autotuning on, no determinism request: throughput over bit-fidelity. The mode is part of
    the config (and so of the hash), so fast records never mix with faithful ones.
    """
    if numerics not in NUMERICS:
        raise ValueError(f"train.numerics must be one of {NUMERICS}, not {numerics!r}")
    os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    fast = numerics == "fast"
    torch.use_deterministic_algorithms(not fast, warn_only=True)
    torch.backends.cudnn.benchmark = fast
    torch.backends.cudnn.deterministic = not fast
    torch.backends.cuda.matmul.allow_tf32 = fast
    torch.backends.cudnn.allow_tf32 = fast
    return {"numerics": numerics, "deterministic": not fast, "torch_threads": torch.get_num_threads(),
            "tf32": {"matmul": torch.backends.cuda.matmul.allow_tf32, "cudnn": torch.backends.cudnn.allow_tf32}}


def numerics_of(config: dict) -> str:
    """The numerics a config asks for (``train.numerics``; absent in configs made before the option: faithful)."""
    return str((config.get("train") or {}).get("numerics", "faithful"))


def seed_everything(seed: int, numerics: str = "faithful") -> dict[str, object]:
    """Seed python/numpy/torch and set the run's numerics (:func:`numerics_setup`)."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
    out = numerics_setup(numerics)
    result: dict[str, object] = {"seed": seed, "deterministic": out["deterministic"], "torch_threads": out["torch_threads"], "tf32": out["tf32"]}
    if numerics != "faithful":  # faithful records keep the keys they always had
        result["numerics"] = numerics
    return result


def stream_seed(seed: int, stream: str, *index: int) -> int:
    """A 63-bit seed that depends only on (run seed, stream name, index...): the named random streams of a
    run (HNAS's controller draws per step, the DARTS loop's architecture batches with ``named``...).

    Named streams never meet: the name's bytes enter numpy's SeedSequence beside the seed, so stream "a" of
    seed s is not stream "b" of any seed, and a draw depends on no other draw (resumable, order-free). A new
    plugin draws from here instead of inventing a convention (``seed + 7919`` made Trilevel seed 0's
    architecture batches seed 7919's weight batches, see :func:`arch_batch_seed`). The derivation is HNAS's
    since its first records, so moving it here kept their bits."""
    state = np.random.SeedSequence([seed, *index, *stream.encode()]).generate_state(2, dtype=np.uint64)
    return int(state[0]) & ((1 << 63) - 1)


def stream_generator(seed: int, stream: str, *index: int) -> torch.Generator:
    """A CPU torch generator seeded with :func:`stream_seed` (the controllers sample on the CPU: #23)."""
    return torch.Generator().manual_seed(stream_seed(seed, stream, *index))


def numpy_stream(seed: int, *key: int) -> np.random.Generator:
    """A numpy generator on the integer-keyed stream (seed, key...): ``np.random.default_rng([seed, *key])``.

    Random search's streams since its first records (its candidates: (seed, 2), drawn in order; the
    architecture of the k-th supernet step: (seed, 1, k), one draw each). Integer keys, not names, so that
    those records keep their bits; like :func:`stream_seed`, a stream depends on no other stream."""
    return np.random.default_rng([seed, *key])


def sequential_generator(seed: int) -> torch.Generator:
    """One CPU torch generator that every draw of a search takes in turn (DeCoNAS's sampler: child arcs,
    controller samples and derivation candidates, as the official code draws from its one RNG).

    Unlike a named stream, each draw depends on every draw before it: the search checkpoints the generator's
    state with its weights, so a resumed search draws what an uninterrupted one would. Prefer
    :func:`stream_generator` in a new plugin; this one keeps DeCoNAS's records' bits."""
    return torch.Generator().manual_seed(seed)


ARCH_BATCHES = ("offset-7919", "named")


def arch_batch_seed(seed: int, mode: str = "offset-7919") -> int:
    """The data seed of a DARTS loop's architecture batches (``search.arch_batches``).

    ``offset-7919`` (absent in every config recorded so far, so their hashes and bits stay): ``seed + 7919``.
    Where the architecture and weight batches come from one source (Trilevel's default ``arch_split: 0``),
    seed s's architecture batches are seed s + 7919's weight batches -- harmless while no sweep runs both
    seeds, and a trap for one that does. ``named``: :func:`stream_seed` (seed, "arch-batches"), which is no
    other seed's weight stream."""
    if mode == "offset-7919":
        return seed + 7919
    if mode == "named":
        return stream_seed(seed, "arch-batches")
    raise ValueError(f"search.arch_batches must be one of {', '.join(ARCH_BATCHES)}, not {mode!r}")
