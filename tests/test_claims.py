"""The claims ledger: data files against their schemas, verdict rules, presets side by side, `srnas check`."""
import csv
import json

import numpy as np
import pandas as pd
import pytest

from srnas.cli import main
from srnas.datasets.loading import load_hr
from srnas.harness.reporting import claims as C
from srnas.harness.execution.records import record_path, run_key, write_record
from srnas.harness.reporting.reported import ReportedError, load_reported, validate
from srnas.protocol.imresize import imresize, modcrop
from srnas.protocol.metrics import score_pair

HEADER = "paper,method,variant,scale,dataset,psnr,ssim,params_k,flops_g,flops_input,search_cost,protocol,source_table,expect"


# ------------------------------------------------------------------------------------------ data files

@pytest.mark.parametrize("csv_path, schema_path", [
    (C.CLAIMS_CSV, C.CLAIMS_SCHEMA),
    (C.LEDGER_DIR / "reported.csv", C.LEDGER_DIR / "reported.schema.json"),
])
def test_every_claims_file_matches_its_schema(csv_path, schema_path):
    schema = json.loads(schema_path.read_text())
    with open(csv_path, newline="") as fh:
        header = next(csv.reader(fh))
    assert header == list(schema["columns"])
    frame = pd.read_csv(csv_path, dtype=str, keep_default_na=False)
    assert len(frame) > 0
    validate(frame, schema, str(csv_path))  # raises on any bad row


def test_claims_are_sourced_and_measurable():
    frame = C.load_claims()
    C.check_measures(frame)  # each a harness measure or one its plugin contributes
    for _, row in frame.iterrows():
        assert row["measure"] in C.MEASURES or row["measure"] in C.plugin_measures_of(row["suite_method"]), row["claim_id"]
    for _, row in frame.iterrows():
        assert row["source"].strip() and row["paper"].strip()
        if row["measure"] != "not_in_suite":
            assert row["suite_method"], row["claim_id"]
        if row["tolerance_mode"] == "range":
            assert float(row["reported_high"]) >= float(row["reported"])


def test_claims_validator_rejects_an_unknown_measure(tmp_path):
    """A measure is the harness's or one the row's plugin contributes (Method.measures); anything else is
    named, with the file, before any claim is judged."""
    frame = C.load_claims().head(2).copy()
    frame.loc[0, "measure"] = "guess"
    with pytest.raises(ReportedError, match=r"claims.csv: claim .* names measure 'guess'.*fix its `measure` column"):
        C.check_measures(frame, "claims.csv")
    path = tmp_path / "claims.csv"
    frame.to_csv(path, index=False)
    with pytest.raises(ReportedError, match="names measure 'guess'"):
        C.load_claims(path)
    # a plugin's measure counts only for that plugin's rows
    mine = C.load_claims()
    memory = mine[mine["measure"] == "cell_sharing_memory"].copy()
    assert len(memory) == 1 and memory.iloc[0]["suite_method"] == "hinas"
    C.check_measures(memory)
    memory.loc[memory.index[0], "suite_method"] = "deconas"
    with pytest.raises(ReportedError, match="deconas plugin"):
        C.check_measures(memory)


def test_bicubic_rows_are_the_expected_ones():
    frame = load_reported()
    expected = frame[frame["expect"] == "reproduce"]
    assert len(expected) >= 16 and set(expected["method"].str.lower()) == {"bicubic"}


# ------------------------------------------------------------------------------------- verdict rules

def _claim(**kw):
    row = {"claim_id": "p/params/x/x2", "paper": "P", "source": "T1", "kind": "params", "subject": "X", "suite_method": "m",
           "suite_variant": "v", "scale": "2", "reported": "100", "reported_high": "", "unit": "K params", "tolerance": "1",
           "tolerance_mode": "abs", "input_size": "", "gpu": "", "measure": "published_params", "expect": "reproduce", "quote": ""}
    row.update(kw)
    return pd.Series(row)


def test_a_claim_with_no_measurement_is_never_judged():
    v = C.judge_claim(_claim(), C.Measurement(None, "needs a GPU"))
    assert v.verdict == C.NO_MEASUREMENT and v.reason == "needs a GPU"
    assert C.unmet_expectations([v]) == []  # nothing measured -> nothing failed


