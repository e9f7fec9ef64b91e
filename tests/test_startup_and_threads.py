"""Commands that need no network start without torch, and one thread setting reaches torch, BLAS and children."""
from __future__ import annotations

import subprocess
import sys

import pytest


def _python(code: str) -> str:
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


def test_the_parser_and_every_commands_help_import_no_torch() -> None:
    """`srnas --help` imported torch through `commands/eval.py` (2.7 s CPU for a usage line)."""
    code = ("import sys, contextlib, io\n"
            "from srnas.cli import COMMANDS, build_parser, main\n"
            "build_parser()\n"
            "for name in COMMANDS:\n"
            "    with contextlib.suppress(SystemExit), contextlib.redirect_stdout(io.StringIO()):\n"
            "        main([name, '--help'])\n"
            "print(sorted(m for m in ('torch', 'scipy', 'matplotlib') if m in sys.modules))")
    assert _python(code) == "[]"


def test_table_rendering_imports_no_torch(tmp_path) -> None:
    code = ("import sys, contextlib, io\n"
            "from srnas.cli import main\n"
            f"rc = main(['table', '--results', {str(tmp_path)!r}, '--profile', 'short', '--scale', '2', '--out', {str(tmp_path / 't')!r}])\n"
            "print('torch' in sys.modules)")
    assert _python(code).splitlines()[-1] == "False"


def test_pin_threads_limits_torch_blas_and_child_processes() -> None:
    code = ("import os, torch, numpy\n"
            "from threadpoolctl import threadpool_info\n"
            "from srnas.threads import pin_threads\n"
            "pin_threads(1)\n"
            "blas = [p['num_threads'] for p in threadpool_info()]\n"
            "print(torch.get_num_threads(), max(blas) if blas else 1, os.environ['OPENBLAS_NUM_THREADS'], os.environ['OMP_NUM_THREADS'])")
    assert _python(code) == "1 1 1 1"


def test_pin_threads_zero_leaves_the_defaults() -> None:
    from srnas.threads import pin_threads

    assert pin_threads(0) is None and pin_threads(None) is None


@pytest.mark.parametrize("method", ["hnas", "deconas"])
def test_published_model_measures_are_keyed_by_the_plugins_own_code(method: str) -> None:
    """The cached params/MACs of a published model must be recomputed when any module of the plugin's folder
    or the shared primitives change, including modules the plugin imports only while building."""
    from srnas.measure_cache import plugin_modules
    from srnas.methods import get_method

    names = {m.__name__ for m in plugin_modules(get_method(method), "srnas.harness.execution.config")}
    assert f"srnas.methods.{method}.model" in names and f"srnas.methods.{method}.space" in names
    assert {"srnas.nas.flops", "srnas.nas.mixed", "srnas.harness.execution.config"} <= names


@pytest.mark.slow
def test_check_runs_from_a_non_editable_install(tmp_path) -> None:
    """The claims data ship as package data (srnas.ledger): from a wheel, REPO_ROOT is a folder inside the
    environment, and `srnas check` used to look for benchmarks/reported.schema.json there."""
    import os
    from pathlib import Path

    from srnas.harness.execution.env import REPO_ROOT

    pip = [sys.executable, "-m", "pip"]
    subprocess.run([*pip, "wheel", "-q", "--no-deps", "--no-build-isolation", str(REPO_ROOT), "-w", str(tmp_path / "whl")],
                   check=True, timeout=600)
    target = tmp_path / "site"
    subprocess.run([*pip, "install", "-q", "--no-deps", "--target", str(target), *map(str, (tmp_path / "whl").glob("*.whl"))],
                   check=True, timeout=600)
    code = ("import sys; from srnas.cli import main; import srnas; "
            f"assert srnas.__file__.startswith({str(target)!r}), srnas.__file__; "
            f"sys.exit(main(['check', '--results', {str(REPO_ROOT / 'results')!r}, '--no-page']))")
    env = {**os.environ, "PYTHONPATH": str(target)}
    out = subprocess.run([sys.executable, "-I", "-c", f"import sys; sys.path.insert(0, {str(target)!r}); " + code],
                         capture_output=True, text=True, timeout=600, env=env, cwd=tmp_path)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "verdicts on the suite's own methods" in out.stdout and Path(target / "srnas" / "ledger" / "reported.csv").is_file()
