"""Nothing wrong slips into a table (issue 27): damaged checkpoints, re-sealed edited records, mistyped paths."""
import json
import shutil

import pytest

from srnas.cli import main
from srnas.datasets.verify import sha256_file
from srnas.harness.reporting.aggregate import group_records
from srnas.harness.execution.records import expected_path, load_records, scan_records, seal
from srnas.harness.execution.runner import run_method
from srnas.harness.execution.weights import weights_path


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    results = tmp_path_factory.mktemp("run")
    (outcome,) = run_method("fsrcnn", 2, [0], "smoke", results=results, quiet=True)
    return results, outcome


def test_a_damaged_checkpoint_is_refused_with_both_hashes(finished, tmp_path, capsys):
    results, outcome = finished
    copy = tmp_path / "runs"
    shutil.copytree(results / "runs", copy)
    record = next(copy.rglob("*.json"))
    weights = weights_path(record)
    blob = bytearray(weights.read_bytes())
    blob[-7] ^= 0xFF  # one flipped byte in the tensor data
    weights.write_bytes(bytes(blob))
    out = tmp_path / "evals"
    assert main(["eval", "fsrcnn", "--checkpoint", str(weights), "--scale", "2", "--datasets", "Set5", "--results", str(out)]) == 2
    err = capsys.readouterr().err
    assert outcome.record["weights"]["sha256"] in err and sha256_file(weights) in err
    assert not (out / "runs").exists()  # nothing scored, nothing written


def test_a_checkpoint_without_a_record_is_scored_but_marked_unverified(finished, tmp_path, capsys):
    _, outcome = finished
    loose = tmp_path / "elsewhere.safetensors"
    shutil.copyfile(weights_path(outcome.path), loose)
    out = tmp_path / "evals"
    assert main(["eval", "fsrcnn", "--checkpoint", str(loose), "--profile", "smoke", "--scale", "2", "--datasets", "Set5",
                 "--results", str(out)]) == 0
    (rec,) = load_records(out)
    assert rec["checkpoint"]["verified"] is False
    (group,) = group_records([rec])
    assert group.label.endswith("(unverified checkpoint)")
    # the run's own file, beside its record, is verified
    out2 = tmp_path / "evals2"
    assert main(["eval", "fsrcnn", "--checkpoint", str(weights_path(outcome.path)), "--scale", "2", "--datasets", "Set5",
                 "--results", str(out2)]) == 0
    assert load_records(out2)[0]["checkpoint"]["verified"] is True


def test_a_resealed_record_whose_mean_disagrees_with_its_images_is_refused_and_named(finished, tmp_path, capsys):
    results, _ = finished
    copy = tmp_path / "res"
    shutil.copytree(results / "runs", copy / "runs")
    path = next((copy / "runs").rglob("*.json"))
    record = json.loads(path.read_text())
    record["metrics"]["Set5"]["psnr"] += 0.5  # the set mean edited, the per-image scores left alone
    path.write_text(json.dumps(seal(record)))  # and re-sealed: the checksum alone cannot catch it
    assert expected_path(copy, record) == path
    records, problems = scan_records(copy)
    assert records == [] and len(problems) == 1 and "not the mean of its 5 per-image scores" in str(problems[0])
    assert main(["check", "--results", str(copy), "--no-page"]) in (0, 1)
    assert "not the mean" in capsys.readouterr().err


def test_a_mistyped_results_parent_is_refused(tmp_path, capsys):
    target = tmp_path / "no" / "such" / "place"
    assert main(["run", "bicubic", "--profile", "smoke", "--results", str(target)]) == 2
    assert "does not exist" in capsys.readouterr().err and not (tmp_path / "no").exists()


@pytest.mark.parametrize("argv, names", [
    (["run", "fsrcnn", "--profile", "smoke", "--set", "model.d=0"], "model.d=0"),
    (["run", "fsrcnn", "--profile", "smoke", "--set", "train.loss=nosuch"], "train.loss"),
    (["run", "fsrcnn", "--profile", "smoke", "--set", "train.amp=fp64"], "train.amp"),
    (["sweep", "--methods", "nosuch", "--profile", "smoke"], "unknown method 'nosuch'"),
    (["eval", "nosuch", "--scale", "2"], "unknown method 'nosuch'"),
])
def test_bad_input_is_one_line_and_exit_2_before_any_work(tmp_path, capsys, argv, names):
    assert main([*argv, "--results", str(tmp_path / "r")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "error:" in err[0] and names in err[0] and "Traceback" not in err[0]
    assert not (tmp_path / "r" / "runs").exists()
