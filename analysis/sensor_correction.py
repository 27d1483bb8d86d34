"""Sensor errors estimated from the recording itself: gyro bias, accelerometer offset and sensitivity.

Commodity IMUs leave the factory with a gyro zero-rate offset of up to +-3 deg/s
(BMI270 datasheet, Bosch BST-BMI270-DS000) or +-10 deg/s (LSM6DS3, ST DocID026899), an
accelerometer zero-g offset of +-20 to +-40 mg and a sensitivity error of +-1 to +-3 %
per axis; real lower-back sensors read 9.6-10.3 m/s^2 at rest. Uncorrected, a 5 deg/s
offset hides every still stretch (the still test allows 2.9 deg/s) and an offset of
0.1 m/s^2 integrates to tens of centimetres of false translation over one bend.

What a recording allows: wherever the body is steady (the angular rate does not change
and the specific force does not change), the gyro reads only its bias, and the
accelerometer reads gravity, of known size, in some orientation. The bias is the median
rate over steady samples (a test on the *spread* of the rate, so it holds for any
offset); offset and sensitivity are the values that bring |specific force| of every
steady stretch to 1 g, regularised towards zero error by the datasheet ranges, so a
recording with one orientation only (quiet standing) corrects the size of gravity along
that direction and leaves the rest near nominal (a sphere fit needs orientations spread
over the sphere; Frosio et al. 2009, IEEE TIM 58:2034).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .constants import GRAVITY_MPS2
from .grid_signals import SampleWindows
from .shortcuts import sum_rows
from .smoothing import moving_mean
from .stillness import drop_short_runs, runs

# Steady: spread of the angular rate (norm of per-axis standard deviations over the window)
# and of the 50 ms smoothed specific force below these, for at least STEADY_MIN_S.
STEADY_WINDOW_S = 0.5
STEADY_GYRO_SPREAD_RAD_S = 0.015
STEADY_ACC_SPREAD_MPS2 = 0.05
STEADY_MIN_S = 0.5
# Priors of the accelerometer fit (1 sigma): datasheet ranges.
ACC_OFFSET_SIGMA_MPS2 = 0.04 * GRAVITY_MPS2
ACC_SENSITIVITY_SIGMA = 0.03
# Spread of one steady stretch's mean |specific force| about 1 g after correction (sway, noise).
STRETCH_SIGMA_MPS2 = 0.02


@dataclass(frozen=True)
class SensorCorrection:
    """Corrections of one sensor, in sensor axes.

    Attributes:
        gyro_bias_rad_s: (3,) subtracted from the angular rate, rad/s.
        acc_offset_mps2: (3,) subtracted from the specific force, m/s^2.
        acc_gain: (3,) the offset-free specific force is multiplied by this (1 = nominal).
        steady_s: steady time the estimate rests on, s.
        orientations: number of steady stretches more than 20 deg apart used for the accelerometer.
    """

    gyro_bias_rad_s: np.ndarray = field(default_factory=lambda: np.zeros(3))
    acc_offset_mps2: np.ndarray = field(default_factory=lambda: np.zeros(3))
    acc_gain: np.ndarray = field(default_factory=lambda: np.ones(3))
    steady_s: float = 0.0
    orientations: int = 0

    def apply(self, acc_mps2: np.ndarray, gyr_rad_s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Corrected (K, 3) specific force, m/s^2, and angular rate, rad/s."""
        return (acc_mps2 - self.acc_offset_mps2) * self.acc_gain, gyr_rad_s - self.gyro_bias_rad_s

    def as_dict(self) -> dict:
        return {
            "gyro_bias_deg_s": [round(float(v), 3) for v in np.degrees(self.gyro_bias_rad_s)],
            "acc_offset_mg": [round(float(v) / GRAVITY_MPS2 * 1000, 1) for v in self.acc_offset_mps2],
            "acc_sensitivity_error_pct": [round(100 * (1 / float(v) - 1), 2) for v in self.acc_gain],
            "steady_s": round(self.steady_s, 1),
            "steady_orientations": self.orientations,
        }


def steady_candidate(acc_mps2: np.ndarray, gyr_rad_s: np.ndarray, fs_hz: float) -> np.ndarray:
    """(N,) bool: rate and specific force unchanging around each sample (before short
    stretches are dropped); a value depends on at most `steady_reach_samples` on either side."""
    window = max(2, int(round(STEADY_WINDOW_S * fs_hz)))

    def spread(x):
        mean = moving_mean(x, window, axis=0, mode="nearest")
        square = moving_mean(x * x, window, axis=0, mode="nearest")
        return np.sqrt(sum_rows(np.maximum(square - mean * mean, 0.0)))

    smooth = moving_mean(acc_mps2, max(1, int(round(0.05 * fs_hz))), axis=0, mode="nearest")
    return (spread(gyr_rad_s) < STEADY_GYRO_SPREAD_RAD_S) & (spread(smooth) < STEADY_ACC_SPREAD_MPS2)


