"""Where the data, the repo and the hash cache are.

Resolution order for the data root: explicit argument (CLI ``--data-root``) > ``$SRNAS_DATA`` >
``../shared/datasets`` beside the repo checkout. An explicit or env path that does not exist is an
error rather than a silent fall-through, so a typo cannot make a run score a different copy of the data.
"""
from __future__ import annotations

import os
from pathlib import Path

from srnas.errors import DatasetError

DATA_ENV = "SRNAS_DATA"
CACHE_ENV = "SRNAS_CACHE"


def repo_root() -> Path | None:
    """The checkout holding this package (first parent with a pyproject.toml), None if installed elsewhere."""
    for parent in Path(__file__).resolve().parents:
        if (parent / "pyproject.toml").is_file():
            return parent
    return None


def data_root(explicit: str | os.PathLike | None = None) -> Path:
    """The folder holding ``<Set>/HR/...``; raises DatasetError naming every place tried and the fix."""
    if explicit is not None:
        candidates = [("data_root argument / --data-root", Path(explicit))]
    elif os.environ.get(DATA_ENV):
        candidates = [(f"${DATA_ENV}", Path(os.environ[DATA_ENV]))]
    else:
        root = repo_root()
        candidates = [("../shared/datasets beside the repo", root.parent / "shared" / "datasets")] if root else []
    for _, path in candidates:
        if path.is_dir():
            return path.resolve()
    tried = "; ".join(f"{label}: {path} (not a directory)" for label, path in candidates) or "no repo checkout found"
    raise DatasetError(
        f"cannot find the dataset root (tried {tried}). Fix: pass --data-root PATH or set {DATA_ENV}=PATH "
        "to the folder that holds Set5/, Set14/, B100/, Urban100/ (shared/datasets)."
    )


def cache_dir() -> Path:
    """``$SRNAS_CACHE``, else the user cache folder (platformdirs, e.g. ``~/.cache/srnas-bench``): never
    inside the checkout, so a cache can neither be committed nor make a tree dirty."""
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV])
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("srnas-bench", appauthor=False))
