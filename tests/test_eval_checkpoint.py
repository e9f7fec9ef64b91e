"""Bring a model: every run saves its final weights; `srnas eval --checkpoint` re-scores them exactly, writes
an evaluation record that `srnas check` reads, and names the first tensor of a checkpoint that does not fit."""
import json

import pytest
import torch

from srnas.cli import main
from srnas.errors import SrnasError
from srnas.harness.reporting.claims import judge_cells
from srnas.harness.execution.records import scan_records
from srnas.harness.reporting.reported import load_reported
from srnas.harness.execution.runner import run_method
from srnas.datasets.verify import sha256_file
from srnas.harness.execution.weights import load_into, load_state, weights_path


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    results = tmp_path_factory.mktemp("run")
    (outcome,) = run_method("fsrcnn", 2, [0], "smoke", results=results, quiet=True)
    return results, outcome


def test_a_run_saves_its_weights_with_their_hash_and_per_image_metrics(finished):
    _, outcome = finished
    w = weights_path(outcome.path)
    assert w.is_file() and outcome.record["weights"]["sha256"] == sha256_file(w)
    images = outcome.record["metrics"]["Set5"]["images"]
    assert len(images) == 5
    assert outcome.record["metrics"]["Set5"]["psnr"] == pytest.approx(sum(v["psnr"] for v in images.values()) / 5, abs=1e-12)


def test_re_evaluating_saved_weights_reproduces_the_record_exactly(finished, tmp_path, capsys):
    results, outcome = finished
    argv = ["eval", "fsrcnn", "--scale", "2", "--checkpoint", str(weights_path(outcome.path)), "--datasets", "Set5",
            "--json", "--per-image", "--results", str(tmp_path)]
    assert main(argv) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["Set5"]["psnr"] == outcome.record["metrics"]["Set5"]["psnr"]
    assert printed["Set5"]["images"] == outcome.record["metrics"]["Set5"]["images"]
    (ev,) = scan_records(tmp_path)[0]
    assert ev["kind"] == "eval" and ev["checkpoint"]["sha256"] == outcome.record["weights"]["sha256"]
    assert ev["genotype"] == outcome.record["genotype"] and "train_info" not in ev
    # one provenance for every record kind (harness.execution.env.provenance): the same fields, the same code
    provenance = ("env", "git", "srnas_version", "plugin", "finished_utc")
    assert all(k in ev and k in outcome.record for k in provenance)
    assert ev["git"] == outcome.record["git"] and ev["plugin"] == outcome.record["plugin"]
    assert ev["env"]["torch"] == outcome.record["env"]["torch"]
    assert main(argv) == 0  # the same evaluation again: the record stands, nothing is overwritten
    assert "already evaluated" in capsys.readouterr().err


def test_an_evaluation_record_is_judged_like_a_run_record(tmp_path, capsys, monkeypatch):
    from srnas.methods.fsrcnn import FSRCNNMethod

    monkeypatch.setattr(FSRCNNMethod, "paper_label", "FSRCNN")  # no FSRCNN row is on file; give it one here
    # a paper-profile FSRCNN trained for 3 steps (paper widths) stands in for a model trained elsewhere
    tiny = ["train.steps=3", "train.batch=2", "data.train_set=T91", "data.limit_images=4", 'eval.datasets=["Set5"]']
    (outcome,) = run_method("fsrcnn", 2, [0], "paper", overrides=tiny, results=tmp_path / "run", quiet=True)
    w = weights_path(outcome.path)
    assert main(["eval", "fsrcnn", "--scale", "2", "--checkpoint", str(w), "--datasets", "Set5", "--results", str(tmp_path / "ev")]) == 0
    (ev,) = scan_records(tmp_path / "ev")[0]
    assert ev["profile"] == "paper"
    csv = tmp_path / "reported.csv"
    psnr = ev["metrics"]["Set5"]["psnr"]  # 3 training steps: far below any paper, which is the point
    csv.write_text("paper,method,variant,scale,dataset,psnr,ssim,params_k,flops_g,flops_input,search_cost,protocol,source_table,expect\n"
                   "P,FSRCNN,,2,Set5,37.00,,,,,,canonical,T1,\n")
    (v,) = [v for v in judge_cells(load_reported(csv), [ev]) if v.kind == "psnr"]
    assert v.verdict == "below" and v.measured == psnr


def test_a_checkpoint_that_does_not_fit_names_the_first_tensor(finished, tmp_path, capsys):
    _, outcome = finished
    state = load_state(weights_path(outcome.path))
    name = next(iter(state))
    bad = dict(state)
    bad[name] = torch.zeros(3, 1)
    torch.save(bad, tmp_path / "bad.pt")
    assert main(["eval", "fsrcnn", "--scale", "2", "--checkpoint", str(tmp_path / "bad.pt"), "--genotype", str(outcome.path),
                 "--profile", "smoke", "--datasets", "Set5", "--no-record"]) == 2
    err = capsys.readouterr().err
    assert repr(name) in err and "(3, 1)" in err
    del bad[name]
    with pytest.raises(SrnasError, match="missing from the checkpoint"):
        from srnas.methods import get_method
        from srnas.harness.execution.config import resolve_config

        m = get_method("fsrcnn")
        cfg = resolve_config(m, "smoke", 2)
        load_into(m.build(outcome.record["genotype"], 2, cfg), bad, "bad.pt")


def test_a_searched_method_needs_a_genotype_or_a_published_variant(tmp_path, capsys):
    (tmp_path / "w.pt").write_bytes(b"")
    torch.save({}, tmp_path / "w.pt")
    assert main(["eval", "hnas", "--scale", "2", "--checkpoint", str(tmp_path / "w.pt"), "--no-record"]) == 2
    assert "--variant HNAS-A" in capsys.readouterr().err


def test_a_basicsr_ema_checkpoint_is_scored_by_its_ema_weights_and_the_record_says_so(finished, tmp_path, capsys):
    """BasicSR keeps the weights it evaluates under params_ema; the loader used to take params silently."""
    _, outcome = finished
    trained = load_state(weights_path(outcome.path))
    raw = {k: torch.zeros_like(v) for k, v in trained.items()}  # the raw weights: other numbers
    torch.save({"params": raw, "params_ema": trained}, tmp_path / "net_g_ema.pth")
    base = ["eval", "fsrcnn", "--scale", "2", "--checkpoint", str(tmp_path / "net_g_ema.pth"), "--genotype", str(outcome.path),
            "--profile", "smoke", "--datasets", "Set5", "--json", "--results", str(tmp_path / "res")]
    assert main(base) == 0
    ema = json.loads(capsys.readouterr().out)["Set5"]["psnr"]
    assert ema == outcome.record["metrics"]["Set5"]["psnr"]
    assert main([*base, "--checkpoint-key", "params"]) == 0
    assert abs(json.loads(capsys.readouterr().out)["Set5"]["psnr"] - ema) > 1  # the other state dict was scored
    records, _ = scan_records(tmp_path / "res")
    assert sorted(r["checkpoint"]["key"] for r in records) == ["params", "params_ema"]
    assert len({r["config_hash"] for r in records}) == 2  # two sets of weights of one file: two records
    assert main([*base, "--checkpoint-key", "nope"]) == 2
    assert "no state dict under key 'nope'; it has params, params_ema" in capsys.readouterr().err
