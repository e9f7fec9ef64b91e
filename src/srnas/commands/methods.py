"""``srnas methods``: one registered plugin per line; broken plugins reported on stderr."""
from __future__ import annotations

import argparse
import sys

from srnas.methods import broken_methods, list_methods


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--verbose", action="store_true", help="also print why a broken plugin failed")


def run(args: argparse.Namespace) -> int:
    for name in list_methods():
        print(name)
    for name, tb in broken_methods().items():
        print(f"warning: plugin {name!r} failed to load and was skipped", file=sys.stderr)
        if args.verbose:
            print(tb, file=sys.stderr)
    return 0
