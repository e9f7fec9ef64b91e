"""Final weights: saved next to each run record (safetensors) and loaded safely for ``srnas eval``.

Loading never unpickles arbitrary objects: ``.safetensors`` files are read with safetensors, anything
else with ``torch.load(weights_only=True)``. A checkpoint that does not fit the architecture is an error
naming the first tensor that differs (missing, unexpected, or of another shape).
"""
from __future__ import annotations

import os
from pathlib import Path

import torch
import torch.nn as nn

from srnas.atomic import atomic_path
from srnas.datasets.verify import sha256_file
from srnas.errors import SrnasError


def weights_path(record_file: Path) -> Path:
    """``seed0-<hash>.json`` -> ``seed0-<hash>.safetensors`` (beside it)."""
    return Path(record_file).with_suffix(".safetensors")


def save_weights(model: nn.Module, path: Path) -> str | None:
    """Write the model's state dict as safetensors (atomically); returns its sha256, None for a weightless model."""
    from safetensors.torch import save_file

    state = {k: v.detach().to("cpu").contiguous().clone() for k, v in model.state_dict().items() if isinstance(v, torch.Tensor)}
    if not state:
        return None
    with atomic_path(path, "the unit resumes from its last checkpoint") as tmp:
        save_file(state, str(tmp))
    return sha256_file(path)


#: wrappers of a state dict in training checkpoints, in the order the loader has always tried them
LEGACY_KEYS = ("model", "state_dict", "params")


def load_state(path: str | os.PathLike, key: str | None = None) -> dict[str, torch.Tensor]:
    """A state dict from ``.safetensors`` or a torch file (``weights_only``). See :func:`load_state_with_key`."""
    return load_state_with_key(path, key)[0]


def load_state_with_key(path: str | os.PathLike, key: str | None = None
                        ) -> tuple[dict[str, torch.Tensor], str | None, str | None]:
    """(state dict, the wrapper key it was taken from, the key the loader took before ``params_ema`` was
    preferred); keys are None for a bare state dict. The third lets a choice that changes nothing keep the
    evaluation record's key it always had.

    ``key``: take the state dict under that key. By default a BasicSR checkpoint trained with EMA gives its
    ``params_ema`` (the weights BasicSR evaluates; ``params`` are the raw ones, silently taken before), then
    the wrappers ``model``, ``state_dict``, ``params``."""
    path = Path(path)
    if not path.is_file():
        raise SrnasError(f"--checkpoint {path}: no such file")
    try:
        if path.suffix == ".safetensors":
            from safetensors.torch import load_file

            return load_file(str(path)), None, None
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # noqa: BLE001 - any unreadable file gets the same clear message
        raise SrnasError(f"--checkpoint {path}: not a loadable weights file ({type(exc).__name__}: {exc}); "
                         "pass a .safetensors file or a torch state dict saved with torch.save") from None
    legacy = next((w for w in LEGACY_KEYS if isinstance(state.get(w), dict)), None) if isinstance(state, dict) else None
    used = None
    if key is not None:
        if not (isinstance(state, dict) and isinstance(state.get(key), dict)):
            keys = ", ".join(k for k, v in state.items() if isinstance(v, dict)) if isinstance(state, dict) else ""
            raise SrnasError(f"--checkpoint {path}: no state dict under key {key!r}; it has {keys or 'none'} "
                             "(omit --checkpoint-key to take params_ema, model, state_dict or params, in that order)")
        state, used = state[key], key
    else:
        for wrapper in ("params_ema", *LEGACY_KEYS):
            if isinstance(state, dict) and isinstance(state.get(wrapper), dict):
                state, used = state[wrapper], wrapper
                break
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise SrnasError(f"--checkpoint {path}: holds no state dict of tensors")
    return state, used, legacy


def load_into(model: nn.Module, state: dict[str, torch.Tensor], where: str) -> None:
    """Load ``state`` strictly; the first mismatch is named."""
    own = model.state_dict()
    for name, tensor in own.items():
        if name not in state:
            raise SrnasError(f"{where}: tensor {name!r} {tuple(tensor.shape)} of the architecture is missing from the checkpoint; "
                             "is it the right method, genotype or variant?")
        if tuple(state[name].shape) != tuple(tensor.shape):
            raise SrnasError(f"{where}: tensor {name!r} has shape {tuple(state[name].shape)} in the checkpoint but "
                             f"{tuple(tensor.shape)} in the architecture; is it the right genotype, scale or width?")
    extra = [k for k in state if k not in own]
    if extra:
        raise SrnasError(f"{where}: the checkpoint has tensor {extra[0]!r} that the architecture lacks "
                         f"({len(extra)} unexpected); is it the right method, genotype or variant?")
    model.load_state_dict(state, strict=True)
