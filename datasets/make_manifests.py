"""Regenerate ``datasets/manifests/*.json`` from the shared data's MANIFEST.json.

The per-set manifests are committed so that verification does not depend on the shared folder's own
manifest being present (or unmodified). Run after the shared data changes:

    python -m srnas.datasets.make_manifests /work/shared/datasets/MANIFEST.json
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

MANIFEST_DIR = Path(__file__).resolve().parent / "manifests"

DIV2K_URL = "https://data.vision.ee.ethz.ch/cvl/DIV2K/{archive}"
# split -> (archive name, folder the archive extracts to, first and last image number)
DIV2K_SPLITS: dict[str, tuple[str, str, int, int]] = {
    "train": ("DIV2K_train_HR.zip", "DIV2K_train_HR", 1, 800),
    "valid": ("DIV2K_valid_HR.zip", "DIV2K_valid_HR", 801, 900),
}
_UNPINNED = (
    "No checksum was available offline. The first verified download must pin it: run "
    "`srnas data fetch div2k --trust-first-download`, check the recorded hash against a second source, "
    "and write it here."
)


def shipped_manifest(set_name: str, entry: dict) -> dict:
    """One set's manifest: every file as (path relative to the data root, sha256, bytes)."""
    files = []
    for component, comp in sorted(entry["components"].items()):
        for f in comp["files"]:
            files.append({"path": f"{set_name}/{component}/{f['name']}", "sha256": f["sha256"], "bytes": f["bytes"]})
    files.sort(key=lambda f: f["path"])
    return {"set": set_name, "source": "shared/datasets/MANIFEST.json", "file_count": len(files), "files": files}


def div2k_manifest(split: str) -> dict:
    """DIV2K: archive name/URL with an unpinned sha256, and the HR file list (no per-file hashes)."""
    archive, folder, first, last = DIV2K_SPLITS[split]
    files = [{"path": f"DIV2K/{folder}/{i:04d}.png", "sha256": None, "bytes": None} for i in range(first, last + 1)]
    return {
        "set": f"DIV2K_{split}",
        "source": "https://data.vision.ee.ethz.ch/cvl/DIV2K/",
        "archive": {"name": archive, "url": DIV2K_URL.format(archive=archive), "sha256": None, "sha256_note": _UNPINNED},
        "file_count": len(files),
        "files": files,
    }


def manga109_manifest(reference: Path | None = None) -> dict:
    """Manga109 is user-supplied: no file hashes (copies differ in encoding), but the page names and the
    SHA-256 of each page's decoded pixels, full and cropped to a multiple of 12 (GTmod12 copies), from
    ``shared/reference/manga109-manifest.json``."""
    ref = json.loads((reference or Path(__file__).resolve().parents[2] / "shared" / "reference" / "manga109-manifest.json").read_text())
    return {
        "set": "Manga109",
        "source": "user-supplied (licence restricts redistribution); see srnas.datasets.registry. Page list and pixel "
                  "hashes from shared/reference/manga109-manifest.json",
        "about": ref["_about"],
        "file_count": ref["count"],
        "files": None,
        "pages": [{k: p[k] for k in ("name", "width", "height", "pixel_sha256", "pixel_sha256_mod12")} for p in ref["files"]],
    }


def write_all(shared_manifest: Path, out_dir: Path = MANIFEST_DIR) -> list[Path]:
    data = json.loads(shared_manifest.read_text())
    manifests = {name: shipped_manifest(name, entry) for name, entry in data["sets"].items()}
    manifests.update({f"DIV2K_{s}": div2k_manifest(s) for s in DIV2K_SPLITS})
    manifests["Manga109"] = manga109_manifest()
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, manifest in manifests.items():
        path = out_dir / f"{name}.json"
        path.write_text(json.dumps(manifest, indent=1) + "\n")
        written.append(path)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("manifest", type=Path, help="path to shared/datasets/MANIFEST.json")
    args = parser.parse_args(argv)
    for path in write_all(args.manifest):
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
