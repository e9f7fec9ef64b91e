"""A results bundle others can check: ``srnas export`` packs the records, their weights, the environment and
the claims data they were judged with; ``srnas verify`` checks every seal and hash and re-scores each run's
weights under its recorded protocol on the CPU.

Records are content-keyed and sealed, so merging another lab's results is a copy -- but a copy proves
nothing about the numbers. MLPerf's results repositories pair submissions with a compliance checker; here
the check is the strongest one available without retraining: the weights a record sealed, built into the
architecture it records and evaluated under the preset it records, must give the numbers it records. On a
CPU with the record's code that is bit for bit; a GPU-made record may differ in the last digits, and the
report prints the difference instead of hiding it.

Layout of a bundle::

    MANIFEST.json          sha256 and size of every other file (a tampered or missing file is named)
    environment.json       who exported it: srnas version, commit, python/torch, platform, time
    runs/...               the records (same relative paths as under RESULTS/runs) and their .safetensors
    ledger/...             the reported numbers, claims, consistency data and schemas used to judge them
"""
from __future__ import annotations

import json
import platform
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from srnas.datasets.paths import DataRootLike
from srnas.datasets.verify import sha256_file
from srnas.errors import SrnasError
from srnas.harness.execution.env import LEDGER_DIR, git_state
from srnas.harness.execution.records import RecordError, expected_path, iter_record_paths, load_record, scan_records
from srnas.harness.execution.weights import weights_path
from srnas.methods import method_trains

MANIFEST = "MANIFEST.json"
BUNDLE_FORMAT = 1
#: the claims data a bundle carries (what `srnas check` judged the records with)
LEDGER_FILES = ("reported.csv", "reported.schema.json", "claims.csv", "claims.schema.json", "consistency.csv",
                "consistency.schema.json", "papers.json")
SAME = "re-scored, same numbers"


class BundleError(SrnasError):
    """A bundle that cannot be written or read (not a tampered record: that is a finding of verify)."""


@dataclass(frozen=True)
class ExportSummary:
    records: int
    weights: int
    left_out: list[str]  # files under runs/ that scan_records refused, with the reason
    out: Path


def export_bundle(results: Path, out: Path, methods: Sequence[str] | None = None, profiles: Sequence[str] | None = None) -> ExportSummary:
    """Copy every valid record under ``results`` (optionally only these methods/profiles) with its weights,
    the ledger data and the environment into ``out`` (which must not exist or be empty), then seal the lot
    in ``MANIFEST.json``."""
    results, out = Path(results), Path(out)
    if out.exists() and any(out.iterdir()):
        raise BundleError(f"{out}: exists and is not empty; export into a new folder (nothing is overwritten)")
    records, problems = scan_records(results)
    chosen = [r for r in records if (not methods or r["method"] in methods) and (not profiles or r["profile"] in profiles)]
    if not chosen:
        raise BundleError(f"{results}: no valid record to export"
                          + (f" for methods {list(methods)}" if methods else "") + (f" and profiles {list(profiles)}" if profiles else ""))
    out.mkdir(parents=True, exist_ok=True)
    n_weights = 0
    for r in chosen:
        src = Path(r["_path"])
        rel = src.relative_to(results)
        (out / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, out / rel)
        w = weights_path(src)
        if r.get("weights") and w.is_file():
            shutil.copy2(w, out / rel.with_name(w.name))
            n_weights += 1
    (out / "ledger").mkdir()
    for name in LEDGER_FILES:
        if (LEDGER_DIR / name).is_file():
            shutil.copy2(LEDGER_DIR / name, out / "ledger" / name)
    import srnas

    env = {"format": BUNDLE_FORMAT, "srnas_version": srnas.__version__, "git": git_state(), "python": platform.python_version(),
           "platform": platform.platform(), "exported_utc": datetime.now(timezone.utc).isoformat(timespec="seconds"),
           "source": str(results.resolve()), "records": len(chosen), "weights": n_weights}
    try:
        import torch

        env["torch"] = torch.__version__
    except ImportError:  # pragma: no cover - torch is a dependency
        pass
    (out / "environment.json").write_text(json.dumps(env, indent=1, sort_keys=True))
    files = sorted(p for p in out.rglob("*") if p.is_file() and p.name != MANIFEST)
    manifest = {"format": BUNDLE_FORMAT, "files": {str(p.relative_to(out)): {"sha256": sha256_file(p), "bytes": p.stat().st_size} for p in files}}
    (out / MANIFEST).write_text(json.dumps(manifest, indent=1, sort_keys=True))
    return ExportSummary(len(chosen), n_weights, [str(p) for p in problems], out)


