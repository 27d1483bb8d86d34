"""Sagittal strapdown integration between two still stretches, drift-corrected.

Over one bend (a few seconds) the gyroscope is far more accurate than the
accelerometer-corrected AHRS, whose accelerometer feedback is biased by the linear
acceleration of the bend. So within a bend the pitch is the integrated angular rate,
anchored to the accelerometer's tilt in the still stretch before and corrected
linearly to the tilt in the still stretch after. The translation of the skin point is
the double integral of the gravity-free acceleration with zero velocity at both ends
(ZUPT): the linear velocity correction removes a constant world-frame error (the leak
of the tilt-anchor error, a constant accelerometer bias while the pitch is small).
A sensor-axis bias that rotates with the pelvis is not removed: from one time-symmetric
bend it cannot be told apart from a world-frame error (the end-displacement condition
then repeats the end-velocity one), so it remains the main translation error.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .shortcuts import mean_of
from .stillness import GRAVITY_MPS2


@dataclass(frozen=True)
class SagittalTrajectory:
    """Pitch and sagittal translation of the sensor over one window.

    Attributes:
        pitch_rad: (M,) segment pitch relative to the earth horizontal, rad (flexion > 0).
        anterior_m: (M,) forward displacement of the sensor from the window start, m.
        up_m: (M,) upward displacement from the window start, m.
        pitch_drift_rad: pitch disagreement at the window end corrected away, rad.
        velocity_drift_mps: (2,) velocity at the window end removed by ZUPT, m/s.
    """

    pitch_rad: np.ndarray
    anterior_m: np.ndarray
    up_m: np.ndarray
    pitch_drift_rad: float
    velocity_drift_mps: np.ndarray


def tilt_pitch_rad(acc_segment_mps2: np.ndarray) -> np.ndarray:
    """Pitch of a still segment from its specific force (M, 3) in segment axes, rad."""
    return np.arctan2(-acc_segment_mps2[..., 0], acc_segment_mps2[..., 2])


def integrate_window(
    acc_segment_mps2: np.ndarray,
    gyr_segment_rad_s: np.ndarray,
    fs_hz: float,
    anchor_samples: int,
    end_still: bool = True,
) -> SagittalTrajectory:
    """Integrate one window that starts and ends with `anchor_samples` still samples.

    With `end_still` False (the window does not end at rest: walking on, a gait start) the
    pitch is the gyro integral alone: an accelerometer tilt taken while the body moves
    is off by the linear acceleration (tens of degrees in gait), far more than a few
    seconds of bias-corrected gyro drift; and the translation is integrated forward from
    the still start without an end condition (good for the first seconds only).

    Args:
        acc_segment_mps2: (M, 3) specific force in segment axes, m/s^2.
        gyr_segment_rad_s: (M, 3) bias-corrected angular rate in segment axes, rad/s.
        fs_hz: uniform sample rate, Hz.
        anchor_samples: number of still samples at each end used as tilt anchors.
    """
    dt = 1.0 / fs_hz
    m = len(acc_segment_mps2)
    k = max(1, min(anchor_samples, m // 4))
    pitch_start = float(mean_of(tilt_pitch_rad(acc_segment_mps2[:k])))
    pitch_end = float(mean_of(tilt_pitch_rad(acc_segment_mps2[-k:])))
    rate = gyr_segment_rad_s[:, 1]
    # Trapezoidal integral so that a symmetric rate profile returns exactly to its start.
    increments = np.concatenate(([0.0], 0.5 * (rate[1:] + rate[:-1]) * dt))
    pitch = pitch_start + np.cumsum(increments)
    # Anchor: the mean over the end anchor should match the accelerometer tilt there.
    drift = float(mean_of(pitch[-k:]) - pitch_end) if end_still else 0.0
    ramp = np.linspace(0.0, 1.0, m)
    pitch = pitch - drift * ramp

    cos, sin = np.cos(pitch), np.sin(pitch)
    fx, fz = acc_segment_mps2[:, 0], acc_segment_mps2[:, 2]
    acc_world = np.column_stack([fx * cos + fz * sin, -fx * sin + fz * cos - GRAVITY_MPS2])
    velocity = np.cumsum(acc_world, axis=0) * dt
    velocity_drift = velocity[-1].copy() if end_still else np.zeros(2)
    velocity = velocity - np.outer(ramp, velocity_drift)
    position = np.cumsum(velocity, axis=0) * dt
    return SagittalTrajectory(
        pitch_rad=pitch,
        anterior_m=position[:, 0],
        up_m=position[:, 1],
        pitch_drift_rad=drift,
        velocity_drift_mps=velocity_drift,
    )
