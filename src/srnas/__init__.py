"""srnas-bench: rerun NAS-for-SR methods under one protocol and check the papers' numbers."""

__version__ = "0.1.0"

