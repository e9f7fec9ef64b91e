"""``srnas check``: exit 1 when a judged (``paper``-profile) cell is below or above its reported number."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from srnas.commands.table import add_common
from srnas.errors import SrnasError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--scale", type=int, default=None, choices=(2, 3, 4), help="only this scale (default: all)")
    add_common(parser)


def run(args: argparse.Namespace) -> int:
    from srnas.harness.aggregate import JUDGED_PROFILE, NO_REPORTED, group_records, judge
    from srnas.harness.records import load_records
    from srnas.harness.reported import load_reported
    from srnas.harness.tables import fmt_delta, fmt_stat

    try:
        groups = group_records(load_records(Path(args.results)), JUDGED_PROFILE, args.scale)
        if not groups:
            print(f"nothing judged: no `{JUDGED_PROFILE}`-profile runs under {args.results}/runs "
                  "(only paper runs are judged against reported numbers)")
            return 0
        judgements = judge(groups, load_reported(args.reported), {"psnr": args.tol_psnr, "ssim": args.tol_ssim})
    except SrnasError as exc:
        print(f"srnas check: error: {exc}", file=sys.stderr)
        return 2
    failed = [j for j in judgements if j.failed]
    for j in failed:
        print(f"FAIL {j.group.label} x{j.group.scale} [{j.group.config_hash}] {j.dataset} {j.metric.upper()}: "
              f"ours {fmt_stat(j.ours, j.metric)} vs reported {j.reported_value} ({j.reported.source_table}) "
              f"Δ {fmt_delta(j.delta, j.metric)} -> {j.verdict} (tolerance psnr {args.tol_psnr} dB, ssim {args.tol_ssim})")
    counts = {v: sum(j.verdict == v for j in judgements) for v in ("reproduced", "below", "above", NO_REPORTED)}
    print(", ".join(f"{n} {v}" for v, n in counts.items()) + f" (of {len(judgements)} judged cells)")
    return 1 if failed else 0
