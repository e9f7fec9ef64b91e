"""MATLAB-exact ``imresize(..., 'bicubic')``.

The published SR numbers are computed on LR images made by MATLAB. Reproducing them needs the exact
computation, not "a bicubic": the cubic kernel with a=-0.5, widened by 1/scale when shrinking
(antialiasing), border padding (``symmetric`` in current MATLAB, ``replicate`` in the older release that
made the SelfExSR files), one pass per dimension (rows first when both scales are equal), and, for uint8
images, rounding of each pass to uint8. Each pass is a sparse (banded) float64 matrix product: a kernel
has 4 taps (4/scale when shrinking), so a dense (out x in) product did ~in/4 times the work and grew
super-linearly with the image side (53 -> 293 ns per HR pixel from 256^2 to 2048^2). The banded product
gives the same uint8 images bit for bit (tests: every shipped LR file, the 219 x2 upscales).
"""
from __future__ import annotations

import math
from collections import OrderedDict
from typing import TYPE_CHECKING, Literal

import numpy as np

if TYPE_CHECKING:
    from scipy import sparse

Padding = Literal["symmetric", "replicate"]


def _cubic(x: np.ndarray) -> np.ndarray:
    ax = np.abs(x)
    ax2, ax3 = ax**2, ax**3
    return (1.5 * ax3 - 2.5 * ax2 + 1) * (ax <= 1) + (-0.5 * ax3 + 2.5 * ax2 - 4 * ax + 2) * ((ax > 1) & (ax <= 2))


def _taps(in_len: int, out_len: int, scale: float, padding: Padding) -> tuple[np.ndarray, np.ndarray]:
    """Source index and weight of every tap of every output sample: two (out_len x taps) arrays."""
    kernel_width = 4.0
    antialias = scale < 1
    if antialias:
        kernel_width /= scale
    x = np.arange(1, out_len + 1, dtype=np.float64)
    u = x / scale + 0.5 * (1 - 1 / scale)
    left = np.floor(u - kernel_width / 2)
    taps = int(math.ceil(kernel_width)) + 2
    idx = left[:, None] + np.arange(taps)[None, :]  # 1-based source indices
    dist = u[:, None] - idx
    weights = scale * _cubic(scale * dist) if antialias else _cubic(dist)
    weights = weights / weights.sum(axis=1, keepdims=True)
    if padding == "symmetric":
        mirror = np.concatenate([np.arange(in_len), np.arange(in_len - 1, -1, -1)])
        src = mirror[np.mod(idx.astype(np.int64) - 1, 2 * in_len)]
    elif padding == "replicate":
        src = np.clip(idx.astype(np.int64) - 1, 0, in_len - 1)
    else:
        raise ValueError(f"padding must be 'symmetric' or 'replicate', not {padding!r}")
    return src, weights


def _build_weights(in_len: int, out_len: int, scale: float, padding: Padding) -> sparse.csr_matrix:
    from scipy import sparse  # here, not at the top: `srnas --help` and `srnas table` never resize

    src, weights = _taps(in_len, out_len, scale, padding)
    rows = np.repeat(np.arange(out_len), src.shape[1])
    # Taps that the border padding folds onto one source sample are summed in tap order (a stable sort
    # keeps it), as np.add.at into a zero matrix always did: the same weights to the last bit.
    order = np.lexsort((src.ravel(), rows))  # by row, then source; stable, so ties keep tap order
    r, c, w = rows[order], src.ravel()[order], weights.ravel()[order]
    is_first = np.r_[True, (r[1:] != r[:-1]) | (c[1:] != c[:-1])]
    first = np.flatnonzero(is_first)
    group = np.cumsum(is_first) - 1
    pos = np.arange(len(w)) - first[group]
    merged = np.zeros(len(first))
    for k in range(int(pos.max()) + 1):  # one tap of each group at a time: 0 + w1 + w2 + ..., in order
        sel = pos == k  # (np.add.reduceat would sum long groups with 8 partial sums: other bits)
        merged[group[sel]] += w[sel]
    r, c, w = r[first], c[first], merged
    keep = w != 0  # a zero weight adds nothing (the dense product multiplied it by the sample)
    return sparse.csr_matrix((w[keep], (r[keep], c[keep])), shape=(out_len, in_len))


