import pytest

from srnas.config import check_known_keys, config_hash, deep_merge, parse_override
from srnas.errors import ConfigError
from srnas.profiles import BASE_PROFILES


def test_deep_merge_merges_dicts_and_replaces_leaves():
    base = {"train": {"steps": 10, "lr": 1e-3}, "eval": {"datasets": ["Set5"]}}
    out = deep_merge(base, {"train": {"steps": 20}, "eval": {"datasets": ["Set14"]}})
    assert out == {"train": {"steps": 20, "lr": 1e-3}, "eval": {"datasets": ["Set14"]}}
    assert base["train"]["steps"] == 10  # the input is not mutated


@pytest.mark.parametrize(
    "text, expected",
    [
        ("train.steps=200", {"train": {"steps": 200}}),
        ("options.genotype=HNAS-A", {"options": {"genotype": "HNAS-A"}}),
        ("eval.datasets=[\"Set5\"]", {"eval": {"datasets": ["Set5"]}}),
        ("train.augment=false", {"train": {"augment": False}}),
    ],
)
def test_parse_override(text, expected):
    assert parse_override(text) == expected


@pytest.mark.parametrize("bad", ["train.steps", "=3", ""])
def test_parse_override_rejects_malformed(bad):
    with pytest.raises(ConfigError, match="KEY.PATH=VALUE"):
        parse_override(bad)


def test_unknown_key_is_named():
    with pytest.raises(ConfigError, match="train.stepz"):
        check_known_keys({"train": {"stepz": 3}}, BASE_PROFILES["short"])


def test_config_hash_is_order_independent_and_sensitive():
    a = {"x": 1, "y": {"b": 2, "a": 1}}
    b = {"y": {"a": 1, "b": 2}, "x": 1}
    assert config_hash(a) == config_hash(b)
    assert config_hash(a) != config_hash({**a, "x": 2})
