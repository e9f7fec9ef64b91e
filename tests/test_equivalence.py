"""The equivalence ledger (``srnas.methods.equivalence``): a plugin's proven refactors keep its records.

Over the registry, every entry of every plugin's ``source_equivalence.json`` must be shown by its evidence
(a committed record made by the old source and a rerun made by the new one from a clean commit: same unit,
genotype, weights sha256 and per-image metrics). And: the chain rule, the stale rule reading it, the source
hash leaving the ledger out, and that a rerun which differs in any compared field is caught."""
from __future__ import annotations

import json
import re
import sys
import textwrap
from pathlib import Path

import pytest

import srnas.methods as registry
from srnas.methods import get_method, list_methods, plugin_equivalences, plugin_provenance, stale_plugin_code
from srnas.methods.equivalence import (LEDGER_FILE, Equivalence, Evidence, LedgerError, equivalent, evidence_problems,
                                       read_ledger)

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("name", list_methods())
def test_every_ledger_entry_is_shown_by_its_evidence(name):
    entries = plugin_equivalences(type(get_method(name)))
    for entry in entries:
        missing = [ev.after for ev in entry.evidence if not (ROOT / ev.before).is_file() or not (ROOT / ev.after).is_file()]
        if missing and not (ROOT / "results").is_dir():
            pytest.skip("no record store beside this installation to check the evidence against")
        assert not evidence_problems(entry, ROOT), evidence_problems(entry, ROOT)


def test_every_committed_record_stands_for_todays_plugin_code():
    """After a refactor the ledger carries the records across; a record still stale names code that really
    differs, and would be labelled so on every page -- list them here so it is a decision, not an accident."""
    stale = []
    for path in sorted((ROOT / "results").glob("**/runs/**/*.json")):
        if "equivalence" in path.relative_to(ROOT / "results").parts[:1]:
            continue
        why = stale_plugin_code(json.loads(path.read_text()))
        if why:
            stale.append(f"{path.relative_to(ROOT)}: {why}")
    assert not stale, "\n".join(stale)


def _entry(a: str, b: str) -> Equivalence:
    return Equivalence("m", a, b, "", (Evidence("x", "y"),), Path("ledger"))


def test_a_chain_of_entries_carries_a_record_forward_and_never_back():
    entries = [_entry("a", "b"), _entry("b", "c"), _entry("x", "y")]
    assert equivalent("a", "c", entries) and equivalent("b", "c", entries) and equivalent("c", "c", entries)
    assert not equivalent("c", "a", entries) and not equivalent("a", "y", entries) and not equivalent("a", "c", [])


def _record(source: str, **over) -> dict:
    r = {"method": "m", "variant": "v", "scale": 2, "profile": "compare", "seed": 3, "config_hash": "h" * 12,
         "genotype": {"arc": [1, 0]}, "git": {"commit": "c" * 40, "dirty": False}, "plugin": {"source_sha256": source},
         "weights": {"sha256": "w" * 64}, "metrics": {"Set5": {"psnr": 30.0, "images": {"baby": {"psnr": 30.0, "ssim": 0.9}}}}}
    r.update(over)
    return r


@pytest.mark.parametrize("change, fragment", [
    ({}, None),
    ({"weights": {"sha256": "v" * 64}}, "weights sha256 differs"),
    ({"git": {"dirty": True}}, "dirty tree"),
    ({"plugin": {"source_sha256": "other"}}, "not 'to'"),
    ({"config_hash": "g" * 12}, "config_hash differs"),
    ({"genotype": {"arc": [0, 1]}}, "genotype differs"),
    ({"metrics": {"Set5": {"psnr": 30.0, "images": {"baby": {"psnr": 30.000000000001, "ssim": 0.9}}}}}, "baby scores differ"),
    ({"metrics": {"Set14": {"psnr": 30.0, "images": {"baby": {"psnr": 30.0, "ssim": 0.9}}}}}, "evaluated sets differ"),
])
def test_evidence_that_differs_in_any_compared_field_is_caught(tmp_path, change, fragment):
    (tmp_path / "before.json").write_text(json.dumps(_record("old")))
    (tmp_path / "after.json").write_text(json.dumps(_record("new", **change)))
    entry = Equivalence("m", "old", "new", "", (Evidence("before.json", "after.json"),), tmp_path / LEDGER_FILE)
    problems = evidence_problems(entry, tmp_path)
    assert all(p.startswith(str(entry.ledger)) for p in problems)  # each names the ledger file to fix
    assert (not problems) if fragment is None else any(fragment in p for p in problems), problems
    wrong_from = Equivalence("m", "older", "new", "", entry.evidence, entry.ledger)
    assert any("not 'from'" in p for p in evidence_problems(wrong_from, tmp_path))


def test_the_stale_rule_reads_the_ledger(monkeypatch):
    record = {"method": "bicubic", "plugin": {"source_sha256": "old"}}
    now = plugin_provenance(type(get_method("bicubic")))["source_sha256"]
    assert "made by other bicubic plugin code" in str(stale_plugin_code(record))
    monkeypatch.setattr(registry, "plugin_equivalences", lambda cls: (_entry("old", now),))
    assert stale_plugin_code(record) is None
    monkeypatch.setattr(registry, "plugin_equivalences", lambda cls: (_entry("old", "elsewhere"),))
    assert stale_plugin_code(record) is not None


def test_the_source_hash_leaves_the_ledger_out_and_a_ledger_is_read_by_plugin_name(tmp_path, monkeypatch):
    package = tmp_path / "eqtoy_pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "method.py").write_text(textwrap.dedent("""
        class EqToy:
            name = "eqtoy"
    """))
    monkeypatch.syspath_prepend(str(tmp_path))
    from eqtoy_pkg.method import EqToy  # type: ignore[import-not-found]

    try:
        before = plugin_provenance.__wrapped__(EqToy)["source_sha256"]
        (package / LEDGER_FILE).write_text(json.dumps({"eqtoy": [{"from": "a", "to": before, "change": "moved a default",
                                                                   "evidence": [{"before": "x.json", "after": "y.json"}]}],
                                                       "other": []}))
        assert plugin_provenance.__wrapped__(EqToy)["source_sha256"] == before
        (entry,) = plugin_equivalences.__wrapped__(EqToy)
        assert (entry.method, entry.source_from, entry.source_to, entry.change) == ("eqtoy", "a", before, "moved a default")
        (package / "space.py").write_text("X = 1\n")  # a code change does change it
        assert plugin_provenance.__wrapped__(EqToy)["source_sha256"] != before
    finally:
        sys.modules.pop("eqtoy_pkg.method", None)
        sys.modules.pop("eqtoy_pkg", None)


@pytest.mark.parametrize("content, fragment", [
    ("{not json", "not JSON"),
    ('{"m": {"from": "a"}}', "expected {plugin name: [entries]}"),
    ('{"m": [{"from": "a", "to": "b"}]}', "lacks 'evidence'"),
    ('{"m": [{"from": "a", "to": "b", "evidence": []}]}', "has no evidence"),
])
def test_a_broken_ledger_names_its_file_and_the_fix(tmp_path, content, fragment):
    path = tmp_path / LEDGER_FILE
    path.write_text(content)
    with pytest.raises(LedgerError, match=re.escape(fragment)) as info:
        read_ledger(path, "m")
    assert str(path) in str(info.value)
    assert read_ledger(tmp_path / "absent.json", "m") == ()
