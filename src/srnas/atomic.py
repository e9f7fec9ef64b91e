"""One way to write a file so that a reader never sees half of it and a failure leaves nothing behind.

Every writer of the suite (records, weights, checkpoints, projections, caches) writes to a temporary file
beside the target and renames it over the target when complete. The temporary file is removed on any
failure: a full results disk once left a stray ``.train.*.tmp`` checkpoint behind a torch traceback. An
``OSError`` (full disk, no permission, a vanished folder) becomes a ``WriteError`` naming the file, the
free space left there and what to do; everything already written stays as it was.
"""
from __future__ import annotations

import contextlib
import errno
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from srnas.errors import WriteError


def _free_space(folder: Path) -> str:
    try:
        return f"{shutil.disk_usage(folder).free / 2**20:,.0f} MiB free there"
    except OSError:
        return "free space unknown"


def write_error(path: Path, exc: BaseException, resume_hint: str = "") -> WriteError:
    """The one-line error for a failed write of ``path``."""
    reason = os.strerror(exc.errno) if isinstance(exc, OSError) and exc.errno else str(exc).splitlines()[0]
    fix = ("free space or choose another --results folder, then rerun" if getattr(exc, "errno", None) == errno.ENOSPC
           else "check the folder exists and is writable, then rerun")
    err = WriteError(f"could not write {path}: {reason} ({_free_space(path.parent)}); {fix}"
                     + (f"; {resume_hint}" if resume_hint else ""))
    err.errno = getattr(exc, "errno", None)
    return err


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike, resume_hint: str = "") -> Iterator[Path]:
    """Yield a temporary path beside ``path``; when the block ends it replaces ``path`` atomically.

    On any exception the temporary file is removed; an ``OSError`` is raised as a ``WriteError``."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        os.close(fd)
    except OSError as exc:
        raise write_error(path, exc, resume_hint) from None
    try:
        yield Path(tmp)
        os.chmod(tmp, 0o644)  # mkstemp makes 0600; results are meant to be read by everyone
        os.replace(tmp, path)
    except WriteError:
        raise
    except OSError as exc:
        raise write_error(path, exc, resume_hint) from None
    finally:
        Path(tmp).unlink(missing_ok=True)


def write_text_atomic(path: str | os.PathLike, text: str, resume_hint: str = "") -> None:
    """Write ``text`` to ``path`` through :func:`atomic_path`: a reader, or a kill mid-write, never sees half a
    file. The one form of every page, JSON record beside it, cache and state file the suite writes whole."""
    with atomic_path(path, resume_hint) as tmp:
        tmp.write_text(text)
