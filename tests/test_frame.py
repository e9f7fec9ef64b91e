"""srnas.harness.reporting.frame: the committed records as a tidy table, checked against the committed Markdown tables."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from srnas.harness.reporting.frame import frame

RESULTS = Path(__file__).resolve().parents[1] / "results"
CELL = re.compile(r"(?P<mean>-?\d+\.\d+)(?: ± (?P<std>\d+\.\d+))? \((?P<n>\d+)\)")


def _psnr_table(page: Path) -> dict[tuple[str, str, str], tuple[float, float | None, int]]:
    """{(row label, config hash, set): (mean, std, n)} from a table page's PSNR section."""
    lines = page.read_text().split("## PSNR (dB)", 1)[1].split("\n## ", 1)[0].strip().splitlines()
    header = [c.strip() for c in lines[0].strip("|").split("|")]
    out = {}
    for line in lines[2:]:
        cells = dict(zip(header, (c.strip() for c in line.strip("|").split("|"))))
        for dataset in header[3:]:
            m = CELL.fullmatch(cells[dataset])
            if m:
                out[(cells["method"], cells["config"], dataset)] = (float(m["mean"]), m["std"] and float(m["std"]), int(m["n"]))
    return out


def test_frame_of_the_committed_results_matches_the_short_table() -> None:
    df = frame(RESULTS)
    assert {"method", "variant", "config_hash", "dataset", "psnr", "ssim", "params", "commit", "weights_sha256"} <= set(df.columns)
    cells = _psnr_table(RESULTS / "tables" / "short_x2.md")
    assert len(cells) > 40
    short = df[(df.profile == "short") & (df.scale == 2)]
    for (label, chash, dataset), (mean, std, n) in cells.items():
        method, _, variant = label.partition("/")
        rows = short[(short.method == method) & (short.variant == (variant or "default")) & (short.config_hash == chash)
                     & (short.dataset == dataset)]
        assert len(rows) == n, (label, chash, dataset)
        assert rows.psnr.mean() == pytest.approx(mean, abs=0.005), (label, chash, dataset)
        if std is not None:
            assert rows.psnr.std() == pytest.approx(std, abs=0.005), (label, chash, dataset)


def test_per_image_rows_average_to_the_set_means() -> None:
    per_image = frame(RESULTS, per_image=True)
    sets = frame(RESULTS)
    assert len(per_image) > len(sets)
    with_images = per_image.groupby(["record", "dataset"]).psnr.mean()
    means = sets.set_index(["record", "dataset"]).psnr.loc[with_images.index]
    assert (with_images - means).abs().max() < 1e-9  # the loader already refuses records where this fails


def test_kind_selects_run_or_eval_records_and_rejects_others(tmp_path) -> None:
    assert frame(tmp_path).empty and list(frame(tmp_path).columns)[:3] == ["kind", "method", "variant"]
    assert set(frame(RESULTS, kind="all").kind) >= {"run"}
    with pytest.raises(ValueError, match="kind"):
        frame(RESULTS, kind="runs")  # type: ignore[arg-type]


def test_the_readme_example_runs(capsys, monkeypatch) -> None:
    readme = (RESULTS.parent / "README.md").read_text()
    block = readme.split("**The results as data.**", 1)[1].split("```python\n", 1)[1].split("```", 1)[0]
    monkeypatch.chdir(RESULTS.parent)
    exec(compile(block, "README.md", "exec"), {})
    out = capsys.readouterr().out
    assert "bicubic" in out and "mean" in out and "baby" in out


def test_params_and_sweep_status_print_json(capsys) -> None:
    import json

    from srnas.cli import main

    assert main(["params", "hnas", "--variant", "HNAS-A", "--scale", "2", "--json"]) == 0
    cost = json.loads(capsys.readouterr().out)
    assert cost["params"] == 974019 and cost["macs"][0]["input"] == "1x3x480x480 (LR)"
    assert main(["sweep", "--methods", "fsrcnn", "--profile", "short", "--scales", "2", "--seeds", "0", "1", "2",
                 "--status", "--json", "--results", str(RESULTS)]) == 0
    state = json.loads(capsys.readouterr().out)
    assert state["units"] == 3 and state["counts"] == {"done": 3}
    assert {u["state"] for u in state["unit_states"]} == {"done"} and state["unit_states"][0]["method"] == "fsrcnn"


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_table_format_csv_and_json_carry_the_pages_numbers(fmt, tmp_path, capsys) -> None:
    import json

    import pandas as pd

    from srnas.cli import main

    assert main(["table", "--profile", "short", "--scale", "2", "--results", str(RESULTS), "--out", str(tmp_path), "--format", fmt]) == 0
    capsys.readouterr()
    path = tmp_path / f"short_x2.{fmt}"
    data = pd.read_csv(path) if fmt == "csv" else pd.DataFrame(json.loads(path.read_text()))
    cells = _psnr_table(RESULTS / "tables" / "short_x2.md")
    assert len(data) == len(cells)
    for (label, chash, dataset), (mean, std, n) in cells.items():
        method, _, variant = label.partition("/")
        (row,) = data[(data.method == method) & (data.variant == (variant or "default")) & (data.config_hash == chash)
                      & (data.dataset == dataset)].itertuples()
        assert row.n == n and round(row.psnr_mean, 2) == pytest.approx(mean) and (std is None or round(row.psnr_std, 2) == pytest.approx(std))
    assert not (tmp_path / "short_x2.md").exists()  # the data formats never rewrite the page
