"""Stand-ins for data that cannot ship: ``srnas data synth div2k --dest DIR`` writes DIV2K's exact layout
and names (HR 0001-0900 in ``DIV2K_{train,valid}_HR``, and the official LR folders
``DIV2K_{train,valid}_LR_bicubic/X{2,3,4}/NNNNx{s}.png`` made with the MATLAB-exact ``imresize``) with
smooth random images (264x360 by default: large enough for every paper's largest training patch, 64 LR px at x4), and links the benchmark sets of the current data root beside them, so DEST is
a complete data root: the DIV2K loader, the papers' splits, caches and paper-profile dry runs are tested
on a CPU without the real data.

``--size div2k`` writes images of DIV2K's own frame (:data:`DIV2K_FRAME`) instead: the searches' validation
and derivation cut their held-out tiles from these images, so only at this size does a dry run time them at
DIV2K's tile counts (the default size has ~29x fewer pixels: HiNAS's paper validation would score 360 tiles
instead of ~7,000). With ``--distinct N`` only N images per split are drawn and the other names are hard
links to them (1.1 s and 5.4 MB per drawn image at this size on the 2-core CPU; 900 would take ~16 min and 5 GB).
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
from PIL import Image

from srnas.datasets.make_manifests import DIV2K_SPLITS
from srnas.protocol.imresize import imresize

BENCHMARK_SETS = ("Set5", "Set14", "B100", "Urban100")
#: DIV2K's HR frame, H x W: the images are 2K frames, 2040 px on the long side (0801.png is 2040x1356); the
#: short side varies by image, so a stand-in of this size has DIV2K's tile counts up to that spread. Both
#: sides are multiples of 12, as every stand-in size must be.
DIV2K_FRAME = (1356, 2040)
#: the default stand-in size, H x W: large enough for every paper's largest training patch (64 LR px at x4)
DEFAULT_SIZE = (264, 360)
#: written beside the stand-in's split folders (``DIV2K/STAND_IN.json``): what it is and its image size
STAND_IN_MARK = "STAND_IN.json"
#: linked into the stand-in root: the benchmark sets and T91 (the short/compare profiles' training set), so a
#: run pointed at the stand-in with --data-root does not fail late on a missing training set
LINKED_SETS = (*BENCHMARK_SETS, "T91")


def _image(rng: np.random.Generator, h: int, w: int) -> np.ndarray:
    """A smooth random RGB image (upsampled noise), so bicubic and networks see structure, not pure noise."""
    coarse = rng.integers(0, 256, (h // 8 + 2, w // 8 + 2, 3)).astype(np.uint8)
    return imresize(coarse, 8)[:h, :w]


def synth_div2k(dest: Path, size: tuple[int, int] = DEFAULT_SIZE, seed: int = 0, link_from: Path | None = None,
                distinct: int | None = None) -> Path:
    """Write the DIV2K stand-in under ``dest/DIV2K`` (sizes are multiples of 12, so every scale divides them).

    ``distinct``: draw only that many images per split and hard-link the other names to them in turn (with
    their LR files), for tests that need DIV2K's layout and counts but not 900 different images: the
    fixture then costs ~4 % of the image work (the full draw was 19-26 s of the test suite's setup)."""
    dest = Path(dest)
    rng = np.random.default_rng(seed)
    h, w = size
    if h % 12 or w % 12:
        raise ValueError(f"size {h}x{w}: use multiples of 12 so x2/x3/x4 LR sizes are exact")
    for split, (_, folder, first, last) in DIV2K_SPLITS.items():
        hr_dir = dest / "DIV2K" / folder
        hr_dir.mkdir(parents=True, exist_ok=True)
        lr_dirs = {s: dest / "DIV2K" / f"DIV2K_{split}_LR_bicubic" / f"X{s}" for s in (2, 3, 4)}
        for lr_dir in lr_dirs.values():
            lr_dir.mkdir(parents=True, exist_ok=True)
        for n, i in enumerate(range(first, last + 1)):
            if distinct and n >= distinct:  # a hard link to an image already drawn (same bytes, DIV2K's name)
                j = first + n % distinct
                os.link(hr_dir / f"{j:04d}.png", hr_dir / f"{i:04d}.png")
                for s, lr_dir in lr_dirs.items():
                    os.link(lr_dir / f"{j:04d}x{s}.png", lr_dir / f"{i:04d}x{s}.png")
                continue
            img = _image(rng, h, w)
            Image.fromarray(img).save(hr_dir / f"{i:04d}.png", compress_level=1)
            for s, lr_dir in lr_dirs.items():
                Image.fromarray(imresize(img, 1 / s)).save(lr_dir / f"{i:04d}x{s}.png", compress_level=1)
    # a mark the dry run reads: projections made on this root say their validation ran on stand-in sizes
    (dest / "DIV2K" / STAND_IN_MARK).write_text(json.dumps(
        {"kind": "synthetic DIV2K stand-in", "hr_size": [h, w], "seed": seed, "distinct": distinct,
         "div2k_frame": (h, w) == DIV2K_FRAME, "written_by": "srnas data synth div2k"}, indent=1))
    if link_from is not None:
        for name in LINKED_SETS:
            src, dst = Path(link_from) / name, dest / name
            if src.is_dir() and not dst.exists():
                os.symlink(src.resolve(), dst)
    return dest
