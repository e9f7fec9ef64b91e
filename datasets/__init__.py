"""Benchmark and training datasets: registry, checksum verification, HR/LR loading, DIV2K download.

Installed as ``srnas.datasets`` (never a top-level ``datasets``, which would shadow HuggingFace's).
"""
from srnas.datasets.div2k import Download, download_div2k
from srnas.datasets.loading import LRChoice, describe_lr, load_hr, load_pairs, read_image
from srnas.datasets.paths import data_root
from srnas.datasets.registry import BENCHMARKS, DATASETS, DatasetSpec, get_spec
from srnas.datasets.verify import VerifyReport, verify_set
from srnas.errors import DatasetError

__all__ = [
    "BENCHMARKS",
    "DATASETS",
    "DatasetError",
    "DatasetSpec",
    "Download",
    "LRChoice",
    "VerifyReport",
    "data_root",
    "describe_lr",
    "download_div2k",
    "get_spec",
    "load_hr",
    "load_pairs",
    "read_image",
    "verify_set",
]
