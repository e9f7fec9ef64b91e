"""Cell derivation keeps the top-2 non-none inputs per node and the best non-none op on each."""
from __future__ import annotations

import numpy as np

from srnas.methods.hinas.derive import derive_cell
from srnas.methods.hinas.space import NONE_OP, OP_NAMES, edge_index, num_edges


def _weights(nodes: int) -> np.ndarray:
    w = np.full((num_edges(nodes), len(OP_NAMES)), 0.01)
    return w


def test_none_is_ignored_and_top_two_edges_kept():
    w = _weights(3)
    # node 0: input 0 is dominated by 'none' (0.9) but its best real op (0.05) is weaker than input 1's
    w[edge_index(0, 0), NONE_OP] = 0.9
    w[edge_index(0, 0), OP_NAMES.index("con_c_3x3")] = 0.05
    w[edge_index(0, 1), OP_NAMES.index("sep_c_5x5")] = 0.3
    # node 1: inputs 2 (node 0) and 0 are strongest; input 1 weak
    w[edge_index(1, 0), OP_NAMES.index("dil_c_3x3")] = 0.4
    w[edge_index(1, 1), OP_NAMES.index("skip_connect")] = 0.02
    w[edge_index(1, 2), OP_NAMES.index("dil_c_5x5")] = 0.5
    # node 2: strongest is 'none' everywhere except inputs 3 and 1
    w[edge_index(2, 0), NONE_OP] = 0.99
    w[edge_index(2, 1), OP_NAMES.index("sep_c_3x3")] = 0.2
    w[edge_index(2, 2), NONE_OP] = 0.99
    w[edge_index(2, 3), OP_NAMES.index("con_c_3x3")] = 0.25
    cell = derive_cell(w, 3)
    assert cell == [
        [["con_c_3x3", 0], ["sep_c_5x5", 1]],
        [["dil_c_3x3", 0], ["dil_c_5x5", 2]],
        [["sep_c_3x3", 1], ["con_c_3x3", 3]],
    ]
    assert all(op != "none" for node in cell for op, _ in node)


def test_every_node_gets_two_distinct_inputs():
    rng = np.random.default_rng(0)
    for _ in range(20):
        cell = derive_cell(rng.random((num_edges(4), len(OP_NAMES))), 4)
        for j, node in enumerate(cell):
            inputs = [i for _, i in node]
            assert len(set(inputs)) == 2 and all(0 <= i < 2 + j for i in inputs)
