"""Native thread pools: one thread each for every `hinge` command, set once, before numpy loads.

hinge's numerics are many small array operations (3x3 rotations per bend, short filters),
far below the size at which a BLAS thread pool pays off. Left at their default (one
thread per core), OpenBLAS wakes its pool for each small product, and when other
processes load the machine the threads wait for each other: a one-hour recording took
9-27 s to analyse instead of 3.1-3.3 s with one thread, and the live path's deciding
block 89 ms instead of 4 ms (issue 12). Parallelism comes from processes instead
(`hinge batch`), whose workers inherit these settings.

The libraries read their variable once, when they are loaded, so `limit_native_threads`
must run before numpy is first imported: `hinge.cli.main` calls it first thing (the
`hinge` script and `python -m hinge` both enter there, so every command, `hinge live`
and `hinge record` included, runs with it). A variable the user has set is left as it
is: their own setting wins.

The Python API (`hinge.analyse_file`) leaves the process's thread pools to the caller,
as numerical libraries do: a program that imports hinge has its own numpy work, and
numpy may already be loaded. To get the command line's speed there, set
``OPENBLAS_NUM_THREADS=1`` (and the others below) before importing numpy, or wrap the
call in ``threadpoolctl.threadpool_limits(1)``.

Variables: OpenMP ``OMP_NUM_THREADS``; OpenBLAS ``OPENBLAS_NUM_THREADS``; Intel MKL
``MKL_NUM_THREADS``; Apple Accelerate ``VECLIB_MAXIMUM_THREADS``; numexpr
``NUMEXPR_NUM_THREADS`` (each library's documentation; threadpoolctl's README lists the
same set).
"""
from __future__ import annotations

import os
from collections.abc import MutableMapping

__all__ = ["THREAD_LIMIT_VARIABLES", "limit_native_threads", "available_cores"]

#: The environment variables that size the native thread pools numpy, scipy and pandas may use.
THREAD_LIMIT_VARIABLES: tuple[str, ...] = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                                           "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS")


def limit_native_threads(environ: MutableMapping[str, str] = os.environ) -> dict[str, str]:
    """Set every `THREAD_LIMIT_VARIABLES` entry the user has not set to "1"; returns those it set.

    An empty value counts as unset, as the libraries read it. Takes effect for libraries
    loaded afterwards, in this process and in child processes.
    """
    done = {}
    for name in THREAD_LIMIT_VARIABLES:
        if not environ.get(name):
            environ[name] = done[name] = "1"
    return done


def available_cores() -> int:
    """CPU cores this process may run on (its CPU affinity, e.g. taskset; not cgroup quotas)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)
