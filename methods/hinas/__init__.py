"""HiNAS (Zhang et al., IJCV; arXiv 2012.13212): memory-efficient hierarchical NAS for SR.

Modules: ``space`` (ops, cell edges, width levels), ``supernet`` (Eq. 5 cell sharing / Eq. 6 per-level
cells, LWAS), ``viterbi`` (width path), ``derive`` (genotype), ``model`` (final network), ``method``
(profiles, variants, search, build, RSWS space), ``memory`` (saved-activation accounting).

Choices where paper and code are silent [inferred]: beta has one row per cell over its neighbours
(i-1, i, i+1), missing neighbours are masked out of the softmax instead of initialised to -50; the l-2
input of cell (l, i) is a 1x1 projection of h_{l-2}^i (the top level when level i is new), for both sharing
modes; Viterbi starts from the stem at level 0; the search's validation score averages PSNR/SSIM over
tiles instead of stitching them. Not implemented: the code's cosine x poly search LR schedule (the paper's
plain cosine is used), 2x bias LR without decay and 4 crops per image in final training, and the final
training's keep-best validation.
"""
from .method import HiNASMethod, HiNASSpace

__all__ = ["HiNASMethod", "HiNASSpace"]
