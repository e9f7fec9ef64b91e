"""``--config FILE``: an experiment file of overrides applied before ``--set``, through the same checks, giving
the same resolved config and hash as the equivalent flags; ``train.betas`` is settable."""
from __future__ import annotations

import json

import pytest
import torch

from srnas.cli import main
from srnas.config import overrides_from_file
from srnas.errors import ConfigError
from srnas.harness.execution.config import resolve_config
from srnas.methods import get_method
from srnas.train import make_optimizer


def test_a_config_file_is_the_same_as_its_set_flags_and_set_wins(tmp_path):
    path = tmp_path / "exp.json"
    path.write_text(json.dumps({"train": {"steps": 3, "betas": [0.8, 0.99]}, "eval": {"datasets": ["Set5"]}}))
    flat = overrides_from_file(path)
    assert flat == ["train.steps=3", "train.betas=[0.8, 0.99]", 'eval.datasets=["Set5"]']
    m = get_method("fsrcnn")
    from_file = resolve_config(m, "smoke", 2, "default", flat + ["train.steps=4"])
    by_flags = resolve_config(m, "smoke", 2, "default", ["train.betas=[0.8,0.99]", "train.steps=4", 'eval.datasets=["Set5"]'])
    assert from_file == by_flags and from_file["train"]["steps"] == 4
    # and through the CLI: the second run is the first one's unit
    common = ["run", "fsrcnn", "--profile", "smoke", "--results", str(tmp_path / "r"), "--quiet"]
    assert main([*common, "--config", str(path), "--set", "train.steps=4"]) == 0
    assert main([*common, "--set", "train.betas=[0.8,0.99]", "--set", "train.steps=4", "--set", 'eval.datasets=["Set5"]']) == 0
    assert len(list((tmp_path / "r" / "runs").rglob("*.json"))) == 1


def test_train_betas_reach_adam_and_unset_configs_keep_their_hash():
    m = get_method("fsrcnn")
    plain = resolve_config(m, "short", 2)
    assert "betas" not in plain["train"]  # optional: configs that do not set it are unchanged (same hashes)
    cfg = resolve_config(m, "short", 2, "default", ["train.betas=[0.5,0.9]"])["train"]
    opt = make_optimizer([torch.nn.Parameter(torch.zeros(1))], cfg)
    assert opt.param_groups[0]["betas"] == (0.5, 0.9)


@pytest.mark.parametrize("text, message", [("[1]", "expected an object of sections"), ("{", "not valid JSON"),
                                           ('{"steps": 3}', "must be a section object")])
def test_a_bad_config_file_is_named(tmp_path, text, message, capsys):
    path = tmp_path / "bad.json"
    path.write_text(text)
    with pytest.raises(ConfigError, match=message):
        overrides_from_file(path)
    assert main(["run", "fsrcnn", "--config", str(path)]) == 2
    err = capsys.readouterr().err
    assert str(path) in err and message in err
