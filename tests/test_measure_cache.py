"""Measures that depend only on the code are computed once per version of that code (srnas.measure_cache)."""

from srnas.measure_cache import cached_measure, code_key


def test_a_measure_is_computed_once_per_code_version_and_args(tmp_path, monkeypatch):
    monkeypatch.setenv("SRNAS_CACHE", str(tmp_path))
    calls = []

    def measure(a, b):
        calls.append((a, b))
        return {"sum": a + b}

    import srnas.measure_cache as module

    assert cached_measure("t", measure, (1, 2), (module,)) == {"sum": 3}
    assert cached_measure("t", measure, (1, 2), (module,)) == {"sum": 3}
    assert calls == [(1, 2)]  # the second call read the cache
    assert cached_measure("t", measure, (1, 3), (module,)) == {"sum": 4} and len(calls) == 2  # new args: measured
    # a damaged cache file is measured again, never trusted
    for f in (tmp_path / "measures").iterdir():
        f.write_text("{not json")
    assert cached_measure("t", measure, (1, 2), (module,)) == {"sum": 3} and len(calls) == 3


def test_the_key_changes_with_the_code(tmp_path, monkeypatch):
    import importlib
    import sys

    (tmp_path / "measured_code.py").write_text("def f():\n    return 1\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    mod = importlib.import_module("measured_code")
    before = code_key("t", (1,), (mod,))
    assert before == code_key("t", (1,), (mod,)) and before != code_key("t", (2,), (mod,))
    (tmp_path / "measured_code.py").write_text("def f():\n    return 2  # edited\n")
    mod = importlib.reload(mod)
    assert code_key("t", (1,), (mod,)) != before  # an edit of the measured code is a new key
    sys.modules.pop("measured_code", None)
