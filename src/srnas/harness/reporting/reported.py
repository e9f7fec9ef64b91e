"""Reported numbers (benchmarks/reported.csv): loaded, validated against their schema, and looked up.

The CSV is data, not code, so a typo in it must fail loudly (``ReportedError``) rather than turn a verdict.
A lookup never invents a number: a method without rows gets ``None``, which the tables print as
"no reported number on file".
"""
from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from srnas.errors import SrnasError
from srnas.harness.execution.env import LEDGER_DIR

DEFAULT_CSV = LEDGER_DIR / "reported.csv"
SCHEMA_PATH = LEDGER_DIR / "reported.schema.json"


class ReportedError(SrnasError):
    """The reported-numbers file is missing or violates its schema."""


@dataclass(frozen=True)
class Reported:
    """One reported (PSNR, SSIM) pair and where it was printed."""

    psnr: float
    ssim: float | None
    paper: str
    source_table: str
    protocol: str
    expect: bool = False  # ``expect: reproduce``: judged with the gate under canonical (claims.cell_tolerance)


def reported_path(override: str | os.PathLike | None = None) -> Path:
    """``--reported`` beats ``SRNAS_REPORTED`` beats the repository's benchmarks/reported.csv."""
    return Path(override or os.environ.get("SRNAS_REPORTED") or DEFAULT_CSV)


def load_schema() -> dict:
    return json.loads(SCHEMA_PATH.read_text())


def validate(frame: pd.DataFrame, schema: dict, where: str) -> None:
    """Columns, types, ranges, choices and key uniqueness; raises ``ReportedError`` with the row number."""
    columns = schema["columns"]
    if list(frame.columns) != list(columns):
        raise ReportedError(f"{where}: columns {list(frame.columns)} differ from the schema's {list(columns)}")
    for name, spec in columns.items():
        for i, raw in frame[name].items():
            line = f"{where}:{int(i) + 2} {name}={raw!r}"  # +2: header line, 1-based
            if raw == "":
                if spec.get("required"):
                    raise ReportedError(f"{line}: required value is empty")
                continue
            value: object = raw
            try:
                value = {"int": int, "float": float, "str": str}[spec["type"]](raw)
            except ValueError:
                raise ReportedError(f"{line}: not a {spec['type']}") from None
            if "choices" in spec and value not in spec["choices"]:
                raise ReportedError(f"{line}: not one of {spec['choices']}")
            if ("min" in spec and value < spec["min"]) or ("max" in spec and value > spec["max"]):
                raise ReportedError(f"{line}: outside [{spec.get('min')}, {spec.get('max')}]")
    duplicated = frame.duplicated(schema["key"], keep=False)
    if duplicated.any():
        first = frame[duplicated].iloc[0]
        raise ReportedError(f"{where}: duplicate key {tuple(first[k] for k in schema['key'])}")


def load_reported(path: str | os.PathLike | None = None) -> pd.DataFrame:
    """The validated CSV as strings (exactly as printed) plus numeric ``psnr_f``/``ssim_f``/``scale_i``."""
    csv = reported_path(path)
    if not csv.is_file():
        raise ReportedError(f"{csv}: reported-numbers file not found (set --reported or SRNAS_REPORTED)")
    frame = pd.read_csv(csv, dtype=str, keep_default_na=False)
    validate(frame, load_schema(), str(csv))
    frame["psnr_f"] = frame["psnr"].astype(float)
    frame["ssim_f"] = pd.to_numeric(frame["ssim"].replace("", None))
    frame["scale_i"] = frame["scale"].astype(int)
    return frame


def lookup(frame: pd.DataFrame, label: str | None, variant: str | None, scale: int, datasets: Sequence[str]) -> dict[str, Reported]:
    """dataset -> reported number for a method's ``paper_label`` and ``reported_variant`` (None/'' = main row).

    Labels match case-insensitively (DeCoNAS prints ``Bicubic``, HiNAS ``bicubic``) but otherwise exactly
    (``FSRCNN(KD)`` is not ``FSRCNN``). If several papers print the same label, the
    first row in file order is used and its paper is named in the table.
    """
    if not label:
        return {}
    rows = frame[(frame["method"].str.lower() == label.lower()) & (frame["variant"] == (variant or "")) & (frame["scale_i"] == scale)]
    out: dict[str, Reported] = {}
    for _, row in rows.iterrows():
        if row["dataset"] in datasets and row["dataset"] not in out:
            ssim = None if pd.isna(row["ssim_f"]) else float(row["ssim_f"])
            out[row["dataset"]] = Reported(float(row["psnr_f"]), ssim, row["paper"], row["source_table"], row["protocol"],
                                           expect=row.get("expect", "") == "reproduce")
    return out
