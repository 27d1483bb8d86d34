"""The offline pipeline: a lower-back IMU recording in, one verdict per bend out.

resample -> still detection -> mounting calibration -> orientation (Fusion) ->
segmentation -> per-bend strapdown features -> body-model inversion -> class and score.
Pure: arrays in, tables out; reading files and printing belong to the command line.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .calibration import CalibrationError, calibrate_mounting
from .features import bend_features
from .inverse_model import invert_pose, pose_grid
from .orientation import estimate_orientation
from .params import AnalysisParams, params_for_placement
from .resampling import estimate_sample_rate, resample_uniform
from .scoring import score_bend
from .segmentation import segment_bends
from .stillness import runs, still_mask

BEND_COLUMNS = [
    "start_s", "peak_s", "end_s", "label", "score", "lumbar_share", "depth_deg", "confidence",
    "sensor_pitch_deg", "hip_shift_m", "sensor_dx_m", "sensor_dz_m",
    "pitch_t50_fraction", "pelvic_lag_s", "peak_rate_deg_s", "reasons", "flags",
]
DROPPED_COLUMNS = ["start_s", "end_s", "reason"]

# Pelvic lags beyond this are treated as this, s (a lag measures onset order, not depth).
MAX_LAG_S = 0.3
# Distance of the lumbar share from the decision threshold that counts as certain.
CONFIDENT_MARGIN = 0.15
# Calibration quality limits; below them the verdicts are still given, with a warning.
MIN_PLANARITY = 0.8
MIN_SIGN_MARGIN = 0.3
# Largest pitch excursion a segment can plausibly make at each site, deg.
MAX_PLAUSIBLE_PITCH_DEG = {"sacrum": 100.0, "L5": 110.0, "L4": 120.0, "L3": 130.0}


@dataclass
class AnalysisResult:
    """Everything `analyse` found.

    Attributes:
        bends: one row per bend, index `bend_id` from 1, columns BEND_COLUMNS; times in
            seconds on the input's own time axis; `reasons`/`flags` are lists of str.
        calibration: JSON-ready description of the mounting calibration (units in keys).
        warnings: one-line warnings about the recording.
        dropped: movements that were not bends, with the reason (DROPPED_COLUMNS).
        fs_hz: sample rate of the analysis grid, Hz.
        t_s, pitch_deg: (N,) the analysis time grid and the segment pitch over it, for plots.
    """

    bends: pd.DataFrame
    calibration: dict
    warnings: list[str]
    dropped: pd.DataFrame
    fs_hz: float
    params: AnalysisParams
    t_s: np.ndarray = field(repr=False, default_factory=lambda: np.empty(0))
    pitch_deg: np.ndarray = field(repr=False, default_factory=lambda: np.empty(0))


def lumbar_share_with_timing(model_share: float, pelvic_lag_s: float | None, params: AnalysisParams) -> float:
    """The body-model share, moved by the timing evidence of a lagging pelvis.

    A pelvis that starts tilting after the hips began to move back means the lumbar spine
    moved the trunk first. The weight (share per second of lag, lag clipped to +-0.3 s) is
    fitted on a simulated training cohort; with one sensor this is evidence, not a
    measurement, and healthy bends are somewhat lumbar-first early too (Esola 1996).
    """
    if pelvic_lag_s is None:
        return model_share
    lag = float(np.clip(pelvic_lag_s, -MAX_LAG_S, MAX_LAG_S))
    return float(np.clip(model_share + params.timing_weight_per_s * lag, 0.0, 1.0))


def _empty_bends() -> pd.DataFrame:
    frame = pd.DataFrame(columns=BEND_COLUMNS)
    frame.index.name = "bend_id"
    return frame


def analyse(
    t_s: np.ndarray,
    acc_mps2: np.ndarray,
    gyr_rad_s: np.ndarray,
    fs_hz: float | None = None,
    placement: str = "sacrum",
    saturated: np.ndarray | None = None,
    params: AnalysisParams | None = None,
) -> AnalysisResult:
    """Analyse one recording.

    Args:
        t_s: (N,) strictly increasing sample times, s, any origin; gaps allowed.
        acc_mps2: (N, 3) specific force in sensor axes, m/s^2.
        gyr_rad_s: (N, 3) angular rate in sensor axes, rad/s.
        fs_hz: sample rate, Hz; estimated from `t_s` when None.
        placement: skin site of the sensor (sacrum, L5, L4, L3).
        saturated: (N,) bool, samples with a clipped channel.
        params: settings; the placement preset when None.
    """
    params = params or params_for_placement(placement)
    fs_hz = float(fs_hz or estimate_sample_rate(t_s))
    values = np.column_stack([acc_mps2, gyr_rad_s])
    if saturated is not None:
        values = np.column_stack([values, np.asarray(saturated, float)])
    grid = resample_uniform(t_s, values, fs_hz, max_interp_gap_s=params.max_interp_gap_s)
    acc, gyr = grid.values[:, :3], grid.values[:, 3:6]
    saturated_grid = grid.values[:, 6] > 0 if saturated is not None else np.zeros(len(grid.t_s), bool)
    warnings: list[str] = []
    long_gaps = grid.gaps[grid.gaps["duration_s"] > params.max_interp_gap_s]
    if len(long_gaps):
        warnings.append(
            f"{len(long_gaps)} gap(s) longer than {params.max_interp_gap_s:.2f} s "
            f"(longest {long_gaps['duration_s'].max():.2f} s): bends overlapping them are flagged 'gap'"
        )

    still = still_mask(
        acc, gyr, fs_hz, params.still_gyro_rad_s, params.still_acc_tolerance_mps2, params.still_min_s
    ) & ~grid.gap_mask
    try:
        calibration = calibrate_mounting(acc, gyr, fs_hz, still, params.upright_tolerance_deg)
    except CalibrationError as error:
        warnings.append(f"mounting calibration failed: {error}; no bends can be judged")
        return AnalysisResult(_empty_bends(), {"ok": False, "reason": str(error)}, warnings,
                              pd.DataFrame(columns=DROPPED_COLUMNS), fs_hz, params, grid.t_s,
                              np.zeros(len(grid.t_s)))
    calibration_info = {"ok": True, **calibration.as_dict(),
                        "segment_from_sensor": np.round(calibration.segment_from_sensor, 6).tolist()}
    if calibration.planarity < MIN_PLANARITY:
        warnings.append(
            f"only {100 * calibration.planarity:.0f}% of the movement is about one flexion axis "
            f"(expected >= {100 * MIN_PLANARITY:.0f}%): is the sensor on the lower back, and were there forward bends?"
        )
    if calibration.sign_margin < MIN_SIGN_MARGIN:
        warnings.append("forward and backward excursions were similar: the flexion direction is uncertain")

    rotation = calibration.segment_from_sensor
    acc_seg = acc @ rotation.T
    gyr_seg = (gyr - calibration.gyro_bias_rad_s) @ rotation.T
    orientation = estimate_orientation(acc_seg, gyr_seg, fs_hz, gain=params.ahrs_gain)
    # Segmentation needs a tighter notion of upright than calibration: a rounded back
    # can hold its deepest point with the pelvis tilted by only 5 deg.
    upright = still & (np.abs(orientation.pitch_deg) < params.upright_pitch_deg)

    candidates, dropped_samples = segment_bends(orientation.pitch_deg, upright, fs_hz)
    anchor = max(1, int(round(0.3 * fs_hz)))
    model = pose_grid(params.height_m, params.placement)
    rows, dropped = [], [
        (grid.t_s[r.start], grid.t_s[min(r.end, len(grid.t_s) - 1)], r.reason)
        for r in dropped_samples.itertuples()
    ]
    bad = grid.gap_mask | saturated_grid
    for c in candidates.itertuples():
        anchored = bool(c.anchored_before and c.anchored_after)
        feats = bend_features(acc_seg, gyr_seg, fs_hz, (c.window_start, c.window_stop),
                              c.start, c.peak, c.end, anchored, anchor)
        if not anchored or bad[c.window_start:c.window_stop].any():
            # Translation needs still ends and clean samples; without it only pitch is used.
            dx = dz = None
        else:
            dx, dz = feats["sensor_dx_m"], feats["sensor_dz_m"]
        hip_back_m = -dx if dx is not None else 0.0
        if feats["sensor_pitch_deg"] < params.min_bend_deg and hip_back_m < params.min_hip_back_m:
            dropped.append((grid.t_s[c.start], grid.t_s[min(c.end, len(grid.t_s) - 1)],
                            f"too small to be a bend: pitch {feats['sensor_pitch_deg']:.1f} deg < {params.min_bend_deg:.1f} deg "
                            f"and hips {100 * hip_back_m:.0f} cm back < {100 * params.min_hip_back_m:.0f} cm"))
            continue
        pose = invert_pose(feats["sensor_pitch_deg"], dx, dz, model, params.spine_led_share)
        start_s, end_s = grid.t_s[c.start], grid.t_s[min(c.end, len(grid.t_s) - 1)]
        if dz is not None and dz < -params.squat_drop_m:
            dropped.append((start_s, end_s, f"squat, not a bend: hips dropped {100 * -dz:.0f} cm "
                                            f"(a hinge drops them < {100 * params.squat_drop_m:.0f} cm)"))
            continue
        flags = []
        if grid.gap_mask[c.window_start:c.window_stop].any():
            flags.append("gap")
        if saturated_grid[c.window_start:c.window_stop].any():
            flags.append("saturated")
        if dx is None:
            flags.append("pitch-only")
        share = lumbar_share_with_timing(pose.lumbar_share, feats["pelvic_lag_s"] if dx is not None else None, params)
        label = "spine-led" if share > params.decision_share else "hip-led"
        margin = abs(share - params.decision_share)
        score = score_bend(share, pose.hip_shift_m if dx is not None else None,
                           feats["judder_count"], feats["peak_rate_deg_s"],
                           feats["pelvic_lag_s"] if dx is not None else None)
        rows.append({
            "start_s": start_s, "peak_s": grid.t_s[c.peak], "end_s": end_s, "label": label,
            "score": round(score.points, 1), "lumbar_share": round(share, 3),
            "depth_deg": round(pose.trunk_deg, 1), "confidence": round(min(1.0, margin / CONFIDENT_MARGIN), 3),
            "sensor_pitch_deg": round(feats["sensor_pitch_deg"], 1),
            "hip_shift_m": round(pose.hip_shift_m, 3), "sensor_dx_m": dx, "sensor_dz_m": dz,
            "pitch_t50_fraction": round(feats["pitch_t50_fraction"], 3),
            "pelvic_lag_s": None if dx is None else round(feats["pelvic_lag_s"], 3),
            "peak_rate_deg_s": round(feats["peak_rate_deg_s"], 1),
            "reasons": list(score.reasons), "flags": flags,
        })
    bends = pd.DataFrame(rows, columns=BEND_COLUMNS) if rows else _empty_bends()
    bends.index = pd.RangeIndex(1, len(bends) + 1, name="bend_id")
    if len(bends) and bends["sensor_pitch_deg"].max() > MAX_PLAUSIBLE_PITCH_DEG[params.placement]:
        warnings.append(
            f"pitch excursions up to {bends['sensor_pitch_deg'].max():.0f} deg exceed what the "
            f"{params.placement} makes (<= {MAX_PLAUSIBLE_PITCH_DEG[params.placement]:.0f} deg): "
            "is the sensor higher on the back than --placement says?"
        )
    if saturated_grid.any():
        warnings.append(f"saturated samples in {len(runs(saturated_grid))} stretch(es): affected bends are flagged 'saturated'")
    return AnalysisResult(
        bends=bends,
        calibration=calibration_info,
        warnings=warnings,
        dropped=pd.DataFrame(dropped, columns=DROPPED_COLUMNS),
        fs_hz=fs_hz,
        params=params,
        t_s=grid.t_s,
        pitch_deg=orientation.pitch_deg,
    )
