"""Device audit: run a plugin's search and final training on PyTorch's ``meta`` device, in seconds, on a CPU.

No GPU has run the suite's main path, and device bugs (a tensor made on the CPU meeting one on the
accelerator, a CPU ``torch.Generator`` handed to an op on the accelerator) only show there. On ``meta``
every op runs shape-only, so the whole search and training loop of a plugin takes seconds, and a
:class:`DeviceAudit` mode checks every call on the way:

- an op whose tensor arguments live on more than one device (other than 0-dim CPU scalars, which PyTorch
  allows anywhere) raises :class:`DeviceMismatch`;
- an op given a ``generator`` on another device than its tensors raises :class:`DeviceMismatch` (CUDA
  rejects exactly this: "Expected a 'cuda' device type for generator but found 'cpu'");
- host reads (``float()``, ``int()``, ``bool()``, ``item()``, ``tolist()``, ``.cpu()``, ``.numpy()``) of a
  meta tensor cannot read data, so they are answered with placeholders (0.5, 1, False, ones/zeros) and counted
  per call site: :attr:`DeviceAudit.host_reads` is the host-sync count of the loop that ran.

The placeholders keep control flow going; the numbers the loop computes are meaningless. What the audit
shows is that the loop runs on a device that is not the CPU without mixing devices. Running a plugin's
search and training under it is the harness's job (:func:`srnas.harness.execution.audit.audit_run`): this module
stays below the harness and imports none of it.
"""
from __future__ import annotations

import collections
import traceback
from typing import Any

import torch
from torch.overrides import TorchFunctionMode

_READS = {"item", "__float__", "__int__", "__bool__", "__index__", "tolist", "numpy", "cpu"}
#: ops whose output size depends on the data: a host sync on an accelerator (computed on meta as if all nonzero)
_SYNCING = {"nonzero", "argwhere", "masked_select", "unique", "nonzero_static"}


class DeviceMismatch(RuntimeError):
    """An op mixed devices (or got a generator on another device than its tensors)."""


def _tensors(args: Any, kwargs: dict[str, Any]) -> list[torch.Tensor]:
    out: list[torch.Tensor] = []

    def visit(x: Any) -> None:
        if isinstance(x, torch.Tensor):
            out.append(x)
        elif isinstance(x, (list, tuple)):
            for y in x:
                visit(y)

    for a in args:
        visit(a)
    for v in kwargs.values():
        visit(v)
    return out


def _placeholder(name: str, t: torch.Tensor) -> Any:
    # 1 for integers: counts and sizes (a divisor, a loop bound) stay valid; 0.5 for floats
    if name in ("item", "__float__"):
        return 1 if name == "item" and not t.is_floating_point() else 0.5
    if name in ("__int__", "__index__"):
        return 1
    if name == "__bool__":
        return False  # ends data-dependent loops ("while any(...)") instead of spinning on a placeholder
    # ones for floats (a probability vector stays a valid distribution) and masks (every branch runs, so every
    # op is audited), zeros for indices
    on = t.is_floating_point() or t.dtype == torch.bool
    fill = torch.ones(t.shape, dtype=t.dtype) if on else torch.zeros(t.shape, dtype=t.dtype)
    if name == "tolist":
        return fill.tolist()
    if name == "numpy":
        return fill.numpy()
    return fill  # cpu()


def _caller() -> str:
    """file:line of the first frame outside torch and this module: where the host read happens."""
    for frame in reversed(traceback.extract_stack()[:-1]):
        if "/torch/" not in frame.filename and not frame.filename.endswith("device_audit.py"):
            return f"{frame.filename.rsplit('/src/', 1)[-1].rsplit('/methods/', 1)[-1]}:{frame.lineno}"
    return "?"


class DeviceAudit(TorchFunctionMode):
    """A torch-function mode that raises on mixed devices and answers host reads of meta tensors."""

    def __init__(self, device: str = "meta", count_sites: bool = False, strict: bool = True, bool_answer: bool = False):
        """``strict=False`` only counts (no :class:`DeviceMismatch`): to measure code that mixes devices.
        ``bool_answer``: what ``bool()`` of a meta tensor returns (False ends "while any(...)" loops; True lets
        a validity check such as ``Categorical``'s argument validation pass)."""
        super().__init__()
        self.bool_answer = bool_answer
        self.strict = strict
        self.device = torch.device(device)
        self.host_reads = 0
        self.sites: collections.Counter[str] = collections.Counter()
        self.count_sites = count_sites

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        name = getattr(func, "__name__", "")
        tensors = _tensors(args, kwargs)
        if name in _READS and tensors and tensors[0].device.type == "meta":
            self.host_reads += 1
            if self.count_sites:
                self.sites[_caller()] += 1
            if name == "__bool__":
                return self.bool_answer
            return _placeholder(name, tensors[0])
        if name in _SYNCING and tensors and tensors[0].device.type == "meta":
            self.host_reads += 1
            if self.count_sites:
                self.sites[_caller()] += 1
        if name == "to" and tensors and tensors[0].device.type == "meta":
            target = next((a for a in list(args[1:]) + list(kwargs.values()) if isinstance(a, (str, torch.device))), None)
            if target is not None and torch.device(target).type == "cpu":
                self.host_reads += 1
                if self.count_sites:
                    self.sites[_caller()] += 1
                return _placeholder("cpu", tensors[0])
        devices = {t.device for t in tensors if not (t.device.type == "cpu" and t.dim() == 0)}
        transfer = name in ("to", "copy_", "__setitem__", "__getitem__", "type_as", "new_tensor", "set_", "data")
        internal = name.startswith("_") and not name.startswith("__")  # e.g. Module.to's _has_compatible_shallow_copy_type
        if self.strict and len(devices) > 1 and not transfer and not internal:
            raise DeviceMismatch(f"{name}: tensors on {sorted(map(str, devices))} in one op (at {_caller()})")
        gen = kwargs.get("generator")
        if self.strict and isinstance(gen, torch.Generator) and tensors:
            want = tensors[0].device
            if gen.device.type != ("cuda" if want.type == "meta" else want.type):
                raise DeviceMismatch(f"{name}: a {gen.device.type} generator for a tensor on {want} (at {_caller()}); "
                                     "sample on the generator's device, or make the generator on the tensor's")
        return func(*args, **kwargs)
