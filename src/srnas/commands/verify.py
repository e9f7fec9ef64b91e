"""``srnas verify BUNDLE``: every seal and hash of a bundle checked, and each run's weights re-scored under its
recorded protocol on the CPU; one line per record ("re-scored, same numbers" or what differs). Exit 1 when
anything fails (srnas.harness.execution.bundle)."""
from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("bundle", help="a folder written by `srnas export`")
    parser.add_argument("--no-rescore", action="store_true", help="check seals and hashes only (seconds; no evaluation)")
    parser.add_argument("--data-root", default=None, help="dataset root for re-scoring (default: SRNAS_DATA or the shared location)")
    parser.add_argument("--report", default=None, metavar="FILE",
                        help="also write the checks as JSON (one object per file: path, ok, status, details); `srnas site --verified FILE` marks each record with it")
    parser.add_argument("--threads", type=int, default=1, help="CPU threads (default 1, as every srnas command; 0: the libraries' defaults)")


def run(args: argparse.Namespace) -> int:
    import time
    from pathlib import Path

    from srnas.harness.execution.bundle import SAME, verify_bundle
    from srnas.threads import pin_threads

    import sys

    from srnas.errors import SrnasError

    pin_threads(args.threads)
    start = time.perf_counter()
    try:
        checks = verify_bundle(Path(args.bundle), rescore_weights=not args.no_rescore, data_root=args.data_root)
    except SrnasError as exc:
        print(f"srnas verify: error: {exc}", file=sys.stderr)
        return 2
    for check in checks:
        print(check.line())
    if args.report:
        import json
        from dataclasses import asdict

        Path(args.report).write_text(json.dumps([asdict(c) for c in checks], indent=1) + "\n")
    failed = [c for c in checks if not c.ok]
    same = sum(c.status == SAME for c in checks)
    print(f"{len(checks)} checked, {same} re-scored with the same numbers, {len(failed)} failed "
          f"({time.perf_counter() - start:.0f} s)")
    return 1 if failed else 0
