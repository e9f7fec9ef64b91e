"""Host reads per step of every search and training loop: what bounds a GPU run when arithmetic does not.

Each ``float(t)``, ``int(t)``, ``bool(t)``, ``t.item()``, ``t.tolist()``, ``t.numpy()`` of a tensor on the
accelerator, and each op whose output size depends on the data (``nonzero``...), is a host read: it waits
for every queued kernel. The plugins' smoke search and training run on PyTorch's ``meta`` device under
:class:`srnas.device_audit.DeviceAudit`, which counts exactly those reads of device tensors (host-side data
work is not counted). The reads of *one step of one loop* are a difference: the loop run with ``k`` more
steps of that kind, all else equal, divided by ``k``. To measure an older commit, copy
``src/srnas/device_audit.py``, ``src/srnas/harness/execution/audit.py`` and this file into its checkout and run ``--label before --json A.json``
there (``--lenient``: count without raising on device mixing, which older code did), ``--label after
--json B.json`` here, then ``--render A.json B.json`` writes ``results/host_syncs.md``; ``--merge B.json C.json`` puts a later measurement
of some loops (``--plugins trilevel``) into B, each loop naming its commit.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import torch

#: loop -> (plugin, the config key whose value is that loop's step count at the smoke profile, extra steps k,
#: what one step is). Base values are each smoke profile's; a larger base where the smoke count is tiny.
LOOPS = {
    "trainer step (shared trainer, fsrcnn)": ("fsrcnn", "train.steps", 40, 20, "one weight update"),
    "HiNAS arch + weight step": ("hinas", "search.steps", 50, 50, "one architecture and one weight update"),
    "Trilevel step (one phase)": ("trilevel", "search.steps", 50, 50, "one architecture and one weight update"),
    "HNAS shared-weight step": ("hnas", "search.shared_steps_per_epoch", 2, 4, "one child update (x 2 epochs)"),
    "HNAS controller step": ("hnas", "search.controller_steps_per_epoch", 2, 4, "one REINFORCE update (x 2 epochs)"),
    "DeCoNAS child step": ("deconas", "search.steps_per_epoch", 2, 4, "one child update (x 2 epochs)"),
    "DeCoNAS controller step": ("deconas", "search.controller_steps", 2, 4, "one REINFORCE update (x 1 controller epoch)"),
}
#: loops whose extra steps repeat in every search epoch: reads per step = difference / (k x epochs)
EPOCHS = {"HNAS shared-weight step": 2, "HNAS controller step": 2, "DeCoNAS child step": 2, "DeCoNAS controller step": 1}


def reads_of_run(method_name: str, overrides: list[str], phase: str, strict: bool) -> int:
    """Host reads of one smoke run's search (``phase='search'``) or final training (``'train'``) on meta."""
    from srnas.device_audit import DeviceAudit
    from srnas.harness.execution.audit import audit_run

    audit = DeviceAudit(strict=strict, bool_answer=BOOL_ANSWER)
    try:
        audit_run(method_name, overrides=tuple(overrides), phases=(phase,), strict=strict, audit=audit)
    except RuntimeError as exc:  # older code: a failure after the loop (e.g. copying meta weights to the host)
        if strict:
            raise
        print(f"  ({method_name}: {str(exc).splitlines()[0][:100]}; reads counted up to there)", file=sys.stderr)
    return audit.host_reads


def _has_key(plugin: str, section: str, key: str) -> bool:
    from srnas.harness.execution.config import resolve_config
    from srnas.methods import get_method

    return key in resolve_config(get_method(plugin), "smoke", 2).get(section, {})


BOOL_ANSWER = False


def measure(strict: bool, only: list[str] | None = None) -> dict[str, dict]:
    torch.set_num_threads(1)
    out = {}
    for loop, (plugin, key, base, k, what) in LOOPS.items():
        if only and plugin not in only:
            continue
        phase = "train" if key.startswith("train.") else "search"
        # no periodic checkpoints (the paper profiles checkpoint every thousands of steps): a smoke profile's
        # frequent ones would dominate the per-step count
        fixed = [f"{phase}.checkpoint_every=0"] if _has_key(plugin, phase, "checkpoint_every") else []
        lo = reads_of_run(plugin, [f"{key}={base}", *fixed], phase, strict)
        hi = reads_of_run(plugin, [f"{key}={base + k}", *fixed], phase, strict)
        per = (hi - lo) / (k * EPOCHS.get(loop, 1))
        out[loop] = {"plugin": plugin, "key": key, "base": base, "extra": k, "reads_base": lo, "reads_more": hi,
                     "reads_per_step": round(per, 2), "step": what}
        print(f"{loop}: {per:.2f} host reads per step ({lo} -> {hi})", file=sys.stderr, flush=True)
    return out


