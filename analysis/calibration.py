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
from .grid_signals import SampleWindows
from .shortcuts import norm_of, norm_rows
from .sensor_correction import SensorCorrection
from .stillness import runs

# Unit directions of the still samples are kept between the passes of the stance search up
# to this many bytes (24 a sample; 5 MB for an hour); beyond, they are computed per pass.
UNITS_KEPT_MAX = 64 * 2**20
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


def calibration_json(calibration: MountingCalibration) -> dict:
    """JSON-ready description of a successful calibration, as `AnalysisResult.calibration`
    holds it: "ok", `MountingCalibration.as_dict` and the segment_from_sensor matrix (3, 3)."""
    return {"ok": True, **calibration.as_dict(),
            "segment_from_sensor": np.round(calibration.segment_from_sensor, 6).tolist()}


def segment_signals(acc_mps2: np.ndarray, gyr_rad_s: np.ndarray,
                    calibration: MountingCalibration) -> tuple[np.ndarray, np.ndarray]:
    """Sensor-axis (K, 3) signals in segment axes: specific force m/s^2, bias-corrected rate rad/s.

    Row by row (no matrix product): the same numbers for any window of a recording, and
    no BLAS thread pool woken for a (K, 3) x (3, 3) product.
    """
    rotation = calibration.segment_from_sensor
    return _rotate_rows(acc_mps2, rotation), _rotate_rows(gyr_rad_s - calibration.gyro_bias_rad_s, rotation)


