"""One sensor of a pair: its mounting calibration and its signals in segment axes.

Each sensor of a pair is calibrated on its own (any orientation each), by the same
steps as the one-sensor pipeline: sensor errors from the recording
(`sensor_correction`), then "up" from quiet standing and the flexion axis from the bends
(`calibration.calibrate_mounting`), or both from the guided-calibration stretch alone
(`guided_calibration.calibrate_window`), which is what the live path has.
"""
from __future__ import annotations

from dataclasses import replace

import numpy as np

from ..calibration import MountingCalibration, calibrate_mounting, segment_signals
from ..grid_signals import GridWindows, reach_samples
from ..guided_calibration import calibrate_window
from ..params import AnalysisParams
from ..resampling import find_gaps, grid_length, long_gap_mask
from ..sensor_correction import estimate_correction
from ..stillness import drop_short_runs, still_candidate


def calibrate_sensor(t_s: np.ndarray, acc_mps2: np.ndarray, gyr_rad_s: np.ndarray, fs_hz: float,
                     params: AnalysisParams,
                     calibration_window_s: tuple[float, float] | None = None) -> MountingCalibration:
    """Mounting calibration (with the sensor's corrections) of one sensor of a pair.

    Args:
        t_s: (N,) strictly increasing sample times, s; acc_mps2, gyr_rad_s: (N, 3) in sensor
            axes, m/s^2 and rad/s.
        fs_hz: rate of the grid the calibration works on, Hz.
        calibration_window_s: (onset, duration), s on `t_s`'s axis, of a guided calibration:
            the mounting then comes from that stretch alone (as live).

    Raises:
        calibration.CalibrationError: no quiet standing or no bend to find the axes from.
    """
    if calibration_window_s is not None:
        # The stretch alone, on a grid starting at its onset: the same samples whatever else
        # the arrays hold (the live path has a buffer, the offline one the whole recording).
        onset_s, duration_s = calibration_window_s
        grid_s = onset_s + np.arange(max(int(round(duration_s * fs_hz)), 0)) / fs_hz
        grid_s = grid_s[(grid_s >= t_s[0]) & (grid_s <= t_s[-1])]
        acc, gyr, gaps = on_grid(t_s, acc_mps2, gyr_rad_s, grid_s, params.max_interp_gap_s)
        return calibrate_window(acc, gyr, gaps, fs_hz, params)
    # The whole recording, read a window at a time as the one-sensor pipeline reads it
    # (`grid_signals`), so that an hour at 400 Hz is calibrated without (N, 3) copies.
    n = grid_length(t_s, fs_hz)
    gaps = long_gap_mask(t_s[0], fs_hz, n, find_gaps(t_s, fs_hz), params.max_interp_gap_s)
    signals = GridWindows(t_s, acc_mps2, gyr_rad_s, fs_hz, 0, n)
    correction = estimate_correction(signals, fs_hz, exclude=gaps)
    corrected = signals.corrected(correction)
    candidate = np.empty(n, bool)
    for start, stop, lo, acc, gyr in corrected.chunks(reach_samples(fs_hz)):
        candidate[start:stop] = still_candidate(acc, gyr, fs_hz, params.still_gyro_rad_s,
                                                params.still_acc_tolerance_mps2)[start - lo:stop - lo]
    still = drop_short_runs(candidate, int(round(params.still_min_s * fs_hz))) & ~gaps
    return replace(calibrate_mounting(corrected, fs_hz, still, params.upright_tolerance_deg), correction=correction)


def segment_window(t_s: np.ndarray, acc_mps2: np.ndarray, gyr_rad_s: np.ndarray, grid_s: np.ndarray,
                   calibration: MountingCalibration, max_gap_s: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One sensor's raw samples on the grid `grid_s`, corrected and in segment axes.

    Args:
        t_s, acc_mps2, gyr_rad_s: raw samples (times on the pair's shared time base, s).
        grid_s: (M,) uniform grid times, s, inside [t_s[0], t_s[-1]].
        max_gap_s: grid points in a gap longer than this are flagged, s.

    Returns:
        (acc (M, 3) m/s^2, gyr (M, 3) rad/s bias-corrected, gap (M,) bool).
    """
    acc, gyr, gap = on_grid(t_s, acc_mps2, gyr_rad_s, grid_s, max_gap_s)
    acc, gyr = segment_signals(*calibration.correction.apply(acc, gyr), calibration)
    return acc, gyr, gap


def on_grid(t_s: np.ndarray, acc_mps2: np.ndarray, gyr_rad_s: np.ndarray, grid_s: np.ndarray,
            max_gap_s: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Raw samples linearly interpolated onto `grid_s` (s): acc (M, 3), gyr (M, 3), and
    (M,) bool, grid points in a gap longer than `max_gap_s` or outside the samples."""
    acc = np.column_stack([np.interp(grid_s, t_s, acc_mps2[:, c]) for c in range(3)])
    gyr = np.column_stack([np.interp(grid_s, t_s, gyr_rad_s[:, c]) for c in range(3)])
    after = np.clip(np.searchsorted(t_s, grid_s, side="left"), 1, len(t_s) - 1)
    gap = (t_s[after] - t_s[after - 1]) > max_gap_s
    gap |= (grid_s < t_s[0]) | (grid_s > t_s[-1])
    return acc, gyr, gap
