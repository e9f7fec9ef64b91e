"""Load HR images and (LR, HR) pairs of a registered set, recording where the LR came from.

LR source rule (``lr_source``):

* ``"disk"``: read the shipped LR of the requested ``convention`` (``symmetric`` = ``LR_bicubic``,
  ``replicate`` = ``LR_bicubic_SelfExSR``); an error if that folder is not shipped.
* ``"generate"``: our MATLAB-exact ``imresize(modcrop(HR, s), 1/s)`` with the requested border padding.
* ``"auto"`` (default): disk in the requested convention if shipped, else disk in the other convention,
  else generate in the requested convention. Results must record the choice: see :func:`describe_lr`.
"""
from __future__ import annotations

import hashlib
import json
from collections import OrderedDict
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable, Literal

import numpy as np
from PIL import Image

from srnas.atomic import atomic_path
from srnas.datasets.paths import DataRootLike, cache_dir, supplied_folder
from srnas.datasets.paths import data_root as resolve_data_root
from srnas.datasets.registry import LR_FOLDERS, Convention, DatasetSpec, get_spec, load_manifest
from srnas.datasets.verify import HashCache, verify_set
from srnas.errors import DatasetError
from srnas.protocol.imresize import imresize, modcrop

LRSource = Literal["auto", "disk", "generate"]


@dataclass(frozen=True)
class LRChoice:
    """Where a set's LR images come from; ``label`` is what result files record."""

    source: Literal["disk", "generate"]
    convention: Convention
    folder: str | None  # LR folder under the data root when source == "disk"

    @property
    def label(self) -> str:
        if self.source == "disk":
            return f"disk:{self.folder}"
        return f"generate:imresize({self.convention})"

    def to_dict(self) -> dict:
        return {**asdict(self), "label": self.label}


def describe_lr(name: str, scale: int, lr_source: LRSource = "auto", convention: Convention = "symmetric") -> LRChoice:
    """Apply the LR source rule (module docstring) to one set and scale, without reading any file."""
    spec = get_spec(name)
    if convention not in LR_FOLDERS:
        raise DatasetError(f"convention must be one of {', '.join(LR_FOLDERS)}, not {convention!r}")
    if lr_source == "generate":
        return LRChoice("generate", convention, None)
    other: Convention = "replicate" if convention == "symmetric" else "symmetric"
    order = [convention] if lr_source == "disk" else [convention, other]
    if lr_source not in ("disk", "auto"):
        raise DatasetError(f"lr_source must be auto, disk or generate, not {lr_source!r}")
    for conv in order:
        folder = spec.lr_dir(conv, scale)
        if folder is not None:
            return LRChoice("disk", conv, folder)
    if lr_source == "disk":
        shipped = ", ".join(f"{LR_FOLDERS[c]} x{s}" for c, ss in spec.lr_on_disk.items() for s in ss) or "none"
        raise DatasetError(
            f"{name} has no {LR_FOLDERS[convention]}/X{scale} on disk (shipped LR: {shipped}). "
            "Fix: use lr_source='auto' or 'generate' (--lr-source auto|generate)."
        )
    return LRChoice("generate", convention, None)


class _BytesLRU:
    """Least-recently-used map of read-only arrays bounded by total bytes (generated LR is re-used by every
    evaluation of a set, but DIV2K-sized sets must not grow without bound)."""

    def __init__(self, max_bytes: int):
        self.max_bytes = max_bytes
        self.items: OrderedDict[tuple, np.ndarray] = OrderedDict()
        self.nbytes = 0

    def get_or_make(self, key: tuple, make: Callable[[], np.ndarray]) -> np.ndarray:
        if key in self.items:
            self.items.move_to_end(key)
            return self.items[key]
        value = make()
        value.flags.writeable = False  # shared between callers: in-place edits would poison the cache
        self.items[key] = value
        self.nbytes += value.nbytes
        while self.nbytes > self.max_bytes and len(self.items) > 1:
            _, old = self.items.popitem(last=False)
            self.nbytes -= old.nbytes
        return value

    def clear(self) -> None:
        self.items.clear()
        self.nbytes = 0


