"""A failed write (full disk, vanished folder) is one clear error and leaves no half-written or stray file."""
from __future__ import annotations

import errno
import os

import pytest
import torch

from srnas.atomic import atomic_path
from srnas.context import RunContext
from srnas.errors import SrnasError, WriteError


def _no_temp_files(folder) -> bool:
    return not [p for p in folder.rglob("*") if p.name.endswith(".tmp")]


def _disk_full(*args, **kwargs):
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def test_atomic_path_on_a_full_disk_names_the_file_and_leaves_the_old_one(tmp_path, monkeypatch):
    target = tmp_path / "out.json"
    target.write_text("old")
    monkeypatch.setattr(os, "replace", _disk_full)
    with pytest.raises(WriteError) as err:
        with atomic_path(target, "it resumes") as tmp:
            tmp.write_text("new")
    msg = str(err.value)
    assert str(target) in msg and "No space left" in msg and "MiB free" in msg and "it resumes" in msg
    assert isinstance(err.value, SrnasError) and isinstance(err.value, OSError)  # caches may still skip it
    assert target.read_text() == "old" and _no_temp_files(tmp_path)


def test_a_checkpoint_that_torch_cannot_write_is_a_write_error_and_no_stray_tmp(tmp_path, monkeypatch):
    """torch reports a full disk as a RuntimeError from its stream writer; it left `.train.*.tmp` behind."""
    ctx = RunContext(tmp_path / "unit", quiet=True)
    ctx.save_checkpoint("train", {"step": 1})

    def torch_full(obj, f, *a, **k):
        open(f, "wb").write(b"partial")
        raise RuntimeError("[enforce fail at inline_container.cc:672] . PytorchStreamWriter failed writing file data/0: file write failed")

    monkeypatch.setattr(torch, "save", torch_full)
    with pytest.raises(WriteError, match="could not write .*train.pt.*resumes from its last complete checkpoint"):
        ctx.save_checkpoint("train", {"step": 2})
    monkeypatch.undo()
    assert ctx.load_checkpoint("train")["step"] == 1 and _no_temp_files(tmp_path)


def test_a_record_on_a_full_disk_is_a_write_error_and_leaves_nothing(tmp_path, monkeypatch):
    from srnas.harness.execution.records import write_record

    monkeypatch.setattr(os, "fsync", _disk_full)
    path = tmp_path / "runs" / "r.json"
    with pytest.raises(WriteError, match="rerun the same command"):
        write_record(path, {"a": 1})
    assert not path.exists() and _no_temp_files(tmp_path)


def test_the_cli_prints_a_write_error_as_one_line(tmp_path, monkeypatch, capsys):
    """Exit status 2 and no traceback, as for every SrnasError."""
    from srnas.cli import main

    monkeypatch.setattr(os, "replace", _disk_full)
    rc = main(["run", "bicubic", "--profile", "smoke", "--scale", "2", "--seeds", "0", "--results", str(tmp_path / "res"),
               "--set", "eval.datasets=[\"Set5\"]", "--quiet"])
    err = capsys.readouterr().err
    assert rc == 2 and "Traceback" not in err and "could not write" in err
    assert _no_temp_files(tmp_path)
