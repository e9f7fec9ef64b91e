"""sparsemax / sparsestmax / sorted sparsestmax: feasibility, limits, optimality and exact gradients."""
from __future__ import annotations

import math

import pytest
import torch

from srnas.nas.sparsestmax import entropy, max_radius, sorted_sparsestmax, sparsemax, sparsestmax, tail_sums


def _cases(count: int, seed: int = 0):
    g = torch.Generator().manual_seed(seed)
    for _ in range(count):
        n = int(torch.randint(2, 9, (1,), generator=g))
        z = torch.randn(n, generator=g, dtype=torch.float64) * (0.1 + 3 * float(torch.rand(1, generator=g)))
        r = float(torch.rand(1, generator=g)) * max_radius(n)
        yield z, r


def test_sparsemax_matches_known_values():
    torch.testing.assert_close(sparsemax(torch.tensor([1.0, 0.0, -1.0])), torch.tensor([1.0, 0.0, 0.0]))
    # all three in the support: tau = (0.9 - 1) / 3
    torch.testing.assert_close(sparsemax(torch.tensor([0.5, 0.3, 0.1])), torch.tensor([0.5, 0.3, 0.1]) + 1 / 30)
    # two in the support: tau = (1.2 + 0.6 - 1) / 2 = 0.4
    torch.testing.assert_close(sparsemax(torch.tensor([1.2, 0.6, -0.5])), torch.tensor([0.8, 0.2, 0.0]))


_ALL = list(_cases(200))


def test_output_on_simplex_and_outside_ball():
    for z, r in _ALL:
        p = sparsestmax(z, r)
        u = torch.full_like(p, 1 / p.numel())
        assert float(p.min()) >= 0
        assert abs(float(p.sum()) - 1) < 1e-9
        assert float(torch.linalg.vector_norm(p - u)) >= r - 1e-9


def test_radius_zero_is_sparsemax():
    for z, _ in _ALL[:50]:
        torch.testing.assert_close(sparsestmax(z, 0.0), sparsemax(z))


def test_outside_the_ball_sparsestmax_is_sparsemax():
    z = torch.tensor([3.0, 0.0, -1.0, 0.5], dtype=torch.float64)  # sparsemax is the vertex e_0
    torch.testing.assert_close(sparsestmax(z, 0.8), sparsemax(z))


def test_one_hot_at_vertex_radius_and_continuous_below_it():
    for z, _ in _ALL[:100]:
        n = z.numel()
        hard = sparsestmax(z, max_radius(n))
        assert sorted(hard.tolist()) == [0.0] * (n - 1) + [1.0]
        assert int(hard.argmax()) == int(z.argmax())
        near = sparsestmax(z, max_radius(n) - 1e-7)
        assert float((near - hard).abs().max()) < 1e-3


def test_uniform_logits_break_the_tie_deterministically():
    p = sparsestmax(torch.zeros(4, dtype=torch.float64), 0.5)
    assert int(p.argmax()) == 0 and abs(float(torch.linalg.vector_norm(p - 0.25)) - 0.5) < 1e-9


def test_no_sampled_feasible_point_is_closer():
    """SSN's algorithm returns the Euclidean projection: checked against 4,000 random feasible points."""
    torch.manual_seed(1)
    for z, r in _ALL[:25]:
        n = z.numel()
        p = sparsestmax(z, r)
        q = torch.distributions.Dirichlet(torch.full((n,), 0.3, dtype=torch.float64)).sample((4000,))
        feasible = q[torch.linalg.vector_norm(q - 1 / n, dim=1) >= r]
        best = torch.linalg.vector_norm(feasible - z, dim=1).min()
        assert float(torch.linalg.vector_norm(p - z)) <= float(best) + 1e-9


def test_radius_sparsifies_monotonically():
    z = torch.tensor([0.3, 0.2, 0.1, 0.05, 0.0], dtype=torch.float64)
    supports = [int((sparsestmax(z, t * max_radius(5)) > 0).sum()) for t in (0.0, 0.3, 0.6, 0.9, 1.0)]
    assert supports == sorted(supports, reverse=True) and supports[-1] == 1 and supports[0] > 1


@pytest.mark.parametrize("fraction", [0.0, 0.2, 0.5, 0.8, 0.95])
def test_gradients_match_finite_differences(fraction):
    g = torch.Generator().manual_seed(int(fraction * 100))
    for _ in range(5):
        z = torch.randn(2, 6, generator=g, dtype=torch.float64, requires_grad=True)
        assert torch.autograd.gradcheck(lambda x: sparsestmax(x, fraction * max_radius(6)), (z,), eps=1e-6, atol=1e-5)
        assert torch.autograd.gradcheck(lambda x: sorted_sparsestmax(x, fraction * max_radius(6)), (z,), eps=1e-6, atol=1e-5)


def test_sorted_gates_are_monotone_and_a_prefix_at_vertex_radius():
    for z, r in _ALL[:50]:
        gates = sorted_sparsestmax(z, r)
        assert abs(float(gates[0]) - 1) < 1e-9
        assert bool((gates[1:] <= gates[:-1] + 1e-12).all())
        step = sorted_sparsestmax(z, max_radius(z.numel()))
        k = int(z.argmax())
        assert step.tolist() == [1.0] * (k + 1) + [0.0] * (z.numel() - k - 1)


