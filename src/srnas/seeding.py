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
    # TF32 off: the papers' float32 arithmetic (PyTorch enables TF32 for cuDNN convolutions by default,
    # which changes every conv result on Ampere and later GPUs). Recorded, so a run says what it used.
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    return {"seed": seed, "deterministic": deterministic, "torch_threads": torch.get_num_threads(),
            "tf32": {"matmul": torch.backends.cuda.matmul.allow_tf32, "cudnn": torch.backends.cudnn.allow_tf32}}
