"""DeCoNAS (Ahn & Cho, ICPR 2020): a densely connected search space from RDN, searched by REINFORCE
with a complexity-based penalty. Spec: methods-spec section 4; official code Junem360/DeCoNAS.

Variants: ``default`` (paper: correct complexity count, baseline over the full reward, penalty 2),
``official-code`` (the code's separable-conv count and PSNR-only baseline), ``DeCoNASNet`` (the
published 30-bit arc, no search), ``penalty-0`` / ``penalty-8`` (penalty weight, to show that it
moves the searched complexity).
"""
from srnas.methods.deconas.method import DECONASNET_ARC, PUBLISHED, DeCoNASMethod, DeCoNASSpace, build_supernet

__all__ = ["DECONASNET_ARC", "PUBLISHED", "DeCoNASMethod", "DeCoNASSpace", "build_supernet"]
