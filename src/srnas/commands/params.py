"""``srnas params METHOD --variant V --scale S``: parameter count (first line, the integer alone) and MACs.

Builds the method's fixed (published) genotype, or one read from ``--genotype file.json``, without any
data or training, e.g. to check a published model's size against the paper.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from srnas.errors import ConfigError, SrnasError
from srnas.profiles import PROFILE_NAMES


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("method")
    parser.add_argument("--variant", default="default")
    parser.add_argument("--scale", type=int, default=2, choices=(2, 3, 4))
    parser.add_argument("--profile", default="paper", choices=PROFILE_NAMES, help="config the model is built under (widths)")
    parser.add_argument("--genotype", default=None, help="JSON file with a genotype (e.g. a run record's 'genotype')")
    parser.add_argument("--config", dest="config_file", default=None, metavar="FILE",
                        help="experiment file of overrides (JSON, or YAML with PyYAML), nested by section; applied before --set")
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY.PATH=VALUE")
    parser.add_argument("--json", action="store_true", help="one JSON object: method, variant, scale, profile, params, macs")


def run(args: argparse.Namespace) -> int:
    import torch

    from srnas.harness.execution.config import resolve_config
    from srnas.harness.execution.pipeline import model_cost, uses_search
    from srnas.methods import get_method
    from srnas.threads import pin_threads

    pin_threads(1)
    try:
        method = get_method(args.method)
        config = resolve_config(method, args.profile, args.scale, args.variant, args.overrides)
        if args.genotype:
            try:
                genotype = json.loads(Path(args.genotype).read_text())
            except (OSError, json.JSONDecodeError) as exc:
                raise ConfigError(f"{args.genotype}: cannot read a genotype ({exc})") from None
            genotype = genotype.get("genotype", genotype) if isinstance(genotype, dict) else genotype
        elif uses_search(method, config):
            published = [v for v, o in method.variants().items() if o.get("options", {}).get("genotype")]
            hint = f"--variant {' | '.join(published)} (published architectures) or " if published else ""
            raise ConfigError(f"{args.method} variant {args.variant!r} is found by search, so it has no fixed architecture: "
                              f"pass {hint}--genotype FILE (e.g. a run record of `srnas run {args.method}`)")
        else:
            genotype = method.fixed_genotype(config)
        try:
            model = method.build(genotype, args.scale, config)
        except (ValueError, TypeError, KeyError) as exc:
            raise ConfigError(f"{args.genotype or args.variant}: not a {args.method} genotype ({exc})") from None
    except (SrnasError, KeyError, ImportError) as exc:
        print(f"srnas params: error: {exc.args[0] if isinstance(exc, KeyError) else exc}", file=sys.stderr)
        return 2
    cost = model_cost(model, args.scale, torch.device("cpu"))
    if args.json:
        print(json.dumps({"method": method.name, "variant": args.variant, "scale": args.scale, "profile": args.profile,
                          "genotype_file": args.genotype, **cost}))
        return 0
    print(cost["params"])
    for m in cost["macs"]:
        print(f"MACs {m['macs']:,} at {m['input']} ({m['convention']}); {m['macs_per_lr_pixel']:,.0f} per LR pixel")
    return 0