GENERATED_LR_CACHE = _BytesLRU(max_bytes=512 * 2**20)
_LR_CACHE_VERSION = "imresize-matlab-1"  # bump when imresize changes: old cached LR must not be reused


def _disk_cached(kind: str, key: tuple, make: Callable[[], np.ndarray]) -> np.ndarray:
    """An array from the on-disk cache (``cache_dir()/arrays/KIND/<sha of key>.npy``), or made and stored.

    Keys are content hashes, so an edited image never hits a stale entry. The cache is best effort: a
    read-only or damaged cache only costs recomputing."""
    digest = hashlib.sha256(json.dumps([kind, *key]).encode()).hexdigest()
    path = cache_dir() / "arrays" / kind / f"{digest}.npy"
    try:
        return np.load(path, allow_pickle=False)
    except (OSError, ValueError):
        pass
    value = make()
    try:
        with atomic_path(path) as tmp, open(tmp, "wb") as fh:
            np.save(fh, value, allow_pickle=False)
    except OSError:
        pass  # a full or read-only cache only costs recomputing
    return value


_HASHES: HashCache | None = None


def _content_sha(path: Path) -> str:
    """The file's sha256 (cached by size and mtime in the shared hash cache)."""
    global _HASHES
    if _HASHES is None or _HASHES.path != cache_dir() / "sha256.json":
        _HASHES = HashCache()
    digest = _HASHES.sha256(path)
    _HASHES.save_if_stale()  # and flush_hashes() once a set is loaded
    return digest


def flush_hashes() -> None:
    """Write the hashes computed since the last save (the loaders call it once per set)."""
    if _HASHES is not None:
        _HASHES.save()


def read_image_cached(path: Path) -> np.ndarray:
    """:func:`read_image`, through the decoded-image cache keyed by the file's content hash."""
    return _disk_cached("decoded", (_content_sha(path),), lambda: read_image(path))


def read_image(path: Path) -> np.ndarray:
    """uint8 HxW for single-channel files, HxWx3 otherwise."""
    try:
        with Image.open(path) as im:
            if im.mode not in ("L", "RGB"):
                im = im.convert("RGB")
            return np.asarray(im, dtype=np.uint8)
    except FileNotFoundError:
        raise DatasetError(f"missing file {path}; run `srnas data verify` to see what else is missing") from None
    except OSError as exc:
        raise DatasetError(f"cannot read image {path} ({exc}); re-copy it and run `srnas data verify`") from None


def _supplied(spec: DatasetSpec, data_root: DataRootLike) -> tuple[Path, str] | None:
    """The folder the user supplied for a non-redistributable set (argument first, then its variable)."""
    if not spec.user_supplied_env:
        return None
    return supplied_folder(data_root, spec.name, spec.user_supplied_env)


def _hr_dir(spec: DatasetSpec, root: Path | None, data_root: DataRootLike = None) -> Path:
    supplied = _supplied(spec, data_root)
    if supplied is not None:
        path, given = supplied
        if not path.is_dir():
            raise DatasetError(f"{spec.name}: {given} = {path} is not a directory. {spec.obtain}")
        return path
    assert root is not None
    return root / spec.hr_dir


def _root_for(spec: DatasetSpec, data_root: DataRootLike) -> Path | None:
    if _supplied(spec, data_root) is not None:
        return None  # a user-supplied set needs no data root
    return resolve_data_root(data_root)


def _hr_files(spec: DatasetSpec, hr_dir: Path) -> list[Path]:
    manifest = load_manifest(spec.name)
    if manifest["files"] is None:
        return sorted(hr_dir.glob("*.png"))
    prefix = spec.hr_dir + "/"
    return sorted(hr_dir / e["path"][len(prefix):] for e in manifest["files"] if e["path"].startswith(prefix))


def verify_hr(name: str, data_root: DataRootLike = None, verify: bool = True) -> tuple[Path | None, Path]:
    """(data root, HR folder) of a set, after checking its HR files (checksums, cached; existence only
    with ``verify=False``). Raises ``DatasetError`` naming the file and how to obtain the set."""
    spec = get_spec(name)
    root = _root_for(spec, data_root)
    hr_dir = _hr_dir(spec, root, data_root)
    if verify:
        verify_set(name, root or hr_dir, prefixes=(spec.hr_dir + "/",), hr_dir=hr_dir).raise_if_failed()
    elif not hr_dir.is_dir():
        raise DatasetError(f"{name}: no folder {hr_dir}. To obtain it: {spec.obtain}")
    return root, hr_dir


