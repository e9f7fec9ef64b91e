"""Method plugins and their registry.

Methods register in-repo with :func:`register` (BasicSR/timm style) and third parties through the
``srnas.methods`` entry-point group. Entry points are loaded lazily, one at a time; a plugin that fails
to import is reported by :func:`broken_methods` and never breaks the others.
"""
from __future__ import annotations

from srnas.errors import SrnasError

import importlib
import traceback
from functools import lru_cache
from importlib.metadata import entry_points
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from pathlib import Path

    from srnas.methods.base import Method
    from srnas.methods.equivalence import Equivalence

ENTRY_POINT_GROUP = "srnas.methods"

# In-repo plugins: name -> "module:attr". Loaded only when asked for.
_BUILTIN: dict[str, str] = {
    "bicubic": "srnas.methods.bicubic:BicubicMethod",
    "fsrcnn": "srnas.methods.fsrcnn:FSRCNNMethod",
    "random": "srnas.methods.random_ws:RandomSearchMethod",
    "hnas": "srnas.methods.hnas:HNASMethod",
    "hinas": "srnas.methods.hinas:HiNASMethod",
    "trilevel": "srnas.methods.trilevel:TrilevelNASMethod",
    "deconas": "srnas.methods.deconas:DeCoNASMethod",
}
_REGISTRY: dict[str, type["Method"]] = {}
_BROKEN: dict[str, str] = {}

M = TypeVar("M", bound=type)


def register(cls: M) -> M:
    """Class decorator: add a Method subclass under ``cls.name`` (duplicate names are an error)."""
    name = cls.name  # type: ignore[attr-defined]
    from srnas.methods.base import Method

    if cls.profiles_file is None and cls.profile is Method.profile:  # type: ignore[attr-defined]
        raise TypeError(f"method {name!r} ({cls.__module__}) needs profiles: set profiles_file (a profiles.json beside it) or override profile()")
    if name in _REGISTRY and _REGISTRY[name] is not cls:
        raise ValueError(f"method {name!r} is already registered by {_REGISTRY[name].__module__}")
    _REGISTRY[name] = cls
    return cls


def _targets() -> dict[str, str]:
    targets = dict(_BUILTIN)
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        targets.setdefault(ep.name, ep.value)
    return targets


def _load(name: str, target: str) -> type["Method"] | None:
    if name in _REGISTRY:
        return _REGISTRY[name]
    module, _, attr = target.partition(":")
    try:
        obj = getattr(importlib.import_module(module), attr)
    except Exception:  # a broken plugin must not take the suite down
        _BROKEN[name] = traceback.format_exc(limit=3)
        return None
    _REGISTRY.setdefault(name, obj)
    return _REGISTRY[name]


def list_methods() -> list[str]:
    """Names of every method that loads, sorted."""
    return sorted(n for n, t in _targets().items() if _load(n, t) is not None)


def broken_methods() -> dict[str, str]:
    """name -> short traceback, for plugins that failed to import."""
    for n, t in _targets().items():
        _load(n, t)
    return dict(_BROKEN)


