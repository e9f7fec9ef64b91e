"""Download DIV2K HR archives: stream to a temp file, verify sha256, extract, rename into place atomically.

No checksum of the official archives was available offline, so the manifests hold ``sha256: null``.
A download therefore needs either a pinned hash (argument, manifest, or one recorded by an earlier
trusted download in ``<dest>/<archive>.sha256``) or an explicit ``trust_first_download=True``, which
records the hash it saw so every later download is checked against it (trust on first use).
"""
from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import urllib.error
import urllib.request
import zipfile
from dataclasses import dataclass
from pathlib import Path

from srnas.datasets.make_manifests import DIV2K_SPLITS
from srnas.datasets.registry import load_manifest
from srnas.errors import DatasetError


@dataclass(frozen=True)
class Download:
    path: Path  # the extracted HR folder
    sha256: str  # of the archive
    pinned_now: bool  # True when this download recorded the hash (trust on first use)


def _pin_file(dest: Path, archive: str) -> Path:
    return dest / f"{archive}.sha256"


def _expected_sha256(split: str, dest: Path, explicit: str | None) -> str | None:
    if explicit:
        return explicit.lower()
    pinned = load_manifest(f"DIV2K_{split}")["archive"]["sha256"]
    if pinned:
        return pinned
    pin = _pin_file(dest, DIV2K_SPLITS[split][0])
    return pin.read_text().split()[0] if pin.is_file() else None


def _stream(url: str, dest: Path) -> tuple[Path, str]:
    """Stream ``url`` into a temp file inside ``dest``, hashing as it goes."""
    fd, tmp = tempfile.mkstemp(dir=dest, prefix=".div2k-", suffix=".zip.part")
    h = hashlib.sha256()
    try:
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(url, timeout=60) as resp:
            for chunk in iter(lambda: resp.read(1 << 20), b""):
                h.update(chunk)
                out.write(chunk)
    except (urllib.error.URLError, OSError) as exc:
        os.unlink(tmp)
        raise DatasetError(f"download of {url} failed ({exc}); check the URL/network or pass --url") from None
    return Path(tmp), h.hexdigest()


def _extract(archive: Path, dest: Path, folder: str) -> Path:
    """Extract into a temp dir beside ``dest/folder``, then rename: a crash never leaves a half folder."""
    staging = Path(tempfile.mkdtemp(dir=dest, prefix=".div2k-extract-"))
    try:
        with zipfile.ZipFile(archive) as zf:
            for member in zf.namelist():
                if member.startswith(("/", "\\")) or ".." in Path(member).parts:
                    raise DatasetError(f"{archive} contains an unsafe path {member!r}; refusing to extract")
            zf.extractall(staging)
        if not (staging / folder).is_dir():
            raise DatasetError(f"archive does not contain the folder {folder}/; is the URL the right split?")
        target = dest / folder
        os.replace(staging / folder, target)
        return target
    except zipfile.BadZipFile:
        raise DatasetError("downloaded file is not a zip archive; check the URL") from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def download_div2k(split: str, dest: str | os.PathLike, url: str | None = None, sha256: str | None = None,
                   trust_first_download: bool = False) -> Download:
    """Fetch DIV2K ``split`` ("train" = 0001-0800, "valid" = 0801-0900) HR into ``dest/DIV2K_<split>_HR``."""
    if split not in DIV2K_SPLITS:
        raise DatasetError(f"DIV2K split must be one of {', '.join(DIV2K_SPLITS)}, not {split!r}")
    archive_name, folder, _, _ = DIV2K_SPLITS[split]
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    if (dest / folder).exists():
        raise DatasetError(f"{dest / folder} already exists; remove it to download again")
    expected = _expected_sha256(split, dest, sha256)
    if expected is None and not trust_first_download:
        raise DatasetError(
            f"no pinned sha256 for {archive_name} (manifest, --sha256 or {_pin_file(dest, archive_name)}). "
            "Fix: pass --sha256 HASH, or --trust-first-download to record the hash of this download."
        )
    url = url or load_manifest(f"DIV2K_{split}")["archive"]["url"]
    tmp, actual = _stream(url, dest)
    try:
        if expected is not None and actual != expected:
            raise DatasetError(
                f"checksum mismatch for {archive_name} from {url}: sha256 {actual}, expected {expected}. "
                "The download is corrupt or the archive changed upstream; it was discarded."
            )
        path = _extract(tmp, dest, folder)
    finally:
        tmp.unlink(missing_ok=True)
    pinned_now = expected is None
    if pinned_now:
        _pin_file(dest, archive_name).write_text(f"{actual}  {archive_name}\n")
    return Download(path, actual, pinned_now)