def _load_hr_with_paths(name: str, data_root, verify: bool) -> tuple[Path | None, list[tuple[Path, np.ndarray]]]:
    root, hr_dir = verify_hr(name, data_root, verify)
    items = [(p, read_image_cached(p)) for p in _hr_files(get_spec(name), hr_dir)]
    flush_hashes()
    return root, items


def load_hr(name: str, data_root: DataRootLike = None, verify: bool = True) -> list[tuple[str, np.ndarray]]:
    """(stem, uint8 HxWx3 or HxW) for every HR image of ``name``, sorted by stem; verified by default."""
    _, items = _load_hr_with_paths(name, data_root, verify)
    return [(p.stem, img) for p, img in items]


def _generated_lr(path: Path, hr_cropped: np.ndarray, scale: int, convention: Convention) -> np.ndarray:
    key = (_content_sha(path), scale, convention, _LR_CACHE_VERSION)
    make = lambda: imresize(hr_cropped, 1.0 / scale, padding=convention)  # noqa: E731
    return GENERATED_LR_CACHE.get_or_make(key, lambda: _disk_cached("lr", key, make))


def load_derived_pairs(
    name: str,
    scale: int,
    tag: str,
    make_lr: Callable[[np.ndarray, int], np.ndarray],
    data_root: DataRootLike = None,
    verify: bool = True,
) -> list[tuple[str, np.ndarray, np.ndarray]]:
    """(stem, LR, HR modcropped to ``scale``) with the LR made by ``make_lr(hr, scale)`` (a preset's own
    degradation, e.g. DeCoNAS's rounded float bicubic), cached in memory and on disk like generated LR.

    ``tag`` names the degradation in the cache key: change it whenever ``make_lr``'s output changes.
    """
    _, hr_items = _load_hr_with_paths(name, data_root, verify)
    pairs = []
    for path, hr in hr_items:
        hr = modcrop(hr, scale)
        key = (_content_sha(path), scale, tag, _LR_CACHE_VERSION)
        make = lambda hr=hr: make_lr(hr, scale)  # noqa: E731
        pairs.append((path.stem, GENERATED_LR_CACHE.get_or_make(key, lambda: _disk_cached("lr", key, make)), hr))
    flush_hashes()
    return pairs


def load_pairs(
    name: str,
    scale: int,
    lr_source: LRSource = "auto",
    convention: Convention = "symmetric",
    data_root: DataRootLike = None,
    verify: bool = True,
) -> list[tuple[str, np.ndarray, np.ndarray]]:
    """(stem, LR uint8, HR uint8 modcropped to ``scale``) per image; LR chosen by :func:`describe_lr`.

    Generated LR arrays are cached in memory and returned read-only.
    """
    choice = describe_lr(name, scale, lr_source, convention)
    root, hr_items = _load_hr_with_paths(name, data_root, verify)
    if choice.source == "disk":
        assert root is not None and choice.folder is not None
        if verify:
            verify_set(name, root, prefixes=(choice.folder + "/",)).raise_if_failed()
    pairs = []
    for path, hr in hr_items:
        hr = modcrop(hr, scale)
        if choice.source == "generate":
            lr = _generated_lr(path, hr, scale, choice.convention)
        else:
            lr_path = root / choice.folder / f"{path.stem}x{scale}.png"
            lr = read_image_cached(lr_path)
            if lr.shape[0] * scale != hr.shape[0] or lr.shape[1] * scale != hr.shape[1]:
                raise DatasetError(
                    f"{lr_path} is {lr.shape[1]}x{lr.shape[0]} but HR modcropped to x{scale} is "
                    f"{hr.shape[1]}x{hr.shape[0]}; the LR does not belong to this HR. Re-copy the set."
                )
        pairs.append((path.stem, lr, hr))
    flush_hashes()
    return pairs
