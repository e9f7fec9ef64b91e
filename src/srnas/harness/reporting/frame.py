"""The run and evaluation records as one tidy table (pandas), for analysis outside the suite's pages.

``srnas.frame(results)`` gives one row per record x evaluation set with the columns a researcher filters and
groups by (method, variant, scale, profile, seed, config hash, protocol, PSNR, SSIM, params, MACs, timings,
device, commit, weights hash, record path); ``per_image=True`` one row per image instead. Records are read
through the same verified loader as the tables (``scan_records``: sealed, consistent, at their own path), so
a defective file is left out here exactly as it is left out of every page.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import pandas as pd

from srnas.harness.execution.records import scan_records

Kind = Literal["run", "eval", "all"]

COLUMNS = ["kind", "method", "variant", "scale", "profile", "seed", "config_hash", "dataset", "protocol", "lr_source",
           "n_images", "psnr", "ssim", "params", "macs_480", "macs_per_lr_pixel", "search_s", "train_s", "eval_s",
           "device", "commit", "dirty", "weights_sha256", "verified", "record"]


def _record_kind(record: dict[str, Any]) -> str:
    return "eval" if record.get("kind") == "eval" else "run"


def _common(record: dict[str, Any], path: Path) -> dict[str, Any]:
    cost = record.get("cost") or {}
    macs = (cost.get("macs") or [{}])[0]
    timings = record.get("timings_s") or {}
    git = record.get("git") or {}
    weights = record.get("weights") or {}
    return {"kind": _record_kind(record), "method": record.get("method"), "variant": record.get("variant"),
            "scale": record.get("scale"), "profile": record.get("profile"), "seed": record.get("seed"),
            "config_hash": record.get("config_hash"), "params": cost.get("params"), "macs_480": macs.get("macs"),
            "macs_per_lr_pixel": macs.get("macs_per_lr_pixel"), "search_s": timings.get("search"),
            "train_s": timings.get("train"), "eval_s": timings.get("eval"), "device": record.get("device"),
            "commit": git.get("commit"), "dirty": git.get("dirty"),
            "weights_sha256": weights.get("sha256") or (record.get("checkpoint") or {}).get("sha256"),
            "verified": (record.get("checkpoint") or {}).get("verified") if _record_kind(record) == "eval" else None,
            "record": str(path)}


def frame(results: str | Path = "results", kind: Kind = "run", per_image: bool = False) -> pd.DataFrame:
    """The records under ``results`` as a DataFrame (see the module docstring).

    ``kind``: ``run`` records (search/train/evaluate), ``eval`` records (``srnas eval --checkpoint``), or ``all``.
    ``per_image``: one row per image (columns ``image``, ``psnr``, ``ssim``) for records that carry per-image
    metrics; sets without them are left out of that view."""
    if kind not in ("run", "eval", "all"):
        raise ValueError(f"kind must be 'run', 'eval' or 'all', not {kind!r}")
    records, _ = scan_records(Path(results))
    rows = []
    for record in records:
        if kind != "all" and _record_kind(record) != kind:
            continue
        base = _common(record, Path(record.get("_path", "")))
        for dataset, m in sorted((record.get("metrics") or {}).items()):
            if not isinstance(m, dict):
                continue
            entry = {**base, "dataset": dataset, "protocol": m.get("protocol"), "lr_source": m.get("lr_source"),
                     "n_images": m.get("n")}
            if per_image:
                for image, s in sorted((m.get("images") or {}).items()):
                    rows.append({**entry, "image": image, "psnr": s.get("psnr"), "ssim": s.get("ssim")})
            else:
                rows.append({**entry, "psnr": m.get("psnr"), "ssim": m.get("ssim")})
    columns = COLUMNS[:11] + ["image"] + COLUMNS[11:] if per_image else COLUMNS
    return pd.DataFrame(rows, columns=columns)


def table_frame(results: str | Path, profile: str, scale: int, methods: list[str] | None = None) -> pd.DataFrame:
    """The numbers behind a ``srnas table`` page as data: one row per config (method, variant, config hash) and
    set, with the seeds, the mean, the sample std (None for one seed) and n of PSNR and SSIM, the mean params and
    MACs per LR pixel. The page's cells are these numbers rounded (tests/test_frame.py checks it)."""
    df = frame(results)
    df = df[(df.profile == profile) & (df.scale == scale)]
    if methods:
        df = df[df.method.isin(methods)]
    keys = ["method", "variant", "config_hash", "dataset"]
    if df.empty:
        return pd.DataFrame(columns=[*keys, "seeds", "n", "psnr_mean", "psnr_std", "ssim_mean", "ssim_std", "params", "macs_per_lr_pixel"])
    grouped = df.groupby(keys, sort=True)
    out = grouped.agg(seeds=("seed", lambda s: " ".join(str(v) for v in sorted(s))), n=("seed", "size"),
                      psnr_mean=("psnr", "mean"), psnr_std=("psnr", "std"), ssim_mean=("ssim", "mean"),
                      ssim_std=("ssim", "std"), params=("params", "mean"), macs_per_lr_pixel=("macs_per_lr_pixel", "mean"))
    return out.reset_index()