@dataclass
class Check:
    """The verdict on one file or record of a bundle."""

    path: str
    ok: bool
    status: str  # SAME, "seal and hashes checked", or what is wrong
    details: list[str]

    def line(self) -> str:
        return f"{'OK  ' if self.ok else 'FAIL'} {self.path}: {self.status}" + "".join(f"\n       {d}" for d in self.details)


def _manifest_checks(bundle: Path) -> tuple[list[Check], set[str]]:
    """Every file against the manifest; returns the failures and the set of files that failed."""
    try:
        manifest = json.loads((bundle / MANIFEST).read_text())
        listed: dict[str, dict[str, Any]] = manifest["files"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise BundleError(f"{bundle / MANIFEST}: not a bundle manifest ({exc}); export the bundle again with `srnas export`") from None
    failed: list[Check] = []
    bad: set[str] = set()
    for rel, entry in sorted(listed.items()):
        path = bundle / rel
        if not path.is_file():
            failed.append(Check(rel, False, "listed in the manifest but missing", []))
            bad.add(rel)
        elif sha256_file(path) != entry.get("sha256"):
            failed.append(Check(rel, False, "sha256 differs from the manifest (changed after export)", []))
            bad.add(rel)
    present = {str(p.relative_to(bundle)) for p in bundle.rglob("*") if p.is_file() and p.name != MANIFEST}
    for rel in sorted(present - set(listed)):
        failed.append(Check(rel, False, "not in the manifest (added after export)", []))
        bad.add(rel)
    return failed, bad


def rescore(record: dict[str, Any], weights: Path | None, data_root: DataRootLike = None) -> dict[str, Any]:
    """The record's metrics recomputed on the CPU: its genotype built by its plugin with its config, the
    weights loaded (none for a method without trained weights, e.g. bicubic), and its evaluation (sets,
    preset, LR source, self-ensemble, tiles) rerun."""
    import torch

    from srnas.evaluate import evaluate, module_upscaler
    from srnas.harness.execution.weights import load_into, load_state_with_key
    from srnas.methods import get_method
    from srnas.seeding import numerics_of, numerics_setup

    config = record["config"]
    method = get_method(record["method"])
    model = method.build(record["genotype"], int(record["scale"]), config)
    if weights is not None:
        state, _, _ = load_state_with_key(weights, None)
        load_into(model, state, str(weights))
    numerics_setup(numerics_of(config))
    ev = config["eval"]
    upscaler = module_upscaler(model, torch.device("cpu"), tile=ev.get("tile"))
    return evaluate(upscaler, int(record["scale"]), datasets=ev["datasets"], protocol=ev["protocol"], lr_source=ev["lr_source"],
                    data_root=data_root, ensemble=bool(ev.get("self_ensemble", False)), progress=False, per_image=True)


#: a per-image difference this small (relative) is last-bit rounding: another summation order of the same
#: arithmetic (e.g. SSIM's means), not another result; it is reported, and the numbers count as the same
LAST_BIT = 1e-12


@dataclass
class Difference:
    """How a re-score differs from the record: per image exactly, set means as the record's own rule allows."""

    lines: list[str]
    images: int = 0  # images whose PSNR or SSIM differs beyond last-bit rounding
    max_psnr_db: float = 0.0  # largest |Δ PSNR| over those images
    max_ssim: float = 0.0
    last_bit_images: int = 0  # images that differ only in the last bits

    def summary(self) -> str:
        return (f"re-scored, numbers differ: {self.images} image(s), max |Δ| {self.max_psnr_db:.2g} dB PSNR, "
                f"{self.max_ssim:.2g} SSIM") if self.images else "re-scored, numbers differ"

    def same_status(self) -> str:
        return SAME if not self.last_bit_images else f"{SAME} up to last-bit rounding in {self.last_bit_images} image(s)"


def _close(x: float, y: float, rel: float) -> bool:
    return abs(x - y) <= rel * max(1.0, abs(x))


def _compare(recorded: dict[str, Any], now: dict[str, Any]) -> Difference:
    """Every image's PSNR/SSIM must be the recorded one (a CPU re-score of a CPU record with the record's code
    is bit for bit; a difference within :data:`LAST_BIT` is counted and named as last-bit rounding). A set's
    mean is derived from its images, so with no image differing beyond that (or none recorded: older records
    keep set means only) it is compared as the record's own consistency rule compares it (1e-9 relative);
    with images differing, the set's Δ is listed too."""
    out = Difference([])
    for dataset, m in recorded.items():
        got = now.get(dataset)
        if got is None:
            out.lines.append(f"{dataset}: not re-scored")
            continue
        mine, theirs = m.get("images") or {}, got.get("images") or {}
        differ = []
        for k, v in mine.items():
            w = theirs.get(k)
            if w == v:
                continue
            if w is None:
                differ.append(k)
                continue
            dp, ds = abs(float(w["psnr"]) - float(v["psnr"])), abs(float(w["ssim"]) - float(v["ssim"]))
            if _close(float(v["psnr"]), float(w["psnr"]), LAST_BIT) and _close(float(v["ssim"]), float(w["ssim"]), LAST_BIT):
                out.last_bit_images += 1
                continue
            differ.append(k)
            out.max_psnr_db, out.max_ssim = max(out.max_psnr_db, dp), max(out.max_ssim, ds)
        differ.sort()
        out.images += len(differ)
        for key in ("psnr", "ssim"):
            x, y = float(m[key]), float(got[key])
            if (differ and x != y) or not _close(x, y, 1e-9):
                out.lines.append(f"{dataset} {key.upper()}: recorded {x!r}, re-scored {y!r} (Δ {y - x:+.3g})")
        if differ:
            out.lines.append(f"{dataset}: {len(differ)} image(s) differ, e.g. {differ[0]}")
    return out


def verify_bundle(bundle: Path, rescore_weights: bool = True, data_root: DataRootLike = None) -> list[Check]:
    """Check a bundle: the manifest, every record's seal and place, its weights' sha256 and, unless
    ``rescore_weights`` is off, its numbers re-scored on the CPU. Returns one :class:`Check` per record (and
    one per other file that fails)."""
    bundle = Path(bundle)
    if not (bundle / MANIFEST).is_file():
        raise BundleError(f"{bundle}: no {MANIFEST}; not a bundle written by `srnas export`")
    checks, bad = _manifest_checks(bundle)
    for path in iter_record_paths(bundle):
        rel = str(path.relative_to(bundle))
        try:
            record = load_record(path)
        except RecordError as exc:
            checks.append(Check(rel, False, "record refused", [str(exc).removeprefix(f"{path}: ")]))
            continue
        if expected_path(bundle, record).resolve() != path.resolve():
            checks.append(Check(rel, False, "record is not where its content says it belongs (renamed or copied)", []))
            continue
        details: list[str] = []
        if rel in bad:
            details.append("the file changed after export (manifest) although its seal holds: re-sealed by hand")
        w = weights_path(path)
        expected = (record.get("weights") or {}).get("sha256")
        if expected is None and (not rescore_weights or method_trains(record["method"], unknown=True)):
            status = "seal checked (no weights recorded: nothing to re-score)"
        elif expected is None:  # a method without trained weights (bicubic): its numbers are re-scored as they are
            diff = _compare(record["metrics"], rescore(record, None, data_root))
            if diff.lines:
                checks.append(Check(rel, False, diff.summary(), details + diff.lines))
                continue
            status = diff.same_status()
        elif not w.is_file():
            checks.append(Check(rel, False, f"its weights {w.name} are missing", details))
            continue
        elif sha256_file(w) != expected:
            checks.append(Check(rel, False, f"its weights {w.name} are not the ones it sealed (sha256 differs)", details))
            continue
        elif not rescore_weights:
            status = "seal and weights sha256 checked (not re-scored)"
        else:
            diff = _compare(record["metrics"], rescore(record, w, data_root))
            if diff.lines:
                checks.append(Check(rel, False, diff.summary(), details + diff.lines))
                continue
            status = diff.same_status()
        checks.append(Check(rel, not details, status, details))
    return checks
