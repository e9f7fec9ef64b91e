"""``srnas data verify`` (checksums against the committed manifests) and ``srnas data fetch div2k``."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from srnas.datasets import DATASETS, data_root, download_div2k, get_spec, verify_set
from srnas.datasets.paths import DataRoot, supplied_folder
from srnas.datasets.registry import load_manifest
from srnas.datasets.synth import DEFAULT_SIZE
from srnas.errors import SrnasError

# Sets whose manifests carry checksums, i.e. the ones that ship in shared/datasets.
CHECKSUMMED = tuple(n for n in DATASETS if (load_manifest(n)["files"] or [{}])[0].get("sha256"))


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", required=True)
    v = sub.add_parser("verify", help="check every file of the given sets against its sha256")
    v.add_argument("--sets", default=None,
                   help="comma-separated set names (default: every shipped set, and Manga109 when its folder is given)")
    v.add_argument("--data-root", default=None)
    v.add_argument("--manga109", default=None, help="folder of the 109 Manga109 PNGs (or $SRNAS_MANGA109)")
    f = sub.add_parser("fetch", help="download a dataset that is not shipped")
    f.add_argument("dataset", choices=("div2k",))
    f.add_argument("--split", required=True, choices=("train", "valid"))
    f.add_argument("--dest", default=None, help="target folder (default: <data root>/DIV2K)")
    f.add_argument("--url", default=None, help="override the official archive URL (mirror, file://)")
    f.add_argument("--sha256", default=None, help="expected sha256 of the archive")
    f.add_argument("--trust-first-download", action="store_true",
                   help="no hash pinned yet: accept this download and record its sha256 beside it")
    f.add_argument("--data-root", default=None)
    y = sub.add_parser("synth", help="write a synthetic stand-in of a set that cannot ship (DIV2K's exact layout)")
    y.add_argument("dataset", choices=("div2k",))
    y.add_argument("--dest", required=True, help="folder to write (it becomes a data root: the benchmark sets are linked in)")
    y.add_argument("--size", default="x".join(map(str, DEFAULT_SIZE)), help="HxW of every HR image (multiples of 12), or 'div2k' for DIV2K's own "
                   "frame (1356x2040): a dry run then times validation and derivation at DIV2K's tile counts")
    y.add_argument("--distinct", type=int, default=None, metavar="N",
                   help="draw only N images per split and hard-link the other names to them (fast and small at --size div2k)")
    y.add_argument("--data-root", default=None, help="where to link Set5/Set14/B100/Urban100 and T91 from (default: the data root)")


def _verify(args: argparse.Namespace) -> int:
    source = DataRoot.of(args.data_root, Manga109=args.manga109)  # an argument, never written to os.environ
    root = data_root(source)
    manga_env = get_spec("Manga109").user_supplied_env
    if args.sets is None:
        names = list(CHECKSUMMED)
        if supplied_folder(source, "Manga109", manga_env) is not None and "Manga109" not in names:
            names.append("Manga109")  # supplied by the user: verified by pixel hash like the shipped sets
        elif "Manga109" not in names:
            print(f"skip    Manga109: not redistributable, not supplied (verify yours with --manga109 FOLDER or ${manga_env})")
    else:
        names = [s.strip() for s in args.sets.split(",") if s.strip()]
    failed = 0
    for name in names:
        env = get_spec(name).user_supplied_env
        supplied = supplied_folder(source, name, env) if env else None
        hr_dir = supplied[0] if supplied is not None else None
        report = verify_set(name, root, hr_dir=hr_dir)
        if report.ok:
            print(f"ok      {name}: {report.checked} files")
            continue
        failed += 1
        print(f"FAILED  {name}: " + "; ".join(report.problems[:5]), file=sys.stderr)
        print(f"        to obtain {name}: {get_spec(name).obtain}", file=sys.stderr)
    return 2 if failed else 0


def _fetch(args: argparse.Namespace) -> int:
    dest = args.dest or data_root(args.data_root) / "DIV2K"
    result = download_div2k(args.split, dest, args.url, args.sha256, args.trust_first_download)
    print(f"extracted {result.path} (archive sha256 {result.sha256})")
    if result.pinned_now:
        print("recorded this hash (trust on first use); pin it in datasets/manifests/DIV2K_*.json once confirmed")
    return 0


def _synth(args: argparse.Namespace) -> int:
    from srnas.datasets.synth import DIV2K_FRAME, synth_div2k

    try:
        h, w = DIV2K_FRAME if args.size.lower() == "div2k" else (int(v) for v in args.size.lower().split("x"))
    except ValueError:
        raise SrnasError(f"--size {args.size}: expected HxW, e.g. 96x120, or div2k") from None
    if args.distinct is not None and args.distinct < 1:
        raise SrnasError(f"--distinct {args.distinct}: draw at least one image per split")
    try:
        link = data_root(args.data_root)
    except SrnasError:
        link = None
    try:
        dest = synth_div2k(Path(args.dest), (h, w), link_from=link, distinct=args.distinct)
    except ValueError as exc:
        raise SrnasError(str(exc)) from None
    drawn = f", {args.distinct} drawn per split, the rest hard links" if args.distinct else ""
    print(f"wrote a DIV2K stand-in (900 HR + x2/x3/x4 LR, {h}x{w}{drawn}) under {dest}/DIV2K"
          + (f"; benchmark sets linked from {link}" if link else "") + f". Use it with --data-root {dest}")
    return 0


def run(args: argparse.Namespace) -> int:
    try:
        return {"verify": _verify, "fetch": _fetch, "synth": _synth}[args.action](args)
    except SrnasError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
