"""Manga109 is user-supplied: its pages are checked against the pixel hashes of the manifest (full page or
GTmod12 crop). The real hashes cannot be matched without the real data, so the mechanism is tested with a
manifest made here from synthetic pages in Manga109's layout (names, RGB, sizes not multiples of 12)."""
import hashlib

import numpy as np
import pytest
from PIL import Image

from srnas.datasets import verify
from srnas.datasets.registry import load_manifest
from srnas.errors import DatasetError


def _pixels(a: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(a).tobytes()).hexdigest()


@pytest.fixture
def pages(tmp_path):
    rng = np.random.default_rng(0)
    names = ["ARMS.png", "AisazuNihaIrarenai.png", "YumeNoKayoiji.png"]
    arrays = {n: rng.integers(0, 256, (37 + 5 * i, 29 + 7 * i, 3), dtype=np.uint8) for i, n in enumerate(names)}
    manifest = {"set": "Manga109", "file_count": 3, "files": None, "pages": [
        {"name": n, "width": a.shape[1], "height": a.shape[0], "pixel_sha256": _pixels(a),
         "pixel_sha256_mod12": _pixels(a[: a.shape[0] // 12 * 12, : a.shape[1] // 12 * 12])} for n, a in arrays.items()]}
    return tmp_path / "Manga109", arrays, manifest


def _save(folder, arrays, crop12=()):
    folder.mkdir(exist_ok=True)
    for n, a in arrays.items():
        if n in crop12:
            a = a[: a.shape[0] // 12 * 12, : a.shape[1] // 12 * 12]
        Image.fromarray(a).save(folder / n)


def _verify(folder, manifest, monkeypatch, tmp_path):
    monkeypatch.setattr(verify, "load_manifest", lambda name: manifest)
    return verify.verify_set("Manga109", tmp_path, hr_dir=folder, cache=verify.HashCache(tmp_path / "cache.json"))


def test_full_pages_and_gtmod12_copies_both_verify(pages, monkeypatch, tmp_path):
    folder, arrays, manifest = pages
    _save(folder, arrays, crop12={"YumeNoKayoiji.png"})
    report = _verify(folder, manifest, monkeypatch, tmp_path)
    assert report.ok and report.checked == 3


def test_noise_pages_are_named_and_rejected(pages, monkeypatch, tmp_path):
    folder, arrays, manifest = pages
    arrays = dict(arrays)
    arrays["AisazuNihaIrarenai.png"] = np.random.default_rng(9).integers(0, 256, arrays["AisazuNihaIrarenai.png"].shape, dtype=np.uint8)
    _save(folder, arrays)
    report = _verify(folder, manifest, monkeypatch, tmp_path)
    assert not report.ok and "AisazuNihaIrarenai.png" in report.problems[0] and "GTmod12" in report.problems[0]
    with pytest.raises(DatasetError, match="AisazuNihaIrarenai.png"):
        report.raise_if_failed()


def test_a_wrong_page_count_is_an_error(pages, monkeypatch, tmp_path):
    folder, arrays, manifest = pages
    _save(folder, dict(list(arrays.items())[:2]))
    report = _verify(folder, manifest, monkeypatch, tmp_path)
    assert not report.ok and "expected 3 PNG files" in report.problems[0]


def test_the_shipped_manifest_lists_109_pages_with_both_hashes():
    m = load_manifest("Manga109")
    assert m["file_count"] == 109 and len(m["pages"]) == 109
    assert all(len(p["pixel_sha256"]) == 64 and len(p["pixel_sha256_mod12"]) == 64 for p in m["pages"])


def test_a_synthetic_manga109_in_its_layout_evaluates_through_srnas_manga109(tmp_path, monkeypatch):
    """109 RGB pages named as the manifest names them, sizes not multiples of 12, found through $SRNAS_MANGA109."""
    from srnas.evaluate import bicubic_upscaler, evaluate

    real = load_manifest("Manga109")
    rng = np.random.default_rng(1)
    folder = tmp_path / "Manga109"
    folder.mkdir()
    pages = []
    for i, page in enumerate(real["pages"]):
        a = rng.integers(0, 256, (29 + i % 7, 31 + i % 5, 3), dtype=np.uint8)
        Image.fromarray(a).save(folder / page["name"])
        pages.append({**page, "pixel_sha256": _pixels(a), "pixel_sha256_mod12": "0" * 64})
    monkeypatch.setattr(verify, "load_manifest", lambda name: {**real, "pages": pages} if name == "Manga109" else load_manifest(name))
    monkeypatch.setenv("SRNAS_MANGA109", str(folder))
    monkeypatch.setenv("SRNAS_CACHE", str(tmp_path / "cache"))
    out = evaluate(bicubic_upscaler(2), 2, ["Manga109"])["Manga109"]
    assert out["n"] == 109 and 5 < out["psnr"] < 40
    # the folder as an argument (what `--manga109` passes on; nothing written to os.environ): the same
    # pages; it wins over the variable, which is only the default
    from srnas.datasets.paths import DataRoot

    monkeypatch.setenv("SRNAS_MANGA109", str(tmp_path / "elsewhere"))
    again = evaluate(bicubic_upscaler(2), 2, ["Manga109"], data_root=DataRoot.of(None, Manga109=folder))["Manga109"]
    assert (again["n"], again["psnr"], again["ssim"]) == (out["n"], out["psnr"], out["ssim"])
    with pytest.raises(DatasetError, match=r"Manga109: \$SRNAS_MANGA109 = .*elsewhere is not a directory"):
        evaluate(bicubic_upscaler(2), 2, ["Manga109"])
    monkeypatch.delenv("SRNAS_MANGA109")
    with pytest.raises(DatasetError, match=r"Manga109: --manga109 .* = .*nowhere is not a directory"):
        evaluate(bicubic_upscaler(2), 2, ["Manga109"], data_root=DataRoot.of(None, Manga109=tmp_path / "nowhere"))
    (folder / real["pages"][0]["name"]).unlink()
    with pytest.raises(DatasetError, match="expected 109 PNG files"):
        evaluate(bicubic_upscaler(2), 2, ["Manga109"], data_root=DataRoot.of(None, Manga109=folder))


def test_the_manga109_folder_travels_as_an_argument_never_through_os_environ(pages, monkeypatch, tmp_path):
    """`--manga109` reaches the loader as part of the data root (``DataRoot``), and a sweep hands it to each
    unit as `--manga109`: no command writes os.environ (it once set $SRNAS_MANGA109 for the whole process)."""
    import os

    from srnas.cli import main
    from srnas.datasets.paths import DataRoot, root_path
    from srnas.harness.execution.sweep import Unit

    folder, arrays, manifest = pages
    _save(folder, arrays)
    real = verify.load_manifest
    monkeypatch.setattr(verify, "load_manifest", lambda name: manifest if name == "Manga109" else real(name))
    monkeypatch.delenv("SRNAS_MANGA109", raising=False)
    assert main(["data", "verify", "--sets", "Manga109", "--manga109", str(folder)]) == 0
    assert "SRNAS_MANGA109" not in os.environ
    assert DataRoot.of("/data") == "/data" and DataRoot.of(None) is None  # nothing supplied: the plain root
    source = DataRoot.of("/data", Manga109=folder)
    assert isinstance(source, DataRoot) and root_path(source) == "/data"
    import pickle

    assert pickle.loads(pickle.dumps(source)) == source  # a process pool / submitit job carries it
    unit = Unit("bicubic", "default", 2, "smoke", 0, "0" * 12, ())
    argv = unit.run_argv(tmp_path, source, "cpu", 1)
    assert argv[argv.index("--data-root") + 1] == "/data" and argv[argv.index("--manga109") + 1] == str(folder)
    assert "--manga109" not in unit.run_argv(tmp_path, "/data", "cpu", 1)


def test_srnas_data_verify_includes_a_supplied_manga109_and_says_when_it_is_not(pages, monkeypatch, tmp_path, capsys):
    """`srnas data verify` checks the user's Manga109 folder with the shipped sets when it is given, and
    otherwise says in one line that it was skipped (it cannot ship), instead of silently leaving it out."""
    from srnas.cli import main

    folder, arrays, manifest = pages
    arrays = dict(arrays)
    arrays["ARMS.png"] = np.zeros_like(arrays["ARMS.png"])  # a wrong page: must be named
    _save(folder, arrays)
    real = verify.load_manifest
    monkeypatch.setattr(verify, "load_manifest", lambda name: manifest if name == "Manga109" else real(name))
    monkeypatch.delenv("SRNAS_MANGA109", raising=False)
    assert main(["data", "verify", "--sets", "Set5"]) == 0
    assert main(["data", "verify"]) == 0
    assert "skip    Manga109" in capsys.readouterr().out
    assert main(["data", "verify", "--manga109", str(folder)]) == 2
    captured = capsys.readouterr()
    assert "ok      Set5" in captured.out and "FAILED  Manga109" in captured.err and "ARMS.png" in captured.err
