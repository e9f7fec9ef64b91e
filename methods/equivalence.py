"""Source equivalence: a plugin's ledger of code changes proven not to change a run.

Every run record keeps the sha256 of its plugin's source (:func:`srnas.methods.plugin_provenance`), so a
record made by other plugin code reads "stale" instead of being reused as "already done". That rule is right
for a change of behaviour, and too strict for a refactor: moving a default into one place, or adding a probe
variant to ``profiles.json``, changes the hash of code that computes the same bits, and would stale hours of
records.

A plugin therefore keeps a ledger beside its source, ``source_equivalence.json`` (its folder; the flat in-repo
plugins share the registry folder's file), keyed by plugin name::

    {"deconas": [{"from": "<sha256 before>", "to": "<sha256 after>", "change": "why the code changed",
                  "evidence": [{"before": "results/runs/.../seed5-<hash>.json",
                                "after": "results/equivalence/runs/.../seed5-<hash>.json"}]}]}

An entry says: records made by source ``from`` stand for source ``to``. It is only as good as its evidence,
a committed record of one unit made by ``from`` and a rerun of the same unit made by ``to`` from a clean
commit, with the same config hash, genotype, weights sha256 and per-image metrics. ``tests/test_equivalence.py``
checks every entry's evidence over the registry, so an entry that claims more than a rerun showed fails CI.
The ledger file is left out of the source hash (an entry names the hash of the code it sits beside).
"""
from __future__ import annotations

import json
import math
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from srnas.errors import SrnasError

LEDGER_FILE = "source_equivalence.json"


@dataclass(frozen=True)
class Evidence:
    """One unit run by both sources: the record made by ``from`` and the rerun made by ``to`` (paths from the
    repository root)."""

    before: str
    after: str


@dataclass(frozen=True)
class Equivalence:
    """Records made by plugin source ``source_from`` stand for ``source_to`` (see the module docstring)."""

    method: str
    source_from: str
    source_to: str
    change: str
    evidence: tuple[Evidence, ...]
    ledger: Path


class LedgerError(SrnasError, ValueError):
    """A ledger file that cannot be read as entries; names the file and what to fix (a bad-input error: the
    CLI prints it on one line)."""


def ledger_path(plugin_file: Path) -> Path:
    """Where the ledger of the plugin whose class lives in ``plugin_file`` is: beside the module of a flat
    plugin (shared by the flat plugins of that folder), in the folder of a folder plugin."""
    return plugin_file.parent / LEDGER_FILE


def read_ledger(path: Path, method: str) -> tuple[Equivalence, ...]:
    """The entries of ``method`` in the ledger at ``path`` (none when the file does not exist)."""
    if not path.is_file():
        return ()
    try:
        data = json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise LedgerError(f"{path}: not JSON ({exc}); fix the file or remove the broken entry") from exc
    entries = data.get(method, []) if isinstance(data, dict) else None
    if not isinstance(entries, list):
        raise LedgerError(f"{path}: expected {{plugin name: [entries]}}; see srnas.methods.equivalence")
    out = []
    for i, e in enumerate(entries):
        try:
            evidence = tuple(Evidence(str(x["before"]), str(x["after"])) for x in e["evidence"])
            out.append(Equivalence(method, str(e["from"]), str(e["to"]), str(e.get("change", "")), evidence, path))
        except (KeyError, TypeError) as exc:
            raise LedgerError(f"{path}: entry {i} of {method!r} lacks {exc}; an entry needs from, to, evidence "
                              "[{before, after}]") from exc
        if not evidence:
            raise LedgerError(f"{path}: entry {i} of {method!r} has no evidence; add a rerun that shows it")
    return tuple(out)


def equivalent(recorded: str, now: str, entries: Iterable[Equivalence]) -> bool:
    """Whether source ``recorded`` reaches ``now`` through the ledger's entries (a chain of proven refactors)."""
    edges: dict[str, set[str]] = {}
    for e in entries:
        edges.setdefault(e.source_from, set()).add(e.source_to)
    seen, frontier = {recorded}, [recorded]
    while frontier:
        for nxt in edges.get(frontier.pop(), ()):
            if nxt == now:
                return True
            if nxt not in seen:
                seen.add(nxt)
                frontier.append(nxt)
    return recorded == now


def _per_image(record: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {name: (m.get("images") or {}) for name, m in (record.get("metrics") or {}).items()}


def evidence_problems(entry: Equivalence, root: Path) -> list[str]:
    """What an entry's evidence fails to show (empty: it shows the equivalence). ``root``: the repository root
    the evidence paths are relative to. Compared: the two records' sources against the entry, the rerun's
    clean commit, the unit (method, variant, scale, profile, seed, config hash), the genotype, the weights
    sha256 and every per-image metric (exactly: the same code on the same CPU model gives the same bits)."""
    problems = []
    for ev in entry.evidence:
        try:
            before = json.loads((root / ev.before).read_text())
            after = json.loads((root / ev.after).read_text())
        except (OSError, json.JSONDecodeError) as exc:
            problems.append(f"{entry.ledger}: {ev.before} / {ev.after}: unreadable ({exc})")
            continue
        where = f"{entry.ledger}: {entry.method} {entry.source_from[:12]} -> {entry.source_to[:12]}, {ev.after}"
        src_before = (before.get("plugin") or {}).get("source_sha256")
        src_after = (after.get("plugin") or {}).get("source_sha256")
        if src_before != entry.source_from:
            problems.append(f"{where}: the record before was made by source {str(src_before)[:12]}, not 'from'")
        if src_after != entry.source_to:
            problems.append(f"{where}: the rerun was made by source {str(src_after)[:12]}, not 'to'")
        if (after.get("git") or {}).get("dirty", True):
            problems.append(f"{where}: the rerun was made from a dirty tree; rerun from a clean commit")
        for key in ("method", "variant", "scale", "profile", "seed", "config_hash", "genotype"):
            if before.get(key) != after.get(key):
                problems.append(f"{where}: {key} differs ({before.get(key)!r} vs {after.get(key)!r})")
        sha = [(r.get("weights") or {}).get("sha256") for r in (before, after)]
        if sha[0] != sha[1]:
            problems.append(f"{where}: weights sha256 differs ({str(sha[0])[:12]} vs {str(sha[1])[:12]})")
        images_before, images_after = _per_image(before), _per_image(after)
        if set(images_before) != set(images_after) or not images_before:
            problems.append(f"{where}: evaluated sets differ or are missing ({sorted(images_before)} vs {sorted(images_after)})")
            continue
        for name, images in images_before.items():
            other = images_after[name]
            for image, scores in images.items():
                if image not in other or any(not _same_number(scores[k], other[image].get(k)) for k in scores):
                    problems.append(f"{where}: {name}/{image} scores differ ({scores} vs {other.get(image)})")
                    break
    return problems


def _same_number(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    return a == b


__all__ = ["LEDGER_FILE", "Equivalence", "Evidence", "LedgerError", "ledger_path", "read_ledger", "equivalent",
           "evidence_problems"]
