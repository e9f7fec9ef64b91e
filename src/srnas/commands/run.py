"""``srnas run METHOD --scale S --seeds 0 1 2 --profile short``: one immutable record per seed."""
from __future__ import annotations

import argparse
import os
import sys

from srnas.errors import SrnasError
from srnas.profiles import PROFILE_NAMES


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("method", help="registered method name (see `srnas methods`)")
    parser.add_argument("--scale", type=int, default=2, choices=(2, 3, 4))
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--profile", default="short", choices=PROFILE_NAMES)
    parser.add_argument("--variant", default="default", help="named option set of the method (see its variants())")
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY.PATH=VALUE",
                        help="config override, e.g. train.steps=200 (repeatable; unknown keys are an error)")
    parser.add_argument("--data-root", default=None, help="dataset root (default: SRNAS_DATA or the shared location)")
    parser.add_argument("--device", default=os.environ.get("SRNAS_DEVICE", "cpu"), help="torch device (default: SRNAS_DEVICE or cpu)")
    parser.add_argument("--results", default="results", help="results folder (records in RESULTS/runs)")
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads (default 1; 0 leaves torch's default)")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")


def run(args: argparse.Namespace) -> int:
    from srnas.harness.runner import run_method, summary_line

    try:
        run_method(
            args.method, args.scale, args.seeds, args.profile, args.variant, args.overrides,
            data_root=args.data_root, device=args.device, results=args.results, quiet=args.quiet,
            threads=args.threads or None, on_seed=lambda o: print(summary_line(o), flush=True),
        )
    except (SrnasError, KeyError, ImportError) as exc:
        message = exc.args[0] if isinstance(exc, KeyError) and exc.args else exc
        print(f"srnas run: error: {message}", file=sys.stderr)
        return 2
    return 0
