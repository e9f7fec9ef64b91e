"""The projection table: what a paper schedule would cost, from dry-run records, beside the papers' claims.

A dry run (``srnas run M --profile paper --dry-run N``) times every loop of the paper schedule at full
shapes and writes a *projection* record under ``RESULTS/projections``. This page puts the latest one per
(method, variant, scale, device) next to the search cost the paper claims (``benchmarks/claims.csv``,
measure ``search_gpu_hours``). A projection is never a result: it is not judged, and a CPU projection is
not comparable with a GPU claim -- the table says so instead of printing a ratio.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from srnas.datasets.synth import DEFAULT_SIZE, DIV2K_FRAME
from srnas.harness.reporting.claims import gpu_class, load_claims


def load_projections(results: str | Path) -> list[dict[str, Any]]:
    """The newest projection record per (method, variant, scale, profile, device); unreadable files skipped."""
    newest: dict[tuple, dict[str, Any]] = {}
    for path in sorted(Path(results).glob("projections/**/*.json")):
        try:
            rec = json.loads(path.read_text())
        except (OSError, json.JSONDecodeError):
            continue
        if rec.get("kind") != "projection":
            continue
        key = (rec.get("method"), rec.get("variant"), rec.get("scale"), rec.get("profile"), rec.get("device"))
        if key not in newest or str(rec.get("finished_utc", "")) > str(newest[key].get("finished_utc", "")):
            newest[key] = {**rec, "_path": str(path)}
    return [newest[k] for k in sorted(newest, key=lambda k: tuple(str(x) for x in k))]


def _loop(rec: dict[str, Any], kind: str) -> dict[str, Any] | None:
    """The loop of a phase ('search' also matches a plugin's label such as 'hnas search')."""
    loops = rec.get("loops", {})
    return loops.get(kind) or next((v for k, v in loops.items() if kind in k.split()), None)


def _hours(rec: dict[str, Any], kind: str) -> float | None:
    loop = _loop(rec, kind)
    return None if loop is None or loop.get("projected_s") is None else loop["projected_s"] / 3600


def _claim(claims, method: str, variant: str) -> str:
    rows = claims[(claims["suite_method"] == method) & (claims["measure"] == "search_gpu_hours")]
    exact = rows[rows["suite_variant"] == variant]
    rows = exact if len(exact) else rows[rows["suite_variant"].isin(["", "default"])]
    if not len(rows):
        return "none on file"
    r = rows.iloc[0]
    return f"{r['reported']} {r['unit']} ({r['gpu']})"


def freshness(rec: dict[str, Any]) -> str:
    """``current`` when today's resolved config of the projected unit hashes as the recorded one, else
    ``stale`` with both hashes: a projection of a config that has changed since is not today's cost."""
    from srnas.config import config_hash
    from srnas.errors import SrnasError
    from srnas.harness.execution.config import resolve_config
    from srnas.methods import get_method

    try:
        today = config_hash(resolve_config(get_method(rec["method"]), rec["profile"], int(rec["scale"]), rec["variant"]))
    except (SrnasError, KeyError, ValueError) as exc:
        return f"unknown ({exc})"
    recorded = rec.get("config_hash")
    return "current" if today == recorded else f"**stale**: recorded {recorded}, today {today}"


def timed_kinds(rec: dict[str, Any]) -> str:
    """Which steps of each loop the projection timed. The dry-run timer times the first N steps of every loop
    after one warm-up step, so a loop whose later steps are of another kind (architecture steps after the
    weight-only warm-up, controller steps after the child steps, validations) is projected from its first
    kind only; the row says so rather than hide it."""
    parts, unstratified = [], False
    for desc, loop in (rec.get("loops") or {}).items():
        if loop.get("kinds"):
            kinds = ", ".join(f"{k} warm-up step only, of {v['count']} (an upper bound)" if v.get("from_warmup")
                              else f"{k} {v['timed_steps']} timed of {v['count']}" for k, v in loop["kinds"].items())
            parts.append(f"{desc}: by kind ({kinds})")
        else:
            unstratified = True
            parts.append(f"{desc}: first {loop.get('timed_steps', 0)} of {loop.get('total_steps', '?')} steps")
    if not parts:
        return "-"
    return "; ".join(parts) + (" (later step kinds not timed)" if unstratified else "")


def _data(record: dict[str, Any]) -> str:
    """The training-data cell: set, images, mean HR megapixels, and ``synthetic stand-in`` where marked."""
    data = record.get("train_data")
    if not data:
        return "not recorded" if "train_data" not in record else "-"
    text = f"{data['set']} ({data['images']} images, {data['mean_hr_pixels'] / 1e6:.2f} MP mean)"
    stand_in = data.get("stand_in")
    if stand_in:
        short = _pixel_shortfall(stand_in.get("hr_size") or (0, 0))
        if short <= 1:
            text += "; synthetic stand-in at DIV2K's frame size: DIV2K's tile counts"
        else:
            # only work over every held-out tile grows with the images (HiNAS's validation); capped tile counts
            # (the RL derivations) and fixed-size batches do not, so the cell says which work it concerns
            text += (f"; synthetic stand-in, {short:.0f}x fewer pixels than DIV2K's frame: a validation over every "
                     "held-out tile is under-projected")
    return text


def _pixel_shortfall(size: Any) -> float:
    """How many times fewer pixels an HR image of ``size`` (H, W) has than DIV2K's frame."""
    h, w = size
    return DIV2K_FRAME[0] * DIV2K_FRAME[1] / max(h * w, 1)


def _device(record: dict[str, Any]) -> str:
    """The device cell: the torch device and the processor model that timed it (step times, and so hours, are
    only comparable on the same model: this table's CPU rows once came from an Intel Xeon, now from an AMD EPYC)."""
    env = record.get("env") or {}
    model = env.get("gpu") if str(record.get("device", "")).startswith("cuda") else env.get("cpu")
    return f"{record.get('device')} ({model})" if model else str(record.get("device"))


def _stall(record: dict[str, Any], kind: str, loop: dict[str, Any] | None) -> str:
    """A loop's data-stall cell: ``-`` without the loop, ``not clocked`` for a search loop of a record made
    before the clock heard the training set's parts (``data_clock: "parts"``), ``< 1 %`` for a share that
    rounds to nothing but is not nothing."""
    if loop is None:
        return "-"
    if kind == "search" and record.get("data_clock") != "parts":
        return "not clocked"
    share = loop.get("data_stall_fraction") or 0.0
    return "< 1 %" if 0 < share < 0.005 else f"{100 * share:.0f} %"


def render_projections(results: str | Path, claims_path: str | Path | None = None) -> str:
    claims = load_claims(claims_path)
    recs = load_projections(results)
    fmt = lambda v: "-" if v is None else f"{v:,.2f}"  # noqa: E731
    lines = [
        "# Projected cost of the paper schedules (dry runs), next to the claimed search cost",
        "",
        "Generated by `srnas table --projections` from `results/projections/` (records of `srnas run M --profile paper",
        "--dry-run N`: median step time after warm-up x the schedule's steps). Projections are never judged as results.",
        "A projection made on a CPU is not comparable with a GPU-hour claim; only a projection on a GPU gets a ratio.",
        "`config`: whether today's resolved config of that unit hashes as the projected one (a stale projection is not",
        "today's cost). `timed steps`: every loop now times each kind of step (DARTS: warm-up, architecture+weight,",
        "with a validation; RL: child and controller steps and the derivation's candidates; final training: plain steps",
        "and steps that save a checkpoint, as does a DARTS step that saves one) and projects each with its own count; a",
        "kind that occurs once is projected from its warm-up step (an upper bound). A record made before that timed the",
        "first steps of a loop only, so a loop that mixes kinds was projected from its first kind: such a row is a bound,",
        "not a plan, and says so. An RL row without a `derive` kind was made before derivations were timed: its search",
        "hours leave the derivation out.",
        "`data stall`: the share of a loop's step time spent making batches. A record made before the data clock",
        "followed the searches into the parts of the training set they draw from (`split`, `at_scale`) never heard a",
        "search loop: its search stall is unknown, shown as `not clocked` (it once read 0 %); its step times, and so its",
        "hours, always included the data time.",
        "`training data`: the set the loops ran on, its mean HR image size, and whether it is the synthetic DIV2K stand-in",
        "(`srnas data synth` marks it). Validation and derivation inside the searches cut their tiles from these images:",
        f"the default stand-in's have {_pixel_shortfall(DEFAULT_SIZE):.0f}x fewer pixels than DIV2K's frame, so there a "
        "validation over every held-out tile is under-projected,",
        "while a tile count capped below what the stand-in holds (the RL derivations', README) is not; on the stand-in at",
        "DIV2K's frame (`srnas data synth div2k --size div2k`) and on the real DIV2K every count is DIV2K's.",
        "",
        "| method | variant | scale | device | config | timed steps | batch x LR patch (search / train) | search h | train h | eval h | total h | peak memory | data stall (search / train) | training data | claimed search cost | projected search / claim | commit (dirty) |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in recs:
        search, train = _hours(r, "search"), _hours(r, "train")
        eval_h = (r.get("evaluation") or {}).get("projected_total_s")
        eval_h = None if eval_h is None else eval_h / 3600
        loops = {k: _loop(r, k) for k in ("search", "train")}
        stall = " / ".join(_stall(r, kind, loop) for kind, loop in loops.items())
        mem = r.get("peak_memory_bytes")
        mem_s = "-" if mem is None else f"{mem / 2**30:.2f} GiB ({r.get('peak_memory_kind', '')})"
        claim = _claim(claims, r["method"], r["variant"])
        ratio = "CPU: not comparable"
        if str(r.get("device", "")).startswith("cuda") and search is not None and claim != "none on file":
            value, unit = claim.split(" ")[0], claim.split(" ")[1]
            claimed_h = float(value) * (24 if unit == "GPU-days" else 1)
            gpu = str((r.get("env") or {}).get("gpu") or "an unnamed GPU")
            claimed_gpu = claim.split("(", 1)[-1].rstrip(")")
            # like with like only: hours on another GPU model are not the paper's hours (claims.gpu_class)
            if claimed_gpu not in ("", "unstated") and gpu_class(gpu) == gpu_class(claimed_gpu):
                ratio = f"{search / claimed_h:.2f}x"
            else:
                ratio = f"on {gpu}, the claim on {claimed_gpu or 'an unstated GPU'}: not compared"
        git = r.get("git", {})
        cfg = r.get("config", {})
        shapes = " / ".join(f"{cfg.get(k, {}).get('batch', '-')} x {cfg.get(k, {}).get('lr_patch', '-')}" for k in ("search", "train"))
        lines.append(
            f"| {r['method']} | {r['variant']} | x{r['scale']} | {_device(r)} | {freshness(r)} | {timed_kinds(r)} | {shapes} | {fmt(search)} | {fmt(train)} | {fmt(eval_h)} | "
            f"{fmt(r.get('projected_total_hours'))} | {mem_s} | {stall} | {_data(r)} | {claim} | {ratio} | {str(git.get('commit', ''))[:7]} ({git.get('dirty')}) |"
        )
    if not recs:
        lines.append("| (no projection records yet: run `srnas run METHOD --profile paper --dry-run 3`) |" + "  |" * 16)
    return "\n".join(lines) + "\n"
