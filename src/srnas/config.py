"""Run configs: nested dicts merged from base profile <- method profile <- variant <- CLI overrides.

A resolved config is hashed (sorted JSON, sha256) so every run record is keyed by exactly what ran.
"""
from __future__ import annotations

import copy
import hashlib
import json
from pathlib import Path
from typing import Any

from srnas.errors import ConfigError


def deep_merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """A new dict: ``override`` merged into ``base`` recursively (dicts merge, everything else replaces)."""
    out = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def parse_override(text: str) -> dict[str, Any]:
    """``"train.steps=200"`` -> ``{"train": {"steps": 200}}``; values parse as JSON, else as strings."""
    key, sep, raw = text.partition("=")
    if not sep or not key:
        raise ConfigError(f"bad override {text!r}: expected KEY.PATH=VALUE, e.g. train.steps=200")
    try:
        value: Any = json.loads(raw)
    except json.JSONDecodeError:
        value = raw
    out: dict[str, Any] = {}
    node = out
    parts = key.split(".")
    for part in parts[:-1]:
        node = node.setdefault(part, {})
    node[parts[-1]] = value
    return out


def overrides_from_file(path: str | Path) -> list[str]:
    """``--config FILE``: an experiment file of overrides (JSON; YAML when PyYAML is installed), nested by
    section like a profile, as ``KEY.PATH=VALUE`` strings that go through exactly the checks of ``--set``
    and come before them (``--set`` wins). Lists are values, not sections. The resolved config -- and its
    hash -- is the same as with the equivalent ``--set`` flags."""
    path = Path(path)
    try:
        text = path.read_text()
    except OSError as exc:
        raise ConfigError(f"--config {path}: cannot read it ({exc.strerror or exc}); pass an existing JSON or YAML file") from None
    if path.suffix.lower() in (".yaml", ".yml"):
        try:
            import yaml  # type: ignore[import-untyped]
        except ImportError:
            raise ConfigError(f"--config {path}: YAML needs PyYAML (pip install pyyaml), or write the file as JSON") from None
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise ConfigError(f"--config {path}: not valid YAML ({exc})") from None
    else:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ConfigError(f"--config {path}: not valid JSON ({exc}); e.g. {{\"train\": {{\"steps\": 200}}}}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"--config {path}: expected an object of sections (e.g. {{\"train\": {{\"steps\": 200}}}}), got {type(data).__name__}")

    def leaves(node: dict[str, Any], prefix: str) -> list[str]:
        out = []
        for key, value in node.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            if isinstance(value, dict) and value:
                out += leaves(value, name)
            elif prefix:
                out.append(f"{name}={json.dumps(value)}")
            else:
                raise ConfigError(f"--config {path}: top-level {key!r} must be a section object (data, train, search, model, options, eval)")
        return out

    return leaves(data, "")


def check_known_keys(config: dict[str, Any], reference: dict[str, Any], where: str = "") -> None:
    """Reject override keys that no profile defines: a typo must not silently do nothing."""
    for key, value in config.items():
        path = f"{where}.{key}" if where else key
        if key not in reference:
            known = ", ".join(sorted(reference)) or "(none)"
            raise ConfigError(f"unknown config key {path!r}; known keys here: {known}")
        if isinstance(value, dict) and isinstance(reference[key], dict) and reference[key]:
            check_known_keys(value, reference[key], path)


def config_hash(config: dict[str, Any]) -> str:
    """Short stable hash of a resolved config."""
    blob = json.dumps(config, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:12]


class OptionalKeys:
    """The config keys a plugin reads with a default when a config lacks them, each default stated once.

    Options added after runs were recorded are read this way, so the configs made before them (and their
    hashes) stay valid. ``Method.optional_config()`` returns :meth:`defaults` (what ``--set`` may name on
    any profile) and the plugin reads every such key through :meth:`read`, so the default an old config
    gets is the declared one by construction -- not a second literal at the read that can drift (#24).
    Reading an undeclared key through it is an error: declare it first."""

    def __init__(self, tree: dict[str, Any]) -> None:
        self._tree = copy.deepcopy(tree)

    def __or__(self, other: "OptionalKeys") -> "OptionalKeys":
        """Both sets of keys (a plugin's own and those of a shared loop it runs); ``other`` wins a clash."""
        return OptionalKeys(deep_merge(self._tree, other._tree))

    def defaults(self) -> dict[str, Any]:
        """The declared keys and defaults as {section: {key: default}} (nested sections nest), a copy."""
        return copy.deepcopy(self._tree)

    def read(self, config: dict[str, Any], path: str) -> Any:
        """The value at dotted ``path`` (``"options.arch_init"``, ``"search.random_ws.mode"``) of ``config``,
        or its declared default where the config lacks it."""
        *sections, key = path.split(".")
        declared: Any = self._tree
        for part in sections:
            declared = declared.get(part) if isinstance(declared, dict) else None
        if not isinstance(declared, dict) or key not in declared:
            raise KeyError(f"{path} is not a declared optional key; add it to the plugin's OptionalKeys")
        node: Any = config
        for part in sections:
            node = node.get(part) if isinstance(node, dict) else None
        if isinstance(node, dict) and key in node:
            return node[key]
        return copy.deepcopy(declared[key])
