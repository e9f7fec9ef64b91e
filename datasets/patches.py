"""Training data for search and training: HR images, their MATLAB-bicubic LR, random aligned patches.

LR images are made once per (image, scale) with the protocol's imresize, so training sees the same
degradation as evaluation. Batches are a pure function of (seed, step): a resumed run draws exactly the
batches it would have drawn, and two runs with one seed see the same data.
"""
from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from srnas.protocol.imresize import imresize, modcrop


def wrapped_gradient_score(hr: torch.Tensor) -> float:
    """DeCoNAS's texture test (Junem360/DeCoNAS ``utils_img.gradients``) on a uint8 HR patch [3, H, W].

    The official code applies ``mean((x[:-1,:-1] - x[1:,:-1])**2 + (x[:-1,:-1] - x[:-1,1:])**2)`` to the
    uint8 array cv2 reads, so every subtraction, square and sum wraps modulo 256: the score is not a
    gradient energy, it is emulated here as computed (in int64, reduced mod 256 after each operation)."""
    x = hr.to(torch.int64)
    dy = (x[:, :-1, :-1] - x[:, 1:, :-1]) % 256
    dx = (x[:, :-1, :-1] - x[:, :-1, 1:]) % 256
    return float((((dy * dy) % 256 + (dx * dx) % 256) % 256).double().mean())


#: Named patch filters: (score of a uint8 HR patch, minimum score kept). ``deconas-code``: the official
#: sampler keeps a patch only when ``gradients(patch) > 51.065`` (``data_utils.get_random_batch``).
PATCH_FILTERS = {"deconas-code": (wrapped_gradient_score, 51.065)}


def tile_grid(h: int, w: int, patch: int) -> tuple[list[int], list[int]]:
    """Top-left rows and columns of the non-overlapping ``patch`` tiles of an ``h`` x ``w`` LR image, the last
    ones aligned to the border (none if the image is smaller than a tile): the validation tiles of
    :meth:`PatchSource.tiles`, counted without cutting them (a search's tile count follows its images' size)."""
    if h < patch or w < patch:
        return [], []
    return sorted({*range(0, h - patch + 1, patch), h - patch}), sorted({*range(0, w - patch + 1, patch), w - patch})


