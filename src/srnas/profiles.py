"""Budget profiles shared by every method; a method's ``profile(name)`` is merged over these.

- ``smoke``: seconds; proves the pipeline runs (CI). Numbers mean nothing.
- ``short``: minutes on a CPU; real data (T91 patches), enough to beat bicubic clearly. Compared with
  other short runs and with bicubic at equal budget, never with the papers.
- ``paper``: the paper's own schedule (GPU-sized, DIV2K). Only these runs are judged against reported
  numbers.
- ``compare``: the equal-budget comparison (``results/tables/compare_x2.md``): within one search space the
  method, random search with weight sharing on *exactly* the method's supernet training, and random
  architectures all get the same final training (the space's schedule, 1500 steps from scratch) and the
  same evaluation. Searches are sized to leave the inert regime where the CPU allows (each plugin's
  profiles.json says how). Evaluated on Set5/Set14/B100 (119 images): Urban100's large images would add
  CPU time of the order of the final training of these small networks, and seeds, not images, are the
  unit the comparison's statistics resample.
"""
from __future__ import annotations

from typing import Any

EVAL_SETS = ["Set5", "Set14", "B100", "Urban100"]
#: the top-level sections of every config (and of every profile and variant)
SECTIONS = ("data", "train", "search", "model", "options", "eval")

_COMMON: dict[str, Any] = {
    "data": {"train_set": "T91", "limit_images": None},
    "train": {
        "steps": 0,
        "batch": 16,
        "lr_patch": 24,
        "optimizer": "adam",
        "lr": 1e-3,
        "min_lr": 1e-5,
        "momentum": 0.9,
        "weight_decay": 0.0,
        "schedule": "cosine",
        "loss": "l1",
        "ssim_weight": 0.0,
        "grad_clip": 0.0,
        "augment": True,
        "checkpoint_every": 200,
    },
    "search": {},
    "model": {},
    "options": {},
    "eval": {"datasets": EVAL_SETS, "protocol": "canonical", "lr_source": "auto", "tile": None, "self_ensemble": False},
}

BASE_PROFILES: dict[str, dict[str, Any]] = {
    "smoke": {
        **_COMMON,
        "data": {"train_set": "T91", "limit_images": 8},
        "train": {**_COMMON["train"], "steps": 5, "batch": 4, "lr_patch": 16, "checkpoint_every": 2},
        "eval": {**_COMMON["eval"], "datasets": ["Set5"]},
    },
    "short": {**_COMMON, "train": {**_COMMON["train"], "steps": 1500}},
    "compare": {
        **_COMMON,
        "train": {**_COMMON["train"], "steps": 1500},
        "eval": {**_COMMON["eval"], "datasets": ["Set5", "Set14", "B100"]},
    },
    "paper": {
        **_COMMON,
        "data": {"train_set": "DIV2K_train", "limit_images": None},
        "eval": {**_COMMON["eval"], "datasets": EVAL_SETS + ["Manga109"]},
    },
}
PROFILE_NAMES = tuple(BASE_PROFILES)

#: keys every method accepts through ``--set`` although no profile sets them (absent = this default), so
#: configs without them keep their hashes. ``train.amp``: mixed precision in the shared trainer ("off",
#: "bf16" or "fp16"; fp16 uses a gradient scaler): faster on a GPU, not faithful, recorded in the config.
#: ``train.betas``: Adam's (beta1, beta2) in the shared trainer (srnas.train reads it with this default).
OPTIONAL_COMMON: dict[str, Any] = {"train": {"amp": "off", "numerics": "faithful", "betas": [0.9, 0.999]}}
