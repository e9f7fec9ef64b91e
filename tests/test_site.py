"""``srnas site``: the static results site from the committed results -- every verdict, the comparison from
its data, evidence links that resolve -- and, where Debian's chromium is installed, the pages rendered in a
real headless browser (skipped without it; CI has no browser)."""
from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from srnas.cli import main

RESULTS = Path(__file__).resolve().parents[1] / "results"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    out = tmp_path_factory.mktemp("site") / "site"
    assert main(["site", "--results", str(RESULTS), "--out", str(out)]) == 0
    return out


def test_the_site_shows_every_verdict_and_the_comparison(site):
    import json

    verdicts = json.loads((RESULTS / "verdicts.json").read_text())
    page = (site / "verdicts.html").read_text()
    assert page.count('<td class="v-') == len(verdicts["verdicts"]) == 712
    index = (site / "index.html").read_text()
    assert f">{verdicts['counts']['reproduced']}<" in index and "712 verdicts" in index
    data = json.loads((RESULTS / "tables" / "compare_x2.json").read_text())
    comparison = (site / "comparison.html").read_text()
    for sp in data["spaces"]:
        assert f"<h2>{sp['space']}</h2>" in comparison
    # HNAS vs RSWS, as on the committed Markdown page (its JSON)
    hnas = next(sp for sp in data["spaces"] if sp["space"] == "hnas")
    t = next(r for r in hnas["rows"] if r["condition"] == "RSWS")["vs_search"]
    assert f"{t['p_improvement']:.2f}; p = {t['p']:.3f} ({t['p_holm']:.3f})" in comparison


def test_every_link_and_image_of_the_site_resolves(site):
    for page in site.glob("*.html"):
        for target in re.findall(r'(?:href|src)="([^"#]+)', page.read_text()):
            assert (site / target).exists(), (page.name, target)
    assert any((site / "plots").glob("*.png"))


def test_a_verify_report_marks_each_evidence_record(tmp_path):
    """`srnas site --verified REPORT`: the evidence of a measured cell says whether its record was re-scored
    with the same numbers (from `srnas verify --report` of a bundle of these results)."""
    import json

    from srnas.harness.execution.records import load_records

    paper = [r for r in load_records(RESULTS, warn=False) if r["profile"] == "paper" and r["method"] == "bicubic"]
    first = str(Path(paper[0]["_path"]).relative_to(RESULTS))
    report = tmp_path / "verify.json"
    report.write_text(json.dumps([{"path": first, "ok": True, "status": "re-scored, same numbers", "details": []}]))
    assert main(["site", "--results", str(RESULTS), "--out", str(tmp_path / "s"), "--verified", str(report)]) == 0
    page = (tmp_path / "s" / "verdicts.html").read_text()
    assert "; re-scored, same numbers" in page and "; not in the verify report" in page
    (tmp_path / "bad.json").write_text("{}")
    assert main(["site", "--results", str(RESULTS), "--out", str(tmp_path / "t"), "--verified", str(tmp_path / "bad.json")]) == 2


@pytest.mark.skipif(shutil.which("chromium") is None, reason="Debian's chromium is not installed (apt-get install chromium)")
def test_the_pages_render_in_a_headless_browser(site, tmp_path):
    browser = ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--window-size=1400,1000"]
    dom = subprocess.run([*browser, "--dump-dom", (site / "index.html").as_uri()], capture_output=True, text=True, timeout=120)
    assert dom.returncode == 0 and "712 verdicts" in dom.stdout and "<table>" in dom.stdout
    cmp_dom = subprocess.run([*browser, "--dump-dom", (site / "comparison.html").as_uri()], capture_output=True, text=True, timeout=120)
    assert "<h2>hnas</h2>" in cmp_dom.stdout and "random/hnas" in cmp_dom.stdout
    shot = tmp_path / "index.png"
    subprocess.run([*browser, f"--screenshot={shot}", (site / "index.html").as_uri()], capture_output=True, timeout=120)
    assert shot.stat().st_size > 20_000  # a rendered page with its plots, not a blank one
