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


def _sparsemax_rows(z: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
    """Projection of each row of ``z`` ([R, n], or one vector [n]) onto the simplex restricted to ``mask``.

    Every step is per row (sort, cumsum, a max and a gather along the last dimension), so a row's bits are
    those of projecting it alone; the support size stays on the device (no ``nonzero()``/``int()``).
    """
    if mask is not None:
        z = z.masked_fill(~mask, float("-inf"))
    zs, _ = torch.sort(z, dim=-1, descending=True)
    finite = torch.isfinite(zs)
    zs_f = torch.where(finite, zs, torch.zeros_like(zs))
    k = torch.arange(1, z.shape[-1] + 1, dtype=z.dtype, device=z.device)
    cums = torch.cumsum(zs_f, -1)
    in_support = finite & (1 + k * zs_f > cums)
    k_star = torch.where(in_support, k, torch.zeros_like(k)).max(-1).values  # the largest k in the support
    tau = (cums.gather(-1, (k_star - 1).long().unsqueeze(-1)).squeeze(-1) - 1) / k_star
    out = torch.clamp(z - tau.unsqueeze(-1), min=0)
    return torch.where(torch.isfinite(z), out, torch.zeros_like(out))


def _sparsestmax_rows(z: torch.Tensor, r: float) -> torch.Tensor:
    """SSN's algorithm for each row of ``z`` ([R, n], or one vector [n]), all rows at once.

    1. ``p = sparsemax(z)``; if ``||p - u|| >= r`` it is the answer.
    2. Otherwise, on the current face F (support S, |S| = m, centroid ``u_S``), push ``p`` radially
       away from ``u_S`` to the sphere ``||p - u|| = r``. Because ``p - u_S`` is orthogonal to
       ``u_S - u``, that sphere meets F in a sphere around ``u_S`` of radius
       ``r_S = sqrt(r^2 - (1/m - 1/n))``.
    3. If the pushed point left the simplex (negative coordinates), drop those coordinates from the
       support, re-project onto the smaller face with sparsemax and go back to 2. The support shrinks
       every round, so this ends after at most n - 1 rounds.

    Why batched: projecting row by row read a norm test, a support count and a negativity test per row and
    round back to the host (54 host reads per Trilevel step; issue 23). Here each round is one set of
    tensor ops over all rows, a row that has its answer is carried unchanged (``active``), and the rounds
    run to their bound n without asking the device when all rows are done — except on the CPU, where that
    question costs nothing and the spare rounds would. Each active row goes through the same IEEE
    operations as the row-wise algorithm (the radius tests in float64 as the Python floats were; the push
    radius computed by ``math.sqrt`` and rounded to the tensor's dtype, as a Python scalar operand is), so
    values and gradients are bit-identical to it (``tests/test_sparsestmax.py``).
    """
    n = z.shape[-1]
    if r <= 0 or n == 1:
        return _sparsemax_rows(z)
    if r >= max_radius(n) - 1e-12:
        # Only the vertices are feasible; the nearest vertex to z is e_argmax(z).
        return torch.nn.functional.one_hot(torch.argmax(z, -1), n).to(z.dtype)
    # The push radius r_S for each support size m = 1 ... n, computed on the host with math.sqrt: torch's CPU
    # sqrt is not always correctly rounded (0.40688568272898284 where math.sqrt gives ...829), and the copy to
    # the device does not wait for it. Each row looks its radius up by its support size.
    radii = torch.tensor([math.sqrt(max(r * r - (1.0 / m - 1.0 / n), 0.0)) for m in range(1, n + 1)], dtype=torch.float64)
    radii = radii.to(device=z.device, dtype=z.dtype, non_blocking=True)
    u = torch.full_like(z, 1.0 / n)
    p = _sparsemax_rows(z)
    mask = torch.ones_like(z, dtype=torch.bool)
    active = torch.ones(z.shape[:-1], dtype=torch.bool, device=z.device)
    for _ in range(n):
        active = active & (torch.linalg.vector_norm(p.detach() - u, dim=-1).double() < r)
        if z.device.type == "cpu" and not bool(active.any()):
            break
        m = mask.sum(-1)
        u_s = mask.to(z.dtype) / m.to(z.dtype).unsqueeze(-1)
        d = p - u_s
        norm = torch.linalg.vector_norm(d, dim=-1)
        # p sits at the face centroid (all logits tied): break the tie towards the first maximal logit
        tied = (norm.detach().double() < 1e-12).unsqueeze(-1)
        first_max = torch.argmax(z.masked_fill(~mask, float("-inf")), -1)
        d_tie = torch.nn.functional.one_hot(first_max, n).to(z.dtype) - u_s
        d = torch.where(tied, d_tie, d)
        norm = torch.where(tied.squeeze(-1), torch.linalg.vector_norm(d_tie, dim=-1), norm)
        norm = torch.where(active, norm, torch.ones_like(norm))  # rows with an answer: no 0/0 in their gradient
        factor = torch.take(radii, m - 1).unsqueeze(-1)  # take: a 0-dim index would be read back as a Python int
        pushed = u_s + factor * d / norm.unsqueeze(-1)
        negative = (pushed < 0) & mask & active.unsqueeze(-1)
        leaves = negative.any(-1)
        mask = mask & ~negative
        reprojected = _sparsemax_rows(pushed, mask)
        p = torch.where((active & ~leaves).unsqueeze(-1), pushed, torch.where(leaves.unsqueeze(-1), reprojected, p))
        active = active & leaves
    return p


def _rowwise(fn, z: torch.Tensor, *args) -> torch.Tensor:
    """``fn`` over the last dimension: a vector as it is, anything larger as one [R, n] view.

    Why not always a view: autograd sums the gradient contributions of a tensor's uses in its own buffer
    and float addition is not associative, so the graph's shape is part of the bits. A vector goes in as it
    is and a matrix through one view, as the row-by-row version did (it viewed and unstacked matrices only),
    so a parameter used twice per step (Trilevel's forward and its expected MACs) gets the same gradient.
    """
    if z.dim() == 1:
        return fn(z, *args)
    return fn(z.reshape(-1, z.shape[-1]), *args).reshape(z.shape)


def sparsemax(z: torch.Tensor) -> torch.Tensor:
    """Sparsemax over the last dimension."""
    return _rowwise(_sparsemax_rows, z)


def sparsestmax(z: torch.Tensor, r: float) -> torch.Tensor:
    """Sparsestmax over the last dimension with radius ``r`` (0 = sparsemax, ``max_radius(n)`` = one-hot)."""
    return _rowwise(_sparsestmax_rows, z, float(r))


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
