"""Where the data, the repo and the hash cache are.

Resolution order for the data root: explicit argument (CLI ``--data-root``) > ``$SRNAS_DATA`` >
``../shared/datasets`` beside the repo checkout. An explicit or env path that does not exist is an
error rather than a silent fall-through, so a typo cannot make a run score a different copy of the data.

A set the suite cannot redistribute (Manga109) lives wherever its user keeps it: :class:`DataRoot` carries
that folder beside the root, as an argument from the CLI (``--manga109``) down to the loader, so no
command writes ``os.environ`` to pass it on. The set's own variable (``$SRNAS_MANGA109``) is only the
default when no folder is passed, as ``$SRNAS_DATA`` is for the root.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Union

from srnas.errors import DatasetError

DATA_ENV = "SRNAS_DATA"
CACHE_ENV = "SRNAS_CACHE"


@dataclass(frozen=True)
class DataRoot:
    """Where a run reads its sets: the shared root (``None``: ``$SRNAS_DATA``, else ``../shared/datasets``)
    and the folders the user supplies for sets that are not redistributable, by set name
    (``(("Manga109", "/data/manga109"),)``). Plain paths are accepted wherever a ``DataRoot`` is."""

    root: str | None = None
    supplied: tuple[tuple[str, str], ...] = ()  # (set name, folder) pairs: immutable, and pickles as it is

    def folder(self, name: str) -> str | None:
        """The folder supplied for set ``name``, None if none."""
        return dict(self.supplied).get(name)

    @classmethod
    def of(cls, root: str | os.PathLike | None = None, **supplied: str | os.PathLike | None) -> "str | DataRoot | None":
        """The plain root when no set folder is supplied (so records, argv and messages stay as they were),
        else a ``DataRoot``; e.g. ``DataRoot.of(args.data_root, Manga109=args.manga109)``."""
        folders = {k: str(v) for k, v in supplied.items() if v}
        if not folders:
            return None if root is None else str(root)
        return cls(None if root is None else str(root), tuple(sorted(folders.items())))


#: what every ``data_root`` parameter accepts: a path, a :class:`DataRoot`, or None (the default root)
DataRootLike = Union[str, "os.PathLike[str]", DataRoot, None]


def root_path(data_root: DataRootLike) -> str | os.PathLike | None:
    """The root folder a ``data_root`` argument names (None: the default order)."""
    return data_root.root if isinstance(data_root, DataRoot) else data_root


def supplied_folder(data_root: DataRootLike, name: str, env: str | None) -> tuple[Path, str] | None:
    """(folder, how it was given) of a user-supplied set: the argument's, else its variable's; None if neither."""
    folder = data_root.folder(name) if isinstance(data_root, DataRoot) else None
    if folder:
        return Path(folder), f"--{name.lower()} / DataRoot.supplied[{name!r}]"
    if env and os.environ.get(env):
        return Path(os.environ[env]), f"${env}"
    return None


def repo_root() -> Path | None:
    """The checkout holding this package (first parent with a pyproject.toml), None if installed elsewhere."""
    for parent in Path(__file__).resolve().parents:
        if (parent / "pyproject.toml").is_file():
            return parent
    return None


def data_root(explicit: DataRootLike = None) -> Path:
    """The folder holding ``<Set>/HR/...``; raises DatasetError naming every place tried and the fix."""
    explicit = root_path(explicit)
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