def test_a_measurement_outside_tolerance_flips_the_verdict():
    assert C.judge_claim(_claim(), C.Measurement(100.9)).verdict == C.REPRODUCED
    assert C.judge_claim(_claim(), C.Measurement(101.2)).verdict == C.ABOVE
    assert C.judge_claim(_claim(), C.Measurement(98.5)).verdict == C.BELOW
    assert C.unmet_expectations([C.judge_claim(_claim(), C.Measurement(98.5))]) == ["p/params/x/x2"]


def test_ranges_need_every_measured_value_inside():
    row = _claim(reported="230", reported_high="280", tolerance="0", tolerance_mode="range")
    assert C.judge_claim(row, C.Measurement([240.0, 279.0])).verdict == C.REPRODUCED
    assert C.judge_claim(row, C.Measurement([240.0, 281.0])).verdict == C.ABOVE


def test_a_known_limit_makes_it_not_reproducible_as_stated_and_no_number_says_so():
    row = _claim(reported="3", unit="x", tolerance="0.1", tolerance_mode="rel", expect="")
    v = C.judge_claim(row, C.Measurement(1.33, "measured", known_limit="ceiling 1.4x"))
    assert v.verdict == C.NOT_AS_STATED and "ceiling 1.4x" in v.reason
    assert C.judge_claim(_claim(reported=""), C.Measurement(5.0, "built")).verdict == C.NO_REPORTED


def _bicubic_record(preset, psnr, ssim, seed=0, dataset="Set5"):
    return {"method": "bicubic", "variant": "default", "scale": 2, "profile": "paper", "seed": seed, "config_hash": f"h{preset}",
            "config": {"eval": {"protocol": preset, "self_ensemble": False}}, "metrics": {dataset: {"psnr": psnr, "ssim": ssim}}}


def _reported(tmp_path, rows):
    path = tmp_path / "reported.csv"
    path.write_text(HEADER + "\n" + "\n".join(rows) + "\n")
    return load_reported(path)


def test_cells_are_judged_under_both_presets_and_the_known_protocol_explains_a_miss(tmp_path):
    rep = _reported(tmp_path, ["P,bicubic,,2,Set5,33.66,0.9299,,,,,hinas,T12,reproduce"])
    records = [_bicubic_record("hinas", 33.40, 0.9300), _bicubic_record("canonical", 33.67, 0.9303)]
    vs = {v.claim_id: v for v in C.judge_cells(rep, records)}
    psnr_h, psnr_c = vs["p/bicubic/x2/Set5/psnr@hinas"], vs["p/bicubic/x2/Set5/psnr@canonical"]
    assert psnr_c.verdict == C.REPRODUCED
    # canonical reproduces, the paper's preset does not: reproduced under canonical only; the presets differ by
    # 0.27 dB > 2 x 0.1, so the row may say the number was computed with canonical's protocol
    assert psnr_h.verdict == C.CANONICAL_ONLY and "was computed with `canonical`" in psnr_h.reason
    assert C.unmet_expectations(vs.values()) == []
    # shift canonical out of tolerance as well: now nothing reproduces and the expectation fails
    records[1] = _bicubic_record("canonical", 33.50, 0.9303)
    vs = C.judge_cells(rep, records)
    assert {v.verdict for v in vs if v.kind == "psnr"} == {C.BELOW}
    assert C.unmet_expectations(vs) == ["p/bicubic/x2/Set5/psnr"]


def test_cells_without_records_or_plugin_are_not_judged(tmp_path):
    rep = _reported(tmp_path, ["P,bicubic,,2,Set5,33.66,0.9299,,,,,hinas,T12,reproduce", "P,EDSR,,2,Set5,38.11,0.9602,,,,,hinas,T12,"])
    vs = C.judge_cells(rep, [])
    assert {v.verdict for v in vs} == {C.NO_MEASUREMENT}
    assert all(v.cited for v in vs if "EDSR" in v.claim_id) and not any(v.cited for v in vs if "bicubic" in v.claim_id)
    # short-profile records and self-ensembled ones are never used for a paper cell
    short = {**_bicubic_record("canonical", 33.66, 0.93), "profile": "short"}
    ens = _bicubic_record("canonical", 33.66, 0.93)
    ens["config"]["eval"]["self_ensemble"] = True
    assert {v.verdict for v in C.judge_cells(rep, [short, ens])} == {C.NO_MEASUREMENT}


