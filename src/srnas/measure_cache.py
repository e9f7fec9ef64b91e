"""Measurements that depend only on the code: computed once per version of that code, then read back.

A measure such as HiNAS's cell-sharing memory (saved activations of one supernet step) is a function of the
code that builds the supernet and of its shapes, not of any run; recomputing it on every ``srnas check``
was 82 % of the command. It is cached as JSON in the user cache folder (``srnas.datasets.paths.cache_dir``,
never inside the checkout), keyed by a sha256 of the measure's name, its arguments, the torch version and
the source text of every module it depends on: any edit to that code is a new key, so a stale value is never
read. A damaged cache file is recomputed, never trusted.
"""
from __future__ import annotations

import hashlib
import inspect
import json
from collections.abc import Callable, Sequence
from types import ModuleType
from typing import Any

from srnas.atomic import write_text_atomic


def code_key(name: str, args: Sequence[Any], modules: Sequence[ModuleType]) -> str:
    import torch

    h = hashlib.sha256()
    h.update(json.dumps([name, list(args), torch.__version__], default=str).encode())
    for module in modules:
        h.update(module.__name__.encode())
        h.update(inspect.getsource(module).encode())
    return h.hexdigest()


def cached_measure(name: str, fn: Callable[..., dict], args: Sequence[Any], modules: Sequence[ModuleType]) -> dict:
    """``fn(*args)`` (a JSON-serialisable dict), read from the cache when this exact code already measured it."""
    from srnas.datasets.paths import cache_dir

    key = code_key(name, args, modules)
    path = cache_dir() / "measures" / f"{name}-{key[:16]}.json"
    try:
        saved = json.loads(path.read_text())
        if saved.get("key") == key:
            return saved["value"]
    except (OSError, ValueError, KeyError, AttributeError):
        pass  # absent or damaged: measure
    value = fn(*args)
    try:
        write_text_atomic(path, json.dumps({"key": key, "name": name, "args": list(args), "value": value}))
    except OSError:
        pass  # an unwritable cache only costs the next call the measurement
    return value


def plugin_modules(method: object, *extra: str) -> list[ModuleType]:
    """Every module of the package a method plugin lives in (imported here, so a module the plugin imports
    only while building still counts), plus the shared ``srnas.nas`` primitives and the named ``extra``
    modules: the code a measure of the plugin's built model depends on."""
    import importlib
    import pkgutil

    names = {type(method).__module__.rsplit(".", 1)[0] if "." in type(method).__module__ else type(method).__module__}
    names.update(["srnas.nas", *extra])
    out: dict[str, ModuleType] = {}
    for name in sorted(names):
        module = importlib.import_module(name)
        out[name] = module
        for info in pkgutil.walk_packages(getattr(module, "__path__", []), prefix=name + "."):
            out[info.name] = importlib.import_module(info.name)
    return [out[k] for k in sorted(out)]
