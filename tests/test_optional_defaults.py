"""A plugin's optional config keys (options added after runs were recorded; old configs lack them and keep
their hashes) state their default once: in the plugin's :class:`srnas.config.OptionalKeys`, which
``Method.optional_config()`` returns (what ``--set`` may name on any profile) and through which the plugin
reads them (the default an old config gets). Before #24 each default was also written at its read,
``section.get("key", default)``, and the two could drift, making an old record's config mean one thing to
the code and another to ``--set``. This reads every plugin's source over the registry: no declared optional
key is read around the accessor."""
from __future__ import annotations

import ast
import inspect
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from srnas.config import OptionalKeys
from srnas.methods import get_method, list_methods


def _leaves(tree: dict[str, Any], path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    for key, value in tree.items():
        if isinstance(value, dict):
            yield from _leaves(value, (*path, key))
        else:
            yield (*path, key), value


def _plugin_files(method: Any) -> list[Path]:
    """The plugin's folder (methods/<name>/*.py), or its one file for a flat plugin."""
    source = Path(inspect.getfile(type(method)))
    return sorted(source.parent.glob("*.py")) if source.parent.name != "methods" else [source]


def _get_reads(files: list[Path], keys: set[str]) -> Iterator[tuple[str, int, str]]:
    """(file, line, key) of every ``x.get("key")`` / ``x.get("key", default)`` call on one of ``keys``."""
    for path in files:
        for node in ast.walk(ast.parse(path.read_text())):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "get"
                    and node.args and isinstance(node.args[0], ast.Constant) and node.args[0].value in keys):
                yield path.name, node.lineno, node.args[0].value


@pytest.mark.parametrize("name", list_methods())
def test_no_declared_optional_key_is_read_around_the_accessor(name):
    method = get_method(name)
    declared = {path[-1] for path, _ in _leaves(method.optional_config())}
    around = [f"{file}:{line} reads {key!r} with .get(); read it through the plugin's OptionalKeys"
              for file, line, key in _get_reads(_plugin_files(method), declared)]
    assert not around, "; ".join(around)


@pytest.mark.parametrize("name", list_methods())
def test_every_declared_default_is_what_a_config_without_it_reads(name):
    """The accessor the plugin reads through answers an old config (the key absent) with the declared default."""
    method = get_method(name)
    keys = OptionalKeys(method.optional_config())
    for path, default in _leaves(method.optional_config()):
        assert keys.read({}, ".".join(path)) == default


def test_the_reader_finds_a_read_around_the_accessor(tmp_path):
    """The check can fail: a declared key read with .get (with or without a default) is found."""
    source = tmp_path / "plugin.py"
    source.write_text('def f(cfg):\n    return cfg["options"].get("arch_init", "ones"), cfg.get("arch_init"), cfg.get("other", 1)\n')
    assert list(_get_reads([source], {"arch_init"})) == [("plugin.py", 2, "arch_init")] * 2


def test_optional_keys_read_the_config_else_the_declared_default():
    keys = OptionalKeys({"options": {"mode": "a", "betas": [0.9, 0.999]}, "search": {"random_ws": {"rank_by": "psnr"}}})
    assert keys.read({"options": {"mode": "b"}}, "options.mode") == "b"
    assert keys.read({"options": {}}, "options.mode") == "a" and keys.read({}, "options.mode") == "a"
    assert keys.read({"options": {"mode": None}}, "options.mode") is None  # a stated null is the config's value
    assert keys.read({"search": {"random_ws": {"rank_by": "objective"}}}, "search.random_ws.rank_by") == "objective"
    assert keys.read({"search": {}}, "search.random_ws.rank_by") == "psnr"
    keys.read({}, "options.betas").append(1.0)  # a caller mutating a default changes nothing declared
    assert keys.defaults()["options"]["betas"] == [0.9, 0.999]
    with pytest.raises(KeyError, match="options.other is not a declared optional key"):
        keys.read({"options": {"other": 1}}, "options.other")


def test_a_record_names_the_defaults_its_config_left_out():
    """Issue 24: defaults are filled in after hashing and written to the record outside the hash, so a
    changed default stays visible. A key the config sets is not listed; one it leaves out is, with the
    value the code reads in its place; the config (and its hash) never carries them."""
    from srnas.config import config_hash
    from srnas.harness.execution.config import applied_defaults, resolve_config

    method = get_method("hnas")
    config = resolve_config(method, "smoke", 2)
    applied = applied_defaults(method, config)
    assert applied["options.reward_psnr"] == "per-image" and applied["train.amp"] == "off"
    assert "reward_psnr" not in config["options"]
    chosen = resolve_config(method, "smoke", 2, overrides=["options.reward_psnr=batch"])
    assert "options.reward_psnr" not in applied_defaults(method, chosen) and config_hash(chosen) != config_hash(config)
    # every plugin: the listed defaults are exactly its declared optional keys the config leaves out
    for name in list_methods():
        m = get_method(name)
        cfg = resolve_config(m, "smoke", 2)
        for key in applied_defaults(m, cfg):
            section, *rest = key.split(".")
            node: Any = cfg.get(section, {})
            for part in rest[:-1]:
                node = node.get(part, {}) if isinstance(node, dict) else {}
            assert not (isinstance(node, dict) and rest[-1] in node), (name, key)
