"""Run records: one immutable, self-checking JSON file per (method, variant, scale, profile, seed, config).

A record carries the sha256 of its own content, so a half-written, truncated or hand-edited file is
detected when read (``RecordError``) instead of silently entering a table. Records are published with an
atomic create-if-absent (a hard link of the sealed temp file, safe on NFS) and never overwritten: a
finished run's record is the proof it finished, and of two writers finishing the same unit exactly one
publishes, the other is told the unit was already finished.

Aggregation keys records by their content: a record is accepted only at the path its own (method,
variant, scale, profile, seed, config hash) names, so a copy or a renamed file can never count twice.
Defective or stray files are reported (file, reason, fix) and left out; the rest of the store stays usable.
"""
from __future__ import annotations

import hashlib
import json
import os
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from srnas.atomic import write_error
from srnas.errors import RecordError

SCHEMA_VERSION = 1
REQUIRED_FIELDS = ("schema", "status", "method", "variant", "scale", "profile", "seed", "config_hash", "config", "metrics")


def run_key(method: str, variant: str, scale: int, profile: str, seed: int, config_hash: str) -> Path:
    """Relative path shared by a run's record (``<key>.json``) and its checkpoint folder (``<key>/``)."""
    return Path(method) / variant / f"x{scale}" / profile / f"seed{seed}-{config_hash}"


def record_path(results: Path, key: Path) -> Path:
    return Path(results) / "runs" / key.parent / f"{key.name}.json"


def checkpoint_dir(results: Path, key: Path) -> Path:
    return Path(results) / "checkpoints" / key


def _digest(record: dict[str, Any]) -> str:
    body = {k: v for k, v in record.items() if k != "sha256"}
    blob = json.dumps(body, sort_keys=True, separators=(",", ":"), allow_nan=False)
    return hashlib.sha256(blob.encode()).hexdigest()


def seal(record: dict[str, Any]) -> dict[str, Any]:
    """The record with schema/status set and its content hash added."""
    body = {**record, "schema": SCHEMA_VERSION, "status": "complete"}
    body.pop("sha256", None)
    return {**body, "sha256": _digest(body)}


class RecordExists(RecordError):
    """Another writer already published this unit's record (the unit is finished; nothing was overwritten)."""


