"""The harness knows plugins only through the registry: no plugin name as a string literal and no import of
a plugin's own modules anywhere in ``src/srnas/harness/`` (issue: one folder, one method).

Before, the comparison's spaces, the diagnostics' key choices, HiNAS's claim measures and the tables'
reference row were chosen by name; a new plugin needed edits there and silently missed pages when one was
forgotten. Prose (a string with a space) may name a paper; an identifier-like string may not.
"""
from __future__ import annotations

import ast
from pathlib import Path

from srnas.methods import list_methods

HARNESS = Path(__file__).resolve().parents[1] / "src" / "srnas" / "harness"


def _names_in(text: str, names: list[str]) -> list[str]:
    """The plugin names ``text`` is, or starts as an identifier with (``hinas-...``, ``hnas/...``)."""
    if " " in text:
        return []
    return [n for n in names if text == n or any(text.startswith(n + sep) for sep in "-/_.:")]


def test_no_plugin_name_literal_in_the_harness():
    names = list_methods()
    assert {"hnas", "hinas", "trilevel", "deconas", "bicubic", "random"} <= set(names)
    found = []
    for path in sorted(HARNESS.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and _names_in(node.value, names):
                found.append(f"{path.name}:{node.lineno} {node.value!r}")
    assert not found, "plugin names in the harness (use the registry: Method attributes and hooks):\n" + "\n".join(found)


def test_the_harness_imports_no_plugin_module():
    plugin_modules = []
    for path in sorted(HARNESS.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            module = node.module if isinstance(node, ast.ImportFrom) else None
            targets = [a.name for a in node.names] if isinstance(node, ast.Import) else [module] if module else []
            for target in targets:
                parts = target.split(".")
                if parts[:2] == ["srnas", "methods"] and len(parts) > 2 and parts[2] != "base":
                    plugin_modules.append(f"{path.name}:{node.lineno} {target}")
    assert not plugin_modules, "\n".join(plugin_modules)


def test_the_scan_finds_a_name():
    """The check above can fail: a literal plugin name and a prefixed identifier are found, prose is not."""
    names = ["hinas", "random"]
    assert _names_in("hinas", names) == ["hinas"]
    assert _names_in("hinas-cell-sharing-memory", names) == ["hinas"]
    assert _names_in("random-architecture seeds", names) == []
    assert _names_in("randomly", names) == []