def test_tail_sums_and_entropy():
    torch.testing.assert_close(tail_sums(torch.tensor([0.2, 0.5, 0.3])), torch.tensor([1.0, 0.8, 0.3]))
    assert float(entropy(torch.tensor([0.0, 1.0, 0.0]))) == 0.0
    assert abs(float(entropy(torch.full((4,), 0.25))) - math.log(4)) < 1e-6


# ---- the batched projection equals the row-by-row algorithm it replaced, bit for bit (issue 23) -------------

def _rowwise_sparsemax_reference(z: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
    if mask is not None:
        z = z.masked_fill(~mask, float("-inf"))
    zs, _ = torch.sort(z, descending=True)
    finite = torch.isfinite(zs)
    zs_f = torch.where(finite, zs, torch.zeros_like(zs))
    k = torch.arange(1, z.numel() + 1, dtype=z.dtype)
    cums = torch.cumsum(zs_f, 0)
    k_star = torch.where(finite & (1 + k * zs_f > cums), k, torch.zeros_like(k)).max()
    tau = (cums.gather(0, (k_star - 1).long().view(1))[0] - 1) / k_star
    out = torch.clamp(z - tau, min=0)
    return torch.where(torch.isfinite(z), out, torch.zeros_like(out))


def _rowwise_sparsestmax_reference(z: torch.Tensor, r: float) -> torch.Tensor:
    """SSN's algorithm one vector at a time with host-side decisions: the code before the batched version."""
    n = z.numel()
    if r <= 0 or n == 1:
        return _rowwise_sparsemax_reference(z)
    if r >= max_radius(n) - 1e-12:
        return torch.nn.functional.one_hot(torch.argmax(z), n).to(z.dtype)
    u = torch.full_like(z, 1.0 / n)
    p = _rowwise_sparsemax_reference(z)
    mask = torch.ones(n, dtype=torch.bool)
    while True:
        if float(torch.linalg.vector_norm(p.detach() - u)) >= r:
            return p
        m = int(mask.sum())
        u_s = mask.to(z.dtype) / m
        d = p - u_s
        norm = torch.linalg.vector_norm(d)
        if float(norm.detach()) < 1e-12:
            d = torch.nn.functional.one_hot(torch.argmax(z.masked_fill(~mask, float("-inf"))), n).to(z.dtype) - u_s
            norm = torch.linalg.vector_norm(d)
        p = u_s + math.sqrt(max(r * r - (1.0 / m - 1.0 / n), 0.0)) * d / norm
        negative = (p < 0) & mask
        if not bool(negative.any()):
            return p
        mask = mask & ~negative
        p = _rowwise_sparsemax_reference(p, mask)


def _reference(z: torch.Tensor, r: float) -> torch.Tensor:
    if z.dim() == 1:
        return _rowwise_sparsestmax_reference(z, r)
    flat = z.reshape(-1, z.shape[-1])
    return torch.stack([_rowwise_sparsestmax_reference(row, r) for row in flat]).reshape(z.shape)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_batched_sparsestmax_equals_the_row_by_row_algorithm_in_values_and_gradients(dtype):
    """Values and gradients bit for bit, with each input used twice per loss as Trilevel uses its logits
    (the forward's distributions and the expected-MACs term): autograd's summation order is part of the bits."""
    g = torch.Generator().manual_seed(7)
    checked = 0
    for trial in range(600):
        n = int(torch.randint(2, 10, (1,), generator=g))
        shape = [(n,), (3, n), (4, 2, n)][trial % 3]
        z = torch.randn(shape, generator=g, dtype=dtype) * [1e-3, 0.1, 1.0, 3.0][trial % 4]
        r = float(torch.rand(1, generator=g)) * max_radius(n) * (trial % 5 != 0)
        w1, w2 = torch.randn(shape, generator=g, dtype=dtype), torch.randn(shape, generator=g, dtype=dtype)
        out = []
        for fn in (_reference, sparsestmax):
            leaf = z.clone().requires_grad_()
            a, b = fn(leaf, r), tail_sums(fn(leaf, r))
            if a.requires_grad:  # one backward of one loss: both uses' contributions meet in autograd's buffers
                ((a * w1).sum() + (b * w2).sum()).backward()
            out.append((a.detach(), leaf.grad))
        assert torch.equal(out[0][0], out[1][0]), (shape, r)
        assert (out[0][1] is None) == (out[1][1] is None) or float(out[1][1].abs().max()) == 0.0
        if out[0][1] is not None:
            assert torch.equal(out[0][1], out[1][1]), (shape, r)
            checked += 1
    assert checked > 400


def test_batched_sparsestmax_reads_nothing_back_from_a_device():
    """On ``meta`` (as on a GPU) every round runs without asking the device whether the rows are done."""
    from srnas.device_audit import DeviceAudit

    for shape in [(6,), (4, 2, 6)]:  # a vector (Trilevel's path logits) indexes by a 0-dim support size
        z = torch.randn(shape, device="meta", requires_grad=True)
        with DeviceAudit() as audit:
            sparsestmax(z, 0.5).sum().backward()
        assert audit.host_reads == 0, shape
