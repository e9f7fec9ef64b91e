"""Dataset resolution, checksum verification (incl. the cache fast path) and the offline DIV2K download."""
from __future__ import annotations

import hashlib
import io
import shutil
import zipfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import srnas.datasets.verify as verify_mod
from srnas.datasets import DatasetError, data_root, describe_lr, download_div2k, load_hr, load_pairs, verify_set
from srnas.datasets.registry import load_manifest

try:
    SHARED: Path | None = data_root()
except DatasetError:
    SHARED = None
needs_data = pytest.mark.skipif(SHARED is None, reason="shared datasets not found (set SRNAS_DATA)")


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SRNAS_CACHE", str(tmp_path / "cache"))


@pytest.fixture
def set5_copy(tmp_path: Path) -> Path:
    assert SHARED is not None
    root = tmp_path / "data"
    shutil.copytree(SHARED / "Set5", root / "Set5")
    return root


@needs_data
def test_corrupt_byte_is_reported_with_file_and_both_hashes(set5_copy: Path) -> None:
    victim = set5_copy / "Set5" / "HR" / "bird.png"
    data = bytearray(victim.read_bytes())
    data[len(data) // 2] ^= 0xFF
    victim.write_bytes(bytes(data))
    with pytest.raises(DatasetError) as err:
        load_hr("Set5", data_root=set5_copy)
    msg = str(err.value)
    expected = next(f["sha256"] for f in load_manifest("Set5")["files"] if f["path"] == "Set5/HR/bird.png")
    assert str(victim) in msg and expected in msg and hashlib.sha256(data).hexdigest() in msg
    assert "To obtain it" in msg


@needs_data
def test_missing_lr_file_is_named(set5_copy: Path) -> None:
    (set5_copy / "Set5" / "LR_bicubic" / "X2" / "babyx2.png").unlink()
    load_hr("Set5", data_root=set5_copy)  # HR alone is complete
    with pytest.raises(DatasetError, match="missing file .*babyx2.png"):
        load_pairs("Set5", 2, lr_source="disk", data_root=set5_copy)


def test_empty_root_names_the_missing_set_and_the_fix(tmp_path: Path) -> None:
    with pytest.raises(DatasetError) as err:
        load_hr("Urban100", data_root=tmp_path)
    msg = str(err.value)
    assert "Urban100" in msg and str(tmp_path) in msg and "shared/datasets" in msg


def test_unresolvable_root_lists_what_was_tried(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SRNAS_DATA", str(tmp_path / "nope"))
    with pytest.raises(DatasetError, match=r"\$SRNAS_DATA: .*nope .*--data-root"):
        data_root()


@needs_data
def test_second_verify_uses_the_cache_not_the_hash(set5_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[Path] = []
    real = verify_mod.sha256_file

    def counting(path: Path) -> str:
        calls.append(path)
        return real(path)

    monkeypatch.setattr(verify_mod, "sha256_file", counting)
    assert verify_set("Set5", set5_copy).ok
    assert len(calls) == 35
    calls.clear()
    assert verify_set("Set5", set5_copy).ok
    assert calls == []
    # touching a file (new mtime) re-hashes exactly that file
    victim = set5_copy / "Set5" / "HR" / "head.png"
    victim.write_bytes(victim.read_bytes())
    assert verify_set("Set5", set5_copy).ok
    assert calls == [victim]


@needs_data
def test_load_pairs_shapes_sources_and_grey(set5_copy: Path) -> None:
    pairs = load_pairs("Set5", 3, data_root=set5_copy)
    assert [p[0] for p in pairs] == sorted(p[0] for p in pairs)
    for _, lr, hr in pairs:
        assert lr.dtype == hr.dtype == np.uint8 and hr.shape[0] == 3 * lr.shape[0] and hr.shape[1] == 3 * lr.shape[1]
    generated = load_pairs("Set5", 3, lr_source="generate", data_root=set5_copy)
    assert all(np.array_equal(a[1], b[1]) for a, b in zip(pairs, generated))  # disk symmetric == our imresize
    assert describe_lr("Set14", 2, "auto", "replicate").label == "disk:Set14/LR_bicubic/X2"  # fallback: other convention
    assert describe_lr("Urban100", 2).label == "generate:imresize(symmetric)"
    assert describe_lr("Urban100", 4).label == "disk:Urban100/LR_bicubic_SelfExSR/X4"
    with pytest.raises(DatasetError, match="lr_source='auto' or 'generate'"):
        describe_lr("Set14", 2, "disk", "replicate")
    bridge = dict(load_hr("Set14"))["bridge"]
    assert bridge.ndim == 2


def _png_bytes(value: int) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(np.full((4, 4, 3), value, np.uint8)).save(buf, format="PNG")
    return buf.getvalue()


@pytest.fixture
def tiny_div2k_zip(tmp_path: Path) -> tuple[str, str]:
    path = tmp_path / "DIV2K_valid_HR.zip"
    with zipfile.ZipFile(path, "w") as zf:
        for i in (801, 802):
            zf.writestr(f"DIV2K_valid_HR/{i:04d}.png", _png_bytes(i % 256))
    return path.as_uri(), hashlib.sha256(path.read_bytes()).hexdigest()


def test_div2k_download_refuses_without_a_pinned_hash(tmp_path: Path, tiny_div2k_zip: tuple[str, str]) -> None:
    url, _ = tiny_div2k_zip
    with pytest.raises(DatasetError, match="--trust-first-download"):
        download_div2k("valid", tmp_path / "dest", url=url)
    assert not (tmp_path / "dest" / "DIV2K_valid_HR").exists()


def test_div2k_download_with_pinned_hash_extracts_atomically(tmp_path: Path, tiny_div2k_zip: tuple[str, str]) -> None:
    url, sha = tiny_div2k_zip
    dest = tmp_path / "dest"
    result = download_div2k("valid", dest, url=url, sha256=sha)
    assert result.path == dest / "DIV2K_valid_HR" and not result.pinned_now
    assert sorted(p.name for p in result.path.iterdir()) == ["0801.png", "0802.png"]
    assert sorted(p.name for p in dest.iterdir()) == ["DIV2K_valid_HR"]  # no temp files left behind


def test_div2k_checksum_mismatch_discards_the_download(tmp_path: Path, tiny_div2k_zip: tuple[str, str]) -> None:
    url, sha = tiny_div2k_zip
    dest = tmp_path / "dest"
    with pytest.raises(DatasetError, match=f"checksum mismatch .*expected {'0' * 64}"):
        download_div2k("valid", dest, url=url, sha256="0" * 64)
    assert list(dest.iterdir()) == []


def test_div2k_trust_first_download_pins_the_hash_for_later(tmp_path: Path, tiny_div2k_zip: tuple[str, str]) -> None:
    url, sha = tiny_div2k_zip
    dest = tmp_path / "dest"
    result = download_div2k("valid", dest, url=url, trust_first_download=True)
    assert result.pinned_now and result.sha256 == sha
    assert (dest / "DIV2K_valid_HR.zip.sha256").read_text().split()[0] == sha
    # a later download (e.g. after deleting the folder) is checked against the recorded hash
    shutil.rmtree(result.path)
    Path(url[len("file://"):]).write_bytes(b"not the same archive")
    with pytest.raises(DatasetError, match=f"checksum mismatch .*expected {sha}"):
        download_div2k("valid", dest, url=url)
