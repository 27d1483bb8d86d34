"""Assemble a labelled session: quiet stance, movements, postural sway, sensor, truth table."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

from ._anthropometry import PLACEMENT_SEGMENT, make_body
from ._kinematics import Posture, forward_kinematics, segment_signals
from ._movements import CHANNELS, Movement, _timing, draw_movement
from ._sensor import degrade, draw_sensor_errors, lost_sample_mask, random_mounting

PLACEMENTS: tuple[str, ...] = tuple(PLACEMENT_SEGMENT)

# Soft-tissue artefact: pitch gain error (biomechanics.md §3.4).
_STA_GAIN_MAX = {"sacrum": 0.05, "L5": 0.10, "L4": 0.10, "L3": 0.10, "T12": 0.10}
# Quiet-stance sway, std per channel (model units): ~0.3° pelvic wobble, ~1 cm COM excursion.
_SWAY_STD = {
    "pelvis_rad": np.radians(0.3),
    "lumbar_rad": np.radians(0.2),
    "knee_rad": np.radians(0.3),
    "com_shift_m": 0.005,
    "lateral_m": 0.003,
    "roll_rad": np.radians(0.3),
}
_SWAY_N_SINES = 6
_SWAY_BAND_HZ = (0.05, 0.6)
_SKIN_JITTER_M = 0.01
# Skin slide along the spine per 90° of segment flexion (§3.4: ~1 cm).
_STA_SLIDE_MAX_M = 0.01


@dataclass(frozen=True)
class SessionSpec:
    """What to simulate. Counts are numbers of movements; times in s; ranges in g and °/s.

    ``ideal_sensor`` removes noise, bias, scale error, quantisation, clock drift, sample
    loss *and* the soft-tissue pitch-gain artefact, so signals are exact physics.
    ``postural_sway`` (extension) switches the quiet-stance sway on/off.
    ``sensor_error_scale`` multiplies the ranges of accelerometer and gyroscope bias and
    scale error (``gyro_bias_max_dps`` overrides the gyro bias range), ``habit`` draws the
    bends from other ranges (`HABITS`) and ``soft_tissue_scale`` multiplies the soft-tissue
    artefact, ``lumbar_level_shares`` how lumbar flexion spreads over L5S1 .. L1L2:
    perturbations of the model's own assumptions for robustness benchmarks.
    ``guided_calibration`` starts the session with the guided-calibration protocol of
    ``hinge live``: at least 4.5 s of quiet standing, then one slow hip hinge
    (:func:`calibration_hinge`, a truth row of kind "hip-led"), then the set.
    ``sensor_seed`` (None: ``seed``) draws what belongs to the sensor and its skin site
    rather than to the person and the movements: mounting, bias, scale, noise, lost
    samples and soft-tissue artefact, so two sensors on one person (`simulate_pair`) differ
    in them; the clock (rate error and origin) stays ``seed``'s, so both tick together.
    """

    n_bends: int = 10
    spine_led_fraction: float = 0.5
    n_squats: int = 1
    n_fidgets: int = 2
    n_weight_shifts: int = 1
    placement: str = "sacrum"
    fs_hz: float = 100.0
    height_m: float | None = None
    mounting: str | np.ndarray = "upright"
    seed: int = 0
    ideal_sensor: bool = False
    loss_rate: float = 0.002
    acc_range_g: float = 8.0
    gyro_range_dps: float = 2000.0
    postural_sway: bool = True
    guided_calibration: bool = False
    sensor_error_scale: float = 1.0
    gyro_bias_max_dps: float | None = None
    habit: str = "default"
    soft_tissue_scale: float = 1.0
    lumbar_level_shares: tuple | None = None
    sensor_seed: int | None = None


@dataclass(frozen=True)
class SimulatedSession:
    """A simulated recording plus ground truth.

    t_s: (N,) sensor clock, s, strictly increasing, gaps where samples were lost.
    acc_mps2: (N, 3) specific force in sensor axes, m/s^2.
    gyr_rad_s: (N, 3) angular rate in sensor axes, rad/s.
    truth: one row per movement (index ``event_id`` from 1); start_s/peak_s/end_s on the
        sensor clock (peak_s = when the peak posture is reached); angles in degrees;
        hip_shift_m = HJC x displacement at peak (negative = backwards);
        sensor_pitch_deg = pitch excursion of the sensor's segment at peak (no STA: what
        the vertebra did); skin_pitch_deg = the same for the skin at the sensor site, the
        soft-tissue pitch gain included (what a marker cluster on the skin there, or the
        sensor's own housing, would measure; equal to sensor_pitch_deg for an ideal sensor);
        pelvis_lag_s (extension) = how long pelvic rotation starts after the lumbar spine
        on the way down (negative = pelvis leads).
    sta_pitch_gain, clock_ppm: the drawn soft-tissue pitch gain and sensor clock error;
    meta: drawn skin slide, the Body and the movement plan (for studies; may change).
    sensor_from_segment: (3, 3) mounting rotation, v_sensor = M @ v_segment.
    """

    t_s: np.ndarray
    acc_mps2: np.ndarray
    gyr_rad_s: np.ndarray
    truth: pd.DataFrame
    sensor_from_segment: np.ndarray
    spec: SessionSpec
    height_m: float
    sta_pitch_gain: float = 1.0
    clock_ppm: float = 0.0
    meta: dict = field(default_factory=dict, repr=False)

    def to_csv(self, path) -> None:
        """Write ``time_s,acc_x,acc_y,acc_z,gyr_x,gyr_y,gyr_z`` (m/s^2, rad/s)."""
        data = np.column_stack([self.t_s, self.acc_mps2, self.gyr_rad_s])
        np.savetxt(
            Path(path),
            data,
            fmt=["%.6f"] + ["%.7f"] * 6,
            delimiter=",",
            header="time_s,acc_x,acc_y,acc_z,gyr_x,gyr_y,gyr_z",
            comments="",
        )


class _Plan:
    """Movements with onsets (true time, s) plus sway; evaluates a :class:`Posture` at any t."""

    def __init__(self, movements: list[Movement], onsets_s: np.ndarray, sway: dict | None):
        self.movements = movements
        self.onsets_s = np.asarray(onsets_s, float)
        self.sway = sway  # channel -> (amps, freqs_hz, phases)

    def __call__(self, t_s: np.ndarray, with_sway: bool = True) -> Posture:
        t_s = np.asarray(t_s, float)
        flat = t_s.ravel()
        order = None
        if flat.size > 1 and np.any(np.diff(flat) < 0):
            order = np.argsort(flat, kind="stable")
            flat = flat[order]
        ch = {c: np.zeros(flat.shape) for c in (*CHANNELS, "com_shift_m")}
        for mov, t0 in zip(self.movements, self.onsets_s):
            i0, i1 = np.searchsorted(flat, [t0, t0 + mov.duration_s])
            if i1 <= i0:
                continue
            for c, v in mov.evaluate(flat[i0:i1] - t0).items():
                ch[c][i0:i1] += v
        if with_sway and self.sway is not None:
            for c, (amps, freqs, phases) in self.sway.items():
                ch[c] += np.sin(2 * np.pi * np.outer(flat, freqs) + phases) @ amps
        if order is not None:
            for c in ch:
                out = np.empty_like(ch[c])
                out[order] = ch[c]
                ch[c] = out
        return Posture(**{c: v.reshape(t_s.shape) for c, v in ch.items()})


def calibration_hinge() -> Movement:
    """The slow hip hinge of the guided calibration: 2.5 s down to 55 deg of trunk
    inclination (lumbar share 0.2), 0.5 s hold, 2.5 s up."""
    rise, fall, peak, duration, lag = _timing(None, ("pelvis_rad", "knee_rad"), ("lumbar_rad",), 0.1,
                                              2.5, 0.5, 2.5, CHANNELS)
    return Movement(kind="hip-led", pelvis_deg=44.0, lumbar_deg=11.0, knee_deg=15.0, lateral_m=0.0, roll_deg=0.0,
                    rise_s=rise, fall_s=fall, peak_s=peak, duration_s=duration, pelvis_lag_s=-lag)


def _draw_sway(rng: np.random.Generator) -> dict:
    sway = {}
    for c, std in _SWAY_STD.items():
        freqs = rng.uniform(*_SWAY_BAND_HZ, _SWAY_N_SINES)
        phases = rng.uniform(0, 2 * np.pi, _SWAY_N_SINES)
        amps = np.full(_SWAY_N_SINES, std * np.sqrt(2.0 / _SWAY_N_SINES))
        sway[c] = (amps, freqs, phases)
    return sway


def simulate_session(spec: SessionSpec) -> SimulatedSession:
    """Simulate one labelled session described by ``spec`` (deterministic for a seed)."""
    if spec.placement not in PLACEMENTS:
        raise ValueError(f"body_model: placement {spec.placement!r} not in {PLACEMENTS}")
    streams = np.random.SeedSequence(spec.seed).spawn(7)
    rng_person, rng_plan, rng_sway, rng_err, rng_noise, rng_loss, rng_mount = (
        np.random.default_rng(s) for s in streams
    )
    height_m = float(spec.height_m) if spec.height_m is not None else float(rng_person.uniform(1.55, 1.95))
    body = make_body(height_m, rng_person.uniform(-_SKIN_JITTER_M, _SKIN_JITTER_M, 2), spec.lumbar_level_shares)
    sta_draw = rng_person.uniform(-1, 1)
    slide_draw = rng_person.uniform(-_STA_SLIDE_MAX_M, _STA_SLIDE_MAX_M)
    rng_sensor_err = rng_err
    if spec.sensor_seed is not None:
        rng_sensor_err, rng_noise, rng_loss, rng_mount, rng_skin = (
            np.random.default_rng(s) for s in np.random.SeedSequence(spec.sensor_seed).spawn(5))
        sta_draw = rng_skin.uniform(-1, 1)
        slide_draw = rng_skin.uniform(-_STA_SLIDE_MAX_M, _STA_SLIDE_MAX_M)
    sta_gain = 1.0 if spec.ideal_sensor else 1.0 + sta_draw * _STA_GAIN_MAX[spec.placement] * spec.soft_tissue_scale
    sta_slide_m = 0.0 if spec.ideal_sensor else slide_draw * spec.soft_tissue_scale

    # Movement plan in true time.
    n_spine = int(round(spec.n_bends * spec.spine_led_fraction))
    kinds = (
        ["spine-led"] * n_spine
        + ["hip-led"] * (spec.n_bends - n_spine)
        + ["squat"] * spec.n_squats
        + ["fidget"] * spec.n_fidgets
        + ["weight-shift"] * spec.n_weight_shifts
    )
    kinds = [kinds[i] for i in rng_plan.permutation(len(kinds))]
    movements = [draw_movement(k, rng_plan, spec.habit) for k in kinds]
    t = rng_plan.uniform(3.0, 5.0)
    if spec.guided_calibration:
        movements.insert(0, calibration_hinge())
        t += 1.5
    onsets = []
    for i, m in enumerate(movements):
        onsets.append(t)
        t += m.duration_s + (rng_plan.uniform(1.5, 4.0) if i < len(movements) - 1 else 0.0)
    total_s = t + rng_plan.uniform(2.0, 3.0)
    plan = _Plan(movements, np.array(onsets), _draw_sway(rng_sway) if spec.postural_sway else None)

    # Sampling instants: the sensor ticks at fs on its own clock, which runs (1 + ppm) fast.
    errors = draw_sensor_errors(rng_err, spec.sensor_error_scale, spec.gyro_bias_max_dps)
    if rng_sensor_err is not rng_err:
        errors = replace(draw_sensor_errors(rng_sensor_err, spec.sensor_error_scale, spec.gyro_bias_max_dps),
                         clock_ppm=errors.clock_ppm)
    clock_ppm = 0.0 if spec.ideal_sensor else errors.clock_ppm
    rate = 1.0 + clock_ppm * 1e-6
    n = int(np.floor(total_s * spec.fs_hz * rate)) + 1
    k = np.arange(n)
    t_true = k / (spec.fs_hz * rate)
    origin_s = round(1000.0 + float(rng_err.uniform(0.0, 1000.0)), 3)
    t_sensor = origin_s + k / spec.fs_hz

    acc_seg, gyr_seg = segment_signals(
        t_true, plan, body, spec.placement, True, sta_gain, skin_slide_m=sta_slide_m
    )

    if isinstance(spec.mounting, str):
        if spec.mounting == "upright":
            M = np.eye(3)
        elif spec.mounting == "random":
            M = random_mounting(rng_mount)
        else:
            raise ValueError(f"body_model: mounting {spec.mounting!r} (expected 'upright', 'random' or a 3x3 matrix)")
    else:
        M = np.asarray(spec.mounting, float)
        if M.shape != (3, 3):
            raise ValueError(f"body_model: mounting matrix shape {M.shape} (expected (3, 3))")
    acc = acc_seg @ M.T
    gyr = gyr_seg @ M.T

    if spec.ideal_sensor:
        keep = np.ones(n, bool)
    else:
        acc, gyr = degrade(acc, gyr, errors, spec.fs_hz, rng_noise, spec.acc_range_g, spec.gyro_range_dps)
        keep = lost_sample_mask(n, spec.loss_rate, rng_loss)

    truth = _truth_table(movements, np.array(onsets), plan, body, spec.placement, origin_s, rate, sta_gain)
    return SimulatedSession(
        t_s=t_sensor[keep],
        acc_mps2=acc[keep],
        gyr_rad_s=gyr[keep],
        truth=truth,
        sensor_from_segment=M,
        spec=spec,
        height_m=height_m,
        sta_pitch_gain=sta_gain,
        clock_ppm=clock_ppm,
        meta={"sta_slide_m": sta_slide_m, "body": body, "plan": plan, "clock_origin_s": origin_s, "n_generated": n},
    )


def _truth_table(movements, onsets, plan, body, placement, origin_s, rate, sta_gain=1.0) -> pd.DataFrame:
    t0 = onsets
    tp = onsets + np.array([m.peak_s for m in movements])
    te = onsets + np.array([m.duration_s for m in movements])
    seg_k = PLACEMENT_SEGMENT[placement]
    rows = []
    if len(movements):
        st0 = forward_kinematics(plan(t0), body, placement)
        stp = forward_kinematics(plan(tp), body, placement)
        hip_shift = stp.hip_x_m - st0.hip_x_m
        pitch = np.degrees(stp.segment_rad[seg_k] - st0.segment_rad[seg_k])
    for i, m in enumerate(movements):
        rows.append(
            {
                "start_s": origin_s + t0[i] * rate,
                "peak_s": origin_s + tp[i] * rate,
                "end_s": origin_s + te[i] * rate,
                "kind": m.kind,
                "is_bend": m.is_bend,
                "label": ("spine-led" if m.lumbar_share > 0.5 else "hip-led") if m.is_bend else None,
                "lumbar_share": m.lumbar_share,
                "trunk_deg": m.trunk_deg,
                "pelvis_deg": m.pelvis_deg,
                "lumbar_deg": m.lumbar_deg,
                "knee_deg": m.knee_deg,
                "hip_shift_m": float(hip_shift[i]),
                "sensor_pitch_deg": float(pitch[i]),
                # The skin pitches sta_gain times the segment (`_pose_3d`), so its excursion
                # from the pose before the movement is sta_gain times the segment's.
                "skin_pitch_deg": float(sta_gain * pitch[i]),
                "pelvis_lag_s": m.pelvis_lag_s,
            }
        )
    cols = ["start_s", "peak_s", "end_s", "kind", "is_bend", "label", "lumbar_share", "trunk_deg",
            "pelvis_deg", "lumbar_deg", "knee_deg", "hip_shift_m", "sensor_pitch_deg", "skin_pitch_deg", "pelvis_lag_s"]
    df = pd.DataFrame(rows, columns=cols, index=pd.RangeIndex(1, len(rows) + 1, name="event_id"))
    # Explicit dtypes so an empty table is typed the same as a full one.
    num = [c for c in cols if c not in ("kind", "is_bend", "label")]
    df[num] = df[num].astype(float)
    df["is_bend"] = df["is_bend"].astype(bool)
    # Keep None (not NaN) for non-bends so `label is None` works downstream.
    df["label"] = pd.Series([r["label"] for r in rows], index=df.index, dtype=object)
    return df
