"""Search-signal diagnostics: a search whose architecture parameters do not move is labelled inert."""
from __future__ import annotations

import json
import math

import pytest

from srnas.cli import main
from srnas.methods import get_method, list_methods
from srnas.harness.reporting.signal import INERT, decision_agreement, final_entropy, mean_entropies, search_signal


def _record(seed, initial, final):
    return {"seed": seed, "searched": True, "search_info": {"initial_architecture": initial, "final_architecture": final}}


def test_signal_labels_by_hand():
    same = [_record(s, {"arc": [1, 0, 1]}, {"arc": [1, 0, 1]}) for s in range(3)]
    assert search_signal(same).label.startswith(INERT) and search_signal(same).moved == 0
    moved = [_record(0, {"a": 1, "b": 2}, {"a": 1, "b": 3}), _record(1, {"a": 1, "b": 2}, {"a": 1, "b": 2})]
    sig = search_signal(moved)
    assert sig.moved == 1 and sig.label == f"moved in 1/2 seeds; {INERT} in a (0/2)"
    assert sig.agreement == pytest.approx(0.5)  # finals share "a" and differ in "b"
    assert decision_agreement({"cells": [["x", 0], ["y", 1]]}, {"cells": [["x", 0], ["z", 1]]}) == pytest.approx(0.75)
    # HiNAS-like: cells move in every seed, the width path in none -> inert in levels
    hinas = [_record(s, {"cells": [s], "levels": [0, 1]}, {"cells": [s + 1], "levels": [0, 1]}) for s in range(3)]
    sig = search_signal(hinas)
    assert sig.moved_by_part == {"cells": 3, "levels": 0} and sig.label == f"moved in 3/3 seeds; {INERT} in levels (0/3)"
    assert search_signal([{"seed": 0, "searched": True, "search_info": {}}]) is None  # recorded before the diagnostics


def test_a_search_whose_argmax_moves_among_near_uniform_distributions_is_inert():
    def rec(seed, h):
        info = {"initial_architecture": {"cells": [0]}, "final_architecture": {"cells": [1]},
                "history": [{"step": 1, "entropy_alpha": 1.0, "entropy_beta": 1.0}, {"step": 2, "entropy_alpha": h, "entropy_beta": 0.9995}]}
        return {"method": "hinas", "seed": seed, "searched": True, "search_info": info}

    sig = search_signal([rec(0, 0.9997), rec(1, 0.9993)])
    assert sig.moved == 2 and sig.inert and sig.entropy == pytest.approx(0.9993)
    assert "near-uniform (normalised entropy >= 0.9993 in every seed)" in sig.label and "2/2 seeds" in sig.label
    chosen = search_signal([rec(0, 0.9997), rec(1, 0.5)])  # one seed has concentrated its distribution
    assert not chosen.inert and chosen.label == "moved in 2/2 seeds"
    # records made before the history kept entropies: the final distributions kept in the genotype
    old = {"method": "hinas", "seed": 0, "searched": True, "search_info": {"initial_architecture": {"c": 0}, "final_architecture": {"c": 1}},
           "genotype": {"alpha_softmax": [[[0.5, 0.5]], [[0.9, 0.1]]], "beta_softmax": [[0.0, 0.25, 0.25, 0.25, 0.25]]}}
    h = -(0.9 * math.log(0.9) + 0.1 * math.log(0.1)) / math.log(2)
    assert mean_entropies(old) == pytest.approx({"alpha_softmax": (1 + h) / 2, "beta_softmax": 1.0})
    assert final_entropy(old) == pytest.approx((1 + h) / 2)


def test_a_search_whose_architecture_weights_do_not_move_is_labelled_inert(tmp_path, capsys):
    # Trilevel smoke with a zero architecture learning rate: the logits never change, so the annealed
    # argmax is the initial decoding for every seed
    argv = ["run", "trilevel", "--profile", "smoke", "--seeds", "0", "1", "--results", str(tmp_path), "--set", "search.arch.lr=0.0",
            "--set", 'eval.datasets=["Set5"]']
    assert main(argv) == 0
    records = [json.loads(p.read_text()) for p in (tmp_path / "runs").rglob("*.json")]
    assert all(r["search_info"]["initial_architecture"] == r["search_info"]["final_architecture"] for r in records)
    assert main(["table", "--profile", "smoke", "--scale", "2", "--results", str(tmp_path)]) == 0
    page = (tmp_path / "tables" / "smoke_x2.md").read_text()
    assert "## Search budget and signal" in page and f"{INERT}: every seed ends at its initial decoding (2/2)" in page
    capsys.readouterr()


#: searching plugins left out, with the reason (timm's style); every other plugin that searches is in
NOT_DECODING = {"random": "random search has no architecture parameters whose decoding could move"}
DECODING = [n for n in list_methods() if get_method(n).searches and n not in NOT_DECODING]


@pytest.mark.parametrize("method", DECODING)
def test_every_search_plugin_records_its_initial_and_final_decoding(method, tmp_path):
    assert main(["run", method, "--profile", "smoke", "--results", str(tmp_path), "--set", 'eval.datasets=["Set5"]', "--quiet"]) == 0
    (path,) = [p for p in (tmp_path / "runs").rglob("*.json")]
    info = json.loads(path.read_text())["search_info"]
    assert info["initial_architecture"] and info["final_architecture"]
    assert set(info["initial_architecture"]) == set(info["final_architecture"])
    budget = info["budget"]
    assert budget["weight_lr_pixels"] == budget["weight_steps"] * budget["batch"] * budget["lr_patch"] ** 2 > 0