def write_record(path: Path, record: dict[str, Any]) -> dict[str, Any]:
    """Seal ``record`` and publish it at ``path`` only if no record is there yet.

    The sealed JSON is written and fsynced to a temp file in the same folder, then hard-linked to
    ``path``: ``link`` fails if ``path`` exists, atomically, also on NFS (unlike exists-then-rename,
    which lets two writers both "succeed" and one overwrite the other). The loser gets ``RecordExists``.
    """
    path = Path(path)
    if path.exists():
        raise RecordExists(f"{path}: a record already exists; records are never overwritten (delete it to rerun)")
    sealed = seal(record)
    hint = "the run's checkpoints and weights are kept: rerun the same command to write its record"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}.", suffix=".tmp")
    except OSError as exc:
        raise write_error(path, exc, hint) from None
    try:
        with os.fdopen(fd, "w") as fh:
            json.dump(sealed, fh, indent=1, sort_keys=True, allow_nan=False)
            fh.write("\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)  # mkstemp makes 0600; records are meant to be read by everyone
        try:
            os.link(tmp, path)
        except FileExistsError:
            raise RecordExists(f"{path}: another run finished this unit first; its record stands") from None
    except OSError as exc:  # a full disk, a vanished folder: one line, and nothing half-written is left
        raise write_error(path, exc, hint) from None
    finally:
        Path(tmp).unlink(missing_ok=True)
    return sealed


def load_record(path: Path) -> dict[str, Any]:
    """Read and verify a record; any defect raises ``RecordError`` naming the file and the fix."""
    path = Path(path)
    fix = "delete it and rerun the run to regenerate it"
    try:
        record = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise RecordError(f"{path}: unreadable run record ({exc.__class__.__name__}: {exc}); {fix}") from None
    if not isinstance(record, dict):
        raise RecordError(f"{path}: run record is not a JSON object; {fix}")
    missing = [f for f in (*REQUIRED_FIELDS, "sha256") if f not in record]
    if missing:
        raise RecordError(f"{path}: run record lacks {', '.join(missing)} (half-written?); {fix}")
    if record["schema"] != SCHEMA_VERSION:
        raise RecordError(f"{path}: record schema {record['schema']!r}, this srnas reads {SCHEMA_VERSION}; {fix}")
    if record["status"] != "complete":
        raise RecordError(f"{path}: record status {record['status']!r} is not 'complete'; {fix}")
    if record["sha256"] != _digest(record):
        raise RecordError(f"{path}: content does not match its sha256 (corrupt or edited by hand); {fix}")
    inconsistent = metric_inconsistency(record)
    if inconsistent:
        raise RecordError(f"{path}: {inconsistent} -- the record was edited (the seal is a checksum anyone can "
                          f"recompute, so consistency is checked too); {fix}")
    return record


def metric_inconsistency(record: dict[str, Any]) -> str | None:
    """Why a record's numbers disagree with each other, or None: each set's PSNR/SSIM must be the mean of its
    per-image scores (the evaluation computes it so; an edited mean is caught even when re-sealed)."""
    import numpy as np

    for dataset, m in (record.get("metrics") or {}).items():
        images = m.get("images") if isinstance(m, dict) else None
        if not images:
            continue
        for key in ("psnr", "ssim"):
            if key not in m:
                continue
            mean = float(np.mean([float(v[key]) for v in images.values()]))
            if abs(mean - float(m[key])) > 1e-9 * max(1.0, abs(mean)):
                return (f"{dataset} {key.upper()} {m[key]!r} is not the mean of its {len(images)} per-image scores "
                        f"({mean!r})")
    return None


def iter_record_paths(results: Path) -> Iterator[Path]:
    """Every record file under ``results/runs`` in a stable order; temp files (``.x.tmp``) and folders
    named ``_*`` or ``.*`` (scratch space) are skipped."""
    root = Path(results) / "runs"
    if root.is_dir():
        for path in sorted(root.rglob("*.json")):
            if not any(part.startswith((".", "_")) for part in path.relative_to(root).parts):
                yield path


@dataclass(frozen=True)
class RecordProblem:
    """A file under ``runs/`` that was left out of aggregation, and why."""

    path: Path
    reason: str

    @property
    def judged(self) -> bool:
        """True when the file sits where a ``paper``-profile record (a judged one) would."""
        return "paper" in self.path.parts[-2:-1]

    def __str__(self) -> str:
        return f"skipped {self.path}: {self.reason}"


def expected_path(results: Path, record: dict[str, Any]) -> Path:
    """Where a record's own content says it belongs."""
    key = run_key(record["method"], record["variant"], record["scale"], record["profile"], record["seed"], record["config_hash"])
    return record_path(results, key)


def scan_records(results: Path) -> tuple[list[dict[str, Any]], list[RecordProblem]]:
    """Every valid record under ``results`` once, plus the files left out (defective, stray, misplaced)."""
    out, problems = [], []
    for path in iter_record_paths(results):
        try:
            record = load_record(path)
        except RecordError as exc:
            problems.append(RecordProblem(path, str(exc).removeprefix(f"{path}: ")))
            continue
        home = expected_path(results, record)
        if path.resolve() != home.resolve():
            problems.append(RecordProblem(path, f"its content is the record of {home.relative_to(Path(results) / 'runs')} "
                                                "(a copy or a renamed file); it is never counted. Delete it"))
            continue
        record["_path"] = str(path)
        out.append(record)
    return out, problems


def load_records(results: Path, warn: bool = True) -> list[dict[str, Any]]:
    """Every valid record under ``results``; files left out are reported on stderr (see :func:`scan_records`)."""
    records, problems = scan_records(results)
    if warn:
        for problem in problems:
            print(f"warning: {problem}", file=sys.stderr)
    return records
