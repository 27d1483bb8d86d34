"""Commodity IMU degradation (BMI270 / LSM6DS3 class, biomechanics.md §4) and mounting.

- Noise densities: accel 160 µg/√Hz, gyro 0.007 °/s/√Hz; white noise std = density·sqrt(fs/2).
- Constant biases: accel up to ±20 mg, gyro up to ±0.5 °/s per axis (uniform draws).
- Scale error up to ±1 % per axis.
- int16 quantisation at the configured full scale, clipped (saturated) at ±full scale.
- Sensor clock rate error up to ±50 ppm (BLE active clock, TI BLE5-Stack guide).
- Lost samples: single drops at ``loss_rate`` plus bursts of 2–20 consecutive samples
  starting at a tenth of that rate.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.spatial.transform import Rotation

from ..constants import GRAVITY_MPS2 as G0_MPS2  # one "g" of the accelerometer's range and noise specs

ACC_NOISE_UG_RT_HZ = 160.0
GYR_NOISE_DPS_RT_HZ = 0.007
ACC_BIAS_MAX_MG = 20.0
GYR_BIAS_MAX_DPS = 0.5
SCALE_ERR_MAX = 0.01
CLOCK_PPM_MAX = 50.0


def random_mounting(rng: np.random.Generator) -> np.ndarray:
    """Uniformly random ``sensor_from_segment`` rotation matrix (3, 3)."""
    return Rotation.random(random_state=rng).as_matrix()


@dataclass(frozen=True)
class SensorErrors:
    """Per-session sensor error draws. Biases in m/s^2 and rad/s, scales dimensionless."""

    acc_bias_mps2: np.ndarray
    gyr_bias_rad_s: np.ndarray
    acc_scale: np.ndarray
    gyr_scale: np.ndarray
    clock_ppm: float


def draw_sensor_errors(rng: np.random.Generator, scale: float = 1.0,
                       gyro_bias_max_dps: float | None = None) -> SensorErrors:
    """Uniform draws within the ranges above, each range times ``scale`` (0: a perfect
    sensor apart from noise); ``gyro_bias_max_dps`` replaces the gyro bias range."""
    u = rng.uniform
    gyro_bias = GYR_BIAS_MAX_DPS * scale if gyro_bias_max_dps is None else gyro_bias_max_dps
    return SensorErrors(
        acc_bias_mps2=u(-1, 1, 3) * ACC_BIAS_MAX_MG * scale * 1e-3 * G0_MPS2,
        gyr_bias_rad_s=np.radians(u(-1, 1, 3) * gyro_bias),
        acc_scale=1.0 + u(-1, 1, 3) * SCALE_ERR_MAX * scale,
        gyr_scale=1.0 + u(-1, 1, 3) * SCALE_ERR_MAX * scale,
        clock_ppm=float(u(-1, 1) * CLOCK_PPM_MAX),
    )


def quantise(x: np.ndarray, full_scale: float) -> np.ndarray:
    """int16 quantisation with saturation at ±``full_scale`` (same unit as ``x``)."""
    lsb = full_scale / 32768.0
    return np.clip(np.round(x / lsb), -32768, 32767) * lsb


def degrade(
    acc_mps2: np.ndarray,
    gyr_rad_s: np.ndarray,
    errors: SensorErrors,
    fs_hz: float,
    rng: np.random.Generator,
    acc_range_g: float = 8.0,
    gyr_range_dps: float = 2000.0,
) -> tuple[np.ndarray, np.ndarray]:
    """Apply scale, bias, white noise and int16 quantisation to (N, 3) sensor-axis signals."""
    n = acc_mps2.shape[0]
    acc_std = ACC_NOISE_UG_RT_HZ * 1e-6 * G0_MPS2 * np.sqrt(fs_hz / 2)
    gyr_std = np.radians(GYR_NOISE_DPS_RT_HZ) * np.sqrt(fs_hz / 2)
    acc = acc_mps2 * errors.acc_scale + errors.acc_bias_mps2 + rng.normal(0, acc_std, (n, 3))
    gyr = gyr_rad_s * errors.gyr_scale + errors.gyr_bias_rad_s + rng.normal(0, gyr_std, (n, 3))
    return quantise(acc, acc_range_g * G0_MPS2), quantise(gyr, np.radians(gyr_range_dps))


def lost_sample_mask(n: int, loss_rate: float, rng: np.random.Generator) -> np.ndarray:
    """Boolean (n,) mask, True where the sample is kept. Never drops the first/last sample."""
    keep = np.ones(n, bool)
    if loss_rate <= 0 or n < 3:
        return keep
    keep[rng.random(n) < loss_rate] = False
    starts = np.flatnonzero(rng.random(n) < loss_rate / 10)
    for s in starts:
        keep[s : s + rng.integers(2, 21)] = False
    keep[0] = keep[-1] = True
    return keep
