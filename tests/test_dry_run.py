"""Paper profiles without a GPU: a DIV2K stand-in in DIV2K's exact layout, and dry runs that time every phase
at full shapes for a few steps and write a projection record (never a run record)."""
import json

import numpy as np
import pytest
from PIL import Image

from srnas.cli import main
from srnas.datasets import load_hr
from srnas.datasets.synth import synth_div2k
from srnas.harness.execution.dryrun import DryRunStop, StepTimer, summarise
from srnas.harness.execution.records import scan_records
from srnas.methods import get_method, list_methods, plugin_provenance
from srnas.protocol.imresize import imresize


@pytest.fixture(scope="module")
def div2k(tmp_path_factory):
    from srnas.datasets import data_root

    # 32 distinct images per split, the other names hard-linked: DIV2K's layout and counts at ~4 % of the cost
    return synth_div2k(tmp_path_factory.mktemp("d2k"), size=(264, 276), link_from=data_root(), distinct=32)


def test_the_stand_in_has_div2ks_layout_names_and_official_lr(div2k):
    hr = div2k / "DIV2K" / "DIV2K_train_HR"
    assert sorted(p.name for p in hr.iterdir())[:2] == ["0001.png", "0002.png"] and len(list(hr.iterdir())) == 800
    assert len(list((div2k / "DIV2K" / "DIV2K_valid_HR").iterdir())) == 100
    img = np.asarray(Image.open(hr / "0007.png"))
    for s in (2, 3, 4):
        lr = np.asarray(Image.open(div2k / "DIV2K" / "DIV2K_train_LR_bicubic" / f"X{s}" / f"0007x{s}.png"))
        assert np.array_equal(lr, imresize(img, 1 / s))  # MATLAB bicubic, as the official LR files
    items = load_hr("DIV2K_train", data_root=div2k)  # the registry's loader accepts it (manifest names)
    assert len(items) == 800 and items[0][0] == "0001"
    assert len(load_hr("T91", data_root=div2k)) == 91  # the CPU profiles' training set is linked in too


def test_step_timer_stops_its_loop_after_warmup_plus_n_steps():
    import torch

    log = {}
    bar = StepTimer(1000, "train", steps=3, warmup=1, device=torch.device("cpu"), log=log)
    with pytest.raises(DryRunStop):
        for _ in range(10):
            bar.update(1)
    s = summarise(log)["train"]
    assert s["timed_steps"] == 3 and s["total_steps"] == 1000 and s["projected_s"] == pytest.approx(1000 * s["median_step_s"])


def test_a_paper_dry_run_writes_a_projection_and_no_run_record(div2k, tmp_path, capsys):
    shrink = ["search.batch=2", "search.lr_patch=16", "search.val_patch=16", "train.batch=2", "train.lr_patch=16",
              'eval.datasets=["Set5"]']
    argv = ["run", "hinas", "--profile", "paper", "--scale", "2", "--dry-run", "1", "--device", "cpu", "--data-root", str(div2k),
            "--results", str(tmp_path)]
    for o in shrink:
        argv += ["--set", o]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "search" in out and "train" in out and "projected total" in out
    (path,) = list((tmp_path / "projections").rglob("*.json"))
    rec = json.loads(path.read_text())
    assert rec["kind"] == "projection" and rec["loops"]["search"]["total_steps"] == 1600
    assert rec["loops"]["train"]["total_steps"] == 600_000 and rec["projected_total_s"] > 0
    assert not (tmp_path / "runs").exists() or not scan_records(tmp_path)[0]


def test_dry_run_needs_a_positive_n(tmp_path, capsys):
    assert main(["run", "hinas", "--profile", "paper", "--dry-run", "0", "--results", str(tmp_path)]) == 2
    assert "--dry-run 0" in capsys.readouterr().err


def test_div2k_training_pairs_use_the_official_lr_files_and_equal_generated_ones(div2k):
    from srnas.datasets.patches import PatchSource

    disk = PatchSource.from_dataset("DIV2K_train", 3, data_root=div2k, limit=4)
    assert disk.lr_source.startswith("disk:") and disk.lr_source.endswith("DIV2K_train_LR_bicubic/X3")
    made = PatchSource.from_images(load_hr("DIV2K_train", data_root=div2k)[:4], 3)
    assert all((a == b).all() for a, b in zip(disk.lr, made.lr)) and disk.names == made.names
    assert disk.split([0.5, 0.5])[1].lr_source == disk.lr_source
    t91 = PatchSource.from_dataset("T91", 2, limit=2)
    assert t91.lr_source.startswith("generate:")


#: registered plugins left out of the paper dry run, with the reason (timm's style: a new plugin is in unless
#: it is listed here); each plugin in shrinks its own paper schedule (Method.tiny("paper"))
NOT_DRY_RUN = {
    "bicubic": "nothing searches or trains: there is no schedule to project",
    "fsrcnn": "no search; its training loop is the shared trainer the searching plugins' dry runs time already",
    "random": "runs inside another plugin's space (options.space); that plugin's dry run covers the loops",
}
DRY_RUN = [name for name in list_methods() if name not in NOT_DRY_RUN]


