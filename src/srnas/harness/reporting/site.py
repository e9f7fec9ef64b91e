"""A static results site (``srnas site --out DIR``): the verdicts per paper with the evidence behind each
measured cell, the equal-budget comparison per search space, and the plots -- from the same data as the
Markdown pages (the ledger's verdicts, :func:`srnas.harness.reporting.compare.comparison_data`), plain HTML with no
script and no server, so it opens from a folder, a CI artifact or any static host.

Papers-with-Code's leaderboards went offline in 2025; a results folder that renders itself keeps the suite's
evidence readable without this code.
"""
from __future__ import annotations

import html
import os
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from srnas.harness.reporting.claims import Verdict, counts, matching_records

CSS = """body{font-family:system-ui,sans-serif;margin:2rem auto;max-width:80rem;padding:0 1rem;color:#222}
table{border-collapse:collapse;margin:1rem 0;font-size:.85rem}th,td{border:1px solid #ccc;padding:.25rem .5rem;vertical-align:top}
th{background:#f3f3f3;text-align:left}td.v-reproduced{background:#e4f5e4}td.v-below,td.v-above{background:#fbe3e3}
td.v-no-measurement-yet{color:#777}nav a{margin-right:1rem}img{max-width:48%;margin:.5rem}code{font-size:.8rem}"""


def _e(value: Any) -> str:
    return html.escape("" if value is None else str(value))


def _page(title: str, body: list[str]) -> str:
    nav = '<nav><a href="index.html">summary</a><a href="verdicts.html">verdicts</a><a href="comparison.html">comparison</a></nav>'
    return (f"<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{_e(title)}</title><style>{CSS}</style></head>"
            f"<body>{nav}<h1>{_e(title)}</h1>\n" + "\n".join(body) + "\n</body></html>\n")