def test_two_papers_printing_one_baseline_differently_is_shown(tmp_path):
    rep = _reported(tmp_path, ["HiNAS (x),VDSR,,2,Set5,37.53,0.9590,,,,,hinas,T12,", "DeCoNAS (y),VDSR,,2,Set5,37.53,0.9587,,,,,deconas,T,",
                               "HiNAS (x),bicubic,,2,Set5,33.66,0.9299,,,,,hinas,T12,reproduce", "DeCoNAS (y),Bicubic,,2,Set5,33.66,0.9299,,,,,deconas,T,reproduce"])
    d = {x["method"].lower(): x for x in C.cross_paper_disagreements(rep)}
    assert d["vdsr"]["agree"] is False and d["bicubic"]["agree"] is True
    assert d["vdsr"]["by_paper"] == {"hinas": "37.53 / 0.9590", "deconas": "37.53 / 0.9587"}


# ------------------------------------------------------------------------------ the real measurements

def test_published_and_searched_sizes_on_file():
    frame = C.load_claims().set_index("claim_id", drop=False)
    m = C.measure_published_params(frame.loc["deconas/params/DeCoNASNet/x2"], [])
    assert m.value == pytest.approx(1713.795)
    assert C.judge_claim(frame.loc["deconas/params/DeCoNASNet/x2"], m).verdict == C.REPRODUCED
    hnas = C.judge_claim(frame.loc["hnas/params/HNAS-A/x2"], C.measure_published_params(frame.loc["hnas/params/HNAS-A/x2"], []))
    assert hnas.verdict == C.NO_REPORTED and hnas.measured == pytest.approx(974.019)
    gpu = C.judge_claim(frame.loc["hinas/search_cost/cell-sharing"], C.measure_search_gpu_hours(frame.loc["hinas/search_cost/cell-sharing"], []))
    assert gpu.verdict == C.NO_MEASUREMENT and "needs a GPU" in gpu.reason


def test_search_cost_is_read_only_from_gpu_records():
    row = C.load_claims().set_index("claim_id", drop=False).loc["deconas/search_cost/DeCoNAS"]
    rec = {"method": "deconas", "variant": "default", "profile": "paper", "scale": 2, "searched": True, "timings_s": {"search": 36000.0}}
    assert C.measure_search_gpu_hours(row, [{**rec, "device": "cpu"}]).value is None
    # DeCoNAS does not state its GPU: a CUDA time is stated beside the claim, never judged against it
    m = C.measure_search_gpu_hours(row, [{**rec, "device": "cuda:0", "env": {"gpu": "NVIDIA H100 80GB HBM3"}}])
    v = C.judge_claim(row, m)
    assert m.value is None and v.verdict == C.OTHER_HARDWARE and "10.00 h" in v.reason and "H100" in v.reason
    # the paper's GPU model (however the driver spells it) is judged
    row = C.load_claims().set_index("claim_id", drop=False).loc["hinas/search_cost/cell-sharing"]
    rec = {**rec, "method": "hinas", "timings_s": {"search": 3.4 * 3600}}
    m = C.measure_search_gpu_hours(row, [{**rec, "device": "cuda:0", "env": {"gpu": "NVIDIA GeForce GTX 1080 Ti"}},
                                         {**rec, "device": "cuda:0", "env": {"gpu": "NVIDIA H100 80GB HBM3"}, "timings_s": {"search": 3600.0}}])
    v = C.judge_claim(row, m)
    assert m.value == pytest.approx(3.4) and v.verdict == C.REPRODUCED and "not compared: 1.00 h" in v.reason


# --------------------------------------------------------------------------------- presets (issue 10)

@pytest.mark.parametrize("preset", ["hnas", "deconas"])
def test_set14_bridge_is_loaded_as_rgb_by_hnas_and_deconas(preset):
    hr = modcrop(dict(load_hr("Set14"))["bridge"], 2)
    assert hr.ndim == 2
    sr = imresize(imresize(hr, 0.5), 2)
    as_rgb = score_pair(np.repeat(sr[..., None], 3, 2), np.repeat(hr[..., None], 3, 2), 2, preset)
    ours = score_pair(sr, hr, 2, preset)
    canonical = score_pair(sr, hr, 2, "canonical")
    assert ours["psnr"] == pytest.approx(as_rgb["psnr"], abs=1e-9)
    assert ours["psnr"] - canonical["psnr"] == pytest.approx(1.32, abs=0.01)


