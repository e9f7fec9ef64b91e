"""Per-unit leases: two workers (processes, machines, SLURM array tasks) never run the same unit at once.

A lease is a small JSON file created with ``O_CREAT | O_EXCL`` (atomic, also on NFS v3+) holding who
runs the unit — host, pid, owner, start time — and a heartbeat that a background thread refreshes. A
lease is *stale*, and may be taken over, when its process is dead on this host, when its heartbeat is
older than ``stale_after_s``, or when it belongs to an earlier attempt of the same SLURM task (a requeued
job). A taken-over unit resumes from its checkpoints. The takeover itself is serialised by a second
``O_EXCL`` file, so two workers that both see a stale lease cannot both take it.
"""
from __future__ import annotations

import json
import os
import socket
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from collections.abc import Callable
from typing import Any

DEFAULT_STALE_AFTER_S = 300.0
#: seconds between heartbeats (``SRNAS_LEASE_HEARTBEAT_S`` overrides it, e.g. for a test that watches progress)
HEARTBEAT_S = float(os.environ.get("SRNAS_LEASE_HEARTBEAT_S", "15"))


def lease_path(results: Path, key: Path) -> Path:
    return Path(results) / "leases" / key.parent / f"{key.name}.lease"


def owner_id() -> str:
    """The SLURM array task (stable across requeues of that task), else host:pid."""
    job = os.environ.get("SLURM_ARRAY_JOB_ID") or os.environ.get("SLURM_JOB_ID")
    if job:
        return f"slurm:{job}_{os.environ.get('SLURM_ARRAY_TASK_ID', '')}"
    return f"{socket.gethostname()}:{os.getpid()}"


def read_lease(path: Path) -> dict[str, Any] | None:
    """The holder's info; ``{}`` for a lease being written right now; None when there is no lease."""
    try:
        return json.loads(path.read_text() or "{}")
    except FileNotFoundError:
        return None
    except (OSError, ValueError):
        return {}


def pid_alive(pid: int) -> bool:
    """Whether a process with this pid exists on this host."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def is_stale(holder: dict[str, Any], path: Path, stale_after_s: float = DEFAULT_STALE_AFTER_S) -> bool:
    now = time.time()
    if not holder:  # empty or unreadable: stale only once it has not been touched for the timeout
        try:
            return now - path.stat().st_mtime > stale_after_s
        except FileNotFoundError:
            return True
    if holder.get("owner") == owner_id() and holder.get("pid") != os.getpid():
        return True  # an earlier attempt of this very SLURM task (requeued), or a reused pid's leftover
    if holder.get("host") == socket.gethostname() and not pid_alive(int(holder.get("pid", -1))):
        return True
    return now - float(holder.get("heartbeat", 0.0)) > stale_after_s


@dataclass
class Lease:
    """A held lease; refreshes its heartbeat in a daemon thread until released."""

    path: Path
    info: dict[str, Any]
    heartbeat_s: float = HEARTBEAT_S
    _stop: threading.Event = field(default_factory=threading.Event, repr=False)
    #: what the unit is doing (phase, step/total, recent loss, steps/s, ETA), written with every heartbeat
    progress: Callable[[], dict[str, Any]] | None = None

    def start(self) -> "Lease":
        threading.Thread(target=self._beat, name=f"lease-{self.path.name}", daemon=True).start()
        return self

    def _beat(self) -> None:
        while not self._stop.wait(self.heartbeat_s):
            self.beat()

    def beat(self) -> None:
        """Refresh the heartbeat (only while the lease is still ours)."""
        holder = read_lease(self.path)
        if not holder or holder.get("token") != self.info["token"]:
            return
        self.info["heartbeat"] = time.time()
        if self.progress is not None:
            try:
                self.info["progress"] = self.progress()
            except Exception:  # noqa: BLE001 - progress is informative; the heartbeat must never fail over it
                pass
        tmp = self.path.with_name(f".{self.path.name}.{self.info['token']}.tmp")
        tmp.write_text(json.dumps(self.info))
        os.replace(tmp, self.path)

    def release(self) -> None:
        self._stop.set()
        holder = read_lease(self.path)
        if holder and holder.get("token") == self.info["token"]:
            self.path.unlink(missing_ok=True)


def _create(path: Path, info: dict[str, Any]) -> bool:
    try:
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
    except FileExistsError:
        return False
    with os.fdopen(fd, "w") as fh:
        json.dump(info, fh)
        fh.flush()
        os.fsync(fh.fileno())
    return True


def _take_over(path: Path, stale: dict[str, Any], stale_after_s: float) -> None:
    """Remove a stale lease, unless another worker already replaced it (serialised by ``.takeover``)."""
    guard = path.with_name(path.name + ".takeover")
    if guard.exists() and time.time() - guard.stat().st_mtime > 60:
        guard.unlink(missing_ok=True)  # a taker that died inside this millisecond-long section
    if not _create(guard, {"pid": os.getpid()}):
        return
    try:
        now = read_lease(path)
        if now is not None and now.get("token") == stale.get("token") and is_stale(now, path, stale_after_s):
            path.unlink(missing_ok=True)
    finally:
        guard.unlink(missing_ok=True)


def acquire(path: Path, stale_after_s: float = DEFAULT_STALE_AFTER_S, heartbeat_s: float = HEARTBEAT_S) -> Lease | None:
    """The lease on one unit, or None when a live worker holds it. A stale lease is taken over."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    now = time.time()
    info = {"host": socket.gethostname(), "pid": os.getpid(), "owner": owner_id(), "token": uuid.uuid4().hex,
            "started_utc": datetime.now(timezone.utc).isoformat(timespec="seconds"), "heartbeat": now}
    for _ in range(3):
        if _create(path, info):
            return Lease(path, info, heartbeat_s).start()
        holder = read_lease(path)
        if holder is None:
            continue  # released between our create and read: try again
        if not is_stale(holder, path, stale_after_s):
            return None
        _take_over(path, holder, stale_after_s)
    return None
