"""``srnas export RESULTS --out BUNDLE``: records, their weights, the environment and the claims data, with a
manifest of hashes, for someone else to check with ``srnas verify`` (srnas.harness.execution.bundle)."""
from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("results", help="results folder holding runs/")
    parser.add_argument("--out", required=True, help="bundle folder to write (must not exist or be empty)")
    parser.add_argument("--methods", nargs="+", default=None, help="only these methods")
    parser.add_argument("--profiles", nargs="+", default=None, help="only these profiles (e.g. short)")


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    import sys

    from srnas.errors import SrnasError
    from srnas.harness.execution.bundle import export_bundle
    from srnas.harness.execution.preflight import check_results_exist

    try:
        check_results_exist(args.results)
        summary = export_bundle(Path(args.results), Path(args.out), args.methods, args.profiles)
    except SrnasError as exc:
        print(f"srnas export: error: {exc}", file=sys.stderr)
        return 2
    for problem in summary.left_out:
        print(f"left out: {problem}")
    print(f"exported {summary.records} records and {summary.weights} weight files -> {summary.out} (check it with `srnas verify {summary.out}`)")
    return 0
