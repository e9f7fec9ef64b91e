"""The SSIM map in one compiled pass, with the bits of the numpy/scipy path it replaces.

Why compiled: SSIM is four 11-tap Gaussian filterings (of x, y, x^2 + y^2 and xy) in two separable passes,
16 floating-point operations per output and pass. ``scipy.ndimage.correlate1d`` runs them as a scalar C loop
(with a line copy per row and a transposed copy for the column pass) and the four maps are full-image float64
temporaries: ~80 % of an evaluation's metric time (issue 28). Here one numba-compiled loop computes each
row pass into a ring of 11 rows, runs the column pass on the ring as soon as it holds the 11 rows an output
row needs, and applies the SSIM formula there: no full-image temporary but the output map, vectorised loads.

Why the bits do not move: every output is the same sequence of IEEE operations as before. ``correlate1d``
with a symmetric kernel computes ``o = s[c] * w[5]``, then ``o += (s[c-j] + s[c+j]) * w[5-j]`` for
j = 5 ... 1 (scipy ``ni_filters.c``, symmetric branch); the maps are ``x * x + y * y`` and ``x * y``; the
formula is applied in the order of ``metrics.calc_ssim``. numba compiles without fast-math, so LLVM may
vectorise across outputs but never reassociates or fuses a multiply-add. ``tests/test_metrics.py`` checks
the map against the scipy path bit for bit on every shipped image. The mean is taken by numpy outside,
as before (its pairwise sum follows memory order: the map is row-major, as it always was).

Without numba (a platform it does not support yet) :func:`ssim_map` falls back to the scipy path: slower,
the same bits.
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

def _ssim_map_py(x: np.ndarray, y: np.ndarray, w: np.ndarray, c1: float, c2: float) -> np.ndarray:  # noqa: C901
    """The kernel as plain Python loops (compiled by numba below; never run uncompiled but by a test)."""
    h, wd = x.shape
    big_h, big_w = h - 10, wd - 10
    ring = np.empty((4, 11, big_w))
    line = np.empty((4, wd))
    out = np.empty((big_h, big_w))
    w0, w1, w2, w3, w4, w5 = w[0], w[1], w[2], w[3], w[4], w[5]
    for r in range(h):
        for k in range(wd):
            a = x[r, k]
            b = y[r, k]
            line[0, k] = a
            line[1, k] = b
            line[2, k] = a * a + b * b
            line[3, k] = a * b
        slot = r % 11
        for m in range(4):
            for i in range(big_w):
                c = i + 5
                o = line[m, c] * w5
                o += (line[m, c - 5] + line[m, c + 5]) * w0
                o += (line[m, c - 4] + line[m, c + 4]) * w1
                o += (line[m, c - 3] + line[m, c + 3]) * w2
                o += (line[m, c - 2] + line[m, c + 2]) * w3
                o += (line[m, c - 1] + line[m, c + 1]) * w4
                ring[m, slot, i] = o
        if r < 10:
            continue
        top = r - 10  # the output row whose 11 input rows are top ... r
        s0, s1, s2, s3, s4 = top % 11, (top + 1) % 11, (top + 2) % 11, (top + 3) % 11, (top + 4) % 11
        s5 = (top + 5) % 11
        s6, s7, s8, s9, s10 = (top + 6) % 11, (top + 7) % 11, (top + 8) % 11, (top + 9) % 11, (top + 10) % 11
        for i in range(big_w):
            f0 = 0.0
            f1 = 0.0
            f2 = 0.0
            f3 = 0.0
            for m in range(4):
                o = ring[m, s5, i] * w5
                o += (ring[m, s0, i] + ring[m, s10, i]) * w0
                o += (ring[m, s1, i] + ring[m, s9, i]) * w1
                o += (ring[m, s2, i] + ring[m, s8, i]) * w2
                o += (ring[m, s3, i] + ring[m, s7, i]) * w3
                o += (ring[m, s4, i] + ring[m, s6, i]) * w4
                if m == 0:
                    f0 = o
                elif m == 1:
                    f1 = o
                elif m == 2:
                    f2 = o
                else:
                    f3 = o
            mu_xy = f0 * f1
            sum_sq = f0 * f0 + f1 * f1
            num = (mu_xy * 2 + c1) * ((f3 - mu_xy) * 2 + c2)
            den = (sum_sq + c1) * ((f2 - sum_sq) + c2)
            out[top, i] = num / den
    return out


_compiled: Callable[..., np.ndarray] | None = None


def compiled_kernel() -> Callable[..., np.ndarray] | None:
    """The numba-compiled kernel (compiled on first use, cached on disk by numba), or None without numba."""
    global _compiled
    if _compiled is None:
        try:  # numba is a dependency; the guard keeps the suite usable where no numba build exists yet
            from numba import njit
        except ImportError:  # pragma: no cover - exercised only on platforms without numba
            return None
        _compiled = njit(cache=True, nogil=True, fastmath=False)(_ssim_map_py)
    return _compiled


def ssim_map(x: np.ndarray, y: np.ndarray, w: np.ndarray, c1: float, c2: float,
             fallback: Callable[..., np.ndarray]) -> np.ndarray:
    """The valid-region SSIM map (H-10, W-10) of two float64 images, row-major; ``fallback(x, y)`` without numba."""
    kernel = compiled_kernel()
    if kernel is None:
        return fallback(x, y)
    args: tuple[Any, ...] = (np.ascontiguousarray(x, dtype=np.float64), np.ascontiguousarray(y, dtype=np.float64),
                             np.ascontiguousarray(w, dtype=np.float64), float(c1), float(c2))
    return kernel(*args)
