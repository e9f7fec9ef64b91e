"""One place that decides how many CPU threads the suite's computations use.

Default: **1 thread per process** for torch and for the BLAS/OpenMP pools numpy and scipy call into
(OpenBLAS, MKL, OpenMP, through threadpoolctl). One thread makes CPU runs reproducible bit for bit (a
reduction split over threads sums in another order), and parallelism comes from processes instead
(``--jobs N`` runs N workers, each pinned to one thread), which never oversubscribes the cores: OpenBLAS's
default is one thread per core *per process*, so two workers on two cores ran four threads, and 3,600
tiny ``imresize`` products at two threads cost 6.4x the CPU of one.

``pin_threads(n)`` sets the limits in this process (torch only if it is already imported, so a torch-free
command stays torch-free) and in the environment every child process inherits (``OMP_NUM_THREADS`` etc.),
which torch and BLAS read when they load. ``n = 0`` or ``None`` leaves the libraries' defaults.
"""
from __future__ import annotations

import os
import sys

DEFAULT_THREADS = 1
_ENV_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS",
             "VECLIB_MAXIMUM_THREADS")
_limiter = None  # the threadpoolctl limiter in effect (kept alive: it restores the limits when collected)


def pin_threads(n: int | None = DEFAULT_THREADS) -> int | None:
    """Limit torch and the BLAS/OpenMP pools of this process and its children to ``n`` threads.

    Returns ``n``, or None when the defaults are left alone (``n`` 0 or None)."""
    global _limiter
    if not n:
        return None
    for var in _ENV_VARS:
        os.environ[var] = str(n)
    try:
        from threadpoolctl import threadpool_limits

        _limiter = threadpool_limits(limits=n)
    except ImportError:  # pragma: no cover - a dependency; the environment variables still reach children
        pass
    if "torch" in sys.modules:
        import torch

        torch.set_num_threads(n)
    return n


def pinned_worker(n: int = DEFAULT_THREADS) -> None:
    """``ProcessPoolExecutor(initializer=pinned_worker)``: each worker process pinned before any work."""
    pin_threads(n)
