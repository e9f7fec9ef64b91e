"""Test-session settings: every test runs with one CPU thread for torch and the BLAS/OpenMP pools.

One thread is the suite's documented default (srnas.threads): the bit-identity tests assume it, and on a
loaded 2-core machine the default OpenBLAS pools (one thread per core per process) made the DIV2K stand-in
fixture spend 6.4x the CPU of one thread on tiny matrix products.
"""
from srnas.threads import pin_threads

pin_threads(1)
