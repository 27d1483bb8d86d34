"""Mounting calibration: find the body axes in the sensor's own axes.

The sensor may be clipped in any orientation. Two physical facts fix the body frame
(x anterior, y left, z up, at quiet standing):

* gravity during quiet standing gives "up" (a still accelerometer reads +1 g upwards);
* forward bends rotate the pelvis/lumbar segment about the medio-lateral axis, so the
  principal axis of the angular rate during movement, made horizontal, is the flexion
  axis (Kong et al. 2016; Pacher et al. 2020, see research/biomechanics.md section 5.2).

Where the person walks (`gait.gait_mask`), "up" is the posture they walk in, refined by
the quiet standing near it: not the most frequent still posture, which may be a chair or a
bed. Gait is left out of the flexion axis (the pelvis rolls and turns while walking).

The sign of the flexion axis comes from the centripetal acceleration: every rotation
centre of a forward bend (hip joints, lumbar discs) lies anterior to a skin sensor on the
back, so in a sagittal rotation at rate w the accelerometer reads, after gravity, about
w^2 r towards the front (r: 0.1-0.6 m). Regressing the anterior specific force (minus
gravity from the gyro-integrated pitch) on w^2 gives r with its sign; the wrong sign
hypothesis gives -r. Only when that evidence is weak (slow movements) does the older
cue decide: forward flexion reaches far larger angles than extension. `left = +y`, so
that flexion is a positive rotation about y; anterior = left x up.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .constants import GRAVITY_MPS2
from .sensor_correction import SensorCorrection
from .stillness import runs

# The centripetal sign evidence decides when its t statistic exceeds this and the radius is
# one a body can have (the hip joints lie >= 0.1 m in front of a sacral skin sensor).
MIN_CENTRIPETAL_T = 5.0
MIN_CENTRIPETAL_RADIUS_M = 0.08


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
        planarity: share (0-1) of the horizontal angular-rate energy of movement (turns
            about the vertical left out, walking left out) about the flexion axis; low
            values mean the movements were not sagittal bends or the sensor is not on the back.
        quiet_s: total duration of quiet upright standing used, s.
        movement_s: duration of movement used for the flexion axis, s.
        sign_margin: how clearly the flexion direction is known (0-1): from the
            centripetal evidence when it decides, else how clearly flexion dominates extension.
        centripetal_radius_m: effective radius of the sagittal rotations, anterior of the
            sensor (> 0 when the sign is right), m; NaN without sagittal rotations.
        centripetal_t: its t statistic (|t| >= 5 decides the sign).
        walking_s: walking found in the recording (its posture is "up"), s.
        sagittal_share: share (0-1) of all angular-rate energy of movement about the
            flexion axis, turns included (a guided calibration hinge must be nearly all of it).
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
    centripetal_radius_m: float = float("nan")
    centripetal_t: float = 0.0
    walking_s: float = 0.0
    sagittal_share: float = 1.0

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
            "centripetal_radius_m": None if np.isnan(self.centripetal_radius_m) else round(self.centripetal_radius_m, 3),
            "centripetal_t": round(self.centripetal_t, 1),
            "walking_s": round(self.walking_s, 1),
            "sensor_correction": self.correction.as_dict(),
        }


def upright_still_mask(acc_mps2: np.ndarray, still: np.ndarray, tolerance_deg: float,
                       walking_up: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Still samples whose gravity direction is the stance pose, and that direction.

    With `walking_up` (the mean specific-force direction while walking, (3,)), the stance
    is the still posture within `tolerance_deg` of the walking posture, or the walking
    posture itself when no still sample is near it. Without it, people are taken to stand
    most of the time they are still (held bends are still too, but tilted): the median
    direction of all still samples, refined by the samples within `tolerance_deg` of it.

    Returns:
        (mask (N,) bool, up (3,) unit vector in sensor axes).
    """
    if not still.any():
        if walking_up is not None:
            return np.zeros(len(acc_mps2), bool), _unit(walking_up)
        raise CalibrationError("no quiet standing found: stand still for 3 s at the start of the recording")
    unit = acc_mps2[still] / np.linalg.norm(acc_mps2[still], axis=1, keepdims=True)
    if walking_up is not None:
        up = _unit(walking_up)
        if not np.any(unit @ up > np.cos(np.radians(tolerance_deg))):
            return np.zeros(len(acc_mps2), bool), up
    else:
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
    moving_rad_s: float = 0.15,
    walking: np.ndarray | None = None,
    min_walking_s: float = 3.0,
) -> MountingCalibration:
    """Estimate the mounting from quiet standing (or walking) and the bends themselves.

    Args:
        acc_mps2: (N, 3) specific force in sensor axes, m/s^2.
        gyr_rad_s: (N, 3) angular rate in sensor axes, rad/s.
        fs_hz: uniform sample rate, Hz.
        still: (N,) bool from `stillness.still_mask`.
        walking: (N,) bool, samples inside gait bouts (`gait.gait_mask`), or None.
        min_walking_s: less walking than this is not used for "up", s.

    Raises:
        CalibrationError: no quiet standing (nor walking), or no movement to find the flexion axis.
    """
    walking = np.zeros(len(acc_mps2), bool) if walking is None else np.asarray(walking, bool)
    walking_s = float(walking.sum() / fs_hz)
    walking_up = _unit(acc_mps2[walking].mean(axis=0)) if walking_s >= min_walking_s else None
    upright, up = upright_still_mask(acc_mps2, still, upright_tolerance_deg, walking_up)
    quiet_s = upright.sum() / fs_hz
    if quiet_s < min_quiet_s and walking_up is None:
        raise CalibrationError(
            f"only {quiet_s:.1f} s of quiet standing found (need {min_quiet_s:.0f} s) and no walking: "
            "stand still for 3 s at the start"
        )
    # Bias from every still sample: held bends are as still as standing.
    gyro_bias = np.median(gyr_rad_s[still], axis=0) if still.any() else np.zeros(3)
    gravity_spread = _stretch_spread_deg(acc_mps2, upright, up) if upright.any() else 0.0

    rate = gyr_rad_s - gyro_bias
    moving = (np.linalg.norm(rate, axis=1) > moving_rad_s) & ~walking
    movement_s = moving.sum() / fs_hz
    if movement_s < 0.5:
        raise CalibrationError(
            "no bends found to calibrate the flexion axis: the recording needs at least one forward bend"
            + (f" (it holds {walking_s:.0f} s of walking and no other movement)" if walking_s >= min_walking_s else "")
        )
    horizontal = rate[moving] - np.outer(rate[moving] @ up, up)
    scatter = horizontal.T @ horizontal
    eigvals, eigvecs = np.linalg.eigh(scatter)
    left = _unit(eigvecs[:, -1] - (eigvecs[:, -1] @ up) * up)
    # Turning about the vertical is part of daily life, not a sign of a misplaced sensor:
    # planarity is the share of the *horizontal* rate energy about the flexion axis.
    total_energy = float(np.sum(horizontal**2))
    about_left = float(np.sum((horizontal @ left) ** 2))
    planarity = about_left / total_energy if total_energy > 0 else 0.0
    all_energy = float(np.sum(rate[moving] ** 2))
    sagittal_share = about_left / all_energy if all_energy > 0 else 0.0

    rest = upright if upright.any() else ~moving
    radius_m, t_stat = centripetal_radius(acc_mps2, rate, fs_hz, up, left, rest | walking)
    sign, margin = _flexion_sign(rate @ left, rest, fs_hz)
    if abs(t_stat) >= MIN_CENTRIPETAL_T and abs(radius_m) >= MIN_CENTRIPETAL_RADIUS_M:
        agrees = np.sign(radius_m) == sign
        sign = float(np.sign(radius_m))
        margin = max(min(1.0, abs(t_stat) / (4 * MIN_CENTRIPETAL_T)), margin if agrees else 0.0)
    left = sign * left
    if walking_up is not None:
        # Standing is the still posture at or behind the walking posture (people lean
        # forward as they walk: 10-25 deg at L5 in the Mobilise-D lab data); still
        # postures tilted forward of it are held bends, leaning or sitting forward.
        standing = _standing_near_walking(acc_mps2, still, up, left)
        if standing.sum() / fs_hz >= min_quiet_s:
            up = _unit(acc_mps2[standing].mean(axis=0))
            left = _unit(left - (left @ up) * up)
            upright = standing & (_unit_rows(acc_mps2) @ up > np.cos(np.radians(upright_tolerance_deg)))
            quiet_s = upright.sum() / fs_hz
            gravity_spread = _stretch_spread_deg(acc_mps2, upright, up)
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
        centripetal_radius_m=float(sign * radius_m),
        centripetal_t=float(sign * t_stat),
        walking_s=walking_s,
        sagittal_share=sagittal_share,
    )


