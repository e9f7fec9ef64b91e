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
