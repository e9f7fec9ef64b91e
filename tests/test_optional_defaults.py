"""A plugin's optional config keys state their default twice: in ``Method.optional_config()`` (what ``--set``
may name on any profile) and at the place the code reads them, ``section.get("key", default)`` (what a
config made before the option gets). Until the plugins read through one accessor (#24), the two must agree:
this reads every plugin's source over the registry and compares each literal read-default of a declared
optional key with the declared one. A drift would make an old record's config mean one thing to the code
and another to ``--set``."""
from __future__ import annotations

import ast
import inspect
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

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


def _read_defaults(files: list[Path], keys: set[str]) -> Iterator[tuple[str, int, str, Any]]:
    """(file, line, key, default) of every ``x.get("key", <literal>)`` call on one of ``keys``."""
    for path in files:
        for node in ast.walk(ast.parse(path.read_text())):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "get"
                    and len(node.args) == 2 and isinstance(node.args[0], ast.Constant) and node.args[0].value in keys):
                try:
                    default = ast.literal_eval(node.args[1])
                except ValueError:  # a computed default: not a second statement of a literal
                    continue
                yield path.name, node.lineno, node.args[0].value, default


def _same(read: Any, declared: Any) -> bool:
    return read == declared or (isinstance(declared, list) and tuple(declared) == read)


@pytest.mark.parametrize("name", list_methods())
def test_every_read_default_of_an_optional_key_is_the_declared_one(name):
    method = get_method(name)
    declared: dict[str, list[Any]] = {}
    for path, value in _leaves(method.optional_config()):
        declared.setdefault(path[-1], []).append(value)
    drift = [f"{file}:{line} reads {key!r} with default {default!r}, optional_config() declares {declared[key]!r}"
             for file, line, key, default in _read_defaults(_plugin_files(method), set(declared))
             if not any(_same(default, d) for d in declared[key])]
    assert not drift, "; ".join(drift)


def test_the_reader_finds_a_drift(tmp_path):
    """The check can fail: a read default that differs from the declared one is found."""
    source = tmp_path / "plugin.py"
    source.write_text('def f(cfg):\n    return cfg["options"].get("arch_init", "ones"), cfg.get("other", 1)\n')
    assert list(_read_defaults([source], {"arch_init"})) == [("plugin.py", 2, "arch_init", "ones")]
    assert not _same("ones", "randn") and _same((0.9, 0.999), [0.9, 0.999])
