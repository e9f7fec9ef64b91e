"""``srnas check``: judge every published claim on file and write ``results/verdicts.md``.

Exit status: 0 when every claim the suite itself expects to hold (``expect: reproduce`` in the claims
data: bicubic rows, sizes of published architectures) is reproduced or not yet measured; 1 when one of
those was measured and not reproduced; 2 on bad input. Every other verdict (below/above a paper, not
reproducible as stated, no measurement yet) is a finding: reported, never a failure.

``--measure`` first makes the measurements that need no training: MATLAB-bicubic ``paper``-profile runs
at x2/x3/x4 under every evaluation preset the bicubic claims are judged with. They always run afresh (in a
scratch folder): a unit whose record is already in the results folder must give the same metrics, or the
check stops with an error naming the record; a new unit's record is added to the results folder.
"""
from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

from srnas.commands.table import add_common, tolerance_of
from srnas.errors import SrnasError

if TYPE_CHECKING:  # the datasets package imports numpy and PIL: not at CLI start
    from srnas.datasets.paths import DataRootLike


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_common(parser)
    parser.add_argument("--claims", default=None, help="claims CSV (default: benchmarks/claims.csv)")
    parser.add_argument("--consistency", default=None,
                        help="paper-internal consistency CSV (default: benchmarks/consistency.csv)")
    parser.add_argument("--json", action="store_true", help="one JSON object per claim on stdout")
    parser.add_argument("--measure", action="store_true",
                        help="first run what needs no training (bicubic at x2/x3/x4 under each paper's preset)")
    parser.add_argument("--jobs", type=int, default=1, help="parallel processes for --measure (default 1)")
    parser.add_argument("--data-root", default=None, help="dataset root for --measure (default: SRNAS_DATA or the shared location)")
    parser.add_argument("--page", default=None, help="where to write the verdicts page (default: RESULTS/verdicts.md)")
    parser.add_argument("--no-page", action="store_true", help="do not write the verdicts page")


def bicubic_units(reported) -> list[tuple[int, str]]:
    """(scale, preset) of every bicubic measurement the claims need: each row's own preset and canonical."""
    units = set()
    for _, row in reported.iterrows():
        if row["method"].lower() == "bicubic":
            for preset in (row["protocol"], "canonical"):
                if preset:
                    units.add((int(row["scale"]), preset))
    return sorted(units)


def _measure_unit(args: tuple[int, str, str, str | None]) -> tuple[str, str]:
    """Run one bicubic unit into ``scratch``; returns (summary line, record path)."""
    from srnas.harness.execution.runner import run_method, summary_line
    from srnas.profiles import EVAL_SETS

    scale, preset, scratch, data_root = args
    overrides = [f"eval.protocol={preset}", f"eval.datasets={json.dumps(EVAL_SETS)}"]
    outcome = run_method("bicubic", scale, [0], "paper", overrides=overrides, data_root=data_root, results=scratch, quiet=True)[0]
    return f"[{preset}] " + summary_line(outcome), str(outcome.path)


def _same_metrics(a: dict, b: dict) -> bool:
    return a.keys() == b.keys() and all(
        abs(a[d][m] - b[d][m]) <= 1e-9 for d in a for m in ("psnr", "ssim"))


