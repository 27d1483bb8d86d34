"""Detect stretches where the sensor is still (quiet standing or a held pose).

A still sensor reads gravity only: |specific force| stays near 1 g, the angular rate
near the gyroscope bias, and the specific-force vector does not change. The last test
matters: in a rounded-back bend the hips translate backwards while the pelvis barely
rotates, and a horizontal acceleration changes the direction, not the size, of the
specific force. All are smoothed over a short window so that a single noisy sample
neither creates nor breaks a still stretch.
"""
from __future__ import annotations

import numpy as np

from .constants import GRAVITY_MPS2  # noqa: F401 - re-exported
from .shortcuts import norm_rows, sum_rows
from .smoothing import moving_mean


def still_mask(
    acc_mps2: np.ndarray,
    gyr_rad_s: np.ndarray,
    fs_hz: float,
    still_gyro_rad_s: float = 0.05,
    still_acc_tolerance_mps2: float = 0.3,
    still_min_s: float = 0.4,
    window_s: float = 0.2,
    still_acc_change_mps2: float = 0.06,
) -> np.ndarray:
    """Samples that belong to a still stretch of at least `still_min_s`.

    Args:
        acc_mps2: (N, 3) specific force, m/s^2, any axes.
        gyr_rad_s: (N, 3) angular rate, rad/s, bias not yet removed (a bias below
            `still_gyro_rad_s` does not matter here).
        fs_hz: uniform sample rate, Hz.

    Returns:
        (N,) bool.
    """
    window = max(1, int(round(window_s * fs_hz)))
    rate = moving_mean(norm_rows(gyr_rad_s), window, mode="nearest")
    acc_dev = moving_mean(
        np.abs(norm_rows(acc_mps2) - GRAVITY_MPS2), window, mode="nearest"
    )
    # Moving standard deviation of the specific-force vector over the window, after a
    # 50 ms smoothing: sensor noise grows with the sample rate (sqrt(fs/2) times the noise
    # density), body motion does not.
    smooth = moving_mean(acc_mps2, max(1, int(round(0.05 * fs_hz))), axis=0, mode="nearest")
    mean = moving_mean(smooth, window, axis=0, mode="nearest")
    mean_square = moving_mean(sum_rows(smooth**2), window, mode="nearest")
    change = np.sqrt(np.maximum(mean_square - sum_rows(mean**2), 0.0))
    candidate = (rate < still_gyro_rad_s) & (acc_dev < still_acc_tolerance_mps2) & (change < still_acc_change_mps2)
    return drop_short_runs(candidate, int(round(still_min_s * fs_hz)))


def still_candidate(
    acc_mps2: np.ndarray,
    gyr_rad_s: np.ndarray,
    fs_hz: float,
    still_gyro_rad_s: float = 0.05,
    still_acc_tolerance_mps2: float = 0.3,
    window_s: float = 0.2,
    still_acc_change_mps2: float = 0.06,
) -> np.ndarray:
    """`still_mask` before short stretches are dropped: (N,) bool per sample.

    Each value depends only on samples within `lookahead_samples` on either side (the
    streaming pipeline relies on this).
    """
    return still_mask(acc_mps2, gyr_rad_s, fs_hz, still_gyro_rad_s, still_acc_tolerance_mps2, 0.0,
                      window_s, still_acc_change_mps2)


def lookahead_samples(fs_hz: float, window_s: float = 0.2) -> int:
    """Samples on either side that a `still_candidate` value depends on, plus one.

    A centred moving mean of w samples reaches w // 2 samples out; the 50 ms smoothing
    inside the window mean adds its own half width.
    """
    return max(1, int(round(window_s * fs_hz))) // 2 + max(1, int(round(0.05 * fs_hz))) // 2 + 1


def runs(mask: np.ndarray) -> np.ndarray:
    """(K, 2) array of [start, stop) sample indices of the True runs of `mask`."""
    padded = np.concatenate(([False], np.asarray(mask, bool), [False]))
    edges = np.flatnonzero(np.diff(padded.astype(np.int8)))
    return edges.reshape(-1, 2)


def drop_short_runs(mask: np.ndarray, min_len: int) -> np.ndarray:
    """Copy of `mask` with True runs shorter than `min_len` samples set to False."""
    out = np.zeros_like(mask, dtype=bool)
    for start, stop in runs(mask):
        if stop - start >= min_len:
            out[start:stop] = True
    return out


def settled_mask(
    acc_mps2: np.ndarray,
    gyr_rad_s: np.ndarray,
    fs_hz: float,
    still_gyro_rad_s: float = 0.05,
    still_acc_tolerance_mps2: float = 0.3,
    still_acc_change_mps2: float = 0.06,
    settle_s: float = 0.3,
) -> np.ndarray:
    """Samples at which the sensor has been still for the last `settle_s`: (N,) bool.

    The end-of-bend test. `still_mask` decides a sample from a centred window and keeps
    only stretches of 0.4 s, so a return to standing becomes known about 0.5 s after
    the sensor comes to rest; here every test looks back only (trailing windows), so a
    settled sample is known the moment it arrives. Same tests and thresholds as
    `still_mask`: mean angular rate, mean deviation of |specific force| from 1 g, and the
    spread of the (50 ms smoothed) specific-force vector, each over the `settle_s` up to
    and including the sample. Samples with less history than `settle_history_samples`
    are not settled. A value depends on nothing older, so the streaming pipeline computes
    it from the last `settle_history_samples` alone (equal to offline up to rounding).

    Args:
        acc_mps2: (N, 3) specific force, m/s^2, any axes.
        gyr_rad_s: (N, 3) angular rate, rad/s, bias not yet removed.
        fs_hz: uniform sample rate, Hz.
        settle_s: how long the sensor must have been still, s.
    """
    window, smooth_n = _settle_windows(fs_hz, settle_s)
    n = len(acc_mps2)
    out = np.zeros(n, bool)
    history = window + smooth_n - 1
    if n < history:
        return out
    acc = np.asarray(acc_mps2, float)
    tail = slice(history - 1, None)
    rate = _trailing_mean(norm_rows(gyr_rad_s), window)[smooth_n - 1:]
    acc_dev = _trailing_mean(np.abs(norm_rows(acc) - GRAVITY_MPS2), window)[smooth_n - 1:]
    smooth = _trailing_mean(acc, smooth_n)  # rows are samples smooth_n-1 ... N-1
    mean = _trailing_mean(smooth, window)
    mean_square = _trailing_mean(sum_rows(smooth**2), window)
    change = np.sqrt(np.maximum(mean_square - sum_rows(mean**2), 0.0))
    out[tail] = (rate < still_gyro_rad_s) & (acc_dev < still_acc_tolerance_mps2) & (change < still_acc_change_mps2)
    return out


def settle_history_samples(fs_hz: float, settle_s: float = 0.3) -> int:
    """Samples (the newest included) that one `settled_mask` value depends on."""
    window, smooth_n = _settle_windows(fs_hz, settle_s)
    return window + smooth_n - 1


def _settle_windows(fs_hz: float, settle_s: float) -> tuple[int, int]:
    return max(2, int(round(settle_s * fs_hz))), max(1, int(round(0.05 * fs_hz)))


def _trailing_mean(x: np.ndarray, w: int) -> np.ndarray:
    """Mean of each run of `w` consecutive rows of `x` ((N, ...) -> (N - w + 1, ...))."""
    return moving_mean(x, w, axis=0, mode="nearest", origin=(w - 1) // 2)[w - 1:]
