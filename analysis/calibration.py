"""Mounting calibration: find the body axes in the sensor's own axes.

The sensor may be clipped in any orientation. Two physical facts fix the body frame
(x anterior, y left, z up, at quiet standing):

* gravity during quiet standing gives "up" (a still accelerometer reads +1 g upwards);
* forward bends rotate the pelvis/lumbar segment about the medio-lateral axis, so the
  principal axis of the angular rate during movement, made horizontal, is the flexion
  axis (Kong et al. 2016; Pacher et al. 2020, see research/biomechanics.md section 5.2).

The sign of the flexion axis is fixed by the asymmetry of human movement: forward
flexion reaches far larger angles than extension. `left = +y`, so that flexion is a
positive rotation about y; anterior = left x up.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .sensor_correction import SensorCorrection
from .stillness import runs


class CalibrationError(ValueError):
    """The recording does not allow a mounting calibration (reason in the message)."""


@dataclass(frozen=True)
class MountingCalibration:
    """Result of `calibrate_mounting`.

    Attributes:
        segment_from_sensor: (3, 3) rotation, v_segment = segment_from_sensor @ v_sensor.
        gyro_bias_rad_s: (3,) gyroscope bias in sensor axes, rad/s.
        gravity_spread_deg: RMS angle between per-stretch gravity directions of quiet
            standing and their mean, deg (how steady the stance pose was).
        planarity: share (0-1) of movement angular-rate energy about the flexion axis;
            low values mean the movements were not sagittal bends or the sensor is not
            on the back.
        quiet_s: total duration of quiet upright standing used, s.
        movement_s: duration of movement used for the flexion axis, s.
        sign_margin: how clearly flexion dominates extension (0-1).
        correction: sensor errors estimated from the recording and removed before
            everything else (`sensor_correction`); the other fields are in corrected units.
    """

    segment_from_sensor: np.ndarray
    gyro_bias_rad_s: np.ndarray
    gravity_spread_deg: float
    planarity: float
    quiet_s: float
    movement_s: float
    sign_margin: float
    correction: SensorCorrection = field(default_factory=SensorCorrection)

    def as_dict(self) -> dict:
        up = self.segment_from_sensor[2]
        return {
            "up_axis_in_sensor": [round(float(v), 4) for v in up],
            "left_axis_in_sensor": [round(float(v), 4) for v in self.segment_from_sensor[1]],
            "sensor_tilt_from_upright_deg": round(float(np.degrees(np.arccos(np.clip(up[2], -1, 1)))), 1),
            "gyro_bias_deg_s": [round(float(v), 3) for v in np.degrees(self.gyro_bias_rad_s)],
            "gravity_spread_deg": round(self.gravity_spread_deg, 2),
            "flexion_axis_planarity_pct": round(100.0 * self.planarity, 1),
            "quiet_standing_s": round(self.quiet_s, 1),
            "movement_s": round(self.movement_s, 1),
            "flexion_sign_margin": round(self.sign_margin, 2),
            "sensor_correction": self.correction.as_dict(),
        }


def upright_still_mask(acc_mps2: np.ndarray, still: np.ndarray, tolerance_deg: float) -> tuple[np.ndarray, np.ndarray]:
    """Still samples whose gravity direction is the stance pose, and that direction.

    People stand most of the time they are still; held bends are still too, but tilted.
    The stance direction is therefore the median direction of all still samples, refined
    by the samples within `tolerance_deg` of it.

    Returns:
        (mask (N,) bool, up (3,) unit vector in sensor axes).
    """
    if not still.any():
        raise CalibrationError("no quiet standing found: stand still for 3 s at the start of the recording")
    unit = acc_mps2[still] / np.linalg.norm(acc_mps2[still], axis=1, keepdims=True)
    up = _unit(np.median(unit, axis=0))
    for _ in range(3):
        close = unit @ up > np.cos(np.radians(tolerance_deg))
        if not close.any():
            break
        up = _unit(unit[close].mean(axis=0))
    mask = np.zeros(len(acc_mps2), bool)
    idx = np.flatnonzero(still)
    mask[idx[unit @ up > np.cos(np.radians(tolerance_deg))]] = True
    return mask, up


def calibrate_mounting(
    acc_mps2: np.ndarray,
    gyr_rad_s: np.ndarray,
    fs_hz: float,
    still: np.ndarray,
    upright_tolerance_deg: float = 10.0,
    min_quiet_s: float = 1.0,
    moving_rad_s: float = 0.35,
) -> MountingCalibration:
    """Estimate the mounting from quiet standing and the bends themselves.

    Args:
        acc_mps2: (N, 3) specific force in sensor axes, m/s^2.
        gyr_rad_s: (N, 3) angular rate in sensor axes, rad/s.
        fs_hz: uniform sample rate, Hz.
        still: (N,) bool from `stillness.still_mask`.

    Raises:
        CalibrationError: no quiet standing, or no movement to find the flexion axis.
    """
    upright, up = upright_still_mask(acc_mps2, still, upright_tolerance_deg)
    quiet_s = upright.sum() / fs_hz
    if quiet_s < min_quiet_s:
        raise CalibrationError(
            f"only {quiet_s:.1f} s of quiet standing found (need {min_quiet_s:.0f} s): stand still for 3 s at the start"
        )
    # Bias from every still sample: held bends are as still as standing.
    gyro_bias = np.median(gyr_rad_s[still], axis=0)
    gravity_spread = _stretch_spread_deg(acc_mps2, upright, up)

    rate = gyr_rad_s - gyro_bias
    moving = np.linalg.norm(rate, axis=1) > moving_rad_s
    movement_s = moving.sum() / fs_hz
    if movement_s < 0.5:
        raise CalibrationError(
            "no bends found to calibrate the flexion axis: the recording needs at least one forward bend"
        )
    horizontal = rate[moving] - np.outer(rate[moving] @ up, up)
    scatter = horizontal.T @ horizontal
    eigvals, eigvecs = np.linalg.eigh(scatter)
    left = _unit(eigvecs[:, -1] - (eigvecs[:, -1] @ up) * up)
    total_energy = float(np.sum(rate[moving] ** 2))
    planarity = float(np.sum((rate[moving] @ left) ** 2) / total_energy) if total_energy > 0 else 0.0

    sign, margin = _flexion_sign(rate @ left, upright, fs_hz)
    left = sign * left
    anterior = np.cross(left, up)
    segment_from_sensor = np.vstack([anterior, left, up])
    return MountingCalibration(
        segment_from_sensor=segment_from_sensor,
        gyro_bias_rad_s=gyro_bias,
        gravity_spread_deg=gravity_spread,
        planarity=planarity,
        quiet_s=float(quiet_s),
        movement_s=float(movement_s),
        sign_margin=margin,
    )


def _flexion_sign(pitch_rate_rad_s: np.ndarray, upright: np.ndarray, fs_hz: float) -> tuple[float, float]:
    """+1 if the pitch excursions away from upright standing are mostly positive.

    Each excursion is integrated from the upright stance before it (held poses inside
    it are part of the excursion); the sign is the vote of the extreme excursions
    weighted by their size.
    """
    moving_runs = runs(~upright)
    positive = negative = 0.0
    for start, stop in moving_runs:
        angle = np.cumsum(pitch_rate_rad_s[start:stop]) / fs_hz
        positive += max(angle.max(), 0.0)
        negative += max(-angle.min(), 0.0)
    total = positive + negative
    if total == 0:
        return 1.0, 0.0
    return (1.0 if positive >= negative else -1.0), abs(positive - negative) / total


def _stretch_spread_deg(acc_mps2: np.ndarray, upright: np.ndarray, up: np.ndarray) -> float:
    directions = [_unit(acc_mps2[a:b].mean(axis=0)) for a, b in runs(upright)]
    angles = np.degrees(np.arccos(np.clip(np.asarray(directions) @ up, -1.0, 1.0)))
    return float(np.sqrt(np.mean(angles**2)))


def _unit(v: np.ndarray) -> np.ndarray:
    return v / np.linalg.norm(v)


def rotation_angle_deg(a: np.ndarray, b: np.ndarray) -> float:
    """Angle of the rotation between two 3x3 rotation matrices, deg."""
    cos = (np.trace(a.T @ b) - 1.0) / 2.0
    return float(np.degrees(np.arccos(np.clip(cos, -1.0, 1.0))))