def centripetal_radius(acc_mps2: np.ndarray, rate_rad_s: np.ndarray, fs_hz: float, up: np.ndarray,
                       left: np.ndarray, rest: np.ndarray, min_pitch_deg: float = 10.0) -> tuple[float, float]:
    """Anterior distance of the sagittal rotation centres from the sensor, and its t statistic.

    For each movement between rest samples that pitches at least `min_pitch_deg` about
    `left`, the anterior (left x up) specific force minus gravity at the gyro-integrated
    pitch, relative to its value at the movement's start, is regressed (through the origin)
    on the squared pitch rate. Returns (radius m, t); (NaN, 0) without such movements.
    """
    anterior = np.cross(left, up)
    squares, residuals = [], []
    head = max(1, int(round(0.1 * fs_hz)))
    for start, stop in runs(~rest):
        if stop - start < 0.5 * fs_hz:
            continue
        pitch_rate = rate_rad_s[start:stop] @ left
        pitch = np.concatenate(([0.0], np.cumsum(0.5 * (pitch_rate[1:] + pitch_rate[:-1])))) / fs_hz
        if np.degrees(np.max(np.abs(pitch))) < min_pitch_deg:
            continue
        residual = acc_mps2[start:stop] @ anterior + GRAVITY_MPS2 * np.sin(pitch)
        residuals.append(residual - residual[:head].mean())
        squares.append(pitch_rate**2)
    if not squares:
        return float("nan"), 0.0
    x, y = np.concatenate(squares), np.concatenate(residuals)
    energy = float(x @ x)
    if energy <= 0:
        return float("nan"), 0.0
    radius = float(x @ y) / energy
    error = y - radius * x
    standard_error = np.sqrt(float(error @ error) / max(1, len(x) - 1) / energy)
    return radius, radius / standard_error if standard_error > 0 else 0.0


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


def _unit_rows(v: np.ndarray) -> np.ndarray:
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def _standing_near_walking(acc_mps2: np.ndarray, still: np.ndarray, walking_up: np.ndarray, left: np.ndarray,
                           back_deg: float = 30.0, forward_deg: float = 3.0, side_deg: float = 10.0) -> np.ndarray:
    """(N,) bool: still samples tilted at most `back_deg` behind and `forward_deg` ahead of
    the walking posture, and at most `side_deg` sideways."""
    unit = _unit_rows(acc_mps2)
    anterior = np.cross(left, walking_up)
    pitch = np.degrees(np.arctan2(-(unit @ anterior), unit @ walking_up))
    side = np.degrees(np.arcsin(np.clip(unit @ left, -1.0, 1.0)))
    return still & (pitch >= -back_deg) & (pitch <= forward_deg) & (np.abs(side) <= side_deg)


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
