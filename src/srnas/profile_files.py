"""Profiles as data: each plugin's ``profiles.json``, read and checked by one loader.

A researcher reads a plugin's schedule in one file instead of Python dict merges, and every number of its
``paper`` profile says where it comes from: ``sources.paper`` maps each leaf path (``"search.epochs"``) to
the paper section/table or the official code's file and flag, or starts with ``[inferred]`` and says why
when neither states it. A paper number without a source, or a source for a number that is not there,
is an error naming the file and the path, so the two cannot drift apart.

File layout::

    {"about": "...",
     "profiles": {"paper": {<section>: {...}}, "short": {...}, "smoke": {...}},
     "sources": {"paper": {"search.epochs": "README search command --epoch 400", ...}}}

JSON (not TOML) because configs hold ``null`` ("unset") values that TOML cannot write.
"""
from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from srnas.errors import ConfigError
from srnas.profiles import PROFILE_NAMES, SECTIONS

INFERRED = "[inferred]"
#: profiles whose every number needs a source: the paper's schedule, and the equal-budget comparison's (its
#: numbers decide the page's findings: each is the paper's own value with its source, or an [inferred] CPU
#: choice that states the paper's value next to it, e.g. HNAS's controller lr 10x the official 3e-4)
SOURCED = ("paper", "compare")


@dataclass(frozen=True)
class ProfileFile:
    path: Path
    about: str
    profiles: dict[str, dict[str, Any]]
    sources: dict[str, dict[str, str]]

    def profile(self, name: str) -> dict[str, Any]:
        if name not in self.profiles:
            raise KeyError(f"{self.path} has no profile {name!r}; it defines {', '.join(self.profiles)}")
        return copy.deepcopy(self.profiles[name])

    def inferred(self, name: str = "paper") -> list[str]:
        """Leaf paths of profile ``name`` whose value neither the paper nor the official code states."""
        return sorted(p for p, s in self.sources.get(name, {}).items() if s.startswith(INFERRED))


def leaf_paths(tree: dict[str, Any], prefix: str = "") -> list[str]:
    """Dotted paths of the leaves (non-dict values and empty dicts) of a nested dict."""
    out = []
    for key, value in tree.items():
        path = f"{prefix}.{key}" if prefix else key
        if isinstance(value, dict) and value:
            out += leaf_paths(value, path)
        else:
            out.append(path)
    return out


def check_profile_file(path: Path, doc: Any) -> None:
    """Raise :class:`ConfigError` naming ``path`` for the first structural or sourcing problem."""
    where = str(path)
    if not isinstance(doc, dict) or not isinstance(doc.get("profiles"), dict):
        raise ConfigError(f"{where}: expected an object with a 'profiles' object; see srnas/profile_files.py for the layout")
    unknown = sorted(set(doc) - {"about", "profiles", "sources"})
    if unknown:
        raise ConfigError(f"{where}: unknown top-level key(s) {', '.join(unknown)}; allowed: about, profiles, sources")
    for name, profile in doc["profiles"].items():
        if name not in PROFILE_NAMES:
            raise ConfigError(f"{where}: unknown profile {name!r}; profiles are {', '.join(PROFILE_NAMES)}")
        if not isinstance(profile, dict) or set(profile) - set(SECTIONS):
            bad = sorted(set(profile) - set(SECTIONS)) if isinstance(profile, dict) else profile
            raise ConfigError(f"{where}: profile {name!r} has unknown section(s) {bad}; sections are {', '.join(SECTIONS)}")
    sources = doc.get("sources", {})
    for name in SOURCED:
        if name not in doc["profiles"]:
            continue
        given = sources.get(name, {})
        leaves = leaf_paths(doc["profiles"][name])
        missing = [p for p in leaves if not isinstance(given.get(p), str) or not given[p].strip()]
        if missing:
            raise ConfigError(f"{where}: {name} value(s) without a source: {', '.join(missing)}; add them to sources.{name} "
                              f"(paper section/table or official code file and flag, or '{INFERRED} why')")
        stale = sorted(set(given) - set(leaves))
        if stale:
            raise ConfigError(f"{where}: sources.{name} names path(s) the profile does not set: {', '.join(stale)}; remove them or fix the path")


@lru_cache(maxsize=None)
def _load(path: Path, mtime_ns: int) -> ProfileFile:
    try:
        doc = json.loads(path.read_text())
    except json.JSONDecodeError as e:
        raise ConfigError(f"{path}: not valid JSON ({e}); fix the file") from None
    check_profile_file(path, doc)
    return ProfileFile(path, str(doc.get("about", "")), doc["profiles"], doc.get("sources", {}))


def load_profile_file(path: str | Path) -> ProfileFile:
    """Read and check a plugin's profile file (cached until the file changes)."""
    p = Path(path).resolve()
    if not p.is_file():
        raise ConfigError(f"{p}: profile file not found; a plugin with profiles_file set must ship it")
    return _load(p, p.stat().st_mtime_ns)
