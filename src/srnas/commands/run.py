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
    parser.add_argument("--config", dest="config_file", default=None, metavar="FILE",
                        help="experiment file of overrides (JSON, or YAML with PyYAML), nested by section; applied before --set")
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY.PATH=VALUE",
                        help="config override, e.g. train.steps=200 (repeatable; unknown keys are an error)")
    parser.add_argument("--data-root", default=None, help="dataset root (default: SRNAS_DATA or the shared location)")
    parser.add_argument("--device", default=os.environ.get("SRNAS_DEVICE", "cpu"), help="torch device (default: SRNAS_DEVICE or cpu)")
    parser.add_argument("--results", default="results", help="results folder (records in RESULTS/runs)")
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads (default 1; 0 leaves torch's default)")
    parser.add_argument("--loader", default=os.environ.get("SRNAS_LOADER", "inline"),
                        help="where training batches are made: inline | workers=N | device (same batches, speed only)")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    parser.add_argument("--manga109", default=None, metavar="PATH", help="folder of your Manga109 pages (default: $SRNAS_MANGA109)")
    parser.add_argument("--dry-run", type=int, default=None, metavar="N",
                        help="time N steps of every phase at full shapes and write a projection record (RESULTS/projections); "
                             "never a run record")
    parser.add_argument("--wait", action="store_true",
                        help="when another worker holds a unit, wait for its record (or take the unit over if that worker died)")


def help_for(argv: list[str]) -> str | None:
    """``srnas run METHOD --help``: the method's variants (one line each) and its config keys with the
    value each profile gives them, after the generic help."""
    import json

    names = [a for a in argv[1:] if not a.startswith("-")]
    if not names:
        return None  # plain `srnas run --help`: no plugin (and so no torch) is imported
    from srnas.harness.execution.config import resolve_config
    from srnas.harness.execution.preflight import config_leaves
    from srnas.methods import get_method

    try:
        method = get_method(names[0])
    except Exception:  # unknown method: the generic help, the run itself will say so
        return None
    lines = [f"{method.name}: {method.description}", "", "variants (--variant NAME):"]
    for name, overrides in method.variants().items():
        lines.append(f"  {name:<22} {json.dumps(overrides, separators=(',', ':')) if overrides else '(the paper as published)'}")
    profiles = {}
    for profile in ("smoke", "short", "compare", "paper"):
        try:
            profiles[profile] = dict(config_leaves({k: v for k, v in resolve_config(method, profile, 2).items()
                                              if k not in ("scale", "method", "variant", "profile")}))
        except Exception as exc:  # noqa: BLE001 - a broken profile is shown, not fatal to --help
            profiles[profile] = {"(error)": str(exc)}
    keys = list(dict.fromkeys(k for p in profiles.values() for k in p))
    width = max(len(k) for k in keys)
    lines += ["", f"config keys (--set KEY=VALUE), values at x2: {'smoke':<14} {'short':<14} {'compare':<14} paper"]
    for key in keys:
        vals = [json.dumps(profiles[p].get(key, "-"), default=str) for p in ("smoke", "short", "compare", "paper")]
        lines.append(f"  {key:<{width}}  {vals[0]:<14} {vals[1]:<14} {vals[2]:<14} {vals[3]}")
    optional = {k: v for k, v in config_leaves(method.optional_config()) if k not in keys}
    if optional:
        lines += ["", "optional keys (--set KEY=VALUE; a config without the key behaves as this default):"]
        lines += [f"  {k:<{width}}  {json.dumps(v)}" for k, v in optional.items()]
    if method.profiles_file:
        lines += ["", f"profiles and the source of every paper number: {method.profile_data().path}"]
    return "\n".join(lines)


def _check_loader(text: str) -> bool:
    """Validate ``--loader`` (SRNAS_LOADER is only its default); the runs receive it as an argument."""
    from srnas.datasets.pipeline import parse_loader

    try:
        parse_loader(text)
    except ValueError as exc:
        print(f"srnas: {exc}", file=sys.stderr)
        return False
    return True


def run(args: argparse.Namespace) -> int:
    from srnas.harness.execution.runner import run_method, summary_line

    from srnas.datasets.paths import DataRoot

    # the Manga109 folder travels with the data root, as an argument (never through os.environ)
    args.data_root = DataRoot.of(args.data_root, Manga109=args.manga109)
    if not _check_loader(args.loader):
        return 2
    if args.dry_run is not None:
        return _dry_run(args)
    try:
        run_method(
            args.method, args.scale, args.seeds, args.profile, args.variant, args.overrides,
            data_root=args.data_root, device=args.device, results=args.results, quiet=args.quiet,
            threads=args.threads or None, on_seed=lambda o: print(summary_line(o), flush=True), wait=args.wait,
            loader=args.loader,
        )
    except (SrnasError, KeyError, ImportError) as exc:
        message = exc.args[0] if isinstance(exc, KeyError) and exc.args else exc
        print(f"srnas run: error: {message}", file=sys.stderr)
        return 2
    return 0


def _dry_run(args: argparse.Namespace) -> int:
    from srnas.harness.execution.dryrun import describe, dry_run_method

    if args.dry_run < 1:
        print(f"srnas run: error: --dry-run {args.dry_run}: needs N >= 1 timed steps", file=sys.stderr)
        return 2
    try:
        for seed in args.seeds[:1]:
            record, path = dry_run_method(args.method, args.scale, args.profile, args.variant, args.overrides, args.dry_run,
                                          args.data_root, args.device, args.results, seed, args.threads or None,
                                          loader=args.loader)
            print(describe(record, path))
    except (SrnasError, KeyError, ImportError) as exc:
        message = exc.args[0] if isinstance(exc, KeyError) and exc.args else exc
        print(f"srnas run: error: {message}", file=sys.stderr)
        return 2
    return 0
