"""benchmarks/reported.csv against its schema: the numbers verdicts are made from must be well-formed."""
import csv
import json

import pytest

from srnas.harness.reporting.reported import DEFAULT_CSV, SCHEMA_PATH, ReportedError, load_reported, validate

import pandas as pd


def _rows():
    with open(DEFAULT_CSV, newline="") as fh:
        return list(csv.DictReader(fh))


def test_columns_match_the_schema():
    schema = json.loads(SCHEMA_PATH.read_text())
    with open(DEFAULT_CSV, newline="") as fh:
        header = next(csv.reader(fh))
    assert header == list(schema["columns"])
    assert {"source_table", "protocol", "psnr", "ssim", "scale"} <= set(header)


def test_every_row_is_typed_in_range_and_sourced():
    rows = _rows()
    assert rows
    for i, r in enumerate(rows, start=2):
        assert int(r["scale"]) in (2, 3, 4), i
        assert 20 <= float(r["psnr"]) <= 45, i
        assert r["ssim"] == "" or 0 <= float(r["ssim"]) <= 1, i
        assert r["source_table"].strip(), i
        assert r["paper"].strip() and r["method"].strip(), i


def test_no_duplicate_keys():
    keys = [(r["paper"], r["method"], r["variant"], r["scale"], r["dataset"]) for r in _rows()]
    assert len(keys) == len(set(keys))


def test_protocol_column_names_the_papers_eval_code():
    for r in _rows():
        expected = "hinas" if r["paper"].startswith("HiNAS") else "deconas" if r["paper"].startswith("DeCoNAS") else ""
        assert r["protocol"] == expected


def test_loader_accepts_the_file():
    frame = load_reported()
    assert len(frame) == len(_rows())


@pytest.mark.parametrize(
    "column, value, message",
    [("psnr", "63.1", "outside"), ("scale", "5", "not one of"), ("ssim", "x", "not a float"), ("source_table", "", "required")],
)
def test_validator_rejects_bad_rows(column, value, message):
    frame = pd.read_csv(DEFAULT_CSV, dtype=str, keep_default_na=False).head(3)
    frame.loc[1, column] = value
    with pytest.raises(ReportedError, match=message):
        validate(frame, json.loads(SCHEMA_PATH.read_text()), "reported.csv")


def test_validator_rejects_duplicates():
    frame = pd.read_csv(DEFAULT_CSV, dtype=str, keep_default_na=False).head(2)
    frame = pd.concat([frame, frame.head(1)], ignore_index=True)
    with pytest.raises(ReportedError, match="duplicate key"):
        validate(frame, json.loads(SCHEMA_PATH.read_text()), "reported.csv")
