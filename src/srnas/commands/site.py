"""``srnas site --out DIR``: a static HTML results site (verdicts per paper with their evidence, the
equal-budget comparison, the plots) from the same data as the Markdown pages (srnas.harness.reporting.site)."""
from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--results", default="results", help="results folder holding runs/ (default: results)")
    parser.add_argument("--verified", default=None, metavar="REPORT",
                        help="a `srnas verify --report` of a bundle of these results: each record's evidence says whether it was re-scored with the same numbers")
    parser.add_argument("--out", required=True, help="folder to write the site into (index.html, verdicts.html, comparison.html, plots/)")


def run(args: argparse.Namespace) -> int:
    import sys
    from pathlib import Path

    from srnas.errors import SrnasError
    from srnas.harness.reporting.claims import ledger, load_claims, load_consistency
    from srnas.harness.reporting.compare import comparison_data
    from srnas.harness.execution.preflight import check_results_exist, check_writable_folder
    from srnas.harness.execution.records import load_records
    from srnas.harness.reporting.reported import load_reported
    from srnas.harness.reporting.site import build_site
    from srnas.threads import pin_threads

    pin_threads()
    try:
        results = check_results_exist(args.results)
        out = Path(args.out)
        check_writable_folder(out.parent if not out.exists() else out, "--out")
        records = load_records(results)
        verdicts = ledger(load_reported(None), load_claims(), records, None, load_consistency())
        verified = None
        if args.verified:
            import json

            try:
                checks = json.loads(Path(args.verified).read_text())
                if not isinstance(checks, list):
                    raise TypeError(f"expected a list of checks, got {type(checks).__name__}")
                verified = {c["path"]: c for c in checks}
            except (OSError, ValueError, KeyError, TypeError) as exc:
                raise SrnasError(f"--verified {args.verified}: not a `srnas verify --report` file ({exc})") from None
        summary = build_site(results, out, verdicts, records, comparison_data(records, 2), verified)
    except SrnasError as exc:
        print(f"srnas site: error: {exc}", file=sys.stderr)
        return 2
    print(f"written: {', '.join(str(summary.out / p) for p in summary.pages)} ({summary.verdicts} verdicts, {summary.spaces} spaces)")
    return 0
