"""Checksum verification against the committed manifests, with a cache so unchanged files are hashed once.

The cache maps an absolute path to (size, mtime_ns, sha256). A file whose size and mtime are unchanged
is trusted to have the cached hash; anything else is re-hashed. The cached value is a *computed* hash,
always compared against the manifest, so a stale or edited cache cannot make a corrupt file pass
unnoticed unless the file was altered without changing its size or mtime.
"""
from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass, field
from pathlib import Path

from srnas.atomic import write_text_atomic
from srnas.datasets.paths import cache_dir
from srnas.datasets.registry import get_spec, load_manifest
from srnas.errors import DatasetError

_CACHE_NAME = "sha256.json"


def pixel_sha256(path: Path) -> str:
    """SHA-256 of an image's decoded pixels (uint8 HxWx3, row-major): equal for any lossless re-encoding."""
    import numpy as np
    from PIL import Image

    with Image.open(path) as im:
        return hashlib.sha256(np.ascontiguousarray(np.asarray(im.convert("RGB"), dtype=np.uint8)).tobytes()).hexdigest()


def sha256_file(path: Path) -> str:
    """Streamed sha256 of a file (module-level so tests can count calls)."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


class HashCache:
    """JSON-backed path -> (size, mtime_ns, sha256) map, written atomically."""

    def __init__(self, path: Path | None = None):
        self.path = path or cache_dir() / _CACHE_NAME
        try:
            self.entries: dict[str, list] = json.loads(self.path.read_text())
        except (OSError, ValueError):
            self.entries = {}
        self.dirty = False
        self._saved_at = time.monotonic()

    def sha256(self, path: Path, pixels: bool = False) -> str:
        """The file's sha256, or with ``pixels`` that of its decoded pixels (:func:`pixel_sha256`)."""
        st = path.stat()
        key = ("pixels:" if pixels else "") + str(path.resolve())
        hit = self.entries.get(key)
        if hit and hit[0] == st.st_size and hit[1] == st.st_mtime_ns:
            return hit[2]
        digest = pixel_sha256(path) if pixels else sha256_file(path)
        self.entries[key] = [st.st_size, st.st_mtime_ns, digest]
        self.dirty = True
        return digest

    def save(self) -> None:
        """Best effort: a read-only cache location only costs re-hashing next time."""
        if not self.dirty:
            return
        try:
            write_text_atomic(self.path, json.dumps(self.entries))
            self.dirty = False
            self._saved_at = time.monotonic()
        except OSError:
            pass

    def save_if_stale(self, seconds: float = 5.0) -> None:
        """Save when unsaved hashes are older than ``seconds``: one write per set or per few seconds instead of
        one per image (re-dumping the whole JSON after each of 800 images was quadratic, 27 s of a fixture)."""
        if self.dirty and time.monotonic() - self._saved_at >= seconds:
            self.save()


@dataclass
class VerifyReport:
    """Result of checking one set: what was checked and every problem found (empty = OK)."""

    name: str
    checked: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def raise_if_failed(self) -> None:
        if self.problems:
            spec = get_spec(self.name)
            shown = "; ".join(self.problems[:3]) + (f"; ... {len(self.problems) - 3} more" if len(self.problems) > 3 else "")
            raise DatasetError(f"{self.name}: {shown}. To obtain it: {spec.obtain}")


def _count_only(name: str, hr_dir: Path, expected: int) -> VerifyReport:
    report = VerifyReport(name)
    pngs = sorted(hr_dir.glob("*.png")) if hr_dir.is_dir() else []
    report.checked = len(pngs)
    if len(pngs) != expected:
        report.problems.append(f"expected {expected} PNG files in {hr_dir}, found {len(pngs)}")
    return report


def _verify_pages(name: str, hr_dir: Path, manifest: dict, cache: HashCache) -> VerifyReport:
    """A user's copy of a set that ships no files (Manga109): the page count, then each page's decoded
    pixels against the full-page hash or the GTmod12 hash; the first page that matches neither is named."""
    report = _count_only(name, hr_dir, manifest["file_count"])
    if not report.ok:
        return report
    report.checked = 0
    for page in manifest["pages"]:
        path = hr_dir / page["name"]
        report.checked += 1
        if not path.is_file():
            report.problems.append(f"missing page {path} (expected the {manifest['file_count']} pages named in the manifest)")
            return report
        digest = cache.sha256(path, pixels=True)
        if digest not in (page["pixel_sha256"], page["pixel_sha256_mod12"]):
            report.problems.append(
                f"page {path} matches neither the full page ({page['width']}x{page['height']}) nor its crop to a multiple "
                "of 12 (GTmod12): a different or damaged copy; replace it with the original RGB page")
            return report
    cache.save()
    return report


def verify_set(name: str, root: Path, prefixes: tuple[str, ...] | None = None, hr_dir: Path | None = None,
               cache: HashCache | None = None) -> VerifyReport:
    """Check the files of ``name`` under ``root`` (only paths starting with one of ``prefixes`` if given).

    Files with a manifest sha256 are hashed (cached); files without one are only checked to exist; a
    user-supplied set (Manga109: no file list) is checked page by page against its pixel hashes.
    """
    manifest = load_manifest(name)
    cache = cache or HashCache()
    if manifest["files"] is None:
        hr = hr_dir or root / get_spec(name).hr_dir
        if manifest.get("pages"):
            return _verify_pages(name, hr, manifest, cache)
        return _count_only(name, hr, manifest["file_count"])
    report = VerifyReport(name)
    set_dir = root / get_spec(name).folder
    if not set_dir.is_dir():
        report.problems.append(f"{name} is not under {root} (no folder {set_dir})")
        return report
    for entry in manifest["files"]:
        if prefixes is not None and not entry["path"].startswith(prefixes):
            continue
        path = root / entry["path"]
        report.checked += 1
        if not path.is_file():
            report.problems.append(f"missing file {path}")
            continue
        if entry["sha256"] is None:
            continue
        actual = cache.sha256(path)
        if actual != entry["sha256"]:
            report.problems.append(
                f"corrupt file {path}: sha256 {actual} ({path.stat().st_size} bytes), "
                f"expected {entry['sha256']} ({entry['bytes']} bytes)"
            )
    cache.save()
    return report
