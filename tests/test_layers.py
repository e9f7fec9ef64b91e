"""Imports go down the layers, and no import cycle exists, counting imports inside functions.

Layers, top to bottom: CLI (srnas.cli, srnas.commands) -> harness (reporting -> execution) -> plugins (srnas.methods) -> NAS
primitives (srnas.nas) -> core (config, profiles, training, run context, evaluation) -> data and protocol
(srnas.datasets, srnas.protocol, errors, atomic writes, threads). A module may import its own layer or any
below it. Function-level imports count: they are how cycles hid before (context -> harness.dryrun ->
harness.runner -> methods -> train -> context stayed importable only because every edge was deferred).
The scan reads the source (AST), with the package-dir mapping of pyproject (datasets/ and methods/ are
srnas.datasets and srnas.methods).
"""
from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE_DIRS = {"srnas": ROOT / "src" / "srnas", "srnas.datasets": ROOT / "datasets", "srnas.methods": ROOT / "methods"}
LAYERS: list[tuple[str, tuple[str, ...]]] = [  # top first
    ("CLI", ("srnas.cli", "srnas.commands")),
    # reporting reads what execution writes: it may import execution, execution never imports it
    ("harness reporting", ("srnas.harness.reporting",)),
    ("harness execution", ("srnas.harness.execution", "srnas.harness")),
    ("plugins", ("srnas.methods",)),
    ("NAS primitives", ("srnas.nas",)),
    ("core", ("srnas.config", "srnas.profiles", "srnas.profile_files", "srnas.seeding", "srnas.losses", "srnas.train",
              "srnas.context", "srnas.step_timer", "srnas.stats", "srnas.measurement", "srnas.evaluate", "srnas.measure_cache", "srnas.device_audit")),
    ("data and protocol", ("srnas.datasets", "srnas.protocol", "srnas.errors", "srnas.atomic", "srnas.threads", "srnas")),
]


def _modules() -> dict[str, Path]:
    out = {}
    for package, folder in PACKAGE_DIRS.items():
        for path in folder.rglob("*.py"):
            parts = list(path.relative_to(folder).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            if package == "srnas" and parts and parts[0] in ("datasets", "methods"):
                continue
            out[".".join([package, *parts])] = path
    return out


def _layer(module: str) -> int:
    best = (-1, -1)
    for i, (_, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > best[1]:
                best = (i, len(prefix))
    assert best[0] >= 0, f"{module} is in no layer: add it to LAYERS"
    return best[0]


def _imports(name: str, path: Path, modules: dict[str, Path]) -> list[tuple[str, int]]:
    """(imported srnas module, line) for every import statement anywhere in the file."""
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            targets = [module] + [f"{module}.{a.name}" for a in node.names if f"{module}.{a.name}" in modules]
        else:
            continue
        for target in targets:
            while target and target not in modules:  # `from srnas.x import name` -> module srnas.x
                target = target.rsplit(".", 1)[0] if "." in target else ""
            if target and target != name:
                found.append((target, node.lineno))
    return found


MODULES = _modules()
GRAPH = {name: _imports(name, path, MODULES) for name, path in MODULES.items()}


def test_the_scan_sees_the_known_modules_and_function_level_imports() -> None:
    assert {"srnas.cli", "srnas.harness.execution.runner", "srnas.methods.hinas.method", "srnas.datasets.loading", "srnas.nas.mixed"} <= set(MODULES)
    # commands import their machinery inside run(): the scan must see those edges
    assert any(t == "srnas.harness.execution.runner" for t, _ in GRAPH["srnas.commands.check"])


def test_no_module_imports_a_layer_above_its_own() -> None:
    upward = [f"{name}:{line} imports {target} ({LAYERS[_layer(target)][0]} is above {LAYERS[_layer(name)][0]})"
              for name, edges in GRAPH.items() for target, line in edges if _layer(target) < _layer(name)]
    assert not upward, "\n".join(upward)


def test_the_import_graph_has_no_cycle() -> None:
    edges = defaultdict(set)
    for name, found in GRAPH.items():
        edges[name].update(t for t, _ in found)
    state: dict[str, int] = {}  # 1 on the current path, 2 done
    cycles = []

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(edges[node]):
            if state.get(nxt) == 1:
                cycles.append(" -> ".join(path[path.index(nxt):] + [nxt]) if nxt in path else f"{node} -> {nxt}")
            elif nxt not in state:
                visit(nxt, path + [nxt])
        state[node] = 2

    for module in sorted(MODULES):
        if module not in state:
            visit(module, [module])
    assert not cycles, "\n".join(cycles)