def measure_no_training(reported, results: str, data_root: DataRootLike, jobs: int) -> None:
    """Re-measure every bicubic unit; check it against the stored record, or store it."""
    from srnas.harness.execution.records import load_record

    scratch = Path(tempfile.mkdtemp(prefix="srnas-measure-"))
    units = [(s, p, str(scratch), data_root) for s, p in bicubic_units(reported)]
    print(f"measuring {len(units)} bicubic paper-profile evaluations ({jobs} process{'es' if jobs > 1 else ''})",
          file=sys.stderr, flush=True)
    try:
        if jobs > 1:
            from srnas.threads import pinned_worker

            with ProcessPoolExecutor(max_workers=jobs, initializer=pinned_worker) as pool:
                done = list(pool.map(_measure_unit, units))
        else:
            done = [_measure_unit(unit) for unit in units]
        for line, path in done:
            fresh = Path(path)
            target = Path(results) / fresh.relative_to(scratch)
            if target.exists():
                stored = load_record(target)
                if not _same_metrics(stored["metrics"], load_record(fresh)["metrics"]):
                    raise SrnasError(f"{target}: re-measured metrics differ from this record; the evaluation is no longer "
                                     "what made it. Find the change (git log) before trusting either")
                line += " (same as the stored record)"
            else:
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(fresh, target)
                line += " (new record)"
            print(line.replace(str(fresh), str(target)), file=sys.stderr, flush=True)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _text(verdicts, unmet) -> str:
    from srnas.harness.reporting.claims import NO_MEASUREMENT, counts, summary_line

    lines = []
    for v in verdicts:
        if v.cited or v.verdict == NO_MEASUREMENT and v.kind in ("psnr", "ssim"):
            continue
        where = f" [{v.protocol}]" if v.protocol else ""
        rep = v.reported if not isinstance(v.reported, float) else round(v.reported, 4)
        mea = v.measured if not isinstance(v.measured, float) else round(v.measured, 4)
        if isinstance(mea, list):
            mea = "–".join(f"{x:.1f}" for x in mea)
        lines.append(f"{v.verdict.upper():<27} {v.claim_id}{where}: reported {rep} measured {mea} {v.unit}"
                     + (f" — {v.reason}" if v.reason and v.verdict != "reproduced" else ""))
    waiting = sum(v.verdict == NO_MEASUREMENT and v.kind in ("psnr", "ssim") and not v.cited for v in verdicts)
    cited = sum(v.cited for v in verdicts)
    c = counts(verdicts)
    lines += ["",
              summary_line([v for v in verdicts if not v.cited], "on the suite's own methods"),
              f"{waiting} PSNR/SSIM verdicts of the suite's own methods wait for `paper`-profile (GPU) runs; "
              f"{cited} verdicts are cited numbers of methods outside the suite.",
              "verdicts: " + ", ".join(f"{n} {name}" for name, n in c.items() if n) + f" (of {len(verdicts)})"]
    lines.append(f"EXPECTATION NOT MET: {', '.join(unmet)}" if unmet else
                 "every claim the suite expects to reproduce is reproduced (or not yet measured)")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    from srnas.atomic import write_text_atomic
    from srnas.harness.reporting.claims import (counts, cross_paper_disagreements, ledger, load_claims, load_consistency,
                                      papers_on_file, unmet_expectations)
    from srnas.harness.reporting.ledger_page import render
    from srnas.harness.execution.preflight import check_results_exist, check_writable_folder
    from srnas.harness.execution.records import scan_records
    from srnas.harness.reporting.reported import load_reported
    from srnas.threads import pin_threads

    pin_threads()  # the code-dependent measures and the bicubic re-evaluations: 1 thread per process
    tolerance = tolerance_of(args)
    try:
        reported = load_reported(args.reported)
        claims = load_claims(args.claims)
        consistency = load_consistency(args.consistency)
        if args.jobs < 1:
            raise SrnasError(f"--jobs {args.jobs}: must be >= 1")
        if args.measure:
            check_writable_folder(args.results)
            measure_no_training(reported, args.results, args.data_root, args.jobs)
        else:
            check_results_exist(args.results)
        if not args.no_page:
            check_writable_folder(Path(args.page or Path(args.results) / "verdicts.md").parent, "--page")
        records, problems = scan_records(Path(args.results))
        verdicts = ledger(reported, claims, records, tolerance, consistency)
    except SrnasError as exc:
        print(f"srnas check: error: {exc}", file=sys.stderr)
        return 2
    unmet = unmet_expectations(verdicts)
    for problem in problems:
        print(f"warning: {problem}", file=sys.stderr)
    judged_bad = [p for p in problems if p.judged]
    if not args.no_page:
        page = Path(args.page or Path(args.results) / "verdicts.md")
        page.parent.mkdir(parents=True, exist_ok=True)
        write_text_atomic(page, render(verdicts, cross_paper_disagreements(reported), unmet, tolerance, papers_on_file()))
        # the same verdicts as data beside the page (one object per claim, as --json prints them)
        data = page.with_suffix(".json")
        write_text_atomic(data, json.dumps({"tolerance": tolerance, "counts": counts(verdicts), "unmet_expectations": list(unmet),
                                            "verdicts": [v.to_json() for v in verdicts]}, indent=1) + "\n")
        print(f"written: {page}, {data.name}", file=sys.stderr)
    if args.json:
        for v in verdicts:
            print(json.dumps(v.to_json(), sort_keys=False))
    else:
        print(_text(verdicts, unmet))
    for problem in judged_bad:
        print(f"srnas check: a judged (paper-profile) group has a file left out, so its verdict may be wrong: {problem}",
              file=sys.stderr)
    return 1 if unmet or judged_bad else 0
