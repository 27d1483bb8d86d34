"""numpy's own numbers without its call overhead, for the hot paths of the analysis.

Each function here gives what the named numpy call gives, to the last bit (property
tests: tests/test_numpy_shortcuts.py), so every threshold decides exactly as before:

* `sum_rows`, `norm_rows`: `np.sum(v, axis=1)` and `np.linalg.norm(v, axis=1)` of (N, 3)
  arrays. numpy reduces a short last axis row by row (an hour's (360 000, 3) samples:
  4.5 ms for the norm); adding the three columns as whole arrays, (x + y) + z as numpy
  adds three numbers, takes 0.7 ms. The stillness, gait and calibration stages take
  several such sums of the whole recording.
* `norm_of`, `mean_of`, `median_of`: `np.linalg.norm`, `np.mean` and `np.median` of
  short 1-D arrays (a gravity direction, a bend's anchors, a stance before a movement):
  the square root of the dot product, the sum over the count, and the middle of the
  sorted values (or the mean of the two middle ones), without numpy's 5-15 us of Python
  around them; they run for each of the ~500 bend candidates, movements and still
  stretches of an hour.
"""
from __future__ import annotations

import math

import numpy as np

__all__ = ["sum_rows", "norm_rows", "norm_of", "mean_of", "median_of"]


def sum_rows(v: np.ndarray) -> np.ndarray:
    """(N,) sums of the rows of `v` (N, C): `np.sum(v, axis=1)`, column by column for C = 3."""
    if v.ndim != 2 or v.shape[1] != 3:
        return np.sum(v, axis=1)
    return (v[:, 0] + v[:, 1]) + v[:, 2]


def norm_rows(v: np.ndarray) -> np.ndarray:
    """(N,) Euclidean lengths of the rows of `v` (N, C), in v's unit: `np.linalg.norm(v, axis=1)`."""
    return np.sqrt(sum_rows(v * v))


def norm_of(v: np.ndarray) -> float:
    """`np.linalg.norm(v)` of a (K,) float vector: the square root of v . v."""
    return math.sqrt(v.dot(v))


def mean_of(x: np.ndarray) -> np.floating:
    """`np.mean(x)` of a non-empty (K,) float array: its sum over K."""
    return x.sum() / len(x)


def median_of(x: np.ndarray) -> np.floating:
    """`np.median(x)` of a non-empty (K,) float array without NaN: the middle value, or the
    mean of the two middle ones."""
    ordered = np.sort(x)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2