def test_the_dry_run_exclusions_name_registered_plugins():
    assert set(NOT_DRY_RUN) <= set(list_methods()) and {"hnas", "hinas", "trilevel", "deconas"} <= set(DRY_RUN)


@pytest.mark.parametrize("method", DRY_RUN)
def test_every_plugins_paper_schedule_dry_runs_on_the_stand_in(method, div2k, tmp_path, capsys):
    argv = ["run", method, "--profile", "paper", "--scale", "2", "--dry-run", "1", "--device", "cpu", "--data-root", str(div2k),
            "--results", str(tmp_path), "--set", 'eval.datasets=["Set5"]']
    for o in get_method(method).tiny("paper"):
        argv += ["--set", o]
    assert main(argv) == 0
    assert "projected total" in capsys.readouterr().out
    (path,) = list((tmp_path / "projections").rglob("*.json"))
    rec = json.loads(path.read_text())
    assert rec["kind"] == "projection" and rec["method"] == method and rec["projected_total_s"] > 0
    # a projection carries the provenance a run record does (the same assembly): the plugin code it timed
    assert {"env", "git", "srnas_version", "plugin", "finished_utc"} <= set(rec)
    # the loops ran on the synthetic stand-in, and the record says so (its validation is under-projected)
    data = rec["train_data"]
    assert data["set"] == "DIV2K_train" and data["stand_in"]["kind"] == "synthetic DIV2K stand-in"
    assert data["mean_hr_pixels"] == pytest.approx(data["stand_in"]["hr_size"][0] * data["stand_in"]["hr_size"][1])
    assert rec["plugin"] == plugin_provenance(type(get_method(method)))
    search = next(v for k, v in rec["loops"].items() if "search" in k)
    # every search draws batches, so its data time is never nil (it read 0 % while only the loaded source
    # reported: the searches draw from its split() or at_scale() parts)
    assert search["total_steps"] > 1 and 0 < search["data_stall_fraction"] <= 1
    # every search loop times each kind of step with its own count (DARTS: warm-up, arch+weight, validation;
    # RL: child and controller steps)
    kinds = search["kinds"]
    assert sum(v["count"] for v in kinds.values()) == search["total_steps"]
    assert all(v["timed_steps"] == 1 or (v["from_warmup"] and v["count"] == 1) for v in kinds.values())
    assert search["projected_s"] == pytest.approx(sum(v["median_step_s"] * v["count"] for v in kinds.values()))
    # RL searches: the derivation (best of N candidates on held-out tiles) is a kind of its own, projected too
    expected = {"hinas": {"weight", "arch+weight", "arch+weight+validate"}, "hnas": {"child", "controller", "derive"},
                "deconas": {"child", "controller", "derive"}}
    # a step that also saves a checkpoint is its own kind (its save is part of its time)
    base_kinds = {k.removesuffix("+checkpoint") for k in kinds}
    assert base_kinds == expected.get(method, base_kinds) and (method != "trilevel" or "arch+weight" in base_kinds)
    # final training (the shared trainer) times plain steps and checkpoint steps apart, each with its count
    train = next((v for k, v in rec["loops"].items() if k == "train"), None)
    if train is not None and "kinds" in train:
        assert set(train["kinds"]) <= {"step", "step+checkpoint"} and sum(v["count"] for v in train["kinds"].values()) == train["total_steps"]
    # a search cut short leaves final training to time on the plugin's representative (published) architecture
    # when it names one (HNAS: HNAS-A; a uniform sample at paper width was killed at 24.3 GB), else on a sample
    if "derive" in kinds:
        assert any("its derivation's candidates were timed" in n for n in rec["notes"])
    representative = get_method(method).representative_genotype({}, 2)
    if representative is not None and any("search stopped" in n for n in rec["notes"]):
        assert f"final training timed on {representative[0]}, the paper's published architecture" in " ".join(rec["notes"])
    assert main(["table", "--projections", "--results", str(tmp_path)]) == 0
    page = (tmp_path / "tables" / "projections_paper.md").read_text()
    assert f"| {method} | default | x2 | cpu ({rec['env']['cpu']}) |" in page and "CPU: not comparable" in page
    assert "synthetic stand-in, " in page and "a validation over every held-out tile is under-projected" in page


