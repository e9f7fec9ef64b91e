"""Seeding and determinism: one call before anything random happens in a run."""
from __future__ import annotations

import os
import random

import numpy as np
import torch


def seed_everything(seed: int, deterministic: bool = True) -> dict[str, object]:
    """Seed python/numpy/torch; request deterministic kernels (warn-only, so SR upsampling ops that have no
    deterministic CUDA kernel are reported rather than silently disabling determinism)."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
    os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    if deterministic:
        torch.use_deterministic_algorithms(True, warn_only=True)
        torch.backends.cudnn.benchmark = False
        torch.backends.cudnn.deterministic = True
    return {"seed": seed, "deterministic": deterministic, "torch_threads": torch.get_num_threads()}
