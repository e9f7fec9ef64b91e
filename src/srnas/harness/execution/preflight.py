"""Checks before work: everything a run or a sweep needs is verified before the first step, so a bad
flag, a missing image or an unwritable folder is a one-line error now, not a crash after hours of
search and training.

Every check raises :class:`~srnas.errors.SrnasError` (the CLI prints it as one line, exit 2) naming the
value at fault and the fix.
"""
from __future__ import annotations

import math
import os
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from srnas.errors import ConfigError, SrnasError

if TYPE_CHECKING:  # the datasets package imports numpy and PIL: not at CLI start
    from srnas.datasets.paths import DataRootLike

MAX_SEED = 2**32 - 1

# config leaves (by key name) that must be >= the bound: counts that a 0 or a negative breaks
_AT_LEAST: dict[str, float] = {
    "batch": 1, "lr_patch": 1, "val_patch": 1, "nodes": 1, "layers": 1, "filters": 1, "channels": 1,
    "steps": 0, "warmup_steps": 0, "checkpoint_every": 0, "validate_every": 0, "limit_images": 1,
    "lr": 0, "min_lr": 0, "weight_decay": 0, "grad_clip": 0, "momentum": 0, "ssim_weight": 0,
}


def check_seeds(seeds: Sequence[int]) -> None:
    bad = [s for s in seeds if not 0 <= s <= MAX_SEED]
    if bad:
        raise ConfigError(f"--seeds {bad[0]}: a seed must be an integer in 0..{MAX_SEED}; e.g. --seeds 0 1 2")
    if len(set(seeds)) != len(seeds):
        raise ConfigError(f"--seeds {' '.join(map(str, seeds))}: a seed is listed twice; list each once")


def check_threads(threads: int | None) -> None:
    if threads is not None and threads < 0:
        raise ConfigError(f"--threads {threads}: must be >= 0 (0 keeps torch's default, 1 is reproducible on CPU)")


def check_device(name: str) -> str:
    """A device string torch understands and this machine has; returns it normalised."""
    import torch

    try:
        device = torch.device(name)
    except (RuntimeError, ValueError):
        raise ConfigError(f"--device {name!r}: not a torch device; use cpu, cuda, cuda:N or mps") from None
    if device.type == "cuda":
        if torch.version.cuda is None:
            raise ConfigError(f"--device {name}: this torch ({torch.__version__}) is a CPU build; install the CUDA build of the "
                              "same version (README, 'GPU') or use --device cpu")
        if not torch.cuda.is_available():
            raise ConfigError(f"--device {name}: torch sees no CUDA device (driver or CUDA_VISIBLE_DEVICES?); use --device cpu")
        if device.index is not None and device.index >= torch.cuda.device_count():
            raise ConfigError(f"--device {name}: only {torch.cuda.device_count()} CUDA device(s) visible")
    elif device.type == "mps" and not torch.backends.mps.is_available():
        raise ConfigError(f"--device {name}: MPS is not available on this machine; use --device cpu")
    elif device.type not in ("cpu", "cuda", "mps"):
        raise ConfigError(f"--device {name}: unsupported device type {device.type!r}; use cpu, cuda or mps")
    return str(device)


def config_leaves(node: Any, path: str = "") -> Iterable[tuple[str, Any]]:
    if isinstance(node, dict):
        for k, v in node.items():
            yield from config_leaves(v, f"{path}.{k}" if path else str(k))
    else:
        yield path, node


def check_config_values(config: dict[str, Any]) -> None:
    """No NaN/inf anywhere; counts, sizes and rates within their bounds (``_AT_LEAST``)."""
    for path, value in config_leaves(config):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            continue
        if isinstance(value, float) and not math.isfinite(value):
            raise ConfigError(f"bad value for {path}: {value} is not a finite number; set a real value with --set {path}=...")
        bound = _AT_LEAST.get(path.rsplit(".", 1)[-1])
        if bound is not None and value < bound:
            raise ConfigError(f"bad value for {path}: {value!r} is below {bound:g}; set --set {path}=<value >= {bound:g}>")
    from srnas.losses import PIXEL_LOSSES
    from srnas.seeding import NUMERICS
    from srnas.train import AMP_MODES

    _check_choice(config, "train", "amp", AMP_MODES)
    _check_choice(config, "train", "loss", tuple(PIXEL_LOSSES))
    _check_choice(config, "search", "loss", tuple(PIXEL_LOSSES))
    _check_choice(config, "train", "numerics", NUMERICS)


def _check_choice(config: dict[str, Any], section: str, key: str, choices: tuple[str, ...]) -> None:
    """A value with a fixed set of meanings, checked before any work (the loop that reads it runs later)."""
    value = (config.get(section) or {}).get(key)
    if value is not None and value not in choices:
        raise ConfigError(f"bad value for {section}.{key}: {value!r}; choose one of {', '.join(choices)} "
                          f"(--set {section}.{key}={choices[0]})")


def check_writable_folder(path: str | os.PathLike, what: str = "--results") -> Path:
    """The folder exists (or can be made) and a file can be created in it; returns it."""
    folder = Path(path)
    if folder.exists() and not folder.is_dir():
        raise SrnasError(f"{what} {folder}: is a file, not a folder; pass a folder path")
    if not folder.exists() and not folder.parent.exists():
        # one new level is made; a mistyped path (/mistyped/path) is not created wholesale (as root: anywhere)
        raise SrnasError(f"{what} {folder}: its parent {folder.parent} does not exist (a typo?); create the parent "
                         "first or pass an existing folder")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(dir=folder, prefix=".srnas-write-probe-")
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise SrnasError(f"{what} {folder}: cannot write there ({exc.strerror or exc}); pass a writable folder "
                         "(results would be lost at the end of the run)") from None
    return folder


def check_results_exist(path: str | os.PathLike) -> Path:
    """For readers (table, check, plot): the folder must exist and hold ``runs/`` (a typo must not pass)."""
    folder = Path(path)
    if not folder.is_dir():
        raise SrnasError(f"--results {folder}: no such folder; pass the folder that holds runs/ (default: results)")
    if not (folder / "runs").is_dir():
        raise SrnasError(f"--results {folder}: has no runs/ folder, so no run records; pass the folder `srnas run` wrote to")
    return folder


def check_eval_sets(datasets: Sequence[str], scale: int, lr_source: str, data_root: DataRootLike) -> None:
    """Every evaluation set is present and intact (checksums, cached) before any work."""
    from srnas.datasets import describe_lr
    from srnas.datasets.loading import verify_hr
    from srnas.datasets.verify import verify_set

    for name in datasets:
        choice = describe_lr(name, scale, lr_source)  # unknown set / LR source -> error now
        root, _ = verify_hr(name, data_root)
        if choice.source == "disk" and root is not None:
            verify_set(name, root, prefixes=(choice.folder + "/",)).raise_if_failed()


def check_train_set(name: str, data_root: DataRootLike) -> None:
    from srnas.datasets.loading import verify_hr

    verify_hr(name, data_root)
