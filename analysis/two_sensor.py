"""What a second sensor adds: lumbar flexion as the difference of two pitches.

With a second IMU at T12/L1 (the ViMove/dorsaVi arrangement, research/biomechanics.md
section 2.3), lumbar flexion is no longer inferred through balance: it is the pitch of
the upper sensor minus the pitch of the sacral one, and the lumbar share of a bend is
that difference over the upper pitch. This module measures it for bends already found
from the sacral sensor; `benchmarks/second_sensor.py` compares it with one sensor.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .calibration import calibrate_mounting, segment_signals
from .grid_signals import ArrayWindows
from .resampling import resample_uniform
from .stillness import still_mask
from .strapdown import integrate_window


def upper_pitch_excursions_deg(
    t_s: np.ndarray, acc_mps2: np.ndarray, gyr_rad_s: np.ndarray, fs_hz: float,
    bends: pd.DataFrame, pad_s: float = 0.6, anchor_s: float = 0.3,
) -> np.ndarray:
    """Peak pitch excursion of the upper sensor's segment in each bend, deg.

    Args:
        t_s, acc_mps2, gyr_rad_s: the upper sensor's recording on the same clock as `bends`.
        bends: the sacral analysis' bends table (start_s, end_s).
        pad_s: still time taken before and after each bend as tilt anchors, s.
    """
    grid = resample_uniform(t_s, np.column_stack([acc_mps2, gyr_rad_s]), fs_hz)
    acc, gyr = grid.values[:, :3], grid.values[:, 3:]
    calibration = calibrate_mounting(ArrayWindows(acc, gyr), fs_hz, still_mask(acc, gyr, fs_hz))
    acc_seg, gyr_seg = segment_signals(acc, gyr, calibration)
    anchor = max(1, int(anchor_s * fs_hz))
    out = np.full(len(bends), np.nan)
    for i, (start_s, end_s) in enumerate(zip(bends["start_s"], bends["end_s"])):
        first = int(np.searchsorted(grid.t_s, start_s - pad_s))
        stop = int(np.searchsorted(grid.t_s, end_s + pad_s))
        if stop - first > 4 * anchor:
            traj = integrate_window(acc_seg[first:stop], gyr_seg[first:stop], fs_hz, anchor)
            out[i] = np.degrees(traj.pitch_rad.max() - traj.pitch_rad[:anchor].mean())
    return out


def two_sensor_lumbar_share(sacral_pitch_deg: np.ndarray, upper_pitch_deg: np.ndarray) -> np.ndarray:
    """Lumbar share of each bend from the two pitch excursions (0-1)."""
    upper = np.maximum(np.asarray(upper_pitch_deg, float), 1e-6)
    return np.clip((upper - np.asarray(sacral_pitch_deg, float)) / upper, 0.0, 1.0)
