"""The training-batch pipeline: where batches are made, chosen per run (``--loader``), never what they are.

Three loaders, all giving batch ``step`` of seed ``s`` bit-identical to :meth:`PatchSource.batch` (tested),
so the loader changes speed, never results, and a resumed run sees the batches an uninterrupted one would:

- ``inline`` (default): :meth:`PatchSource.batch` on the training thread.
- ``workers=N``: the same crops made ahead in N ``DataLoader`` worker processes (forked workers share the
  images; pinned memory on CUDA for asynchronous copies), so the training thread only receives batches.
- ``device``: every image in one uint8 buffer on the run's device (DIV2K's 800 HR + LR fit in a GPU's
  memory); a batch is one ``torch.take`` with flat indices that fold in the crop offsets and the flips
  (:class:`FlatImages`): no host work, no host-to-device copy per step.

Measured on this CPU (``benchmarks/bench_batches.py``, HiNAS paper shape): the vectorised gather is
*slower* on a CPU than per-sample slicing (it moves 8-byte indices for 1-byte pixels), so the CPU loaders
slice; the gather is for device-resident data, where it replaces the host pipeline entirely.
Batches that need per-sample decisions (``patch_filter``, ``loss_cut`` redraws) always use
:meth:`PatchSource.batch`.
"""
from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from functools import lru_cache

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset

from srnas.datasets.patches import PatchSource


@dataclass
class FlatImages:
    """Images of one kind (HR or LR) in one uint8 buffer: image i is ``buffer[offsets[i]:...]`` as [3, h, w]."""

    buffer: torch.Tensor  # uint8, 1-D
    offsets: np.ndarray  # int64 [N]
    heights: np.ndarray  # int64 [N]
    widths: np.ndarray  # int64 [N]

    @classmethod
    def of(cls, images: list[torch.Tensor], device: torch.device | str = "cpu") -> "FlatImages":
        sizes = [t.numel() for t in images]
        offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)
        buffer = torch.cat([t.reshape(-1) for t in images]) if images else torch.zeros(0, dtype=torch.uint8)
        return cls(buffer.to(device), offsets, np.array([t.shape[1] for t in images], np.int64), np.array([t.shape[2] for t in images], np.int64))

    def crops(self, index: np.ndarray, y: np.ndarray, x: np.ndarray, size: int, flips: np.ndarray | None) -> torch.Tensor:
        """uint8 [B, 3, size, size]: crop b of image ``index[b]`` at (``y[b]``, ``x[b]``), then its flips.

        ``flips[b] = (hflip, vflip, transpose)`` applied in that order, as :meth:`PatchSource.batch`.
        Flips are folded into the gather: output pixel (i, j) reads row/column (r, c) of the crop from
        one of 8 precomputed index grids, so the whole batch is one ``torch.take``."""
        dev = self.buffer.device
        code = torch.zeros(len(index), dtype=torch.long) if flips is None else torch.from_numpy(flips[:, 0] * 4 + flips[:, 1] * 2 + flips[:, 2])
        grid = _flip_grids(size).to(dev)[code.to(dev)]  # [B, 2, P, P]
        w = torch.from_numpy(self.widths[index]).to(dev)
        h = torch.from_numpy(self.heights[index]).to(dev)
        y0, x0 = torch.from_numpy(y).to(dev), torch.from_numpy(x).to(dev)
        pixel = (y0[:, None, None] + grid[:, 0]) * w[:, None, None] + x0[:, None, None] + grid[:, 1]
        plane = torch.from_numpy(self.offsets[index]).to(dev)[:, None] + torch.arange(3, device=dev)[None, :] * (h * w)[:, None]  # [B, 3]
        return torch.take(self.buffer, plane[:, :, None, None] + pixel[:, None])


@lru_cache(maxsize=8)
def _flip_grids(size: int) -> torch.Tensor:
    """[8, 2, P, P] source (row, col) of every output pixel for flip code 4 h + 2 v + t."""
    i = torch.arange(size)
    rows, cols = i[:, None].expand(size, size), i[None, :].expand(size, size)
    grids = []
    for code in range(8):
        h, v, t = code >> 2 & 1, code >> 1 & 1, code & 1
        r, c = (cols, rows) if t else (rows, cols)  # undo in reverse order: transpose, vflip, hflip
        if v:
            r = size - 1 - r
        if h:
            c = size - 1 - c
        grids.append(torch.stack([r, c]))
    return torch.stack(grids)


