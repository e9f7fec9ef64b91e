"""Run metadata: what machine and code produced a record, so a surprising number can be traced back."""
from __future__ import annotations

import platform
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import torch

REPO_ROOT = Path(__file__).resolve().parents[4]  # src/srnas/harness/execution/env.py


def _ledger_dir() -> Path:
    """The folder of the claims data (reported.csv, claims.csv, their schemas, papers.json): ``benchmarks/``
    of the checkout, or in a non-editable install the same files shipped as package data (``srnas.ledger``,
    pyproject's package-dir), where REPO_ROOT is a folder inside the environment."""
    here = REPO_ROOT / "benchmarks"
    if (here / "reported.csv").is_file():
        return here
    import importlib.util

    spec = importlib.util.find_spec("srnas.ledger")
    if spec is not None and spec.submodule_search_locations:
        return Path(list(spec.submodule_search_locations)[0])
    return here  # neither: the loaders name the missing file and the --reported/--claims flags


LEDGER_DIR = _ledger_dir()


def cpu_model() -> str:
    """The CPU's marketing name (Linux /proc/cpuinfo; ``platform.processor()`` elsewhere)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def git_state(root: Path = REPO_ROOT) -> dict[str, Any]:
    """Commit and whether tracked files differ from it; ``None`` fields when git or the repo is absent."""
    def git(*args: str) -> str | None:
        try:
            out = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, timeout=10)
        except (OSError, subprocess.SubprocessError):
            return None
        return out.stdout.strip() if out.returncode == 0 else None

    commit = git("rev-parse", "HEAD")
    status = git("status", "--porcelain", "--untracked-files=no") if commit else None
    return {"commit": commit, "dirty": None if status is None else bool(status)}


def git_provenance(at_start: dict[str, Any]) -> dict[str, Any]:
    """The git state a record names: the one captured when its run started (a record made at the end of a
    run once named the commit checked out *then*: a HiNAS record named 8a16fa3 but ran on d979524). When the
    tree changed while the run went on, the record says so: ``changed_during_run`` and the state at publish."""
    now = git_state()
    if now == at_start:
        return at_start
    return {**at_start, "changed_during_run": True, "at_publish": now}


def installed_version(distribution: str) -> str | None:
    """The installed version of ``distribution``, None when it is not installed (the one lookup records and
    ``srnas --version`` share)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(distribution)
    except PackageNotFoundError:
        return None


def environment(device: torch.device) -> dict[str, Any]:
    """Versions, platform, threads and determinism flags in effect for this run."""
    import torch  # here: `srnas table` and `srnas check` read REPO_ROOT and git_state without torch

    env: dict[str, Any] = {
        "python": platform.python_version(),
        "torch": torch.__version__,
        "numpy": np.__version__,
        # the metrics' numerics: scipy's correlate1d order, and the numba kernel that reproduces it
        **{name: installed_version(name) for name in ("scipy", "numba")},
        "platform": platform.platform(),
        "cpu": cpu_model(),
        "torch_threads": torch.get_num_threads(),
        "deterministic_algorithms": torch.are_deterministic_algorithms_enabled(),
        "cudnn_deterministic": torch.backends.cudnn.deterministic,
        "cudnn_benchmark": torch.backends.cudnn.benchmark,
        "device": str(device),
    }
    if device.type == "cuda":
        env["gpu"] = torch.cuda.get_device_name(device)
        env["cuda"] = torch.version.cuda
    return env


def provenance(device: torch.device, git_at_start: dict[str, Any], plugin: dict[str, Any] | None = None) -> dict[str, Any]:
    """The fields that make any record traceable, assembled in one place for run, dry-run (projection) and
    evaluation records: the environment, the git state the work *started* from (with any change while it
    ran, :func:`git_provenance`), the srnas version, the plugin's provenance (captured by the caller when it
    loaded the plugin: its files may change later) and the finish time."""
    from datetime import datetime, timezone

    import srnas

    out = {"env": environment(device), "git": git_provenance(git_at_start), "srnas_version": srnas.__version__,
           "finished_utc": datetime.now(timezone.utc).isoformat(timespec="seconds")}
    if plugin is not None:
        out["plugin"] = plugin
    return out