class _WeightCache:
    """The banded weights of recent passes, bounded in bytes (not entries): a 2048 -> 1024 pass is ~130 KiB
    as CSR (it was 16 MiB as a dense matrix), so a few hundred DIV2K-sized shapes stay well inside it."""

    def __init__(self, max_bytes: int = 64 * 2**20):
        self.max_bytes = max_bytes
        self._items: OrderedDict[tuple, sparse.csr_matrix] = OrderedDict()
        self._bytes = 0

    @staticmethod
    def _size(m: sparse.csr_matrix) -> int:
        return m.data.nbytes + m.indices.nbytes + m.indptr.nbytes

    def get(self, key: tuple) -> sparse.csr_matrix:
        m = self._items.get(key)
        if m is not None:
            self._items.move_to_end(key)
            return m
        m = _build_weights(*key)
        self._items[key] = m
        self._bytes += self._size(m)
        while self._bytes > self.max_bytes and len(self._items) > 1:
            _, old = self._items.popitem(last=False)
            self._bytes -= self._size(old)
        return m

    @property
    def nbytes(self) -> int:
        return self._bytes


_WEIGHTS = _WeightCache()


def resize_weights(in_len: int, out_len: int, scale: float, padding: Padding = "symmetric") -> sparse.csr_matrix:
    """The (out_len x in_len) weights of one MATLAB bicubic pass as a CSR matrix (4 or 4/scale taps a row)."""
    return _WEIGHTS.get((int(in_len), int(out_len), float(scale), padding))


def resize_matrix(in_len: int, out_len: int, scale: float, padding: Padding = "symmetric") -> np.ndarray:
    """The same weights as a dense float64 matrix (for tests and references; the passes use the CSR)."""
    return resize_weights(in_len, out_len, scale, padding).toarray()


def _round_uint8(a: np.ndarray) -> np.ndarray:
    # MATLAB converts double -> uint8 by rounding half away from zero and saturating.
    return np.clip(np.floor(a + 0.5), 0, 255)


def imresize(img: np.ndarray, scale: float, padding: Padding = "symmetric") -> np.ndarray:
    """Resize an HxW or HxWxC image by ``scale`` like MATLAB's ``imresize(img, scale, 'bicubic')``.

    uint8 input gives uint8 output, each pass rounded as MATLAB does; float input gives float64 output
    with no rounding (for on-the-fly degradation of float tensors).
    """
    if scale <= 0:
        raise ValueError(f"scale must be positive, got {scale}")
    is_uint8 = img.dtype == np.uint8
    a = img.astype(np.float64)
    h, w = a.shape[:2]
    out_h, out_w = int(math.ceil(h * scale)), int(math.ceil(w * scale))
    # MATLAB resizes the dimension with the smaller scale first; with equal scales, rows (dim 1) first.
    for axis, (n_in, n_out) in ((0, (h, out_h)), (1, (w, out_w))):
        weights = resize_weights(n_in, n_out, float(scale), padding)
        moved = np.moveaxis(a, axis, 0)
        a = np.moveaxis((weights @ moved.reshape(n_in, -1)).reshape(n_out, *moved.shape[1:]), 0, axis)
        if is_uint8:
            a = _round_uint8(a)
    return a.astype(np.uint8) if is_uint8 else a


def modcrop(img: np.ndarray, scale: int) -> np.ndarray:
    """Crop the bottom/right so both sides are multiples of ``scale`` (MATLAB ``modcrop``)."""
    h, w = img.shape[:2]
    return img[: h - h % scale, : w - w % scale, ...]
