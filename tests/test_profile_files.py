"""Profiles as data: every plugin's profiles.json loads, validates, and sources every paper number."""
from __future__ import annotations

import json

import pytest

from srnas.errors import ConfigError
from srnas.harness.execution.config import resolve_config
from srnas.methods import get_method, list_methods
from srnas.profile_files import INFERRED, leaf_paths, load_profile_file

FILE_PLUGINS = [name for name in list_methods() if get_method(name).profiles_file]


def test_the_four_nas_plugins_keep_profiles_as_data():
    assert {"hnas", "hinas", "deconas", "trilevel"} <= set(FILE_PLUGINS)


@pytest.mark.parametrize("name", FILE_PLUGINS)
def test_profile_file_sources_every_paper_number(name):
    data = get_method(name).profile_data()
    paper = data.profiles["paper"]
    leaves = leaf_paths(paper)
    assert leaves and set(leaves) == set(data.sources["paper"])
    for path in leaves:
        source = data.sources["paper"][path]
        assert source.strip() and (source.startswith(INFERRED) or len(source) > 8), (name, path, source)
    for profile in ("smoke", "short", "compare", "paper"):
        resolve_config(get_method(name), profile, 2)  # every profile resolves through the harness


@pytest.mark.parametrize("name", FILE_PLUGINS)
def test_the_comparisons_numbers_are_sourced_and_deviations_say_the_papers_value(name):
    """The compare profile decides the comparison's findings: every number is the paper's own (with its
    source) or [inferred], and an inferred value that departs from the paper profile names the paper's value."""
    data = get_method(name).profile_data()
    compare = data.profiles["compare"]
    assert set(leaf_paths(compare)) == set(data.sources["compare"])
    for path in data.inferred("compare"):
        source = data.sources["compare"][path]
        assert "paper" in source or "official" in source, (name, path, source)


def test_the_controller_learning_rates_of_the_comparison_are_labelled_as_departures():
    """The audit: HNAS's 3e-3 and DeCoNAS's 1e-2 controller lr (10x / 33x the official 3e-4) had no line."""
    for name in ("hnas", "deconas"):
        data = get_method(name).profile_data()
        assert "search.controller_lr" in data.inferred("compare")
        assert "3e-4" in data.sources["compare"]["search.controller_lr"]


@pytest.mark.parametrize("name", FILE_PLUGINS)
def test_profile_file_is_the_plugins_profile(name):
    method = get_method(name)
    raw = json.loads(method.profile_data().path.read_text())
    for profile in ("smoke", "short", "compare", "paper"):
        assert method.profile(profile) == raw["profiles"][profile]
    a = method.profile("paper")
    a["model"]["__mutated"] = 1
    assert "__mutated" not in method.profile("paper")["model"]  # callers get copies


def _write(tmp_path, doc) -> str:
    path = tmp_path / "profiles.json"
    path.write_text(json.dumps(doc) if not isinstance(doc, str) else doc)
    return str(path)


def test_unsourced_or_stale_or_malformed_files_are_named_errors(tmp_path):
    good = {"profiles": {"paper": {"train": {"steps": 10, "lr": 0.1}}}, "sources": {"paper": {"train.steps": "paper Table 1", "train.lr": "[inferred] a guess"}}}
    assert load_profile_file(_write(tmp_path, good)).inferred() == ["train.lr"]
    missing = {**good, "sources": {"paper": {"train.steps": "paper Table 1"}}}
    with pytest.raises(ConfigError, match=r"profiles.json: paper value\(s\) without a source: train.lr"):
        load_profile_file(_write(tmp_path, missing))
    stale = {**good, "sources": {"paper": {**good["sources"]["paper"], "train.batch": "x"}}}
    with pytest.raises(ConfigError, match="train.batch"):
        load_profile_file(_write(tmp_path, stale))
    with pytest.raises(ConfigError, match="unknown section"):
        load_profile_file(_write(tmp_path, {"profiles": {"short": {"trian": {}}}}))
    with pytest.raises(ConfigError, match="not valid JSON"):
        load_profile_file(_write(tmp_path, "{"))


def test_optional_keys_can_be_set_without_entering_other_configs():
    hnas = get_method("hnas")
    plain = resolve_config(hnas, "short", 2)
    assert "reward_psnr" not in plain["options"]  # the recorded short configs keep their hashes
    batch = resolve_config(hnas, "short", 2, overrides=["options.reward_psnr=batch"])
    assert batch["options"]["reward_psnr"] == "batch"
    with pytest.raises(ConfigError, match="unknown config key"):
        resolve_config(hnas, "short", 2, overrides=["options.reward_psnrr=batch"])
    deconas = resolve_config(get_method("deconas"), "short", 2, overrides=["train.loss_cut=2.0"])
    assert deconas["train"]["loss_cut"] == 2.0


def test_a_plugin_without_profiles_is_refused_at_registration():
    from srnas.methods import register
    from srnas.methods.base import Method

    class NoProfiles(Method):
        name = "no-profiles-test"

        def build(self, genotype, scale, config):  # pragma: no cover - never built
            raise AssertionError

    with pytest.raises(TypeError, match="needs profiles"):
        register(NoProfiles)