class UnknownMethodError(SrnasError, KeyError):
    """A method name no plugin registers: a bad-input error (exit 2, one line), still a ``KeyError`` for callers."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


def get_method(name: str) -> "Method":
    """Instantiate the method plugin called ``name``."""
    targets = _targets()
    if name not in targets and name not in _REGISTRY:
        raise UnknownMethodError(f"unknown method {name!r}; known: {', '.join(sorted(targets))} (see `srnas methods`)")
    cls = _REGISTRY.get(name) or _load(name, targets[name])
    if cls is None:
        raise ImportError(f"method plugin {name!r} failed to load:\n{_BROKEN[name]}")
    return cls()


def _plugin_source(cls: type) -> tuple["Path", bool]:
    """The module file that defines ``cls`` and whether the plugin is flat (that one module directly in the
    registry package, or a top-level module) rather than a folder."""
    import sys
    from pathlib import Path

    path = Path(sys.modules[cls.__module__].__file__ or "")
    package = cls.__module__.rsplit(".", 1)[0]
    return path, package in ("srnas.methods", cls.__module__)


@lru_cache(maxsize=None)
def plugin_provenance(cls: type) -> dict[str, Any]:
    """What a run record keeps about the plugin that produced it: its class, the distribution that installed
    it (``srnas-bench`` for the in-repo plugins, the third party's for an entry-point plugin) and its version,
    and a sha256 of its source -- every ``.py`` and ``.json`` file of its folder (a flat module: that file).
    A plugin code change changes the hash, so records made by the old code are told apart (stale) instead
    of being silently reused as "already done". The shared code is covered by the record's srnas version
    and git commit. Cached per process: the hash is of the code this process loaded."""
    import hashlib
    from importlib.metadata import PackageNotFoundError, packages_distributions, version

    from srnas.methods.equivalence import LEDGER_FILE

    path, flat = _plugin_source(cls)
    # the equivalence ledger names the hashes of the code beside it, so it cannot be part of them
    files = [path] if flat else sorted(f for f in path.parent.rglob("*") if f.suffix in (".py", ".json")
                                       and "__pycache__" not in f.parts and f.name != LEDGER_FILE)
    h = hashlib.sha256()
    for f in files:
        h.update(str(f.relative_to(path.parent)).encode() + b"\0" + f.read_bytes() + b"\0")
    top = cls.__module__.split(".", 1)[0]
    dists = packages_distributions().get(top, [])
    dist = "srnas-bench" if top == "srnas" else (dists[0] if dists else None)
    try:
        dist_version = version(dist) if dist else None
    except PackageNotFoundError:
        dist_version = None
    return {"class": f"{cls.__module__}:{cls.__qualname__}", "distribution": dist, "version": dist_version,
            "source_sha256": h.hexdigest(), "source_files": len(files)}


@lru_cache(maxsize=None)
def plugin_equivalences(cls: type) -> tuple["Equivalence", ...]:
    """The plugin's ledger of source changes proven not to change a run (:mod:`srnas.methods.equivalence`):
    its ``source_equivalence.json`` entries under its name. Cached per process, like the source hash."""
    from srnas.methods.equivalence import ledger_path, read_ledger

    path, _ = _plugin_source(cls)
    return read_ledger(ledger_path(path), cls.name)  # type: ignore[attr-defined]


def stale_plugin_code(record: dict[str, Any]) -> str | None:
    """Why a record no longer stands for the installed plugin's code (the source hash it recorded differs from
    :func:`plugin_provenance` now, and no chain of proven refactors in the plugin's equivalence ledger leads
    from it to now), or None -- also for records made before the hash was recorded and for methods that do
    not load here. The runner says it for a finished unit; tables label the row."""
    from srnas.methods.equivalence import equivalent

    recorded = (record.get("plugin") or {}).get("source_sha256")
    if not recorded:
        return None
    try:
        cls = type(get_method(record["method"]))
        now = plugin_provenance(cls)["source_sha256"]
    except Exception:  # noqa: BLE001 - hand-made or foreign records: nothing to compare with
        return None
    if equivalent(recorded, now, plugin_equivalences(cls)):
        return None
    return f"made by other {record['method']} plugin code (source {recorded[:12]}, now {now[:12]})"


def method_trains(name: str, unknown: bool | None = None) -> bool:
    """Whether plugin ``name`` has trained weights (``Method.trains``). ``unknown``: the answer for a plugin
    that does not load here (a bundle from another installation); None raises, as :func:`get_method`."""
    try:
        return get_method(name).trains
    except Exception:  # noqa: BLE001 - any load failure of a foreign plugin
        if unknown is None:
            raise
        return unknown


def method_classes() -> list[type["Method"]]:
    """Every plugin class that loads, in listing order (``Method.listing_order``, then name): the order of
    rows and sections on every page, so a new plugin places itself without an edit to the harness."""
    classes = [_REGISTRY.get(n) or _load(n, t) for n, t in _targets().items()]
    return sorted((c for c in classes if c is not None), key=lambda c: (c.listing_order, c.name))


def weight_sharing_spaces() -> tuple[str, ...]:
    """Names of the methods with a weight-sharing search space (``Method.weight_sharing``), in listing order:
    the spaces of the equal-budget comparison and of the space baseline's variants."""
    return tuple(c.name for c in method_classes() if c.weight_sharing)


def objective_spaces() -> tuple[str, ...]:
    """The weight-sharing spaces whose search ranks architectures by an objective of its own
    (:meth:`Method.candidate_objective` overridden): each gets an objective-matched random-search row."""
    from srnas.methods.base import Method

    return tuple(c.name for c in method_classes() if c.weight_sharing and c.candidate_objective is not Method.candidate_objective)


def space_baseline() -> str | None:
    """The plugin that runs inside the other plugins' spaces (``Method.space_baseline``), if one loads."""
    return next((c.name for c in method_classes() if c.space_baseline), None)


def reference_method() -> str | None:
    """The plugin whose rows tables compare every other row with (``Method.reference``), if one loads."""
    return next((c.name for c in method_classes() if c.reference), None)


__all__: list[str] = ["register", "get_method", "list_methods", "broken_methods", "method_classes", "weight_sharing_spaces",
                      "space_baseline", "reference_method", "plugin_provenance", "plugin_equivalences", "stale_plugin_code",
                      "ENTRY_POINT_GROUP"]
