"""The README's example commands never write into the committed results/.

A user who copies them must not change the committed pages: an earlier `eval --checkpoint` example wrote a
single-seed row into results/ that the next `srnas table` put into the committed short_x2.md. Every command
of the "Using it" block that writes (run, sweep, table, plot, eval of a checkpoint) must name another
--results folder; `srnas check` is the documented exception (it is the main job and regenerates
results/verdicts.md on purpose). The cheap ones are then run from a scratch folder, and the committed
tree is compared byte for byte before and after.
"""
from __future__ import annotations

import hashlib
import shlex
import shutil
from pathlib import Path

import pytest

from srnas.cli import main

ROOT = Path(__file__).resolve().parents[1]
WRITERS = {"run", "sweep", "table", "plot"}


def _examples() -> list[list[str]]:
    text = (ROOT / "README.md").read_text().split("## Using it", 1)[1].split("```bash\n", 1)[1].split("```", 1)[0]
    return [shlex.split(line.split("#", 1)[0]) for line in text.splitlines() if line.strip().startswith("srnas ")]


def _tree_hash(folder: Path) -> str:
    h = hashlib.sha256()
    for p in sorted(folder.rglob("*")):
        if p.is_file():
            h.update(str(p.relative_to(folder)).encode())
            h.update(p.read_bytes())
    return h.hexdigest()


def test_every_writing_example_names_its_own_results_folder() -> None:
    examples = _examples()
    assert len(examples) >= 10
    for argv in examples:
        command = argv[1]
        writes = command in WRITERS or (command == "eval" and "--checkpoint" in argv)
        if writes and "--help" not in argv:
            assert "--results" in argv, f"README example writes into the committed results/: {' '.join(argv)}"
            assert argv[argv.index("--results") + 1].rstrip("/") not in ("results", "./results"), " ".join(argv)


def test_the_cheap_examples_leave_the_committed_results_unchanged(tmp_path, monkeypatch, capsys) -> None:
    before = _tree_hash(ROOT / "results")
    monkeypatch.chdir(tmp_path)
    # `mine` starts as a copy of the committed short-profile records, as a user's own folder would hold runs
    shutil.copytree(ROOT / "results" / "runs" / "fsrcnn", tmp_path / "mine" / "runs" / "fsrcnn")
    ran = 0
    for argv in _examples():
        command = argv[1]
        if command in ("table", "plot", "params", "methods") and "--help" not in argv:
            assert main(argv[1:]) == 0, argv
            ran += 1
        elif command == "eval" and "--checkpoint" not in argv:
            assert main([*argv[1:], "--datasets", "Set5"]) == 0, argv  # the same command on one set
            ran += 1
    capsys.readouterr()
    assert ran >= 5
    assert (tmp_path / "mine" / "tables" / "short_x2.md").is_file()
    assert _tree_hash(ROOT / "results") == before, "a README example changed the committed results/"


@pytest.mark.parametrize("argv", [a for a in _examples() if (a[1] in WRITERS or "--checkpoint" in a) and "--help" not in a], ids=lambda a: " ".join(a[1:3]))
def test_writing_examples_parse(argv) -> None:
    """Each writing example is a valid command line (argparse accepts it) before anything runs."""
    from srnas.cli import build_parser

    build_parser().parse_args(argv[1:])
