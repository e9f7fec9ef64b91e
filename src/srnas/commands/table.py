"""``srnas table --profile short --scale 2``: mean±std markdown tables (verdicts for ``paper`` runs)."""
from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path

from srnas.atomic import write_text_atomic
from srnas.errors import SrnasError
from srnas.profiles import PROFILE_NAMES


def tolerance_of(args: argparse.Namespace) -> dict[str, float]:
    """The tolerance the command judges with: srnas.harness.reporting.claims.DEFAULT_TOLERANCE, overridden per metric."""
    from srnas.harness.reporting.claims import DEFAULT_TOLERANCE

    given = {"psnr": args.tol_psnr, "ssim": args.tol_ssim}
    return {**DEFAULT_TOLERANCE, **{k: v for k, v in given.items() if v is not None}}


def add_common(parser: argparse.ArgumentParser) -> None:
    """Options shared by table/check: where records and reported numbers live, and the tolerance."""
    parser.add_argument("--results", default="results", help="results folder holding runs/")
    parser.add_argument("--reported", default=None, help="reported-numbers CSV (default: SRNAS_REPORTED or benchmarks/reported.csv)")
    # defaults: srnas.harness.reporting.claims.DEFAULT_TOLERANCE (one definition for tables and verdicts; not imported
    # here so that building the parser stays light)
    parser.add_argument("--tol-psnr", type=float, default=None, help="PSNR tolerance in dB for `reproduced` (default 0.1)")
    parser.add_argument("--tol-ssim", type=float, default=None, help="SSIM tolerance for `reproduced` (default 0.002)")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--profile", default="short", choices=PROFILE_NAMES)
    parser.add_argument("--scale", type=int, default=2, choices=(2, 3, 4))
    parser.add_argument("--out", default=None, help="output folder (default: RESULTS/tables)")
    parser.add_argument("--methods", nargs="+", default=None, help="only these methods (default: every method with records)")
    parser.add_argument("--format", default="md", choices=("md", "csv", "json"),
                        help="md: the page; csv/json: the numbers behind it (mean, std, n per config and set) -> "
                             "<profile>_x<scale>.csv/.json beside it")
    parser.add_argument("--projections", action="store_true",
                        help="instead: the dry-run projections of the paper schedules next to the claimed search costs")
    parser.add_argument("--compare", action="store_true",
                        help="instead: the equal-budget comparison (search vs RSWS vs random architecture per space) -> compare_x<scale>.md")
    parser.add_argument("--probes", default=None,
                        help="--compare: results folder of the search probes for the diagnostics (default: RESULTS/probes when present)")
    add_common(parser)


def run(args: argparse.Namespace) -> int:
    if args.projections:
        return _projections(args)
    if args.compare:
        return _compare(args)
    if args.format != "md":
        return _data(args)

    def render() -> str:
        from srnas.harness.reporting.aggregate import JUDGED_PROFILE, group_records
        from srnas.harness.execution.preflight import check_results_exist
        from srnas.harness.execution.records import load_records
        from srnas.harness.reporting.reported import load_reported
        from srnas.harness.reporting.tables import render

        check_results_exist(args.results)
        groups = group_records(load_records(Path(args.results)), args.profile, args.scale)
        if args.methods:
            groups = [g for g in groups if g.method in args.methods]
        reported = load_reported(args.reported) if args.profile == JUDGED_PROFILE else None
        return render(groups, args.profile, args.scale, reported, tolerance_of(args))

    return _write_page(args, f"{args.profile}_x{args.scale}.md", render)


def _data(args: argparse.Namespace) -> int:
    """``--format csv|json``: the aggregate numbers of the page, as data."""
    from srnas.harness.reporting.frame import table_frame
    from srnas.harness.execution.preflight import check_results_exist, check_writable_folder

    try:
        check_results_exist(args.results)
        table = table_frame(args.results, args.profile, args.scale, args.methods)
        out = check_writable_folder(args.out or Path(args.results) / "tables", "--out" if args.out else "--results")
    except SrnasError as exc:
        print(f"srnas table: error: {exc}", file=sys.stderr)
        return 2
    path = out / f"{args.profile}_x{args.scale}.{args.format}"
    if args.format == "csv":
        table.to_csv(path, index=False)
    else:  # full float precision (pandas' to_json keeps 10 digits), NaN (one seed's std) as null
        import json

        rows = table.astype(object).where(table.notna(), None).to_dict(orient="records")
        path.write_text(json.dumps(rows, indent=1) + "\n")
    print(path.read_text())
    print(f"written: {path}", file=sys.stderr)
    return 0


def _projections(args: argparse.Namespace) -> int:
    from srnas.harness.reporting.projections import render_projections

    return _write_page(args, "projections_paper.md", lambda: render_projections(args.results))


def _compare(args: argparse.Namespace) -> int:
    from srnas.harness.reporting.compare import comparison_data, render_comparison
    from srnas.harness.reporting.diagnostics import render_diagnostics
    from srnas.harness.execution.preflight import check_results_exist
    from srnas.harness.execution.records import load_records

    data: dict = {}

    def render() -> str:
        check_results_exist(args.results)
        runs = load_records(Path(args.results))
        probes_dir = Path(args.probes) if args.probes else Path(args.results) / "probes"
        if args.probes:
            check_results_exist(args.probes)
        probes = load_records(probes_dir) if (probes_dir / "runs").is_dir() else []
        data.update(comparison_data(runs, args.scale))  # the page is formatted from this data, written beside it
        return render_comparison(runs, args.scale, data=data) + "\n" + render_diagnostics(runs, probes, args.scale)

    name = f"compare_x{args.scale}.md"
    rc = _write_page(args, name, render)
    if rc == 0:
        path = (Path(args.out) if args.out else Path(args.results) / "tables") / name
        write_text_atomic(path.with_suffix(".json"), json.dumps(data, indent=1, allow_nan=False) + "\n")
        print(f"written: {path.with_suffix('.json')}", file=sys.stderr)
        from srnas.harness.reporting.plots import plot_size_lines

        plot = plot_size_lines(data, path.with_name(f"compare_x{args.scale}_psnr_vs_params.png"))
        if plot is not None:
            print(f"written: {plot}", file=sys.stderr)
    return rc


def _write_page(args: argparse.Namespace, name: str, render: Callable[[], str]) -> int:
    """Render a page into the tables folder (``--out`` or RESULTS/tables), print it; a bad input exits 2."""
    from srnas.harness.execution.preflight import check_writable_folder

    try:
        text = render()  # reads and checks the inputs first, so a missing results folder creates nothing
        out = check_writable_folder(args.out or Path(args.results) / "tables", "--out" if args.out else "--results")
    except SrnasError as exc:
        print(f"srnas table: error: {exc}", file=sys.stderr)
        return 2
    path = out / name
    try:
        write_text_atomic(path, text)
    except SrnasError as exc:
        print(f"srnas table: error: {exc}", file=sys.stderr)
        return 2
    print(text)
    print(f"written: {path}", file=sys.stderr)
    return 0
