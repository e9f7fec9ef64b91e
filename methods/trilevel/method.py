"""Trilevel NAS (Wu et al., arXiv 2101.06658) as a plugin: one-phase sparsestmax search over three levels.

The paper's full text was not available; what is implemented and why is in ``DESIGN.md`` next to this
file. The ``paper`` profile follows the third-party derivative code's settings (methods-spec section 3)
and every such value is an unverified hypothesis.
"""
from __future__ import annotations

from typing import Any

import torch.nn as nn

from srnas.methods import register
from srnas.methods.base import Genotype, Method, SearchResult

from .model import build_network
from .search import one_phase_search
from .space import SpaceConfig

@register
class TrilevelNASMethod(Method):
    name = "trilevel"
    profiles_file = "profiles.json"
    paper_label = "TrilevelNAS"
    description = "Trilevel NAS: network/cell/kernel levels relaxed by (sorted) sparsestmax, one-phase search+train"

    def variants(self) -> dict[str, dict[str, Any]]:
        return {
            "default": {},
            # the derivative code holds out half of the data for architecture steps (AGD lineage)
            "derivative-split": {"search": {"arch_split": 0.5}},
            # no cost term: isolates what the efficiency objective changes
            "no-cost": {"search": {"cost_weight": 0.0}},
            # the derivative's reading of "sorting": node weights on a tree of feature maps, kept sorted
            # along every root-to-leaf path by an order-constraint loss (DESIGN.md); weight 1 [inferred]
            "order-constraint": {"options": {"network_level": "order-constraint"}, "search": {"order_weight": 1.0}},
        }

    def optional_config(self) -> dict[str, Any]:
        # the order-constraint reading, added after the short runs were recorded
        return {"options": {"network_level": "sorted-sparsestmax"}, "search": {"order_weight": 0.0}}

    def search(self, data, config: dict[str, Any], seed: int, ctx) -> SearchResult:
        return one_phase_search(data, config, seed, ctx)

    def build(self, genotype: Genotype, scale: int, config: dict[str, Any]) -> nn.Module:
        return build_network(genotype, SpaceConfig.from_config({**config, "scale": scale}))
