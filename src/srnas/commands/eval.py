"""``srnas eval bicubic --scale S``: PSNR/SSIM per benchmark set, as JSON or a plain table.

Only the bicubic baseline is wired in; trained networks will come through ``--checkpoint`` (loaded by
the method plugin, then scored with :func:`srnas.evaluate.module_upscaler`).
"""
from __future__ import annotations

import argparse
import json
import sys

from srnas.errors import SrnasError
from srnas.evaluate import DEFAULT_SETS, Upscaler, bicubic_upscaler, evaluate
from srnas.protocol.metrics import PROTOCOLS

# method name -> factory(scale) -> upscaler. Trained methods plug in here once --checkpoint exists.
UPSCALERS = {"bicubic": bicubic_upscaler}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("method", choices=sorted(UPSCALERS), help="method to evaluate")
    parser.add_argument("--scale", type=int, required=True, choices=(2, 3, 4))
    parser.add_argument("--datasets", default=",".join(DEFAULT_SETS), help="comma-separated set names")
    parser.add_argument("--protocol", default="canonical", choices=sorted(PROTOCOLS))
    parser.add_argument("--lr-source", default="auto", choices=("auto", "disk", "generate"))
    parser.add_argument("--convention", default="symmetric", choices=("symmetric", "replicate"),
                        help="LR border padding to prefer (disk) or generate with")
    parser.add_argument("--data-root", default=None, help="folder holding Set5/ etc. (default: $SRNAS_DATA)")
    parser.add_argument("--per-image", action="store_true", help="include per-image scores")
    parser.add_argument("--self-ensemble", action="store_true", help="score the x8 flip/rotation self-ensemble ('+' rows)")
    parser.add_argument("--checkpoint", default=None, help="trained weights (not supported yet)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument("--manga109", default=None, metavar="PATH", help="folder of your Manga109 pages (sets SRNAS_MANGA109)")


def _table(results: dict[str, dict]) -> str:
    lines = [f"{'set':<10} {'n':>4} {'PSNR':>8} {'SSIM':>7}  LR source"]
    for name, r in results.items():
        lines.append(f"{name:<10} {r['n']:>4} {r['psnr']:>8.3f} {r['ssim']:>7.4f}  {r['lr_source']}")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    import os

    if args.manga109:
        os.environ["SRNAS_MANGA109"] = args.manga109
    try:
        if args.checkpoint is not None:
            raise SrnasError(f"--checkpoint is not supported for {args.method!r} yet; drop it to score the baseline")
        upscaler: Upscaler = UPSCALERS[args.method](args.scale)
        sets = [s.strip() for s in args.datasets.split(",") if s.strip()]
        results = evaluate(upscaler, args.scale, sets, args.protocol, args.lr_source, args.data_root,
                           per_image=args.per_image, convention=args.convention,
                           ensemble=args.self_ensemble)
    except SrnasError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(results, indent=1) if args.json else _table(results))
    return 0
