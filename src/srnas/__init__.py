"""srnas-bench: rerun NAS-for-SR methods under one protocol and check the papers' numbers."""

__version__ = "0.1.0"


def __getattr__(name: str):  # lazy: `import srnas` stays light (no pandas, no torch) until these are used
    if name == "frame":
        from srnas.harness.frame import frame

        return frame
    if name == "evaluate":
        from srnas.evaluate import evaluate

        return evaluate
    if name == "run":
        from srnas.harness.runner import run_method

        return run_method
    raise AttributeError(f"module 'srnas' has no attribute {name!r}")


__all__ = ["__version__", "frame", "evaluate", "run"]
