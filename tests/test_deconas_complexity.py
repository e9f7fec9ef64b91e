"""The complexity-based penalty on hand-made arcs, correct vs official separable-conv count."""
import pytest

from srnas.methods.deconas import DECONASNET_ARC
from srnas.methods.deconas.complexity import bit_costs, complexity_fraction
from srnas.methods.deconas.space import OPS, bit_positions, num_bits

C = 64


@pytest.mark.parametrize("mode", ["correct", "official"])
def test_empty_and_full_arcs(mode):
    assert complexity_fraction([0] * 30, 4, C, mode) == 0.0
    assert complexity_fraction([1] * 30, 4, C, mode) == pytest.approx(1.0)


def test_counts_differ_exactly_at_the_separable_pointwise_term():
    correct, official = bit_costs(4, C, "correct"), bit_costs(4, C, "official")
    for (_, _, op), a, b in zip(bit_positions(4), correct, official):
        if OPS[op] == "sep_conv3x3":
            assert (a, b) == (9 * C + C * C, 9 * C + C)
        else:
            assert a == b == 9 * C * C


def test_single_bits_by_hand():
    # 30 bits = 10 of each op; correct total = 10 * (9C^2 + 9C + C^2 + 9C^2)
    total = 10 * (19 * C * C + 9 * C)
    conv_only = [1] + [0] * 29
    sep_only = [0, 1] + [0] * 28
    assert complexity_fraction(conv_only, 4, C) == pytest.approx(9 * C * C / total)
    assert complexity_fraction(sep_only, 4, C) == pytest.approx((9 * C + C * C) / total)
    official_total = 10 * (18 * C * C + 10 * C)
    assert complexity_fraction(sep_only, 4, C, "official") == pytest.approx(10 * C / official_total)


def test_official_count_undercharges_separable_heavy_arcs():
    sep_bits = [int(OPS[op] == "sep_conv3x3") for _, _, op in bit_positions(4)]
    # all ten separable bits: (9 + C) / (19 C + 9) correct vs 10 / (18 C + 10) official
    assert complexity_fraction(sep_bits, 4, C, "correct") == pytest.approx((9 + C) / (19 * C + 9))
    assert complexity_fraction(sep_bits, 4, C, "official") == pytest.approx(10 / (18 * C + 10))
    assert complexity_fraction(sep_bits, 4, C, "official") < 0.01 < 0.05 < complexity_fraction(sep_bits, 4, C, "correct")
    # the published arc: 14 of 30 bits on
    assert sum(DECONASNET_ARC) == 14
    assert 0 < complexity_fraction(DECONASNET_ARC, 4, C) < 1


def test_unknown_mode_and_wrong_length_raise():
    with pytest.raises(ValueError):
        bit_costs(4, C, "approximate")
    with pytest.raises(ValueError):
        complexity_fraction([1] * num_bits(3), 4, C)
