"""The ``srnas`` command line. Each subcommand lives in ``srnas.commands.<name>`` and is imported lazily."""
from __future__ import annotations

import argparse
import importlib
import sys

# name -> one-line help. The module srnas.commands.<name> defines add_arguments(parser) and run(args) -> int.
COMMANDS: dict[str, str] = {
    "eval": "evaluate a method (e.g. bicubic) on benchmark sets and print PSNR/SSIM",
    "methods": "list the registered method plugins",
    "run": "search -> train -> evaluate a method for one or more seeds, writing run records",
    "sweep": "run a grid (methods x scales x seeds) on a local pool or SLURM; never runs a unit twice",
    "table": "aggregate run records into mean±std markdown tables with verdicts",
    "check": "exit non-zero when a judged table cell fails its reported number",
    "plot": "PSNR vs FLOPs / params plots per scale",
    "params": "parameter count (and MACs) of a method's built model",
    "data": "verify or fetch datasets (checksums, DIV2K download)",
    "export": "pack records, weights, environment and claims data into a bundle others can verify",
    "verify": "check a bundle's seals and hashes and re-score its weights on the CPU",
    "site": "write a static HTML results site (verdicts with evidence, the comparison, plots)",
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="srnas", description="NAS-for-SR reproducibility suite")
    parser.add_argument("--version", action="version", version=f"srnas-bench {_version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, help_text in COMMANDS.items():
        try:
            module = importlib.import_module(f"srnas.commands.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"srnas.commands.{name}":
                continue  # command not implemented in this build
            raise
        p = sub.add_parser(name, help=help_text, description=help_text)
        module.add_arguments(p)
        p.set_defaults(_run=module.run)
    return parser


def _version() -> str:
    from srnas.harness.execution.env import installed_version

    return installed_version("srnas-bench") or "unknown (not installed)"


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if len(argv) >= 2 and argv[0] in COMMANDS and ("-h" in argv or "--help" in argv):
        extra = getattr(importlib.import_module(f"srnas.commands.{argv[0]}"), "help_for", None)
        text = extra(argv) if extra else None
        if text:  # the generic help first (argparse exits after printing it), then the command's own
            try:
                build_parser().parse_args(argv)
            except SystemExit:
                pass
            print("\n" + text)
            return 0
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "_run", None):
        parser.print_help()
        return 2
    if getattr(args, "config_file", None):  # --config FILE: its overrides come first, then --set
        from srnas.config import overrides_from_file
        from srnas.errors import ConfigError

        try:
            args.overrides = overrides_from_file(args.config_file) + list(args.overrides)
        except ConfigError as exc:
            print(f"srnas {args.command}: error: {exc}", file=sys.stderr)
            return 2
    return int(args._run(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