class SlicedBatches(Dataset):
    """Map-style dataset whose item ``step`` is :meth:`PatchSource.batch` of that step (DataLoader workers)."""

    def __init__(self, source: PatchSource, seed: int, batch_size: int, lr_patch: int, augment: bool = True):
        # without the source's observer: a worker's clock is not the training thread's, and a closure
        # would not pickle into a spawned worker (batch_stream times the wait on the workers instead)
        source = replace(source, observer=None)
        self.source, self.seed, self.batch_size, self.p, self.augment = source, seed, batch_size, lr_patch, augment

    def __len__(self) -> int:  # steps are unbounded; the DataLoader is driven by an explicit sampler
        return 2**62

    def __getitem__(self, step: int) -> tuple[torch.Tensor, torch.Tensor]:
        # uint8 across the process boundary (and the host-to-device copy); /255 happens on arrival
        return self.source.batch(int(step), self.seed, self.batch_size, self.p, self.augment, as_uint8=True)


class GatheredBatches:
    """Batches cut by one gather from device-resident images; item ``step`` equals :meth:`PatchSource.batch`
    (same :meth:`PatchSource.positions`)."""

    def __init__(self, source: PatchSource, seed: int, batch_size: int, lr_patch: int, augment: bool = True, device: torch.device | str = "cpu"):
        self.source, self.seed, self.batch_size, self.p, self.augment = source, seed, batch_size, lr_patch, augment
        self.lr, self.hr = FlatImages.of(source.lr, device), FlatImages.of(source.hr, device)

    def __getitem__(self, step: int) -> tuple[torch.Tensor, torch.Tensor]:
        pos = self.source.positions(int(step), self.seed, self.batch_size, self.p, self.augment)
        index, y, x = (np.array([q[k] for q in pos], np.int64) for k in range(3))
        flips = np.array([q[3] for q in pos], np.int64) if self.augment else None
        s = self.source.scale
        lr = self.lr.crops(index, y, x, self.p, flips)
        hr = self.hr.crops(index, y * s, x * s, self.p * s, flips)
        return lr.float().div_(255), hr.float().div_(255)  # on the images' device


LOADERS = ("inline", "workers=N", "device")


def parse_loader(text: str) -> tuple[str, int]:
    """``inline`` | ``workers=N`` (N >= 1) | ``device`` -> (kind, workers)."""
    if text in ("inline", "device"):
        return text, 0
    if text.startswith("workers="):
        try:
            n = int(text.split("=", 1)[1])
        except ValueError:
            n = 0
        if n >= 1:
            return "workers", n
    raise ValueError(f"--loader must be one of {', '.join(LOADERS)}, not {text!r}")


def batch_stream(
    source: PatchSource, seed: int, batch_size: int, lr_patch: int, augment: bool, start: int, stop: int,
    loader: str = "inline", device: torch.device | str = "cpu",
) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    """Float batches ``start .. stop-1`` of the stream for ``seed`` on ``device``, made where ``loader``
    says (module docstring)."""
    kind, workers = parse_loader(loader)
    device = torch.device(device)
    if kind == "device":
        gathered = GatheredBatches(source, seed, batch_size, lr_patch, augment, device)
        for step in range(start, stop):
            started = time.perf_counter()
            batch = gathered[step]
            if source.observer is not None:
                source.observer(time.perf_counter() - started)
            yield batch
        return
    if kind == "inline":  # PatchSource.batch reports its own time to the observer
        for step in range(start, stop):
            lr, hr = source.batch(step, seed, batch_size, lr_patch, augment)
            yield lr.to(device), hr.to(device)
        return
    loader_ = DataLoader(
        SlicedBatches(source, seed, batch_size, lr_patch, augment),
        batch_size=None,  # items are whole batches
        sampler=range(start, stop),
        num_workers=workers,
        pin_memory=device.type == "cuda",
        prefetch_factor=4,
    )
    batches = iter(loader_)
    while True:
        started = time.perf_counter()  # the training thread's wait for the workers: what a stall is
        try:
            lr, hr = next(batches)
        except StopIteration:
            return
        out = lr.to(device, non_blocking=True).float().div_(255), hr.to(device, non_blocking=True).float().div_(255)
        if source.observer is not None:
            source.observer(time.perf_counter() - started)
        yield out
