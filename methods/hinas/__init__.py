"""HiNAS (Zhang et al., IJCV; arXiv 2012.13212): memory-efficient hierarchical NAS for SR."""
from .method import HiNASMethod, HiNASSpace

__all__ = ["HiNASMethod", "HiNASSpace"]
