"""The Cost term of the HNAS reward: MACs of a sampled architecture, from a per-op table.

Every op's MACs depend only on (op, width, input resolution), so we count each distinct module once with
:func:`srnas.nas.flops.count_macs` at the search width and a 1x3x48x48 LR input (the official code's
measuring size) and sum the table per architecture: sampling thousands of architectures stays free. The
sum equals ``count_macs`` of the whole network (tested).

Normalisation (recorded in the run): Cost = ``cost_per_mac`` x MACs with the code's 0.5e-8, so lambda keeps
the paper's meaning. The code counts ``nn.Conv2d`` only; ``count_macs`` also counts transposed convs,
which is the honest cost of the deconvolution op.
"""
from __future__ import annotations

from functools import lru_cache

import torch.nn as nn

from srnas.methods.hnas.model import preprocess
from srnas.methods.hnas.ops import normal_op, upsampling_op
from srnas.methods.hnas.space import NODES, Genotype, HNASSpace
from srnas.nas.flops import count_macs

OFFICIAL_COST_PER_MAC = 0.5e-8
OFFICIAL_LR_SIZE = 48


class MacTable:
    """MACs of every supernet module of a ``space`` at width ``channels``, for an ``lr_size`` LR input."""

    def __init__(self, space: HNASSpace, scale: int, channels: int, lr_size: int = OFFICIAL_LR_SIZE):
        self.space, self.scale, self.channels = space, scale, channels
        self.lr, self.hr = lr_size, lr_size * scale
        c4 = NODES * channels
        self.stem_tail = self._macs(nn.Conv2d(3, c4, 3, padding=1, bias=False), 3, self.lr) + self._macs(nn.Conv2d(c4, 3, 3, padding=1), c4, self.hr)
        self.preprocess = {size: self._macs(preprocess(c4, channels, False), c4, size) for size in (self.lr, self.hr)}

    @staticmethod
    @lru_cache(maxsize=None)
    def _cached(kind: str, op: str, channels: int, factor: int, size: int) -> int:
        module = normal_op(op, channels) if kind == "normal" else upsampling_op(op, channels, factor)
        return count_macs(module, (1, channels, size, size))

    @staticmethod
    def _macs(module: nn.Module, c_in: int, size: int) -> int:
        return count_macs(module, (1, c_in, size, size))

    def items(self, genotype: Genotype, layers: int | None = None) -> dict[str, int]:
        """MACs per supernet module the architecture runs, keyed by module (layer, cell, edge, op).

        Keys name *modules*, so the official-code emulation can take the union over architectures; a
        module executed twice (duplicate edge) carries both executions.
        """
        layers = layers or self.space.layers
        pos = int(genotype["upsampling_position"])
        out = {"stem+tail": self.stem_tail}
        for k in range(layers):
            size = self.lr if k <= pos else self.hr
            cell = "upsampling" if k == pos else "normal"
            out[f"{k}/{cell}/pre0"] = out[f"{k}/{cell}/pre1"] = self.preprocess[size]
            for op, src, dst in genotype[cell]:
                if cell == "upsampling":
                    factor, op_size = (self.scale, self.lr) if src < 2 else (1, self.hr)
                    macs = self._cached("upsampling", op, self.channels, factor, op_size)
                else:
                    macs = self._cached("normal", op, self.channels, 1, size)
                key = f"{k}/{cell}/{dst}_{src}_{op}"
                out[key] = out.get(key, 0) + macs  # a duplicated edge runs its shared module twice
        return out

    def macs(self, genotype: Genotype, layers: int | None = None) -> int:
        return sum(self.items(genotype, layers).values())


class ArchCost:
    """Cost(arch) for the reward; ``mode="official"`` emulates the code's stale FLOPs hooks (§1.8.3).

    ``sampled``: MACs of the architecture that earned the PSNR (the paper's meaning; default).
    ``official``: what ``Controller_Trainer.compute_flops`` returns. Each call runs one *fresh* forward
    of the supernet at 1x3x48x48, which draws a new architecture from the controller, independent of
    the one whose PSNR is in the reward; size hooks exist only during that forward, and the
    ``output_size`` they leave on every conv is never cleared. So the charge is the union of the modules
    of every fresh draw so far, each at its last resolution: call it with the fresh draw, not with the
    scored architecture. Shared-weight training never registers hooks and adds nothing.
    """

    def __init__(self, table: MacTable, cost_per_mac: float = OFFICIAL_COST_PER_MAC, mode: str = "sampled", decimals: int | None = 3):
        if mode not in ("sampled", "official"):
            raise ValueError("options.flops_cost must be 'sampled' or 'official'")
        self.table, self.cost_per_mac, self.mode, self.decimals = table, cost_per_mac, mode, decimals
        self.seen: dict[str, int] = {}

    def observe(self, genotype: Genotype) -> None:
        """Record that ``genotype`` was executed (its modules now carry a stale size in the code)."""
        self.seen.update(self.table.items(genotype))

    def charge(self, macs: int) -> float:
        """Cost of ``macs`` multiply-adds: ``cost_per_mac`` x MACs, rounded as the code rounds it."""
        cost = self.cost_per_mac * macs
        return round(cost, self.decimals) if self.decimals is not None else cost

    def own(self, genotype: Genotype) -> float:
        """The cost of ``genotype``'s own MACs, whatever the mode (derivation has no stale hooks)."""
        return self.charge(self.table.macs(genotype))

    def __call__(self, genotype: Genotype) -> tuple[float, int]:
        """(Cost, MACs it was computed from). ``official``: ``genotype`` is the fresh draw."""
        if self.mode == "official":
            self.observe(genotype)
            macs = sum(self.seen.values())
        else:
            macs = self.table.macs(genotype)
        return self.charge(macs), macs