def upright_still_mask(signals: SampleWindows, still: np.ndarray, tolerance_deg: float,
                       walking_up: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Still samples whose gravity direction is the stance pose, and that direction.

    With `walking_up` (the mean specific-force direction while walking, (3,)), the stance
    is the still posture within `tolerance_deg` of the walking posture, or the walking
    posture itself when no still sample is near it. Without it, people are taken to stand
    most of the time they are still (held bends are still too, but tilted): the median
    direction of all still samples, refined by the samples within `tolerance_deg` of it.

    Args:
        signals: (N, 3) specific force (and rate) in sensor axes, by window (`grid_signals`).
        still: (N,) bool.

    Returns:
        (mask (N,) bool, up (3,) unit vector in sensor axes).
    """
    if not still.any():
        if walking_up is not None:
            return np.zeros(len(signals), bool), _unit(walking_up)
        raise CalibrationError("no quiet standing found: stand still for 3 s at the start of the recording")
    cos_tolerance = np.cos(np.radians(tolerance_deg))
    units = _MaskedUnits(signals, still)

    def near(up):
        out = np.zeros(len(signals), bool)
        for start, stop, keep, unit in units:
            out[start:stop][keep] = _dot_rows(unit, up) > cos_tolerance
        return out

    if walking_up is not None:
        up = _unit(walking_up)
        if not near(up).any():
            return np.zeros(len(signals), bool), up
    else:
        up = _unit(np.array([np.median(units.column(axis), overwrite_input=True) for axis in range(3)]))
    for _ in range(3):
        close = near(up)
        if not close.any():
            break
        total = sum((np.compress(close[start:stop][keep], unit, axis=0).sum(axis=0) for start, stop, keep, unit in units),
                    np.zeros(3))
        up = _unit(total / close.sum())
    return near(up), up


def calibrate_mounting(
    signals: SampleWindows,
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
        signals: (N, 3) specific force (m/s^2) and angular rate (rad/s) in sensor axes, read
            window by window (`grid_signals.ArrayWindows(acc, gyr)` for arrays), so that a
            day's recording is calibrated without (N, 3) intermediates.
        fs_hz: uniform sample rate, Hz.
        still: (N,) bool from `stillness.still_mask`.
        walking: (N,) bool, samples inside gait bouts (`gait.gait_mask`), or None.
        min_walking_s: less walking than this is not used for "up", s.

    Raises:
        CalibrationError: no quiet standing (nor walking), or no movement to find the flexion axis.
    """
    n = len(signals)
    walking = np.zeros(n, bool) if walking is None else np.asarray(walking, bool)
    walking_s = float(walking.sum() / fs_hz)
    walking_up = _unit(signals.gather(walking, "acc").mean(axis=0)) if walking_s >= min_walking_s else None
    upright, up = upright_still_mask(signals, still, upright_tolerance_deg, walking_up)
    quiet_s = upright.sum() / fs_hz
    if quiet_s < min_quiet_s and walking_up is None:
        raise CalibrationError(
            f"only {quiet_s:.1f} s of quiet standing found (need {min_quiet_s:.0f} s) and no walking: "
            "stand still for 3 s at the start"
        )
    # Bias from every still sample: held bends are as still as standing.
    gyro_bias = (np.array([np.median(signals.gather(still, "gyr", axis), overwrite_input=True) for axis in range(3)])
                 if still.any() else np.zeros(3))
    gravity_spread = _stretch_spread_deg(signals, upright, up) if upright.any() else 0.0

    moving = signals.map_chunks(lambda acc, gyr: norm_rows(gyr - gyro_bias) > moving_rad_s, 0) & ~walking
    movement_s = moving.sum() / fs_hz
    if movement_s < 0.5:
        raise CalibrationError(
            "no bends found to calibrate the flexion axis: the recording needs at least one forward bend"
            + (f" (it holds {walking_s:.0f} s of walking and no other movement)" if walking_s >= min_walking_s else "")
        )

    def moving_rates():
        """(rate, its part perpendicular to up) of the moving samples, chunk by chunk."""
        for start, stop, _, _, gyr in signals.chunks():
            rate = np.compress(moving[start:stop], gyr, axis=0) - gyro_bias
            yield rate, rate - np.outer(_dot_rows(rate, up), up)

    scatter = sum((horizontal.T @ horizontal for _, horizontal in moving_rates()), np.zeros((3, 3)))
    eigvals, eigvecs = np.linalg.eigh(scatter)
    left = _unit(eigvecs[:, -1] - (eigvecs[:, -1] @ up) * up)
    # Turning about the vertical is part of daily life, not a sign of a misplaced sensor:
    # planarity is the share of the *horizontal* rate energy about the flexion axis.
    total_energy = about_left = all_energy = 0.0
    for rate, horizontal in moving_rates():
        total_energy += float(np.sum(horizontal**2))
        about_left += float(np.sum(_dot_rows(horizontal, left) ** 2))
        all_energy += float(np.sum(rate**2))
    planarity = about_left / total_energy if total_energy > 0 else 0.0
    sagittal_share = about_left / all_energy if all_energy > 0 else 0.0

    rest = upright if upright.any() else ~moving
    radius_m, t_stat = centripetal_radius(signals, gyro_bias, fs_hz, up, left, rest | walking)
    sign, margin = _flexion_sign(signals, gyro_bias, left, rest, fs_hz)
    if abs(t_stat) >= MIN_CENTRIPETAL_T and abs(radius_m) >= MIN_CENTRIPETAL_RADIUS_M:
        agrees = np.sign(radius_m) == sign
        sign = float(np.sign(radius_m))
        margin = max(min(1.0, abs(t_stat) / (4 * MIN_CENTRIPETAL_T)), margin if agrees else 0.0)
    left = sign * left
    if walking_up is not None:
        # Standing is the still posture at or behind the walking posture (people lean
        # forward as they walk: 10-25 deg at L5 in the Mobilise-D lab data); still
        # postures tilted forward of it are held bends, leaning or sitting forward.
        standing = _standing_near_walking(signals, still, up, left)
        if standing.sum() / fs_hz >= min_quiet_s:
            up = _unit(signals.gather(standing, "acc").mean(axis=0))
            left = _unit(left - (left @ up) * up)
            cos_tolerance = np.cos(np.radians(upright_tolerance_deg))
            upright = _where_near(signals, standing, up, cos_tolerance)
            quiet_s = upright.sum() / fs_hz
            gravity_spread = _stretch_spread_deg(signals, upright, up)
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


def centripetal_radius(signals: SampleWindows, gyro_bias_rad_s: np.ndarray, fs_hz: float, up: np.ndarray,
                       left: np.ndarray, rest: np.ndarray, min_pitch_deg: float = 10.0) -> tuple[float, float]:
    """Anterior distance of the sagittal rotation centres from the sensor, and its t statistic.

    For each movement between rest samples that pitches at least `min_pitch_deg` about
    `left`, the anterior (left x up) specific force minus gravity at the gyro-integrated
    pitch, relative to its value at the movement's start, is regressed (through the origin)
    on the squared pitch rate (rate: gyro minus `gyro_bias_rad_s`). Returns (radius m, t);
    (NaN, 0) without such movements.
    """
    anterior = np.cross(left, up)
    squares, residuals = [], []
    head = max(1, int(round(0.1 * fs_hz)))
    for start, stop in runs(~rest):
        if stop - start < 0.5 * fs_hz:
            continue
        acc, gyr = signals.window(start, stop)
        pitch_rate = _dot_rows(gyr - gyro_bias_rad_s, left)
        pitch = np.concatenate(([0.0], np.cumsum(0.5 * (pitch_rate[1:] + pitch_rate[:-1])))) / fs_hz
        if np.degrees(np.max(np.abs(pitch))) < min_pitch_deg:
            continue
        residual = _dot_rows(acc, anterior) + GRAVITY_MPS2 * np.sin(pitch)
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


def _flexion_sign(signals: SampleWindows, gyro_bias_rad_s: np.ndarray, left: np.ndarray, upright: np.ndarray,
                  fs_hz: float) -> tuple[float, float]:
    """+1 if the pitch excursions (rate about `left`) away from upright standing are mostly positive.

    Each excursion is integrated from the upright stance before it (held poses inside
    it are part of the excursion); the sign is the vote of the extreme excursions
    weighted by their size.
    """
    positive = negative = 0.0
    for start, stop in runs(~upright):
        angle = np.cumsum(_dot_rows(signals.window(start, stop)[1] - gyro_bias_rad_s, left)) / fs_hz
        positive += max(angle.max(), 0.0)
        negative += max(-angle.min(), 0.0)
    total = positive + negative
    if total == 0:
        return 1.0, 0.0
    return (1.0 if positive >= negative else -1.0), abs(positive - negative) / total


def _unit_rows(v: np.ndarray) -> np.ndarray:
    return v / norm_rows(v)[:, None]


def _dot_rows(v: np.ndarray, u: np.ndarray) -> np.ndarray:
    """(K,) dot products of the rows of (K, 3) `v` with (3,) `u`, term by term (no BLAS)."""
    return v[:, 0] * u[0] + v[:, 1] * u[1] + v[:, 2] * u[2]


def _rotate_rows(v: np.ndarray, rotation: np.ndarray) -> np.ndarray:
    """(K, 3) rows of `v` rotated by the (3, 3) `rotation` (v @ rotation.T), term by term."""
    out = np.empty(np.shape(v))
    for row in range(3):
        out[:, row] = _dot_rows(v, rotation[row])
    return out


def _where_near(signals: SampleWindows, mask: np.ndarray, up: np.ndarray, cos_tolerance: float) -> np.ndarray:
    """(N,) bool: `mask` samples whose specific-force direction is within the tolerance of `up`."""
    out = np.zeros(len(signals), bool)
    for start, stop, keep, unit in _MaskedUnits(signals, mask):
        out[start:stop][keep] = _dot_rows(unit, up) > cos_tolerance
    return out


class _MaskedUnits:
    """The unit specific-force directions of the `mask` samples, chunk by chunk: (start,
    stop, keep, units) with keep = mask[start:stop] and units (keep.sum(), 3). Kept between
    passes up to UNITS_KEPT_MAX bytes, else computed again for every pass (a day's recording)."""

    def __init__(self, signals: SampleWindows, mask: np.ndarray):
        self.signals, self.mask = signals, mask
        fits = 24 * int(np.count_nonzero(mask)) <= UNITS_KEPT_MAX
        self.kept = list(self._computed()) if fits else None

    def _computed(self):
        for start, stop, _, acc, _ in self.signals.chunks():
            keep = self.mask[start:stop]
            yield start, stop, keep, _unit_rows(np.compress(keep, acc, axis=0))

    def __iter__(self):
        return iter(self.kept) if self.kept is not None else self._computed()

    def column(self, axis: int) -> np.ndarray:
        """(K,) one component of all the directions, in order (a new array)."""
        out, filled = np.empty(int(np.count_nonzero(self.mask))), 0
        for _, _, _, unit in self:
            out[filled:filled + len(unit)] = unit[:, axis]
            filled += len(unit)
        return out


def _standing_near_walking(signals: SampleWindows, still: np.ndarray, walking_up: np.ndarray, left: np.ndarray,
                           back_deg: float = 30.0, forward_deg: float = 3.0, side_deg: float = 10.0) -> np.ndarray:
    """(N,) bool: still samples tilted at most `back_deg` behind and `forward_deg` ahead of
    the walking posture, and at most `side_deg` sideways."""
    anterior = np.cross(left, walking_up)

    out = np.zeros(len(signals), bool)
    for start, stop, _, acc, _ in signals.chunks():
        keep = still[start:stop]
        unit = _unit_rows(np.compress(keep, acc, axis=0))
        pitch = np.degrees(np.arctan2(-_dot_rows(unit, anterior), _dot_rows(unit, walking_up)))
        side = np.degrees(np.arcsin(np.clip(_dot_rows(unit, left), -1.0, 1.0)))
        out[start:stop][keep] = (pitch >= -back_deg) & (pitch <= forward_deg) & (np.abs(side) <= side_deg)
    return out


def _stretch_spread_deg(signals: SampleWindows, upright: np.ndarray, up: np.ndarray) -> float:
    directions = [_unit(signals.window(a, b)[0].mean(axis=0)) for a, b in runs(upright)]
    angles = np.degrees(np.arccos(np.clip(np.asarray(directions) @ up, -1.0, 1.0)))
    return float(np.sqrt(np.mean(angles**2)))


def _unit(v: np.ndarray) -> np.ndarray:
    return v / norm_of(v)


def rotation_angle_deg(a: np.ndarray, b: np.ndarray) -> float:
    """Angle of the rotation between two 3x3 rotation matrices, deg."""
    cos = (np.trace(a.T @ b) - 1.0) / 2.0
    return float(np.degrees(np.arccos(np.clip(cos, -1.0, 1.0))))
