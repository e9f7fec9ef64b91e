"""The complexity-based penalty P_cb: the fraction of candidate parameters an arc switches on.

Each bit connects one source (``C`` channels) to one op, so it adds a fixed number of weights:

- ``correct`` (default): conv 3x3 and dilated conv 3x3 add 9*C*C; separable conv adds its depthwise
  9*C plus its pointwise C*C slice. Because every bit brings one source's ``C`` input channels, summing
  bits also counts the input width of each op's concat. Op biases (``C`` per active op, < 1 % of the
  total) are left out so the penalty stays linear in the bits, as in the official code.
- ``official``: the official code's count, 9*C + C for a separable bit (pointwise weight counted as C
  instead of C*C, methods-spec section 4.2), which makes separable convs look almost free.

P_cb = (sum of the costs of the bits set) / (sum over all bits): 0 for the empty arc, 1 for the full one.
"""
from __future__ import annotations

from typing import Literal

from srnas.methods.deconas.space import OPS, Arc, bit_positions

CountMode = Literal["correct", "official"]


def bit_cost(op: str, channels: int, mode: CountMode = "correct") -> int:
    """Weights that one source -> op connection adds."""
    c = channels
    if op in ("conv3x3", "dil_conv3x3_r3"):
        return 9 * c * c
    if op == "sep_conv3x3":
        return 9 * c + (c * c if mode == "correct" else c)
    raise ValueError(f"unknown DeCoNAS op {op!r}")


def bit_costs(layers_per_dnb: int, channels: int, mode: CountMode = "correct") -> list[int]:
    """Cost of every bit, in arc order."""
    if mode not in ("correct", "official"):
        raise ValueError(f"complexity count must be 'correct' or 'official', got {mode!r}")
    return [bit_cost(OPS[op], channels, mode) for _, _, op in bit_positions(layers_per_dnb)]


def complexity_fraction(arc: Arc, layers_per_dnb: int, channels: int, mode: CountMode = "correct") -> float:
    """P_cb of ``arc`` in [0, 1]."""
    costs = bit_costs(layers_per_dnb, channels, mode)
    if len(arc) != len(costs):
        raise ValueError(f"arc has {len(arc)} bits; expected {len(costs)}")
    return sum(c for b, c in zip(arc, costs) if b) / sum(costs)
