"""Sparse relaxations of a categorical choice: sparsemax, sparsestmax and sorted sparsestmax.

- :func:`sparsemax` (Martins & Astudillo, 2016): the Euclidean projection of logits onto the
  probability simplex. Unlike softmax it returns exact zeros.
- :func:`sparsestmax` (Shao et al., CVPR 2019, "SSN"): the projection onto the simplex *minus* the open
  ball of radius ``r`` around the uniform vector ``u = 1/n``. ``r = 0`` is sparsemax; growing ``r``
  pushes the distribution away from uniform, and at the vertex radius ``sqrt((n-1)/n)`` only the
  one-hot vertices remain feasible, so annealing ``r`` upward ends every choice in a discrete one.
- :func:`sorted_sparsestmax`: sparsestmax over an *ordered* set of nested candidates, returned as the
  non-increasing gates ``g_i = sum_{k >= i} p_k`` (Trilevel NAS's network level; see that function).

Gradients are exact by autograd: each step of SSN's algorithm is a differentiable map of the logits
once its discrete decisions (supports, whether the point is inside the ball) are fixed, and those
decisions are locally constant almost everywhere. ``tests/test_sparsestmax.py`` checks them against
finite differences with :func:`torch.autograd.gradcheck` in float64.
"""
from __future__ import annotations

import math

import torch


def max_radius(n: int) -> float:
    """Distance from the uniform vector to a vertex of the n-simplex: the radius where only one-hots remain."""
    return math.sqrt((n - 1) / n)


def _sparsemax_1d(z: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
    """Projection of a vector onto the simplex restricted to the coordinates in ``mask`` (others are 0)."""
    if mask is not None:
        z = z.masked_fill(~mask, float("-inf"))
    zs, _ = torch.sort(z, descending=True)
    finite = torch.isfinite(zs)
    zs_f = torch.where(finite, zs, torch.zeros_like(zs))
    k = torch.arange(1, z.numel() + 1, dtype=z.dtype, device=z.device)
    cums = torch.cumsum(zs_f, 0)
    in_support = finite & (1 + k * zs_f > cums)
    # the support size on the device (largest k in the support), no nonzero()/int() round trip to the host
    k_star = torch.where(in_support, k, torch.zeros_like(k)).max()
    tau = (cums.gather(0, (k_star - 1).long().view(1))[0] - 1) / k_star
    out = torch.clamp(z - tau, min=0)
    return torch.where(torch.isfinite(z), out, torch.zeros_like(out))


def _sparsestmax_1d(z: torch.Tensor, r: float) -> torch.Tensor:
    """SSN's algorithm for one vector.

    1. ``p = sparsemax(z)``; if ``||p - u|| >= r`` it is the answer.
    2. Otherwise, on the current face F (support S, |S| = m, centroid ``u_S``), push ``p`` radially
       away from ``u_S`` to the sphere ``||p - u|| = r``. Because ``p - u_S`` is orthogonal to
       ``u_S - u``, that sphere meets F in a sphere around ``u_S`` of radius
       ``r_S = sqrt(r^2 - (1/m - 1/n))``.
    3. If the pushed point left the simplex (negative coordinates), drop those coordinates from the
       support, re-project onto the smaller face with sparsemax and go back to 2. The support shrinks
       every round, so this ends after at most n - 1 rounds.
    """
    n = z.numel()
    if r <= 0 or n == 1:
        return _sparsemax_1d(z)
    if r >= max_radius(n) - 1e-12:
        # Only the vertices are feasible; the nearest vertex to z is e_argmax(z).
        return torch.nn.functional.one_hot(torch.argmax(z), n).to(z.dtype)
    u = torch.full_like(z, 1.0 / n)
    p = _sparsemax_1d(z)
    mask = torch.ones(n, dtype=torch.bool, device=z.device)
    while True:
        if float(torch.linalg.vector_norm(p.detach() - u)) >= r:
            return p
        m = int(mask.sum())
        u_s = mask.to(z.dtype) / m
        r_s2 = r * r - (1.0 / m - 1.0 / n)
        d = p - u_s
        norm = torch.linalg.vector_norm(d)
        if float(norm.detach()) < 1e-12:
            # p sits at the face centroid (all logits tied): break the tie towards the first maximal logit.
            d = torch.nn.functional.one_hot(torch.argmax(z.masked_fill(~mask, float("-inf"))), n).to(z.dtype) - u_s
            norm = torch.linalg.vector_norm(d)
        p = u_s + math.sqrt(max(r_s2, 0.0)) * d / norm
        negative = (p < 0) & mask
        if not bool(negative.any()):
            return p
        mask = mask & ~negative
        p = _sparsemax_1d(p, mask)


def _rowwise(fn, z: torch.Tensor, *args) -> torch.Tensor:
    if z.dim() == 1:
        return fn(z, *args)
    flat = z.reshape(-1, z.shape[-1])
    return torch.stack([fn(row, *args) for row in flat]).reshape(z.shape)


def sparsemax(z: torch.Tensor) -> torch.Tensor:
    """Sparsemax over the last dimension."""
    return _rowwise(_sparsemax_1d, z)


def sparsestmax(z: torch.Tensor, r: float) -> torch.Tensor:
    """Sparsestmax over the last dimension with radius ``r`` (0 = sparsemax, ``max_radius(n)`` = one-hot)."""
    return _rowwise(_sparsestmax_1d, z, float(r))


def sorted_sparsestmax(z: torch.Tensor, r: float) -> torch.Tensor:
    """Non-increasing gates ``g_i = sum_{k >= i} p_k`` of ``p = sparsestmax(z, r)`` over ordered candidates.

    For candidates that are *nested* in their order (candidate k = "the first k units are kept / run
    at low resolution"), ``g_i`` is the probability that unit ``i`` is in the chosen prefix. The gates
    are sorted (``1 = g_0 >= g_1 >= ... >= 0``) for every ``r``, so a relaxed network never has a
    unit switched on after one switched off; as ``p`` becomes sparse the gates saturate to 0/1 from
    both ends, and at the vertex radius they are a step function: a contiguous prefix of ones.
    This is our reading of Trilevel NAS's "sorting technique for network-level compression" (the
    paper's full text was not available; see methods/trilevel/DESIGN.md).
    """
    return tail_sums(sparsestmax(z, r))


def tail_sums(p: torch.Tensor) -> torch.Tensor:
    """``g_i = sum_{k >= i} p_k`` over the last dimension: P(choice >= i) for ordered candidates."""
    return torch.flip(torch.cumsum(torch.flip(p, [-1]), -1), [-1])


def entropy(p: torch.Tensor) -> torch.Tensor:
    """Shannon entropy (nats) over the last dimension with 0 log 0 = 0, so a one-hot gives exactly 0."""
    safe = torch.where(p > 0, p, torch.ones_like(p))
    return 0.0 - (p * torch.log(safe)).sum(-1)  # 0.0 - x: a one-hot gives +0.0, not -0.0
