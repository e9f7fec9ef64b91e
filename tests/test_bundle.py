"""srnas export -> srnas verify -> tamper -> verify: a bundle of smoke runs verifies (every record re-scored
with the same numbers on the CPU); an edited number and a swapped weight file are each named, also when the
editor re-seals the record and fixes its means (the re-score and the manifest still catch it)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from srnas.cli import main
from srnas.harness.execution.bundle import MANIFEST, SAME, verify_bundle
from srnas.harness.execution.records import seal


@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    root = tmp_path_factory.mktemp("bundle")
    for method, seeds in (("fsrcnn", ["0", "1"]), ("bicubic", ["0"])):
        assert main(["run", method, "--profile", "smoke", "--seeds", *seeds, "--results", str(root / "res"), "--quiet"]) == 0
    assert main(["export", str(root / "res"), "--out", str(root / "bundle")]) == 0
    return root / "bundle"


def _copy(src: Path, dst: Path) -> Path:
    import shutil

    shutil.copytree(src, dst)
    return dst


def test_an_exported_bundle_verifies_with_the_same_numbers(bundle, capsys):
    capsys.readouterr()
    assert main(["verify", str(bundle), "--report", str(bundle.parent / "verify.json")]) == 0
    out = capsys.readouterr().out
    report = json.loads((bundle.parent / "verify.json").read_text())
    assert [c["status"] for c in report].count(SAME) == 3 and all(c["ok"] for c in report)
    assert out.count(SAME) == 3 and "0 failed" in out
    manifest = json.loads((bundle / MANIFEST).read_text())["files"]
    assert any(k.startswith("ledger/claims.csv") for k in manifest) and "environment.json" in manifest
    assert sum(k.endswith(".safetensors") for k in manifest) == 2


def test_export_refuses_a_non_empty_folder(bundle, capsys):
    assert main(["export", str(bundle.parent / "res"), "--out", str(bundle)]) == 2
    assert "not empty" in capsys.readouterr().err


def test_a_tampered_number_and_a_swapped_weight_file_are_caught(bundle, tmp_path, capsys):
    b = _copy(bundle, tmp_path / "b")
    fsrcnn = sorted((b / "runs" / "fsrcnn").rglob("*.json"))
    # 1. one number edited by hand: the seal no longer matches
    rec = json.loads(fsrcnn[0].read_text())
    rec["metrics"]["Set5"]["psnr"] += 0.5
    fsrcnn[0].write_text(json.dumps(rec))
    # 2. the other run's weights replaced by the first run's
    w0, w1 = (p.with_suffix(".safetensors") for p in fsrcnn)
    w1.write_bytes(w0.read_bytes())
    checks = {c.path: c for c in verify_bundle(b)}
    first, second = (checks[str(p.relative_to(b))] for p in fsrcnn)
    assert not first.ok and first.status == "record refused" and "sha256" in first.details[0]
    assert not second.ok and "not the ones it sealed" in second.status
    assert not checks[str(w1.relative_to(b))].ok  # and the manifest names the changed weight file
    assert main(["verify", str(b), "--no-rescore"]) == 1
    capsys.readouterr()


def test_a_resealed_consistent_edit_is_still_caught_by_the_rescore(bundle, tmp_path):
    """An editor who also edits every per-image score and re-seals passes the record's own checks; the
    manifest and the CPU re-score do not pass it."""
    b = _copy(bundle, tmp_path / "b")
    path = sorted((b / "runs" / "fsrcnn").rglob("*.json"))[0]
    rec = json.loads(path.read_text())
    for m in rec["metrics"].values():
        m["psnr"] += 0.25
        for img in m["images"].values():
            img["psnr"] += 0.25
    path.write_text(json.dumps(seal(rec)))
    check = {c.path: c for c in verify_bundle(b)}[str(path.relative_to(b))]
    assert not check.ok and check.status.startswith("re-scored, numbers differ: ") and "max |Δ| 0.25 dB PSNR" in check.status
    assert any("re-sealed by hand" in d for d in check.details) and any("PSNR: recorded" in d for d in check.details)


def test_set_means_are_compared_as_derived_numbers():
    """Every image equal and a set mean one ulp off (another summation order): the same numbers; one image
    off: named with the size of the difference."""
    from srnas.harness.execution.bundle import _compare

    images = {"a": {"psnr": 30.0, "ssim": 0.9}, "b": {"psnr": 31.0, "ssim": 0.8}}
    rec = {"Set5": {"psnr": 30.5, "ssim": 0.85, "images": images}}
    ulp = {"Set5": {"psnr": 30.5, "ssim": 0.8500000000000001, "images": dict(images)}}
    assert _compare(rec, ulp).lines == []
    no_images = {"Set5": {"psnr": 30.5, "ssim": 0.85}}  # older records keep set means only
    assert _compare(no_images, {"Set5": {"psnr": 30.5, "ssim": 0.8500000000000001}}).lines == []
    assert _compare(no_images, {"Set5": {"psnr": 30.5001, "ssim": 0.85}}).lines
    off = {"Set5": {"psnr": 30.5000001, "ssim": 0.85, "images": {**images, "b": {"psnr": 31.0000002, "ssim": 0.8}}}}
    diff = _compare(rec, off)
    assert diff.images == 1 and abs(diff.max_psnr_db - 2e-7) < 1e-12 and "Set5: 1 image(s) differ, e.g. b" in diff.lines
    # an image whose SSIM differs in the last bits only (another summation order): same numbers, counted
    ulp_img = {"Set5": {"psnr": 30.5, "ssim": 0.85, "images": {**images, "b": {"psnr": 31.0, "ssim": 0.8000000000000002}}}}
    last = _compare(rec, ulp_img)
    assert last.lines == [] and last.last_bit_images == 1 and "up to last-bit rounding in 1 image(s)" in last.same_status()