@dataclass
class PatchSource:
    """Paired (LR, HR) uint8 training images at one scale, held in memory as CHW tensors."""

    names: list[str]
    lr: list[torch.Tensor]  # uint8 [3, h, w]
    hr: list[torch.Tensor]  # uint8 [3, h*s, w*s]
    scale: int
    lr_source: str = "generate:imresize(symmetric)"  # or "disk:<folder>" for official LR files (DIV2K)
    #: called with the seconds each batch took to make (the dry run's data-stall clock). Kept by
    #: :meth:`split` and :meth:`at_scale`, because the searches draw from those parts: a clock set on
    #: the loaded source alone never heard from a search loop (every committed search stall read 0 %).
    observer: Callable[[float], None] | None = field(default=None, repr=False, compare=False)

    @classmethod
    def from_images(cls, items: Sequence[tuple[str, np.ndarray]], scale: int) -> "PatchSource":
        names, lrs, hrs = [], [], []
        for name, img in items:
            if img.ndim == 2:
                img = np.repeat(img[..., None], 3, axis=2)
            hr = modcrop(img, scale)
            lr = imresize(hr, 1 / scale)
            names.append(name)
            lrs.append(torch.from_numpy(np.ascontiguousarray(lr.transpose(2, 0, 1))))
            hrs.append(torch.from_numpy(np.ascontiguousarray(hr.transpose(2, 0, 1))))
        return cls(names, lrs, hrs, scale)

    @classmethod
    def from_dataset(cls, name: str, scale: int, data_root: str | Path | None = None, limit: int | None = None) -> "PatchSource":
        """Load a registered training set (T91, DIV2K_train, ...) through :mod:`srnas.datasets`.

        A set shipped with official LR files beside its HR folder (DIV2K: ``DIV2K_train_LR_bicubic/X{s}/
        NNNNx{s}.png``, made with MATLAB's bicubic) is paired with them (read through the decoded-image
        cache) instead of regenerating 800 LR images per run; otherwise LR is made with the MATLAB-exact
        ``imresize`` (the same numbers: both are MATLAB bicubic)."""
        from srnas.datasets import load_hr
        from srnas.datasets.loading import flush_hashes, read_image_cached, verify_hr
        from srnas.errors import DatasetError

        items = load_hr(name, data_root=data_root)
        items = items[:limit] if limit else items
        _, hr_dir = verify_hr(name, data_root, verify=False)
        lr_dir = hr_dir.parent / hr_dir.name.replace("_HR", "_LR_bicubic") / f"X{scale}"
        if not (hr_dir.name.endswith("_HR") and lr_dir.is_dir()):
            return cls.from_images(items, scale)
        names, lrs, hrs = [], [], []
        for stem, img in items:
            path = lr_dir / f"{stem}x{scale}.png"
            if not path.is_file():
                raise DatasetError(f"missing official LR file {path} (the folder {lr_dir} exists); re-extract the LR archive "
                                   "or remove the folder to generate LR with imresize")
            lr = read_image_cached(path)
            hr = modcrop(np.repeat(img[..., None], 3, axis=2) if img.ndim == 2 else img, scale)
            if lr.shape[0] * scale != hr.shape[0] or lr.shape[1] * scale != hr.shape[1]:
                raise DatasetError(f"{path} is {lr.shape[1]}x{lr.shape[0]}, not 1/{scale} of its HR {hr.shape[1]}x{hr.shape[0]}")
            names.append(stem)
            lrs.append(torch.from_numpy(np.ascontiguousarray(lr.transpose(2, 0, 1))))
            hrs.append(torch.from_numpy(np.ascontiguousarray(hr.transpose(2, 0, 1))))
        flush_hashes()
        return cls(names, lrs, hrs, scale, f"disk:{lr_dir}")

    def at_scale(self, scale: int) -> "PatchSource":
        """The same HR images paired with their LR at another scale (HiNAS searches at x4 and trains at x2/x3).

        Built from the HR already in memory, so it needs no data root and cannot read another copy of the set."""
        if scale == self.scale:
            return self
        other = PatchSource.from_images([(n, hr.permute(1, 2, 0).numpy()) for n, hr in zip(self.names, self.hr)], scale)
        other.observer = self.observer
        return other

    def __len__(self) -> int:
        return len(self.names)

    def split(self, fractions: Sequence[float]) -> list["PatchSource"]:
        """Contiguous splits in name order (as HNAS's DIV2K 1-320 / 321-800), e.g. ``[0.4, 0.6]``."""
        if abs(sum(fractions) - 1.0) > 1e-6 or any(f <= 0 for f in fractions):
            raise ValueError(f"split fractions must be positive and sum to 1, got {list(fractions)}")
        bounds = np.round(np.cumsum([0.0, *fractions]) * len(self)).astype(int)
        parts = []
        for a, b in zip(bounds[:-1], bounds[1:]):
            if b <= a:
                raise ValueError(f"split {list(fractions)} of {len(self)} images leaves an empty part")
            parts.append(PatchSource(self.names[a:b], self.lr[a:b], self.hr[a:b], self.scale, self.lr_source, self.observer))
        return parts

    def positions(
        self, step: int, seed: int, batch_size: int, lr_patch: int, augment: bool = True, patch_filter: str | None = None, draw: int = 0
    ) -> list[tuple[int, int, int, tuple[int, int, int] | None]]:
        """(image, LR y, LR x, (hflip, vflip, transpose) or None) of every patch of batch ``step``.

        The single place the stream's random draws are made, so every loader cuts the same patches.
        ``patch_filter`` (a :data:`PATCH_FILTERS` name) redraws a crop until its HR patch passes the test,
        as the DeCoNAS code does. ``draw`` > 0 gives an independent replacement batch for the same step
        (the trainer's ``loss_cut`` skips a batch and draws another)."""
        rng = np.random.default_rng([seed, step] if draw == 0 else [seed, step, draw])
        s, p = self.scale, lr_patch
        eligible = [i for i, t in enumerate(self.lr) if t.shape[1] >= p and t.shape[2] >= p]
        if not eligible:
            raise ValueError(f"no training image is at least {p}x{p} at LR (scale {s}); use a smaller lr_patch")
        if patch_filter is not None and patch_filter not in PATCH_FILTERS:
            raise ValueError(f"unknown patch_filter {patch_filter!r}; known: {', '.join(PATCH_FILTERS)}")
        score, floor = PATCH_FILTERS[patch_filter] if patch_filter else (None, 0.0)
        out: list[tuple[int, int, int, tuple[int, int, int] | None]] = []
        tries = 0
        while len(out) < batch_size:
            tries += 1
            if tries > 1000 * batch_size:
                raise ValueError(f"patch_filter {patch_filter!r}: fewer than 1 in 1000 patches pass; the training images are too flat for it")
            i = eligible[int(rng.integers(len(eligible)))]
            _, h, w = self.lr[i].shape
            y, x = int(rng.integers(h - p + 1)), int(rng.integers(w - p + 1))
            if score is not None and not score(self.hr[i][:, y * s : (y + p) * s, x * s : (x + p) * s]) > floor:
                continue
            flips = tuple(int(f) for f in rng.integers(2, size=3)) if augment else None
            out.append((i, y, x, flips))
        return out

    def batch(
        self, step: int, seed: int, batch_size: int, lr_patch: int, augment: bool = True, patch_filter: str | None = None, draw: int = 0,
        as_uint8: bool = False,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Batch number ``step`` of the stream for ``seed``: float LR [B,3,p,p], HR [B,3,p*s,p*s] in [0,1].

        Patches as :meth:`positions` draws them. ``as_uint8``: the same pixels before the float
        conversion (4x less to move between processes; ``/255`` gives the float batch exactly)."""
        started = time.perf_counter() if self.observer is not None else 0.0  # only a dry run listens
        s, p = self.scale, lr_patch
        lrs, hrs = [], []
        for i, y, x, flips in self.positions(step, seed, batch_size, lr_patch, augment, patch_filter, draw):
            lr = self.lr[i][:, y : y + p, x : x + p]
            hr = self.hr[i][:, y * s : (y + p) * s, x * s : (x + p) * s]
            if flips is not None:
                hflip, vflip, transpose = flips
                if hflip:
                    lr, hr = lr.flip(2), hr.flip(2)
                if vflip:
                    lr, hr = lr.flip(1), hr.flip(1)
                if transpose:
                    lr, hr = lr.transpose(1, 2), hr.transpose(1, 2)
            lrs.append(lr)
            hrs.append(hr)
        out = (torch.stack(lrs), torch.stack(hrs)) if as_uint8 else (torch.stack(lrs).float().div_(255), torch.stack(hrs).float().div_(255))
        if self.observer is not None:
            self.observer(time.perf_counter() - started)
        return out

    def batches(self, seed: int, batch_size: int, lr_patch: int, augment: bool = True, start: int = 0) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        step = start
        while True:
            yield self.batch(step, seed, batch_size, lr_patch, augment)
            step += 1

    def tiles(self, lr_patch: int, max_tiles: int | None = None) -> list[tuple[torch.Tensor, torch.Tensor]]:
        """Non-overlapping LR tiles (last one aligned to the border) with their HR tiles, for validation.

        Used as the search's validation set (HiNAS scores stitched 64x64 tiles); deterministic.
        """
        out: list[tuple[torch.Tensor, torch.Tensor]] = []
        s, p = self.scale, lr_patch
        for lr, hr in zip(self.lr, self.hr):
            _, h, w = lr.shape
            ys, xs = tile_grid(h, w, p)
            for y in ys:
                for x in xs:
                    if max_tiles and len(out) >= max_tiles:
                        # stop here: materialising every tile first (then slicing) held all of DIV2K's
                        # tiles as floats, tens of GiB at HNAS's paper split
                        return out
                    out.append(
                        (lr[:, y : y + p, x : x + p].float().div(255), hr[:, y * s : (y + p) * s, x * s : (x + p) * s].float().div(255))
                    )
        return out
