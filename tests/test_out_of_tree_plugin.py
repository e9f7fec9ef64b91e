"""A method that lives in its own package: ``tests/plugins/srnas-toy-plugin`` (a two-op DARTS search built
from the shared primitives) is installed in the test environment (``tox -e py`` installs it; by hand:
``pip install --no-deps tests/plugins/srnas-toy-plugin``) and found only through its ``srnas.methods``
entry point. Every registry contract test (smoke run, device audit, paper dry run, recorded decodings)
picks it up like an in-repo plugin; this file checks that it is really out of tree, that its records carry
its distribution and source hash, and that it appears in the tables. And: a plugin code change makes its
old records visibly stale, never silently "already done".
"""
from __future__ import annotations

import json
import os
from importlib.metadata import PackageNotFoundError, distribution
from pathlib import Path

import pytest

import srnas
import srnas.methods as registry
from srnas.cli import main
from srnas.methods import get_method, list_methods

ROOT = Path(__file__).resolve().parents[1]
TOY_DIR = ROOT / "tests" / "plugins" / "srnas-toy-plugin"


@pytest.fixture(scope="module")
def toy():
    try:
        distribution("srnas-toy-plugin")
    except PackageNotFoundError:
        if os.environ.get("SRNAS_REQUIRE_TOY_PLUGIN"):  # tox -e py (and so CI) installs it: missing is a failure there
            pytest.fail("srnas-toy-plugin is not installed: pip install --no-deps tests/plugins/srnas-toy-plugin")
        pytest.skip("srnas-toy-plugin is not installed here (pip install --no-deps tests/plugins/srnas-toy-plugin; tox -e py does)")
    return get_method("toy")


def test_the_toy_plugin_is_found_only_through_its_entry_point(toy):
    assert "toy" in list_methods()
    module_file = Path(__import__(type(toy).__module__, fromlist=["_"]).__file__).resolve()
    assert not module_file.is_relative_to(ROOT / "src") and not module_file.is_relative_to(ROOT / "methods")
    eps = [ep for ep in distribution("srnas-toy-plugin").entry_points if ep.group == "srnas.methods"]
    assert [ep.name for ep in eps] == ["toy"]
    # no file of srnas-bench names it (its own folder aside)
    for folder in (ROOT / "src", ROOT / "methods", ROOT / "datasets", ROOT / "benchmarks"):
        for path in folder.rglob("*.py"):
            assert "srnas_toy" not in path.read_text(), path
    assert "srnas-toy" not in (ROOT / "pyproject.toml").read_text()


def test_a_toy_record_carries_its_provenance_and_reaches_the_table(toy, tmp_path, capsys):
    argv = ["run", "toy", "--profile", "smoke", "--seeds", "0", "1", "--results", str(tmp_path), "--quiet"]
    assert main(argv) == 0
    records = [json.loads(p.read_text()) for p in (tmp_path / "runs").rglob("*.json")]
    assert len(records) == 2
    for r in records:
        assert r["plugin"]["distribution"] == "srnas-toy-plugin" and r["plugin"]["version"] == "0.1.0"
        assert r["plugin"]["class"] == "srnas_toy.method:ToyDartsMethod" and len(r["plugin"]["source_sha256"]) == 64
        assert r["srnas_version"] == srnas.__version__
        assert r["search_info"]["initial_architecture"] and r["search_info"]["final_architecture"]
    assert main(["table", "--profile", "smoke", "--results", str(tmp_path)]) == 0
    page = (tmp_path / "tables" / "smoke_x2.md").read_text()
    assert "| toy " in page and "stale" not in page
    capsys.readouterr()


def test_a_plugin_code_change_makes_its_records_visibly_stale(tmp_path, monkeypatch, capsys):
    """bicubic (in-repo, seconds): the record keeps its plugin's source hash; with other code installed the
    rerun says STALE instead of a plain "already done", and the table marks the row."""
    argv = ["run", "bicubic", "--profile", "smoke", "--seeds", "0", "--results", str(tmp_path), "--quiet"]
    assert main(argv) == 0
    (path,) = list((tmp_path / "runs").rglob("*.json"))
    recorded = json.loads(path.read_text())["plugin"]
    assert recorded["distribution"] == "srnas-bench" and recorded["source_files"] == 1
    assert main(argv) == 0
    assert "already done ->" in capsys.readouterr().out  # same code: plainly done
    edited = {**recorded, "source_sha256": "f" * 64}
    monkeypatch.setattr(registry, "plugin_provenance", lambda cls: edited)  # the installed code changed
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "already done, STALE: made by other bicubic plugin code" in out and recorded["source_sha256"][:12] in out
    assert main(["table", "--profile", "smoke", "--results", str(tmp_path)]) == 0
    assert "bicubic (stale plugin code)" in (tmp_path / "tables" / "smoke_x2.md").read_text()
    capsys.readouterr()
