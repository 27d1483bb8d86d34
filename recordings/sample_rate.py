"""The sample rate of a recording from its sample times (pure numpy).

Used by every reader to check a recording and by the analysis to put it on a grid, so
that both agree on the rate of the same samples.
"""
from __future__ import annotations

import numpy as np

from hinge.firmware_protocol.samples import GAP_FACTOR

__all__ = ["GAP_FACTOR", "estimate_sample_rate"]


def estimate_sample_rate(t_s: np.ndarray) -> float:
    """Sample rate from sample times, Hz, robust to gaps and jitter.

    Args:
        t_s: (N,) increasing sample times, s, N >= 2.

    Returns:
        1 / median sample interval, where the median is taken again over the intervals
        no longer than GAP_FACTOR first-pass medians, so that many gaps cannot bias it.
    """
    dt_s = np.diff(np.asarray(t_s, dtype=float))
    dt_s = dt_s[dt_s > 0]
    if dt_s.size == 0:
        raise ValueError("cannot estimate a sample rate: need at least two increasing sample times")
    first_s = float(np.median(dt_s))
    regular_s = dt_s[dt_s <= GAP_FACTOR * first_s]
    return 1.0 / float(np.median(regular_s))
