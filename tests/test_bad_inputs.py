"""Every bad input is a one-line error (exit 2) that names the value and the fix: never a traceback,
never a silently accepted value, never a folder created by a typo."""
import os

import numpy as np
import pytest

from srnas.cli import main
from srnas.errors import SrnasError
from srnas.protocol.metrics import calc_ssim


@pytest.fixture
def a_file(tmp_path):
    f = tmp_path / "a_file"
    f.write_text("x")
    return f


CASES = [
    (["run", "bicubic", "--profile", "smoke", "--seeds", "-1"], "--seeds -1"),
    (["run", "bicubic", "--profile", "smoke", "--threads", "-1"], "--threads -1"),
    (["run", "bicubic", "--profile", "smoke", "--device", "nosuch"], "not a torch device"),
    (["run", "fsrcnn", "--profile", "smoke", "--set", "train.batch=0"], "train.batch: 0 is below 1"),
    (["run", "fsrcnn", "--profile", "smoke", "--set", "train.lr=NaN"], "train.lr: nan is not a finite number"),
    (["run", "fsrcnn", "--profile", "smoke", "--set", "train.steps=-5"], "train.steps: -5 is below 0"),
    (["params", "hnas"], "--variant HNAS-A | HNAS-B | HNAS-C"),
    (["params", "hinas"], "pass --genotype FILE"),
    (["params", "trilevel"], "pass --genotype FILE"),
    (["params", "random"], "random variant 'default' is found by search"),
]


@pytest.mark.parametrize("argv, message", CASES, ids=[" ".join(c[0][:4]) for c in CASES])
def test_bad_input_is_a_one_line_exit_2_error(argv, message, tmp_path, capsys):
    assert main([*argv, "--results", str(tmp_path / "r")] if argv[0] == "run" else argv) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and "Traceback" not in err and len(err.splitlines()) == 1
    assert not list((tmp_path / "r").rglob("*.json")) if (tmp_path / "r").exists() else True


def test_cuda_on_a_cpu_build_is_explained(tmp_path, capsys):
    import torch

    if torch.cuda.is_available():
        pytest.skip("a CUDA device is present")
    assert main(["run", "bicubic", "--profile", "smoke", "--device", "cuda", "--results", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "--device cuda" in err and ("CPU build" in err or "no CUDA device" in err)


@pytest.mark.parametrize("command", [["run", "bicubic", "--profile", "smoke"], ["table"], ["plot"], ["check"]])
def test_a_results_path_that_is_a_file_is_refused(command, a_file, capsys):
    assert main([*command, "--results", str(a_file)]) == 2
    err = capsys.readouterr().err
    assert str(a_file) in err and len(err.strip().splitlines()) == 1


def test_a_results_folder_that_cannot_be_created_is_refused(a_file, capsys):
    assert main(["run", "bicubic", "--profile", "smoke", "--results", str(a_file / "below")]) == 2
    assert "cannot write there" in capsys.readouterr().err


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes to read-only folders; the permission check cannot fail")
def test_a_read_only_results_folder_is_refused(tmp_path, capsys):
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o555)
    assert main(["run", "bicubic", "--profile", "smoke", "--results", str(ro)]) == 2
    assert "cannot write there" in capsys.readouterr().err


@pytest.mark.parametrize("command", [["table"], ["check"], ["plot"]])
def test_a_mistyped_results_folder_is_an_error_and_creates_nothing(command, tmp_path, capsys):
    missing = tmp_path / "reslts"
    assert main([*command, "--results", str(missing)]) == 2
    assert "no such folder" in capsys.readouterr().err and not missing.exists()


def test_an_image_smaller_than_the_ssim_window_is_named():
    with pytest.raises(SrnasError, match="smaller than the 11x11 SSIM window"):
        calc_ssim(np.zeros((8, 20)), np.zeros((8, 20)))


def test_run_help_lists_the_methods_variants_and_config_keys(capsys):
    assert main(["run", "deconas", "--help"]) == 0
    out = capsys.readouterr().out
    assert "DeCoNASNet" in out and "penalty-8" in out and "train.steps" in out and "smoke" in out


def test_version(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0 and "srnas-bench" in capsys.readouterr().out
