"""User-facing errors.

An ``SrnasError`` is a problem the user can fix (missing data, a corrupt file, a bad flag). Its message
names the file or input at fault and the fix, so the CLI prints it as one line and exits with status 2
instead of showing a traceback.
"""
from __future__ import annotations


class SrnasError(Exception):
    """Base class for errors caused by the user's input or environment, not by a bug in srnas."""


class DatasetError(SrnasError):
    """A dataset is missing, incomplete or corrupt, or its location cannot be resolved."""


class ConfigError(SrnasError):
    """A bad config value or key (unknown override, impossible profile)."""


class RecordError(SrnasError):
    """A run record that is corrupt, half-written or inconsistent with its key."""


class WriteError(SrnasError, OSError):
    """A file could not be written (full disk, no permission). Also an ``OSError``, so best-effort writers
    (caches) that skip a failed write keep doing so."""
