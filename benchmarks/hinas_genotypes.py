"""Searched HiNAS genotypes and their size at the paper's final widths, from the run records.

For every HiNAS run record under ``results/runs/hinas`` this builds the record's genotype with the
``paper`` profile's final-network widths (f = 16, stem 64, ASPP 128, low-level 48) at x2, x3 and x4
(HiNAS trains one searched genotype at all three scales) and writes results/hinas_genotypes.json + .md,
next to the paper's ranges (0.23-0.28 M / 0.25-0.30 M / 0.29-0.33 M, methods-spec 2.4).

    python benchmarks/hinas_genotypes.py [--runs results/runs/hinas] [--out results]
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import torch

from srnas.methods.hinas.method import params_at_paper_widths

PAPER_RANGE_M = {2: "0.23-0.28", 3: "0.25-0.30", 4: "0.29-0.33"}


def _fmt_cell(cell: list) -> str:
    return "; ".join(" + ".join(f"{op}({i})" for op, i in node) for node in cell)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", default="results/runs/hinas")
    ap.add_argument("--out", default="results")
    args = ap.parse_args()
    torch.set_num_threads(1)
    rows = []
    for path in sorted(Path(args.runs).rglob("*.json")):
        record = json.loads(path.read_text())
        if record.get("status") != "complete":
            continue
        g = record["genotype"]
        params = {str(scale): params_at_paper_widths(g, scale) for scale in (2, 3, 4)}
        rows.append({
            "record": str(path), "variant": record["variant"], "profile": record["profile"], "run_scale": record["scale"],
            "seed": record["seed"], "search_scale": g.get("search_scale"), "levels": g["levels"], "cells": g["cells"],
            "params_at_f16": params, "params_as_run": record["cost"]["params"],
        })
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "hinas_genotypes.json").write_text(json.dumps(rows, indent=2) + "\n")
    lines = [
        "# HiNAS: searched genotypes and their size at the paper's final widths",
        "",
        "Produced by `python benchmarks/hinas_genotypes.py` from the run records. Params at f = 16 use the `paper` "
        f"profile's final network; the paper reports {PAPER_RANGE_M[2]} M (x2), {PAPER_RANGE_M[3]} M (x3), {PAPER_RANGE_M[4]} M (x4) "
        "over its 3 searches (x4 search on DIV2K). Cells: per node `op(input)`, input 0 = layer l-2, 1 = layer l-1, 2+ = earlier nodes.",
        "",
        "| variant | profile | run x | seed | searched at x | widths (levels) | params as run | f=16 x2 | f=16 x3 | f=16 x4 |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in rows:
        p = r["params_at_f16"]
        lines.append(f"| {r['variant']} | {r['profile']} | {r['run_scale']} | {r['seed']} | {r['search_scale']} | {r['levels']} | "
                     f"{r['params_as_run']:,} | {p['2']:,} | {p['3']:,} | {p['4']:,} |")
    lines += ["", "## Cells", ""]
    for r in rows:
        lines.append(f"- {r['variant']} {r['profile']} x{r['run_scale']} seed {r['seed']} (searched at x{r['search_scale']}):")
        lines += [f"  - layer {l} (level {lvl}): {_fmt_cell(c)}" for l, (c, lvl) in enumerate(zip(r["cells"], r["levels"]))]
    (out / "hinas_genotypes.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
