"""An out-of-tree method plugin for srnas-bench (tests/plugins): a two-cell DARTS search over 3x3/5x5
convolutions, composed from the suite's shared primitives (MixedOp, the bilevel loop, the shared trainer)."""
