"""Every shipped LR file must be reproduced bit-exactly by our imresize in its own border convention."""
from __future__ import annotations

import numpy as np
import pytest

from srnas.datasets import data_root, load_hr, read_image
from srnas.datasets.registry import DATASETS, LR_FOLDERS
from srnas.errors import DatasetError
from srnas.protocol.imresize import imresize, modcrop

try:
    ROOT = data_root()
except DatasetError:  # no shared data on this machine
    ROOT = None

FOLDERS = [
    (spec.name, conv, scale)
    for spec in DATASETS.values()
    for conv, scales in spec.lr_on_disk.items()
    for scale in scales
]


@pytest.mark.skipif(ROOT is None, reason="shared datasets not found (set SRNAS_DATA)")
@pytest.mark.parametrize("name,convention,scale", FOLDERS, ids=[f"{n}-{LR_FOLDERS[c]}-X{s}" for n, c, s in FOLDERS])
def test_every_shipped_lr_file_is_reproduced_bit_exactly(name: str, convention: str, scale: int) -> None:
    hr_images = load_hr(name, verify=False)
    assert hr_images
    for stem, hr in hr_images:
        expected = read_image(ROOT / DATASETS[name].lr_dir(convention, scale) / f"{stem}x{scale}.png")
        ours = imresize(modcrop(hr, scale), 1.0 / scale, padding=convention)
        assert ours.dtype == np.uint8 and ours.shape == expected.shape, stem
        assert np.abs(ours.astype(int) - expected.astype(int)).max() == 0, f"{name}/{stem} x{scale} {convention}"


def test_float_input_is_not_rounded_and_uint8_round_trips_shape() -> None:
    rng = np.random.default_rng(0)
    img = rng.integers(0, 256, size=(12, 18, 3), dtype=np.uint8)
    up = imresize(img.astype(np.float64), 2)
    assert up.dtype == np.float64 and up.shape == (24, 36, 3)
    assert not np.allclose(up, np.round(up))
    assert imresize(img, 0.5).shape == (6, 9, 3)