def test_deconas_preset_makes_a_rounded_lr_from_hr():
    from srnas.evaluate import bicubic_upscaler, evaluate

    seen = []

    def spy(lr):
        seen.append(lr)
        return bicubic_upscaler(2)(lr)

    out = evaluate(spy, 2, ["Set5"], "deconas")["Set5"]
    assert "rounded" in out["lr_source"]
    assert seen[0].dtype == np.uint8  # rounded to 8-bit levels, as the code's image_degradation does


def test_self_ensemble_of_an_equivariant_upscaler_is_itself_and_is_recorded():
    from srnas.evaluate import evaluate, self_ensemble

    nearest = lambda lr: np.repeat(np.repeat(lr.astype(np.float64), 2, 0), 2, 1)  # noqa: E731
    lr = np.random.default_rng(0).integers(0, 256, (9, 13, 3)).astype(np.uint8)
    assert np.array_equal(self_ensemble(nearest)(lr), nearest(lr))
    out = evaluate(nearest, 2, ["Set5"], "canonical", ensemble=True)["Set5"]
    assert out["self_ensemble"] is True


# --------------------------------------------------------------------------------------- srnas check

def _write_bicubic(results, preset, psnr):
    rec = {**_bicubic_record(preset, psnr, 0.9303), "paper_label": "bicubic", "reported_variant": None}
    key = run_key("bicubic", "default", 2, "paper", 0, rec["config_hash"])
    write_record(record_path(results, key), rec)


def test_check_json_judges_and_exits_1_only_on_an_unmet_expectation(tmp_path, capsys):
    csv_path = tmp_path / "reported.csv"
    csv_path.write_text(HEADER + "\nP,bicubic,,2,Set5,33.66,0.9299,,,,,hinas,T12,reproduce\nP,EDSR,,2,Set5,38.1,,,,,,hinas,T12,\n")
    results = tmp_path / "results"
    _write_bicubic(results, "canonical", 33.67)
    args = ["check", "--results", str(results), "--reported", str(csv_path), "--json"]
    assert main(args) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    keys = {"claim_id", "paper", "source", "kind", "subject", "reported", "measured", "unit", "tolerance", "verdict", "reason"}
    assert all(keys <= set(obj) for obj in lines)
    by_id = {o["claim_id"]: o for o in lines}
    assert by_id["p/bicubic/x2/Set5/psnr@canonical"]["verdict"] == "reproduced"
    assert by_id["p/bicubic/x2/Set5/psnr@hinas"]["verdict"] == "no measurement yet"
    assert by_id["p/EDSR/x2/Set5/ssim"]["verdict"] == "no reported number on file"
    assert (results / "verdicts.md").read_text().startswith("# Verdicts")
    # the same verdicts as data beside the page: the objects --json printed, with their counts
    data = json.loads((results / "verdicts.json").read_text())
    assert data["verdicts"] == lines and data["unmet_expectations"] == []
    assert data["counts"]["reproduced"] == sum(o["verdict"] == "reproduced" for o in lines)
    # a bicubic cell measured 0.3 dB off under the only preset that has a record: expectation not met -> exit 1
    results2 = tmp_path / "results2"
    _write_bicubic(results2, "canonical", 33.36)
    assert main(["check", "--results", str(results2), "--reported", str(csv_path)]) == 1
    assert "EXPECTATION NOT MET: p/bicubic/x2/Set5/psnr" in capsys.readouterr().out


def test_the_committed_verdicts_page_is_what_check_writes_from_the_committed_records(tmp_path, capsys):
    """`srnas check` regenerates results/verdicts.md and .json from the committed records; a page left
    behind by later records (it had kept reasons naming 11 searched HiNAS records after 16 were on file)
    is a stale page a researcher would read first. Written to a scratch page, compared byte for byte."""
    from pathlib import Path

    from srnas.cli import main

    results = Path(__file__).resolve().parents[1] / "results"
    assert main(["check", "--results", str(results), "--page", str(tmp_path / "verdicts.md")]) == 0
    capsys.readouterr()
    assert (tmp_path / "verdicts.md").read_text() == (results / "verdicts.md").read_text(), \
        "results/verdicts.md is stale: run `srnas check` and commit the page"
    assert (tmp_path / "verdicts.json").read_text() == (results / "verdicts.json").read_text()