def test_projection_table_gives_a_ratio_only_for_a_gpu_projection(tmp_path):
    from srnas.harness.reporting.projections import render_projections

    folder = tmp_path / "projections" / "hinas" / "default" / "x4" / "paper"
    folder.mkdir(parents=True)
    rec = {"kind": "projection", "method": "hinas", "variant": "default", "scale": 4, "profile": "paper", "device": "cuda:0",
           "finished_utc": "2026-11-23T00:00:00+00:00", "loops": {"search": {"projected_s": 7 * 3600, "data_stall_fraction": 0.1}},
           "evaluation": {}, "projected_total_hours": 7.0, "git": {"commit": "abc", "dirty": False},
           "env": {"gpu": "NVIDIA GeForce GTX 1080 Ti"}}
    (folder / "cuda-x-1.json").write_text(json.dumps(rec))
    page = render_projections(tmp_path)
    # HiNAS claims 3.5 GPU-hours on a GTX 1080Ti: 7 h projected on that GPU model is 2.00x the claim
    # the device cell names the GPU that timed it
    assert "| hinas | default | x4 | cuda:0 (NVIDIA GeForce GTX 1080 Ti) |" in page and "| - x - / - x - | 7.00 |" in page
    assert "3.5 GPU-hours (1x GTX 1080Ti) | 2.00x |" in page
    # on another GPU model the hours are stated but never divided by the claim
    rec["env"] = {"gpu": "NVIDIA H100 80GB HBM3"}
    (folder / "cuda-x-1.json").write_text(json.dumps(rec))
    page = render_projections(tmp_path)
    assert "2.00x" not in page and "on NVIDIA H100 80GB HBM3, the claim on 1x GTX 1080Ti: not compared" in page
    # a record made before the data clock heard the searches' data parts: its search stall is unknown, not 0 %
    # (and before projections named their training data)
    assert "| not clocked / - | not recorded |" in page
    rec["data_clock"] = "parts"
    (folder / "cuda-x-1.json").write_text(json.dumps(rec))
    assert "| 10 % / - |" in render_projections(tmp_path)
    rec["loops"]["search"]["data_stall_fraction"] = 0.001
    (folder / "cuda-x-1.json").write_text(json.dumps(rec))
    assert "| < 1 % / - |" in render_projections(tmp_path)


def test_the_div2k_frame_stand_in_has_div2ks_tile_counts(tmp_path, capsys):
    """`srnas data synth div2k --size div2k` writes DIV2K's own frame, so the searches' held-out tiles come in
    DIV2K's numbers: HiNAS's paper validation (40 images, 64 px LR tiles at x2) scores 9 tiles per image of the
    default stand-in but 176 per DIV2K frame -- the 360 vs 7,040 the synth docstring names -- and the projection
    page tells the two stand-ins apart."""
    from srnas.datasets.patches import tile_grid
    from srnas.datasets.synth import DIV2K_FRAME, STAND_IN_MARK
    from srnas.harness.reporting.projections import _data

    from srnas.harness.execution.config import resolve_config

    patch = resolve_config(get_method("hinas"), "paper", 2)["search"]["val_patch"]
    per_image = {size: (lambda g: len(g[0]) * len(g[1]))(tile_grid(size[0] // 2, size[1] // 2, patch))
                 for size in ((264, 360), DIV2K_FRAME)}
    assert per_image == {(264, 360): 9, DIV2K_FRAME: 176}
    assert round(DIV2K_FRAME[0] * DIV2K_FRAME[1] / (264 * 360)) == 29
    # the RL derivations' tile counts are capped, and the small stand-in already fills the caps at x2 (HNAS:
    # 1,000 tiles of 48 px from the controller split's 480 images; DeCoNAS: 256 from its 80 held-out images)
    hnas = resolve_config(get_method("hnas"), "paper", 2)["search"]
    deconas = resolve_config(get_method("deconas"), "paper", 2)["search"]
    for images, patch, cap in ((round(800 * hnas["split"][1]), hnas["derive_lr_patch"], hnas["derive_tiles"]),
                               (round(800 * deconas["val_fraction"]), deconas["val_patch"], deconas["derive_tiles"])):
        ys, xs = tile_grid(132, 180, patch)
        assert (images, cap) in ((480, 1000), (80, 256)) and images * len(ys) * len(xs) >= cap

    assert main(["data", "synth", "div2k", "--size", "div2k", "--distinct", "1", "--dest", str(tmp_path)]) == 0
    assert "1356x2040, 1 drawn per split, the rest hard links" in capsys.readouterr().out
    hr = tmp_path / "DIV2K" / "DIV2K_train_HR"
    assert len(list(hr.iterdir())) == 800 and (hr / "0800.png").stat().st_ino == (hr / "0001.png").stat().st_ino
    with Image.open(hr / "0001.png") as im:
        assert (im.height, im.width) == DIV2K_FRAME
    mark = json.loads((tmp_path / "DIV2K" / STAND_IN_MARK).read_text())
    assert mark["div2k_frame"] and mark["distinct"] == 1
    described = {"set": "DIV2K_train", "images": 800, "mean_hr_pixels": DIV2K_FRAME[0] * DIV2K_FRAME[1]}
    assert "at DIV2K's frame size: DIV2K's tile counts" in _data({"train_data": {**described, "stand_in": mark}})
    small = {**mark, "hr_size": [264, 360]}
    assert ("29x fewer pixels than DIV2K's frame: a validation over every held-out tile is under-projected"
            in _data({"train_data": {**described, "stand_in": small}}))


@pytest.mark.parametrize("args, message", [(["--size", "big"], "expected HxW, e.g. 96x120, or div2k"),
                                           (["--distinct", "0"], "draw at least one image per split")])
def test_synth_refuses_a_bad_size_or_count(tmp_path, capsys, args, message):
    assert main(["data", "synth", "div2k", "--dest", str(tmp_path), *args]) == 2
    assert message in capsys.readouterr().err
