"""``srnas plot``: PSNR vs MACs and PSNR vs params per profile and scale, next to the tables."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from srnas.errors import SrnasError
from srnas.profiles import PROFILE_NAMES


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--profile", default=None, choices=PROFILE_NAMES, help="only this profile (default: all with runs)")
    parser.add_argument("--scale", type=int, default=None, choices=(2, 3, 4), help="only this scale (default: all with runs)")
    parser.add_argument("--results", default="results")
    parser.add_argument("--out", default=None, help="output folder (default: RESULTS/tables)")
    parser.add_argument("--methods", nargs="+", default=None, help="only these methods (default: every method with records)")


def run(args: argparse.Namespace) -> int:
    from srnas.harness.reporting.aggregate import group_records
    from srnas.harness.reporting.plots import plot_psnr_vs
    from srnas.harness.execution.preflight import check_results_exist, check_writable_folder
    from srnas.harness.execution.records import load_records

    try:
        check_results_exist(args.results)
        out = check_writable_folder(args.out or Path(args.results) / "tables", "--out" if args.out else "--results")
        records = load_records(Path(args.results))
    except SrnasError as exc:
        print(f"srnas plot: error: {exc}", file=sys.stderr)
        return 2
    keys = sorted({(r["profile"], r["scale"]) for r in records
                   if (args.profile in (None, r["profile"])) and (args.scale in (None, r["scale"]))})
    if not keys:
        print(f"no run records under {args.results}/runs to plot", file=sys.stderr)
        return 0
    for profile, scale in keys:
        groups = [g for g in group_records(records, profile, scale) if not args.methods or g.method in args.methods]
        for x in ("macs", "params"):
            path = plot_psnr_vs(groups, x, out / f"{profile}_x{scale}_psnr_vs_{x}.png", f"{profile} profile, x{scale}: PSNR vs {x}")
            print(path)
    return 0
