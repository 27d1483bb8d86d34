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
from scipy.ndimage import uniform_filter1d
from scipy.optimize import least_squares

from .constants import GRAVITY_MPS2
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


def steady_mask(acc_mps2: np.ndarray, gyr_rad_s: np.ndarray, fs_hz: float) -> np.ndarray:
    """(N,) bool: samples inside steady stretches (rate and specific force unchanging)."""
    window = max(2, int(round(STEADY_WINDOW_S * fs_hz)))

    def spread(x):
        mean = uniform_filter1d(x, window, axis=0, mode="nearest")
        square = uniform_filter1d(x * x, window, axis=0, mode="nearest")
        return np.sqrt(np.maximum(square - mean * mean, 0.0).sum(axis=1))

    smooth = uniform_filter1d(acc_mps2, max(1, int(round(0.05 * fs_hz))), axis=0, mode="nearest")
    steady = (spread(gyr_rad_s) < STEADY_GYRO_SPREAD_RAD_S) & (spread(smooth) < STEADY_ACC_SPREAD_MPS2)
    return drop_short_runs(steady, int(round(STEADY_MIN_S * fs_hz)))


def estimate_correction(acc_mps2: np.ndarray, gyr_rad_s: np.ndarray, fs_hz: float,
                        exclude: np.ndarray | None = None) -> SensorCorrection:
    """Estimate the corrections from the steady stretches of a recording ((N, 3) arrays, uniform
    fs_hz); `exclude` (N,) bool marks samples not to use (interpolated across long gaps)."""
    steady = steady_mask(acc_mps2, gyr_rad_s, fs_hz)
    if exclude is not None:
        steady &= ~np.asarray(exclude, bool)
    if not steady.any():
        return SensorCorrection()
    bias = np.median(gyr_rad_s[steady], axis=0)
    stretches = runs(steady)
    means = np.array([acc_mps2[a:b].mean(axis=0) for a, b in stretches])
    weights = np.sqrt((stretches[:, 1] - stretches[:, 0]) / (STEADY_MIN_S * fs_hz))

    def residuals(x):
        offset, gain = x[:3], 1.0 + x[3:]
        size = np.linalg.norm((means - offset) * gain, axis=1)
        return np.concatenate([weights * (size - GRAVITY_MPS2) / STRETCH_SIGMA_MPS2,
                               offset / ACC_OFFSET_SIGMA_MPS2, x[3:] / ACC_SENSITIVITY_SIGMA])

    fit = least_squares(residuals, np.zeros(6), method="lm")
    return SensorCorrection(bias, fit.x[:3], 1.0 + fit.x[3:], float(steady.sum() / fs_hz),
                            _distinct_orientations(means))


def _distinct_orientations(means: np.ndarray, apart_deg: float = 20.0) -> int:
    units = means / np.linalg.norm(means, axis=1, keepdims=True)
    kept: list[np.ndarray] = []
    for u in units:
        if all(u @ k < np.cos(np.radians(apart_deg)) for k in kept):
            kept.append(u)
    return len(kept)
