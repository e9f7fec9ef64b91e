"""Cell sharing (HiNAS Eq. 5) vs per-level cells (Eq. 6): activation memory of one supernet training step.

Counts the bytes of the tensors autograd saves for backward (deterministic, device-independent; see
``srnas.methods.hinas.memory``), for the paper's SR search supernet (x4, f = 8, B = 3 nodes, L = 2 layers,
64x64 LR patch) and for deeper supernets, where more cells have three incoming paths. Also times the step
on this machine's CPU (one thread). Writes results/hinas_memory.json and results/hinas_memory.md.

    python benchmarks/bench_hinas_memory.py [--layers 2 4 6] [--batch 1] [--patch 64]
"""
from __future__ import annotations

import argparse
import json
import platform
from pathlib import Path

import torch

from srnas.methods.hinas.memory import cell_sharing_memory

MIB = 2**20


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--layers", type=int, nargs="+", default=[2, 4, 6])
    ap.add_argument("--batch", type=int, default=1)
    ap.add_argument("--patch", type=int, default=64)
    ap.add_argument("--scale", type=int, default=4)
    ap.add_argument("--filters", type=int, default=8)
    ap.add_argument("--stem", type=int, default=64)
    ap.add_argument("--out", default="results")
    args = ap.parse_args()
    torch.set_num_threads(1)
    rows = []
    for layers in args.layers:
        m = cell_sharing_memory(args.scale, args.filters, layers, args.stem, args.batch, args.patch)
        pair, ratio = [m["shared"], m["per_level"]], m["ratio"]
        rows.append({"layers": layers, "shared": pair[0], "per_level": pair[1], "ratio_per_level_over_shared": round(ratio, 3),
                     "ceiling_cell_evaluations": round(m["ceiling"], 3)})
        print(f"L={layers}: shared {pair[0]['saved_bytes'] / MIB:.1f} MiB, per-level {pair[1]['saved_bytes'] / MIB:.1f} MiB, ratio {ratio:.2f}", flush=True)
    setup = {k: getattr(args, k) for k in ("batch", "patch", "scale", "filters", "stem")}
    record = {
        "what": "bytes of non-parameter tensors saved for backward in one L1 training step of the HiNAS search supernet",
        "setup": {**setup, "nodes": 3, "width_levels": "linear (1, 1.5, 2)", "torch": torch.__version__, "machine": platform.machine()},
        "rows": rows,
    }
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "hinas_memory.json").write_text(json.dumps(record, indent=2) + "\n")
    lines = [
        "# HiNAS: cell sharing vs per-level cells, activation memory of one supernet step",
        "",
        f"Produced by `python benchmarks/bench_hinas_memory.py` (batch {args.batch}, LR patch {args.patch}, x{args.scale}, "
        f"f = {args.filters}, stem {args.stem}, B = 3 nodes, widths f x (1, 1.5, 2)). Memory = bytes of the distinct "
        "non-parameter tensors autograd saves for backward (deterministic, device-independent; scales linearly with the batch). "
        "Seconds: one forward+backward on one CPU thread of a shared machine (indicative only).",
        "",
        "| layers L | cells (shared / per-level) | saved MiB, cell sharing (Eq. 5) | saved MiB, per-level cells (Eq. 6) | ratio | ceiling (cell evaluations) | step s (shared / per-level) |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in rows:
        s, p = r["shared"], r["per_level"]
        lines.append(
            f"| {r['layers']} | {s['cells']} / {p['cells']} | {s['saved_bytes'] / MIB:.1f} | {p['saved_bytes'] / MIB:.1f} | "
            f"{r['ratio_per_level_over_shared']:.2f}x | {r['ceiling_cell_evaluations']:.2f}x | {s['step_seconds_cpu']} / {p['step_seconds_cpu']} |"
        )
    lines += [
        "",
        "The paper claims cell sharing saves memory 'by a factor of 3'. A cell with three incoming paths runs three times "
        "without sharing, but in this supernet the edge levels have fewer neighbours (level 0 has no level below, new levels "
        "have one source) and the stems, projections and the end part are shared by both modes, so the whole-step ratio "
        "stays below 3 and grows with depth; see the rows above for what this implementation measures. The ceiling column "
        "is the ratio of cell evaluations per step (per-level cells / shared cells): everything outside the cells is the "
        "same in both modes, so the memory ratio cannot exceed it. `srnas check` judges the claim with the L = 2 row "
        "(the paper's SR search supernet).",
    ]
    (out / "hinas_memory.md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
