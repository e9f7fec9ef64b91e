"""``srnas eval METHOD --scale S``: score a model on benchmark sets under any protocol preset.

- ``srnas eval bicubic --scale 2``: the MATLAB bicubic baseline (no weights, no record).
- ``srnas eval METHOD --checkpoint W.safetensors [--genotype FILE | --variant NAME] --scale S``: any trained
  model of a registered method, trained here or elsewhere. When the checkpoint sits next to a run record
  (``seed0-<hash>.safetensors`` beside ``seed0-<hash>.json``), the genotype and config come from the record.
  Writes an evaluation record (``kind: eval``, the checkpoint's sha256, no training fields) into
  ``RESULTS/runs`` that ``srnas table`` and ``srnas check`` read like a run record.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

from srnas.errors import ConfigError, SrnasError
from srnas.profiles import PROFILE_NAMES
from srnas.protocol.metrics import PROTOCOLS


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("method", help="registered method (bicubic needs no checkpoint)")
    parser.add_argument("--scale", type=int, required=True, choices=(2, 3, 4))
    parser.add_argument("--checkpoint", default=None, help="trained weights (.safetensors, or a torch state dict)")
    parser.add_argument("--checkpoint-key", default=None,
                        help="state dict inside the checkpoint (default: params_ema when present -- the weights a BasicSR "
                             "EMA run evaluates -- else model, state_dict or params; the record says which)")
    parser.add_argument("--genotype", default=None, help="JSON genotype (or a run record) of the checkpoint's architecture")
    parser.add_argument("--variant", default=None, help="variant (e.g. a published genotype: HNAS-A, DeCoNASNet)")
    parser.add_argument("--profile", default="paper", choices=PROFILE_NAMES,
                        help="config the architecture is built under when no run record is beside the checkpoint (default: paper)")
    parser.add_argument("--config", dest="config_file", default=None, metavar="FILE",
                        help="experiment file of overrides (JSON, or YAML with PyYAML), nested by section; applied before --set")
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY.PATH=VALUE")
    parser.add_argument("--datasets", default="Set5,Set14,B100,Urban100", help="comma-separated set names")
    parser.add_argument("--protocol", default="canonical", choices=sorted(PROTOCOLS))
    parser.add_argument("--self-ensemble", action="store_true", help="score the x8 flip/rotation self-ensemble ('+' rows)")
    parser.add_argument("--lr-source", default="auto", choices=("auto", "disk", "generate"))
    parser.add_argument("--convention", default="symmetric", choices=("symmetric", "replicate"),
                        help="LR border padding to prefer (disk) or generate with")
    parser.add_argument("--data-root", default=None, help="folder holding Set5/ etc. (default: $SRNAS_DATA)")
    parser.add_argument("--device", default=os.environ.get("SRNAS_DEVICE", "cpu"))
    parser.add_argument("--tile", type=int, default=None, help="evaluate in LR tiles of this size (memory)")
    parser.add_argument("--threads", type=int, default=1,
                        help="torch CPU threads (default 1, as `srnas run`: the same thread count gives the same bits)")
    parser.add_argument("--results", default="results", help="where the evaluation record goes (RESULTS/runs)")
    parser.add_argument("--no-record", action="store_true", help="print only; write no evaluation record")
    parser.add_argument("--per-image", action="store_true", help="include per-image scores in the printed JSON")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument("--manga109", default=None, metavar="PATH", help="folder of your Manga109 pages (default: $SRNAS_MANGA109)")


def _table(results: dict[str, dict]) -> str:
    lines = [f"{'set':<10} {'n':>4} {'PSNR':>8} {'SSIM':>7}  LR source"]
    for name, r in results.items():
        lines.append(f"{name:<10} {r['n']:>4} {r['psnr']:>8.3f} {r['ssim']:>7.4f}  {r['lr_source']}")
    return "\n".join(lines)


def _read_json(path: str, what: str) -> Any:
    try:
        return json.loads(Path(path).read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise ConfigError(f"{what} {path}: cannot read it as JSON ({exc})") from None


def _verify_weights(checkpoint: Path, record: dict, beside: Path) -> None:
    """A run's saved weights must be the ones its record sealed: a damaged or swapped file would otherwise be
    scored and enter the tables as an ordinary row (a damaged checkpoint once scored 6.15 dB on Set5)."""
    from srnas.datasets.verify import sha256_file

    expected = (record.get("weights") or {}).get("sha256")
    if not expected:
        return
    actual = sha256_file(checkpoint)
    if actual != expected:
        raise ConfigError(f"{checkpoint}: sha256 {actual} differs from the {expected} that {beside.name} records for its "
                          "weights (damaged or replaced); restore the file, or rerun the unit to regenerate both")


def _architecture(args: argparse.Namespace, method, checkpoint: Path) -> tuple[dict, dict, str, int, str | None]:
    """(genotype, config, variant, seed, source record) for the checkpoint."""
    from srnas.harness.execution.config import resolve_config
    from srnas.harness.execution.pipeline import uses_search

    beside = checkpoint.with_suffix(".json")
    if beside.is_file() and not args.genotype:
        from srnas.harness.execution.records import load_record

        record = load_record(beside)
        if record["method"] != method.name or record["scale"] != args.scale:
            raise ConfigError(f"{beside}: the record beside the checkpoint is {record['method']} x{record['scale']}, "
                              f"not {method.name} x{args.scale}")
        _verify_weights(checkpoint, record, beside)
        return record["genotype"], record["config"], record["variant"], int(record["seed"]), str(beside)
    variant = args.variant or "default"
    config = resolve_config(method, args.profile, args.scale, variant, args.overrides)
    if args.genotype:
        g = _read_json(args.genotype, "--genotype")
        return (g.get("genotype", g) if isinstance(g, dict) else g), config, variant, 0, None
    if uses_search(method, config):
        published = [v for v, o in method.variants().items() if o.get("options", {}).get("genotype")]
        hint = f"--variant {' | '.join(published)} or " if published else ""
        raise ConfigError(f"{method.name} variant {variant!r} is found by search: pass {hint}--genotype FILE for the checkpoint's architecture")
    return method.fixed_genotype(config), config, variant, 0, None


def _evaluate_checkpoint(args: argparse.Namespace, sets: list[str]) -> tuple[dict, Path | None]:
    import torch

    from srnas.config import config_hash
    from srnas.harness.execution.env import git_state, provenance
    from srnas.harness.execution.preflight import check_device, check_eval_sets, check_threads, check_writable_folder
    from srnas.harness.execution.records import RecordExists, record_path, run_key, write_record
    from srnas.harness.execution.pipeline import evaluate_phase, model_cost
    from srnas.harness.execution.runner import to_json
    from srnas.datasets.verify import sha256_file
    from srnas.harness.execution.weights import load_into, load_state_with_key
    from srnas.methods import get_method, plugin_provenance
    from srnas.seeding import numerics_of, numerics_setup
    from srnas.threads import pin_threads

    method = get_method(args.method)
    git_at_start, plugin = git_state(), plugin_provenance(type(method))  # the code that scores (as `srnas run` records it)
    if args.checkpoint is None:
        raise ConfigError(f"{method.name} has trained weights: pass --checkpoint PATH (a run's .safetensors, or your own)")
    device = check_device(args.device)
    check_threads(args.threads)
    checkpoint = Path(args.checkpoint)
    state, state_key, legacy_key = load_state_with_key(checkpoint, args.checkpoint_key)
    genotype, config, variant, seed, source = _architecture(args, method, checkpoint)
    check_eval_sets(sets, args.scale, args.lr_source, args.data_root)
    if not args.no_record:
        check_writable_folder(args.results)
    try:
        model = method.build(genotype, args.scale, config)
    except (ValueError, TypeError, KeyError) as exc:
        raise ConfigError(f"{args.genotype or source or variant}: not a {method.name} genotype ({exc})") from None
    load_into(model, state, str(checkpoint))
    pin_threads(args.threads)
    # the same floating-point regime as `srnas run` (TF32 off, deterministic kernels; or the run's opt-in fast mode)
    numerics = numerics_setup(numerics_of(config))
    ev = {**config["eval"], "datasets": sets, "protocol": args.protocol, "lr_source": args.lr_source,
          "self_ensemble": bool(args.self_ensemble), "tile": args.tile}
    ev.pop("protocol_revision", None)  # the source run's preset may differ from this evaluation's
    if PROTOCOLS[args.protocol].revision > 1:
        ev["protocol_revision"] = PROTOCOLS[args.protocol].revision
    start = time.perf_counter()
    # the run's own evaluation phase (one implementation): the same scores a run record holds, re-measured
    metrics = evaluate_phase(model, args.scale, ev, args.data_root, device, convention=args.convention)
    seconds = time.perf_counter() - start
    if args.no_record:
        return metrics, None
    sha = sha256_file(checkpoint)
    config = {**config, "eval": ev}
    # the device is part of the key on an accelerator (a CPU and a GPU evaluation of one checkpoint are two
    # measurements); CPU evaluations keep the key they always had
    on_device = {"eval_device": str(device)} if str(device) != "cpu" else {}
    # which state dict of the file was scored: part of the key only when it is not the one the loader always
    # took (params_ema of an EMA checkpoint; an explicit --checkpoint-key), so existing keys are unchanged
    by_key = {"checkpoint_key": state_key} if state_key != legacy_key else {}
    chash = config_hash({**config, "checkpoint_sha256": sha, "genotype": genotype, **on_device, **by_key})
    record = {
        "kind": "eval", "method": method.name, "variant": variant, "scale": args.scale, "profile": config["profile"],
        "seed": seed, "config_hash": chash, "config": config, "paper_label": method.paper_label,
        "reported_variant": method.reported_variant(variant), "genotype": genotype,
        "checkpoint": {"path": str(checkpoint), "sha256": sha, "key": state_key,
                       # verified: the sha256 equals the one the run record beside it sealed; a checkpoint with no
                       # record beside it (a model trained elsewhere) is scored but unverified
                       "verified": source is not None},
        "source_record": source, "searched": False,
        "metrics": metrics, "cost": model_cost(model, args.scale, torch.device(device)),
        "timings_s": {"eval": round(seconds, 3)}, "device": device, "numerics": numerics,
        **provenance(torch.device(device), git_at_start, plugin),
    }
    path = record_path(args.results, run_key(method.name, variant, args.scale, config["profile"], seed, chash))
    try:
        write_record(path, to_json(record))
    except RecordExists:
        print(f"already evaluated (same checkpoint, genotype and protocol): {path}", file=sys.stderr)
    return metrics, path


def run(args: argparse.Namespace) -> int:
    from srnas.evaluate import bicubic_upscaler, evaluate  # imports torch: only when a command runs
    from srnas.datasets.paths import DataRoot
    from srnas.threads import pin_threads

    pin_threads(args.threads)  # torch and the BLAS pools (the bicubic path is all numpy/scipy)
    # the Manga109 folder travels with the data root, as an argument (never through os.environ)
    args.data_root = DataRoot.of(args.data_root, Manga109=args.manga109)
    sets = [s.strip() for s in args.datasets.split(",") if s.strip()]
    path = None
    try:
        if args.method == "bicubic" and args.checkpoint is None:
            results = evaluate(bicubic_upscaler(args.scale), args.scale, sets, args.protocol, args.lr_source, args.data_root,
                               per_image=args.per_image, convention=args.convention, ensemble=args.self_ensemble)
        else:
            results, path = _evaluate_checkpoint(args, sets)
            if not args.per_image:
                results = {k: {m: v for m, v in r.items() if m != "images"} for k, r in results.items()}
    except SrnasError as exc:
        print(f"srnas eval: error: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(results, indent=1) if args.json else _table(results))
    if path is not None:
        print(f"evaluation record: {path}", file=sys.stderr)
    return 0
