"""``srnas sweep --methods hnas hinas --scales 2 3 4 --seeds 0 1 2 --profile paper``: a grid of runs.

Expands the grid into the units ``srnas run`` makes (same configs, hashes and records), skips the
finished ones and runs the rest on a bounded local pool (``--jobs``, ``--gpus``) or as one SLURM job array
(``--executor slurm``, through submitit). ``--status`` prints what the store says without running anything.
Exit status: 0 when every unit has a record, 1 when one failed, 2 on bad input.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from srnas.errors import SrnasError
from srnas.profiles import PROFILE_NAMES


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--methods", nargs="+", required=True, help="registered method names")
    parser.add_argument("--scales", type=int, nargs="+", default=[2], choices=(2, 3, 4))
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--profile", default="short", choices=PROFILE_NAMES)
    parser.add_argument("--variants", nargs="+", default=None, help="variants of every method (default: default)")
    parser.add_argument("--config", dest="config_file", default=None, metavar="FILE",
                        help="experiment file of overrides (JSON, or YAML with PyYAML), nested by section; applied before --set")
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY.PATH=VALUE")
    parser.add_argument("--executor", default="local", choices=("local", "slurm", "debug"),
                        help="local process pool (default), SLURM job array via submitit, or submitit's in-process debug executor")
    parser.add_argument("--jobs", type=int, default=1, help="units at a time (local workers / slurm_array_parallelism)")
    parser.add_argument("--gpus", default=None, help="comma-separated GPU ids, one per local worker (CUDA_VISIBLE_DEVICES)")
    parser.add_argument("--retries", type=int, default=1, help="local: reruns of a unit whose worker died (it resumes)")
    parser.add_argument("--status", action="store_true", help="print the sweep's state from the store; run nothing")
    parser.add_argument("--json", action="store_true", help="with --status: the state as one JSON object (counts, one entry per unit)")
    parser.add_argument("--results", default="results")
    parser.add_argument("--data-root", default=None)
    parser.add_argument("--manga109", default=None, metavar="PATH",
                        help="folder of your Manga109 pages, passed to every unit (default: $SRNAS_MANGA109)")
    parser.add_argument("--device", default=os.environ.get("SRNAS_DEVICE", "cpu"))
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads per unit")
    parser.add_argument("--loader", default=os.environ.get("SRNAS_LOADER", "inline"),
                        help="where training batches are made: inline | workers=N | device (same batches, speed only)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    slurm = parser.add_argument_group("SLURM (--executor slurm)")
    slurm.add_argument("--slurm-partition", default=None)
    slurm.add_argument("--slurm-time", type=int, default=24 * 60, help="minutes per unit attempt (requeued at the limit)")
    slurm.add_argument("--slurm-gpus-per-node", type=int, default=None)
    slurm.add_argument("--slurm-cpus-per-task", type=int, default=None,
                       help=f"CPUs per unit (default: {SLURM_DEFAULTS['paper']['cpus_per_task']} for the paper profile, "
                            f"{SLURM_DEFAULTS['other']['cpus_per_task']} otherwise)")
    slurm.add_argument("--slurm-mem-gb", type=int, default=None,
                       help=f"host memory per unit in GB (default: {SLURM_DEFAULTS['paper']['mem_gb']} for the paper profile, "
                            f"{SLURM_DEFAULTS['other']['mem_gb']} otherwise)")


#: SLURM requests when none are given. A paper unit holds DIV2K's 800 images (~10 GB of host RAM measured by
#: the dry runs, peak RSS 4.8-9.4 GiB) and feeds a GPU with loader workers; a CPU-profile unit is small.
SLURM_DEFAULTS = {"paper": {"cpus_per_task": 8, "mem_gb": 32}, "other": {"cpus_per_task": 2, "mem_gb": 8}}


def run(args: argparse.Namespace) -> int:
    from srnas.commands.run import _check_loader
    from srnas.datasets.paths import DataRoot
    from srnas.harness.execution import sweep
    from srnas.harness.execution.preflight import check_device, check_eval_sets, check_threads, check_writable_folder

    if not _check_loader(args.loader):
        return 2
    args.data_root = DataRoot.of(args.data_root, Manga109=args.manga109)  # units get it as --manga109, not os.environ

    try:
        if args.jobs < 1 or args.retries < 0:
            raise SrnasError(f"--jobs {args.jobs} / --retries {args.retries}: need jobs >= 1 and retries >= 0")
        check_threads(args.threads)
        units = sweep.expand(args.methods, args.scales, args.seeds, args.profile, args.variants, args.overrides)
        if args.status:
            if not Path(args.results).is_dir():  # a mistyped folder would read as "every unit pending"
                raise SrnasError(f"--results {args.results}: no such folder; pass the folder the sweep writes to")
            state = sweep.status(units, args.results)
            print(json.dumps(state.to_json(), indent=1) if args.json else state.render())
            return 0
        check_writable_folder(args.results)
        device = check_device(args.device) if args.executor != "slurm" else args.device  # the nodes have the GPUs
        from srnas.harness.execution.config import resolve_config
        from srnas.methods import get_method

        for method in args.methods:  # every evaluation set present before any unit starts
            for scale in args.scales:
                ev = resolve_config(get_method(method), args.profile, scale, (args.variants or ["default"])[0], args.overrides)["eval"]
                check_eval_sets(ev["datasets"], scale, ev["lr_source"], args.data_root)
        gpus = [g.strip() for g in args.gpus.split(",") if g.strip()] if args.gpus else []
        if args.executor == "local":
            summary = sweep.run_local(units, args.results, args.jobs, gpus, args.retries, args.data_root, device,
                                      args.threads, args.quiet, loader=args.loader)
        else:
            defaults = SLURM_DEFAULTS["paper" if args.profile == "paper" else "other"]
            slurm = {"slurm_partition": args.slurm_partition, "timeout_min": args.slurm_time,
                     "gpus_per_node": args.slurm_gpus_per_node,
                     "cpus_per_task": args.slurm_cpus_per_task or defaults["cpus_per_task"],
                     "mem_gb": args.slurm_mem_gb or defaults["mem_gb"]}
            summary = sweep.run_submitit(units, args.results, args.executor, args.jobs, args.data_root, device,
                                         args.threads, slurm, args.quiet, loader=args.loader)
    except SrnasError as exc:
        print(f"srnas sweep: error: {exc}", file=sys.stderr)
        return 2
    print(summary.render())
    return 0 if summary.ok else 1
