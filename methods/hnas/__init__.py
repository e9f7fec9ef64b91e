"""HNAS (Guo et al., IEEE SPL 2020): hierarchical RL search over cells and the upsampling position.

Variants:
- ``default``: the paper's search at lambda = 0.6 (the middle of its three settings, HNAS-B's).
- ``lambda-0.2`` / ``lambda-0.6`` / ``lambda-0.9``: searches at the lambda that gave HNAS-A/B/C.
- ``HNAS-A`` / ``HNAS-B`` / ``HNAS-C``: the published genotypes (no search; C=64, L=12), trained and
  evaluated under the chosen profile.
- ``official-code``: the official code's behaviour (no UDPB, x10 position weight, entropy in the loss,
  stale-hook FLOPs cost, derivation re-sampling per forward).
- ``retrain-400-epochs``: the supplement's retrain length instead of the README's 300 epochs.
"""
from srnas.methods.hnas.method import PAPER_LAMBDAS, PUBLISHED, README_RETRAIN_EPOCHS, HNASMethod, HNASWeightSharing

__all__ = ["HNASMethod", "HNASWeightSharing", "PAPER_LAMBDAS", "PUBLISHED", "README_RETRAIN_EPOCHS"]
