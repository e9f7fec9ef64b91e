"""Trilevel NAS plugin (registered as ``trilevel``)."""
from .method import TrilevelNASMethod

__all__ = ["TrilevelNASMethod"]
