"""Search-signal diagnostics: did a search move away from what its initial parameters already decode to?

An audit found short searches that return the architecture their *initial* parameters decode to (HiNAS's
width path for 3/3 seeds) or agree across seeds no more than chance. Such a row is a random architecture
without selection, and a table must say so instead of presenting it as the method's result. Every search
plugin records ``initial_architecture`` (the decoding of its initial architecture parameters: argmax
logits, or the controller's greedy mode) and ``final_architecture`` (the same decoding at the end) in
its search info; this module compares them per seed and measures cross-seed agreement.
"""
from __future__ import annotations

import itertools
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from srnas.nas.decisions import decision_agreement, leaves  # noqa: F401 - re-exported

INERT = "inert at this budget"
#: a relaxed search whose architecture distributions all keep at least this normalised entropy (1 = uniform)
#: has not chosen anything: its argmax is a flip among near-tied logits, however often it "moved"
NEAR_UNIFORM = 0.99


def mean_entropies(record: dict[str, Any]) -> dict[str, float] | None:
    """Mean normalised entropy (1 = uniform) per architecture distribution at the end of the search, as the
    record's plugin reads its own search info (``Method.final_entropies``); None when the plugin records none
    or no plugin of that name loads."""
    plugin = _plugin(record.get("method"))
    return plugin.final_entropies(record) if plugin is not None else None


def _plugin(name: Any) -> Any:
    from srnas.methods import get_method

    try:
        return get_method(str(name)) if name else None
    except Exception:  # noqa: BLE001 - hand-made or foreign records: nothing to read
        return None


def final_entropy(record: dict[str, Any]) -> float | None:
    """The smallest of :func:`mean_entropies` (the most concentrated distribution family), or None."""
    ent = mean_entropies(record)
    return min(ent.values()) if ent else None


@dataclass(frozen=True)
class Signal:
    seeds: int
    moved: int  # seeds whose final decoding differs from their initial one
    agreement: float | None  # mean pairwise decision agreement of the final architectures (None: 1 seed)
    label: str
    moved_by_part: dict[str, int]  # per top-level part of the architecture (e.g. HiNAS cells / levels)
    entropy: float | None = None  # smallest final normalised architecture entropy over seeds (if recorded)

    @property
    def inert(self) -> bool:
        return self.label.startswith(INERT)

    def to_json(self) -> dict[str, Any]:
        return {"seeds": self.seeds, "moved": self.moved, "moved_by_part": self.moved_by_part, "agreement": self.agreement, "label": self.label,
                "entropy": self.entropy}

    def parts(self) -> str:
        return ", ".join(f"{k} {v}/{self.seeds}" for k, v in self.moved_by_part.items())


def search_signal(records: Sequence[dict[str, Any]]) -> Signal | None:
    """The diagnostic of one config's searched runs; None when they predate the recorded decodings."""
    infos = [r.get("search_info") or {} for r in records if r.get("searched")]
    pairs = [(i["initial_architecture"], i["final_architecture"]) for i in infos if "initial_architecture" in i and "final_architecture" in i]
    if not pairs:
        return None
    same = lambda x, y: json.dumps(x, sort_keys=True) == json.dumps(y, sort_keys=True)  # noqa: E731
    moved = sum(not same(a, b) for a, b in pairs)
    parts = sorted({k for a, _ in pairs if isinstance(a, dict) for k in a})
    by_part = {k: sum(not same(a.get(k), b.get(k)) for a, b in pairs) for k in parts} if len(parts) > 1 else {}
    finals = [b for _, b in pairs]
    agreement = None
    if len(finals) > 1:
        agreement = sum(decision_agreement(x, y) for x, y in itertools.combinations(finals, 2)) / (len(finals) * (len(finals) - 1) / 2)
    entropies = [final_entropy(r) for r in records if r.get("searched") and "initial_architecture" in (r.get("search_info") or {})]
    known = [e for e in entropies if e is not None]
    entropy = min(known) if entropies and len(known) == len(entropies) else None
    if moved == 0:
        label = f"{INERT}: every seed ends at its initial decoding ({len(pairs)}/{len(pairs)})"
    elif entropy is not None and entropy >= NEAR_UNIFORM:
        label = (f"{INERT}: the distributions stay near-uniform (normalised entropy >= {entropy:.4f} in every seed), so the argmax "
                 f"changes in {moved}/{len(pairs)} seeds are flips among near-tied logits")
    else:
        label = f"moved in {moved}/{len(pairs)} seeds"
        still = [k for k, v in by_part.items() if v == 0]
        if still:  # e.g. HiNAS: the cells move, the width path stays where the initial beta put it
            label += f"; {INERT} in {', '.join(still)} (0/{len(pairs)})"
    return Signal(len(pairs), moved, agreement, label, by_part, entropy)