def _later_commits(after: dict) -> str:
    """" (loops A, B: commit)" for each commit other than the measurement's own that measured some loops."""
    later: dict[str, list[str]] = {}
    for loop, v in after["loops"].items():
        if v.get("commit", after["commit"]) != after["commit"]:
            later.setdefault(v["commit"], []).append(loop)
    return "".join(f" ({', '.join(loops)}: {commit})" for commit, loops in later.items())


def render(before: dict, after: dict) -> str:
    lines = ["# Host reads per loop step (before / after the sync reductions)", "",
             "Generated by `benchmarks/host_syncs.py`: the smoke search and training on the `meta` device under "
             "`srnas.device_audit.DeviceAudit`, which counts `float()`/`int()`/`bool()`/`item()`/`tolist()`/`numpy()`/`.cpu()` "
             "of device tensors and data-dependent-size ops (`nonzero`). Each number is the difference between "
             "a run with k more steps of that loop and one without, divided by k (and by the epochs the loop repeats in): "
             "reads that a GPU would wait on, per step. History rows, validations and curve points are amortised into it.",
             f"Before: {before['commit']}; after: {after['commit']}" + _later_commits(after) + ".",
             "",
             "| loop | one step | before | after |", "|:--|:--|--:|--:|"]
    for loop in after["loops"]:
        b = before["loops"].get(loop, {}).get("reads_per_step", "—")
        a = after["loops"][loop]["reads_per_step"]
        lines.append(f"| {loop} | {after['loops'][loop]['step']} | {b} | {a} |")
    lines += ["", "What changed: the mixed op reads which weights are nonzero once per supernet forward (was one `float()` "
              "per candidate op), the controller's `Categorical` skips argument/sample validation (each check read the "
              "probabilities), the trainer keeps each step's loss on the device until a curve point, the DARTS loop "
              "reads losses and diagnostics only for the history rows it keeps, the shared ENAS loop reads the child "
              "losses once per epoch (HNAS and DeCoNAS read one per step), and sparsemax keeps its support size on "
              "the device, and sparsestmax projects all rows at once without asking the device when they are done "
              "(row by row it read a norm test, a support count and a negativity test per row and round; same bits). "
              "What remains by design: the RL searches read each sampled token (about one per decision; a "
              "child step samples the architecture it trains), since the architecture is built on the host; the "
              "supernets read which candidates carry weight once per forward, to skip the rest.", ""]
    return "\n".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--label", default="after")
    ap.add_argument("--json", default=None, help="write the measurement here")
    ap.add_argument("--render", nargs=2, metavar=("BEFORE", "AFTER"), help="write results/host_syncs.md from two measurements")
    ap.add_argument("--merge", nargs=2, metavar=("INTO", "FROM"),
                    help="put FROM's loops (a later measurement of some loops, e.g. --plugins trilevel) into INTO, each with its commit")
    ap.add_argument("--out", default="results/host_syncs.md")
    ap.add_argument("--lenient", action="store_true", help="count without raising on device mixing (older code)")
    ap.add_argument("--plugins", nargs="*", default=None, help="measure only these plugins' loops")
    ap.add_argument("--bool-true", action="store_true",
                    help="answer bool() of device tensors with True (older code whose Categorical validated its arguments)")
    args = ap.parse_args()
    if args.merge:
        into, new = (json.loads(Path(p).read_text()) for p in args.merge)
        into["loops"].update({loop: {**v, "commit": new["commit"]} for loop, v in new["loops"].items()})
        Path(args.merge[0]).write_text(json.dumps(into, indent=1))
        return 0
    if args.render:
        before, after = (json.loads(Path(p).read_text()) for p in args.render)
        Path(args.out).write_text(render(before, after))
        print(f"written: {args.out}", file=sys.stderr)
        return 0
    import subprocess

    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    dirty = bool(subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], capture_output=True, text=True).stdout.strip())
    global BOOL_ANSWER
    BOOL_ANSWER = args.bool_true
    result = {"label": args.label, "commit": commit + (" (dirty)" if dirty else ""),
              "loops": measure(strict=not args.lenient, only=args.plugins)}
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=1))
    print(json.dumps(result["loops"], indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