def _table(header: Sequence[str], rows: Sequence[Sequence[str]], classes: Sequence[str] | None = None) -> str:
    """Cells are already escaped HTML; ``classes[i]`` colours row i's ``verdict`` cell."""
    head = "".join(f"<th>{_e(h)}</th>" for h in header)
    col = list(header).index("verdict") if "verdict" in header else -1
    body = []
    for i, row in enumerate(rows):
        cells = "".join(f'<td class="{classes[i]}">{c}</td>' if classes and j == col else f"<td>{c}</td>" for j, c in enumerate(row))
        body.append(f"<tr>{cells}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


@dataclass(frozen=True)
class SiteSummary:
    out: Path
    pages: list[str]
    verdicts: int
    spaces: int


def _rescored(record: dict, results: Path, verified: dict[str, dict] | None) -> str:
    """The record's mark from a ``srnas verify --report`` of a bundle of these results (matched by its path
    under runs/), or nothing when no report was given."""
    if verified is None:
        return ""
    rel = os.path.relpath(record.get("_path", ""), results)
    check = verified.get(rel)
    if check is None:
        return "; not in the verify report"
    return f"; {check['status']}" if check.get("ok") else f"; verify: {check['status']}"


def _evidence(v: Verdict, records: Sequence[dict], results: Path, out: Path, verified: dict[str, dict] | None = None) -> str:
    """The records behind a measured PSNR/SSIM cell: seed, commit (clean or not), device, weights sha256,
    each linked to its record file."""
    if v.measured is None or not v.suite or v.kind not in ("psnr", "ssim") or v.protocol is None or v.scale is None:
        return ""
    method, variant = v.suite.split("/", 1)
    dataset = v.base_id.split("/")[-2]
    found = matching_records(records, method, variant, v.scale, v.protocol, dataset)
    items = []
    for r in found:
        git = r.get("git") or {}
        sha = ((r.get("weights") or {}).get("sha256") or "")[:12]
        link = os.path.relpath(r["_path"], out) if r.get("_path") else ""
        label = (f"seed {r['seed']}, {str(git.get('commit', '?'))[:8]}{' (dirty)' if git.get('dirty') else ''}, {r.get('device', '?')}, "
                 + (f"weights {sha}" if sha else "no weights") + _rescored(r, results, verified))
        items.append(f'<a href="{_e(link)}">{_e(label)}</a>' if link else _e(label))
    return "<br>".join(items)


def build_site(results: Path, out: Path, verdicts: Sequence[Verdict], records: Sequence[dict], comparison: dict[str, Any],
               verified: dict[str, dict] | None = None) -> SiteSummary:
    """Write index.html, verdicts.html, comparison.html and the plots into ``out``; ``verified``: the checks
    of a ``srnas verify --report`` by record path, to mark each evidence record re-scored or not."""
    from srnas.harness.reporting.compare import row_cells

    out.mkdir(parents=True, exist_ok=True)
    total = counts(verdicts)
    papers: dict[str, list[Verdict]] = {}
    for v in verdicts:
        papers.setdefault(v.paper, []).append(v)
    # verdicts per paper
    body = [f"<p>{len(verdicts)} verdicts from the claims ledger (<code>srnas check</code>; the same list as "
            "<code>results/verdicts.md</code> and <code>verdicts.json</code>). Evidence: the run records behind each measured "
            "cell (seed, commit, device, weights sha256), linked.</p>"]
    for paper, vs in papers.items():
        anchor = _e(paper.split(" ", 1)[0].lower())
        body.append(f'<h2 id="{anchor}">{_e(paper)}</h2>')
        rows, classes = [], []
        for v in sorted(vs, key=lambda v: v.measured is None):  # measured claims first, then file order
            rows.append([_e(v.claim_id), _e(v.subject), _e(v.reported), _e(v.measured if not isinstance(v.measured, float) else round(v.measured, 4)),
                         _e(v.verdict), _e(v.reason), _evidence(v, records, results, out, verified)])
            classes.append("v-" + v.verdict.split(",")[0].replace(" ", "-"))
        body.append(_table(["claim", "subject", "reported", "measured", "verdict", "reason", "evidence"], rows, classes))
    (out / "verdicts.html").write_text(_page("Verdicts: which published claims hold", body))
    # the comparison, formatted by the Markdown page's own cell formatter
    body = [f"<p>Equal-budget comparison, x{comparison['scale']} (<code>{_e(comparison['profile'])}</code> profile): the same data as "
            "<code>results/tables/compare_x2.md</code> / <code>.json</code>. PSNR: mean [95 % Student-t interval] (seeds).</p>"]
    for sp in comparison["spaces"]:
        body.append(f"<h2>{_e(sp['space'])}</h2><p>{_e(sp['finding'].replace('**', ''))}</p>")
        cells = [row_cells(row, comparison) for row in sp["rows"]]
        header = list(dict.fromkeys(k for c in cells for k in c))
        body.append(_table(header, [[_e(c.get(h, "")) for h in header] for c in cells]))
    (out / "comparison.html").write_text(_page("Does each search beat random search at equal budget?", body))
    # plots: the committed PNGs, copied beside the pages
    plots = sorted((results / "tables").glob("*.png")) if (results / "tables").is_dir() else []
    (out / "plots").mkdir(exist_ok=True)
    for p in plots:
        shutil.copy2(p, out / "plots" / p.name)
    summary_rows = [[_e(name), _e(n)] for name, n in total.items() if n]
    body = [f"<p>srnas-bench results: {len(verdicts)} verdicts over {len(papers)} papers, {len(records)} run records.</p>",
            _table(["verdict", "count"], summary_rows),
            "<h2>Papers</h2><ul>" + "".join(f'<li><a href="verdicts.html#{_e(p.split(" ", 1)[0].lower())}">{_e(p)}</a> '
                                             f"({len(vs)} verdicts)</li>" for p, vs in papers.items()) + "</ul>",
            "<h2>Plots</h2>" + "".join(f'<img src="plots/{_e(p.name)}" alt="{_e(p.stem)}">' for p in plots)]
    (out / "index.html").write_text(_page("srnas-bench: NAS for super-resolution, rerun", body))
    return SiteSummary(out, ["index.html", "verdicts.html", "comparison.html"], len(verdicts), len(comparison["spaces"]))
