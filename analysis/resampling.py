"""Put an irregularly sampled recording on a uniform time grid, and list its gaps.

Pure numpy (plus a pandas table for the gap annotations); no I/O. Sensor clocks drift
and radios drop packets, so the grid is derived from the data's own span and rate, and
every hole in the data is reported as an MNE-style ``BAD_gap`` annotation.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

# The readers check a recording's rate with the same estimate (one home: recordings).
from hinge.recordings.sample_rate import GAP_FACTOR, estimate_sample_rate  # noqa: F401 - re-exported

__all__ = ["GAP_COLUMNS", "GAP_FACTOR", "UniformSignal", "estimate_sample_rate", "find_gaps", "resample_uniform"]

GAP_COLUMNS = ["onset_s", "duration_s", "description"]


@dataclass(frozen=True)
class UniformSignal:
    """A recording on a uniform grid.

    Attributes:
        t_s: (N,) uniform sample times, s, on the input's own time axis (starts at its first sample).
        values: (N, C) linearly interpolated values, in the input's units.
        gap_mask: (N,) bool, True where the grid point falls inside a gap longer than
            `max_interp_gap_s`; `values` there are a straight line across the hole, not data,
            so callers must respect the mask.
        gaps: one row per interval longer than 1.5 sample periods, columns
            onset_s (last sample before the hole, s), duration_s (s), description ("BAD_gap").
            Short gaps that were bridged by interpolation are listed too.
    """

    t_s: np.ndarray
    values: np.ndarray
    gap_mask: np.ndarray
    gaps: pd.DataFrame


def find_gaps(t_s: np.ndarray, fs_hz: float) -> pd.DataFrame:
    """Intervals between samples longer than 1.5 sample periods, as ``BAD_gap`` annotations.

    Args:
        t_s: (N,) increasing sample times, s.
        fs_hz: nominal sample rate, Hz.

    Returns:
        DataFrame with columns onset_s (time of the last sample before the hole, s),
        duration_s (time to the next sample, s) and description ("BAD_gap").
    """
    t_s = np.asarray(t_s, dtype=float)
    dt_s = np.diff(t_s)
    where = np.flatnonzero(dt_s > GAP_FACTOR / fs_hz)
    return pd.DataFrame({
        "onset_s": t_s[where],
        "duration_s": dt_s[where],
        "description": np.full(where.size, "BAD_gap", dtype=object),
    }, columns=GAP_COLUMNS)


def resample_uniform(
    t_s: np.ndarray,
    values: np.ndarray,
    fs_hz: float,
    max_interp_gap_s: float = 0.1,
) -> UniformSignal:
    """Linearly interpolate a recording onto a uniform grid at `fs_hz`.

    Args:
        t_s: (N,) strictly increasing sample times, s, any origin.
        values: (N,) or (N, C) samples, any units; not modified.
        fs_hz: rate of the output grid, Hz.
        max_interp_gap_s: gaps up to this long are bridged silently; longer gaps are
            still interpolated (so arrays stay finite) but set `gap_mask`.

    Returns:
        UniformSignal whose grid runs from t_s[0] in steps of 1/fs_hz up to t_s[-1];
        with clock drift the number of grid points follows the data span, not N.
    """
    t_s = np.asarray(t_s, dtype=float)
    values = np.asarray(values, dtype=float)
    if values.ndim == 1:
        values = values[:, None]
    if t_s.ndim != 1 or values.shape[0] != t_s.size:
        raise ValueError(f"t_s {t_s.shape} and values {values.shape} must have the same number of samples")
    if fs_hz <= 0:
        raise ValueError(f"fs_hz must be positive, got {fs_hz}")
    if t_s.size == 0:
        return UniformSignal(np.empty(0), np.empty((0, values.shape[1])), np.zeros(0, bool),
                             find_gaps(t_s, fs_hz))

    n_grid = grid_length(t_s, fs_hz)
    grid_s = grid_times(t_s[0], fs_hz, 0, n_grid)
    out = np.empty((n_grid, values.shape[1]))
    for c in range(values.shape[1]):
        out[:, c] = np.interp(grid_s, t_s, values[:, c])
    gaps = find_gaps(t_s, fs_hz)
    return UniformSignal(grid_s, out, long_gap_mask(t_s[0], fs_hz, n_grid, gaps, max_interp_gap_s), gaps)


def grid_length(t_s: np.ndarray, fs_hz: float) -> int:
    """Number of points of the uniform grid at `fs_hz` from t_s[0] up to t_s[-1] (N >= 1)."""
    # The tiny tolerance keeps the last sample when span * fs is an integer up to rounding.
    return int(np.floor((t_s[-1] - t_s[0]) * fs_hz + 1e-6)) + 1


def grid_times(t0_s: float, fs_hz: float, start: int, stop: int) -> np.ndarray:
    """Times of grid points [start, stop), s: t0_s + k / fs_hz (the same numbers for any slice)."""
    times = np.arange(start, stop, dtype=np.float64)  # whole numbers: exact, as integers would be
    times /= fs_hz
    times += t0_s
    return times


def grid_searchsorted(t0_s: float, fs_hz: float, n: int, x: np.ndarray, side: str = "left") -> np.ndarray:
    """`np.searchsorted(grid_times(t0_s, fs_hz, 0, n), x, side)` without building the grid:
    from the nearest grid index, stepped until the grid values (the same numbers) bracket x."""
    x = np.asarray(x, float)
    k = np.clip(np.floor((x - t0_s) * fs_hz), 0, n).astype(np.int64)
    before = np.less if side == "left" else np.less_equal  # grid points that sort before x
    while True:
        up = (k < n) & before(t0_s + np.minimum(k, n - 1) / fs_hz, x)
        down = (k > 0) & ~before(t0_s + np.maximum(k - 1, 0) / fs_hz, x)
        if not (up.any() or down.any()):
            return k
        k = k + up - down


def long_gap_mask(t0_s: float, fs_hz: float, n: int, gaps: pd.DataFrame, max_interp_gap_s: float) -> np.ndarray:
    """(n,) bool: points of the grid `grid_times(t0_s, fs_hz, 0, n)` strictly between the last
    sample before and the first sample after a gap (`find_gaps`) longer than `max_interp_gap_s`."""
    gap_mask = np.zeros(n, dtype=bool)
    long_gaps = gaps[gaps["duration_s"] > max_interp_gap_s]
    if len(long_gaps):
        onset_s = long_gaps["onset_s"].to_numpy()
        end_s = onset_s + long_gaps["duration_s"].to_numpy()
        first = grid_searchsorted(t0_s, fs_hz, n, onset_s, side="right")
        stop = grid_searchsorted(t0_s, fs_hz, n, end_s, side="left")
        for a, b in zip(first, stop):
            gap_mask[a:b] = True
    return gap_mask