def steady_reach_samples(fs_hz: float) -> int:
    """Samples on either side that a `steady_candidate` value depends on."""
    return max(2, int(round(STEADY_WINDOW_S * fs_hz))) // 2 + max(1, int(round(0.05 * fs_hz))) // 2 + 1


def estimate_correction(signals: SampleWindows, fs_hz: float, exclude: np.ndarray | None = None) -> SensorCorrection:
    """Estimate the corrections from the steady stretches of a recording: (N, 3) specific
    force and rate in sensor axes on a uniform grid at fs_hz, read window by window
    (`grid_signals.ArrayWindows(acc, gyr)` for arrays); `exclude` (N,) bool marks samples
    not to use (interpolated across long gaps)."""
    candidate = signals.map_chunks(lambda acc, gyr: steady_candidate(acc, gyr, fs_hz), steady_reach_samples(fs_hz))
    steady = drop_short_runs(candidate, int(round(STEADY_MIN_S * fs_hz)))
    if exclude is not None:
        steady &= ~np.asarray(exclude, bool)
    if not steady.any():
        return SensorCorrection()
    bias = np.array([np.median(signals.gather(steady, "gyr", axis), overwrite_input=True) for axis in range(3)])
    stretches = runs(steady)
    means = np.array([signals.window(a, b)[0].mean(axis=0) for a, b in stretches])
    weights = np.sqrt((stretches[:, 1] - stretches[:, 0]) / (STEADY_MIN_S * fs_hz))
    offset, error = fit_gravity_sphere(means, weights)
    return SensorCorrection(bias, offset, 1.0 + error, float(steady.sum() / fs_hz), _distinct_orientations(means))


def fit_gravity_sphere(means: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Accelerometer offset (3,) m/s^2 and sensitivity error (3,) (gain = 1 + error) that bring
    the (K, 3) mean specific forces of steady stretches to 1 g, regularised by the datasheet
    ranges; each stretch's misfit is weighted by `weights` (K,).

    Gauss-Newton on the K + 6 residuals (stretch sizes in units of STRETCH_SIGMA_MPS2, then
    the six parameters in units of their prior sigmas) with the Jacobian written out,
    halving a step that does not lower the sum of squares, until the step is below 1e-12:
    the minimiser MINPACK's Levenberg-Marquardt finds (within its tolerance of 1e-8 of the
    parameters), without importing SciPy's optimiser for a problem of six unknowns.
    """
    scale = np.concatenate([np.full(3, ACC_OFFSET_SIGMA_MPS2), np.full(3, ACC_SENSITIVITY_SIGMA)])

    def residuals_and_jacobian(x):
        offset, gain = x[:3], 1.0 + x[3:]
        centred = means - offset
        scaled = centred * gain
        size = np.linalg.norm(scaled, axis=1)
        direction = scaled / size[:, None]
        rows = (weights / STRETCH_SIGMA_MPS2)[:, None]
        jacobian = np.vstack([np.hstack([-rows * direction * gain, rows * direction * centred]), np.diag(1.0 / scale)])
        return np.concatenate([weights * (size - GRAVITY_MPS2) / STRETCH_SIGMA_MPS2, x / scale]), jacobian

    x = np.zeros(6)
    residual, jacobian = residuals_and_jacobian(x)
    for _ in range(100):
        step = np.linalg.lstsq(jacobian, -residual, rcond=None)[0]
        cost = residual @ residual
        for _ in range(30):
            trial, trial_jacobian = residuals_and_jacobian(x + step)
            if trial @ trial <= cost:
                break
            step = step / 2
        x = x + step
        residual, jacobian = trial, trial_jacobian
        if np.max(np.abs(step) / scale) < 1e-12:
            break
    return x[:3], x[3:]


def _distinct_orientations(means: np.ndarray, apart_deg: float = 20.0) -> int:
    units = means / np.linalg.norm(means, axis=1, keepdims=True)
    kept: list[np.ndarray] = []
    for u in units:
        if all(u @ k < np.cos(np.radians(apart_deg)) for k in kept):
            kept.append(u)
    return len(kept)
