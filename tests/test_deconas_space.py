"""DeCoNAS arc encoding: round trip, the published arc's decoding, bit counts for other depths."""
import json
from pathlib import Path

import numpy as np
import pytest

from srnas.methods.deconas import DECONASNET_ARC
from srnas.methods.deconas.space import OPS, bit_positions, decode, describe, encode, num_bits, random_arc

GENOTYPES = Path("/work/shared/reference/genotypes.json")

# methods-spec section 4.3, decoded by hand: per layer, per op (conv, sep, dil), the source names
SPEC_TABLE = [
    (["in"], ["in"], ["in"]),
    (["in", "L0"], ["in"], []),
    ([], ["in", "L1"], ["in"]),
    (["L1"], ["in", "L0"], ["L0", "L2"]),
]


def test_bit_counts():
    assert num_bits(4) == 30 and num_bits(1) == 3 and num_bits(5) == 45
    assert len(bit_positions(4)) == 30
    # row-major per layer: the first bits of layer 1 are (source 0: conv, sep, dil), then source 1
    assert bit_positions(4)[3:9] == [(1, 0, 0), (1, 0, 1), (1, 0, 2), (1, 1, 0), (1, 1, 1), (1, 1, 2)]


@pytest.mark.parametrize("layers", [1, 3, 4, 6])
def test_random_arcs_round_trip(layers):
    rng = np.random.default_rng(layers)
    for _ in range(50):
        arc = random_arc(rng, layers)
        assert encode(decode(arc, layers)) == arc


def test_published_arc_decodes_to_the_spec_table():
    table = describe(DECONASNET_ARC, 4)
    assert [tuple(row[op] for op in OPS) for row in table] == [tuple(map(list, r)) for r in SPEC_TABLE]


@pytest.mark.skipif(not GENOTYPES.exists(), reason="shared reference genotypes not available")
def test_published_arc_matches_the_reference_data():
    ref = json.loads(GENOTYPES.read_text())["deconas"]["DeCoNASNet_x2"]
    assert DECONASNET_ARC == ref["arc_bits"]
    assert describe(DECONASNET_ARC, 4) == ref["decoded_layers"]


def test_bad_arcs_are_rejected():
    with pytest.raises(ValueError):
        decode([1] * 29, 4)
    with pytest.raises(ValueError):
        decode([2] + [0] * 29, 4)
    with pytest.raises(ValueError):
        encode([[[1], [], []]])  # layer 0 has only source 0
