"""Sums and lengths of the rows of (N, 3) arrays, column by column.

numpy reduces a short last axis row by row: `np.linalg.norm(v, axis=1)` of an hour's
(360 000, 3) samples takes 4.5 ms, the same additions on whole columns 0.7 ms. For three
columns numpy adds (x + y) + z, as these do, so the results are the same to the last bit
(tests/test_numpy_shortcuts.py); the stillness, gait and calibration stages take several
such sums of the whole recording (issue 12).
"""
from __future__ import annotations

import numpy as np

__all__ = ["sum_rows", "norm_rows"]


def sum_rows(v: np.ndarray) -> np.ndarray:
    """(N,) sums of the rows of `v` (N, C): `np.sum(v, axis=1)`, column by column for C = 3."""
    if v.ndim != 2 or v.shape[1] != 3:
        return np.sum(v, axis=1)
    return (v[:, 0] + v[:, 1]) + v[:, 2]


def norm_rows(v: np.ndarray) -> np.ndarray:
    """(N,) Euclidean lengths of the rows of `v` (N, C), in v's unit: `np.linalg.norm(v, axis=1)`."""
    return np.sqrt(sum_rows(v * v))
