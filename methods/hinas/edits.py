"""The architecture edits of HiNAS's Table 7 (R1, R2) as functions of a searched genotype.

The paper modifies "the architecture found by HiNAS" in two ways (Sec. 4.2.4, Fig. 11): R1 "replacing
conventional convolutions in the searched architectures with other convolutions", R2 "chang[ing] the
topological structure inside each cell". Which ops and edges were changed is shown only in red in Figure
11, which is not in the text on file, so the rule below is this suite's reading [inferred], applied to
the genotype the suite's own search found:

- ``r1``: every conventional convolution (``con_c_3x3``) becomes the separable convolution of the same
  kernel (``sep_c_3x3``), and every separable one becomes conventional: the op type changes, the
  topology and receptive field stay.
- ``r2``: in every node with a choice of inputs, the later of its two inputs is moved to the nearest other
  input not already used: the ops stay, the connections change.

Each edit returns the edited genotype and how many decisions it changed, so a record shows whether the
edit did anything (a genotype without a conventional convolution is unchanged by R1: the record says 0).
"""
from __future__ import annotations

import copy
from typing import Any

from .space import Genotype

R1_SWAP = {"con_c_3x3": "sep_c_3x3", "sep_c_3x3": "con_c_3x3"}
EDITS = ("r1", "r2")


def edit_r1(genotype: Genotype) -> tuple[Genotype, int]:
    """Swap conventional <-> separable 3x3 convolutions in every cell."""
    out = copy.deepcopy(genotype)
    changed = 0
    for cell in out["cells"]:
        for node in cell:
            for pair in node:
                if pair[0] in R1_SWAP:
                    pair[0] = R1_SWAP[pair[0]]
                    changed += 1
    return out, changed


def edit_r2(genotype: Genotype) -> tuple[Genotype, int]:
    """Rewire the later input of every node to the nearest unused input (inputs 0..1+j of node j)."""
    out = copy.deepcopy(genotype)
    changed = 0
    for cell in out["cells"]:
        for j, node in enumerate(cell):
            used = {int(p[1]) for p in node}
            later = max(node, key=lambda p: int(p[1]))
            free = [i for i in range(2 + j) if i not in used]
            if not free:
                continue
            later[1] = min(free, key=lambda i: (abs(i - int(later[1])), i))
            node.sort(key=lambda p: int(p[1]))
            changed += 1
    return out, changed


def apply_edit(genotype: Genotype, edit: str | None) -> tuple[Genotype, dict[str, Any]]:
    """The genotype after ``edit`` (``None``: unchanged) and a note for the record."""
    if not edit:
        return genotype, {}
    if edit not in EDITS:
        raise ValueError(f"unknown HiNAS genotype edit {edit!r}; known: {', '.join(EDITS)}")
    edited, changed = (edit_r1 if edit == "r1" else edit_r2)(genotype)
    edited["genotype_edit"] = edit
    return edited, {"genotype_edit": edit, "decisions_changed": changed, "unedited_cells": genotype["cells"]}
