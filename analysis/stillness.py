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
from scipy.ndimage import uniform_filter1d

GRAVITY_MPS2 = 9.80665


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
    rate = uniform_filter1d(np.linalg.norm(gyr_rad_s, axis=1), window, mode="nearest")
    acc_dev = uniform_filter1d(
        np.abs(np.linalg.norm(acc_mps2, axis=1) - GRAVITY_MPS2), window, mode="nearest"
    )
    # Moving standard deviation of the specific-force vector over the window, after a
    # 50 ms smoothing: sensor noise grows with the sample rate (sqrt(fs/2) times the noise
    # density), body motion does not.
    smooth = uniform_filter1d(acc_mps2, max(1, int(round(0.05 * fs_hz))), axis=0, mode="nearest")
    mean = uniform_filter1d(smooth, window, axis=0, mode="nearest")
    mean_square = uniform_filter1d(np.sum(smooth**2, axis=1), window, mode="nearest")
    change = np.sqrt(np.maximum(mean_square - np.sum(mean**2, axis=1), 0.0))
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
