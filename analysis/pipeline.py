"""The offline pipeline: a lower-back IMU recording in, one verdict per bend out.

resample -> still detection -> mounting calibration -> orientation (Fusion) ->
segmentation -> per-bend strapdown features -> body-model inversion -> class and score.
Pure: arrays in, tables out; reading files and printing belong to the command line.

The per-bend part is `bend_verdict.judge_candidate`, which the streaming pipeline
(`streaming.StreamingAnalyser`, behind `hinge live`) calls too. A recording made with a
guided calibration ("stand still 3 s, then one slow hinge"; `hinge live` annotates the
stretch as ``calibration``) is analysed from that stretch on, with the mounting found
from it alone (`calibration_window_s`), so that the offline verdicts equal the live ones.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from .bend_verdict import MAX_LAG_S, judge_candidate, lumbar_share_with_timing  # noqa: F401
from .calibration import CalibrationError, MountingCalibration, calibrate_mounting
from .guided_calibration import calibrate_window
from .inverse_model import pose_grid
from .orientation import estimate_pitch_deg
from .params import AnalysisParams, params_for_placement
from .rate_check import gyro_to_gravity_ratio
from .resampling import estimate_sample_rate, resample_uniform
from .movement_kind import gait_mask
from .sensor_correction import estimate_correction
from .segmentation import rest_posture, segment_with_params
from .stillness import runs, settled_mask, still_mask

BEND_COLUMNS = [
    "start_s", "peak_s", "end_s", "label", "score", "lumbar_share", "depth_deg", "confidence",
    "sensor_pitch_deg", "hip_shift_m", "sensor_dx_m", "sensor_dz_m",
    "pitch_t50_fraction", "pelvic_lag_s", "peak_rate_deg_s", "reasons", "flags",
]
DROPPED_COLUMNS = ["start_s", "end_s", "reason"]
CALIBRATION_HINGE = "calibration hinge (guided calibration), not part of the set"

# Calibration quality limits; below them the verdicts are still given, with a warning.
MIN_PLANARITY = 0.8
MIN_SIGN_MARGIN = 0.3
# The gyro's angle between still postures over gravity's (`rate_check`): 1 when the sample
# rate and the gyro unit are right (0.99-1.00 in simulation); beyond this range, with at
# least this many posture changes, the recording is warned about.
RATE_RATIO_OK = (0.85, 1.18)
MIN_RATE_CHECKS = 3
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


def calibrated_signals(acc_mps2: np.ndarray, gyr_rad_s: np.ndarray,
                       calibration: MountingCalibration) -> tuple[np.ndarray, np.ndarray]:
    """Sensor-axis (K, 3) signals in segment axes: specific force m/s^2, bias-corrected rate rad/s."""
    rotation = calibration.segment_from_sensor
    return acc_mps2 @ rotation.T, (gyr_rad_s - calibration.gyro_bias_rad_s) @ rotation.T


def _empty_bends() -> pd.DataFrame:
    frame = pd.DataFrame(columns=BEND_COLUMNS)
    frame.index.name = "bend_id"
    return frame


def _walking_bouts_summarised(dropped: list[tuple], t_s: np.ndarray, walking: np.ndarray) -> list[tuple]:
    """The drop log with each gait bout as one entry ("walking, N s") in place of the small
    movements inside it; other reasons (turns, gait starts, standing up) stay."""
    bouts = [(float(t_s[a]), float(t_s[b - 1])) for a, b in runs(walking)]
    if not bouts:
        return dropped
    small = ("too small", "no bend shape", "side bend", "not a bend from standing")
    kept = [d for d in dropped
            if not (d[2].startswith(small) and any(s - 0.5 <= d[0] and d[1] <= e + 0.5 for s, e in bouts))]
    kept += [(s, e, f"walking, not a bend: {e - s:.1f} s of steps at a walking cadence") for s, e in bouts]
    return sorted(kept, key=lambda d: d[0])


def analyse(
    t_s: np.ndarray,
    acc_mps2: np.ndarray,
    gyr_rad_s: np.ndarray,
    fs_hz: float | None = None,
    placement: str = "sacrum",
    saturated: np.ndarray | None = None,
    params: AnalysisParams | None = None,
    calibration_window_s: tuple[float, float] | None = None,
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
        calibration_window_s: (onset, duration), s on the `t_s` axis, of a guided
            calibration ("stand still 3 s, then one slow hinge"): the analysis then
            starts there, takes the mounting from that stretch alone
            (`guided_calibration.calibrate_window`) and logs the hinge in it as dropped.
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

    first = 0
    guided_stop = None
    if calibration_window_s is not None:
        # Guided calibration: the analysis starts with the calibration stretch, and the
        # mounting comes from that stretch alone (the same samples the live view used).
        onset_s, duration_s = calibration_window_s
        first = int(np.clip(round((onset_s - grid.t_s[0]) * fs_hz), 0, len(grid.t_s)))
        guided_stop = int(np.clip(round(duration_s * fs_hz), 0, len(grid.t_s) - first))
        t_grid = grid.t_s[first:]
        acc, gyr, gap_mask, saturated_grid = acc[first:], gyr[first:], grid.gap_mask[first:], saturated_grid[first:]
    else:
        t_grid, gap_mask = grid.t_s, grid.gap_mask

    # Steps are peaks of |specific force|, which sensor errors of a few per cent barely move.
    walking = gait_mask(acc, fs_hz, params.step_prominence_mps2, params.gait_min_steps) & ~gap_mask
    try:
        # The sensor's own errors: from the guided stretch alone (as live), else the whole recording.
        if guided_stop is not None:
            calibration = calibrate_window(acc[:guided_stop], gyr[:guided_stop], gap_mask[:guided_stop], fs_hz, params)
            correction = calibration.correction
        else:
            correction = estimate_correction(acc, gyr, fs_hz, exclude=gap_mask)
        acc, gyr = correction.apply(acc, gyr)
        still = still_mask(acc, gyr, fs_hz, params.still_gyro_rad_s, params.still_acc_tolerance_mps2,
                           params.still_min_s) & ~gap_mask
        if guided_stop is None:
            calibration = replace(calibrate_mounting(acc, gyr, fs_hz, still, params.upright_tolerance_deg,
                                                     walking=walking), correction=correction)
    except CalibrationError as error:
        warnings.append(f"mounting calibration failed: {error}; no bends can be judged")
        return AnalysisResult(_empty_bends(), {"ok": False, "reason": str(error)}, warnings,
                              pd.DataFrame(_walking_bouts_summarised([], t_grid, walking), columns=DROPPED_COLUMNS),
                              fs_hz, params, t_grid,
                              np.zeros(len(t_grid)))
    calibration_info = {"ok": True, **calibration.as_dict(),
                        "segment_from_sensor": np.round(calibration.segment_from_sensor, 6).tolist()}
    if guided_stop is not None:
        calibration_info["guided_window_s"] = [round(float(t_grid[0]), 6), round(guided_stop / fs_hz, 6)]
    if calibration.planarity < MIN_PLANARITY:
        warnings.append(
            f"only {100 * calibration.planarity:.0f}% of the movement is about one flexion axis "
            f"(expected >= {100 * MIN_PLANARITY:.0f}%): is the sensor on the lower back, and were there forward bends?"
        )
    ratio, n_changes = gyro_to_gravity_ratio(acc, gyr, fs_hz, still)
    if n_changes >= MIN_RATE_CHECKS and not RATE_RATIO_OK[0] <= ratio <= RATE_RATIO_OK[1]:
        warnings.append(
            f"between still postures the gyroscope turns {ratio:.2f} times as far as gravity shows "
            f"({n_changes} posture changes): is the sample rate ({fs_hz:g} Hz) or the gyroscope unit wrong?")
    calibration_info["gyro_to_gravity_ratio"] = None if n_changes == 0 else round(ratio, 3)
    if calibration.sign_margin < MIN_SIGN_MARGIN:
        warnings.append("neither the centripetal acceleration nor the excursions tell forward from backward "
                        "clearly: the flexion direction is uncertain")

    acc_seg, gyr_seg = calibrated_signals(acc, gyr, calibration)
    pitch_deg = estimate_pitch_deg(acc_seg, gyr_seg, fs_hz, gain=params.ahrs_gain)
    # Segmentation needs a tighter notion of upright than calibration: a rounded back
    # can hold its deepest point with the pelvis tilted by only 5 deg. And a shorter,
    # backward-looking notion of still: a bend ends (and is judged live) as soon as the
    # sensor has been at rest for `settle_s`, not after 0.4 s of quiet standing.
    settled = settled_mask(acc, gyr, fs_hz, params.still_gyro_rad_s, params.still_acc_tolerance_mps2,
                           settle_s=params.settle_s)
    near_stance = rest_posture(pitch_deg, params.upright_pitch_deg)
    upright = settled & ~gap_mask & near_stance

    candidates, dropped_samples = segment_with_params(pitch_deg, upright, still & near_stance, fs_hz,
                                                      params)
    model = pose_grid(params.height_m, params.placement)
    rows, dropped = [], [
        (t_grid[r.start], t_grid[min(r.end, len(t_grid) - 1)], r.reason)
        for r in dropped_samples.itertuples()
    ]
    for c in candidates.itertuples():
        if guided_stop is not None and c.end < guided_stop:
            dropped.append((t_grid[c.start], t_grid[c.end], CALIBRATION_HINGE))
            continue
        row, drop = judge_candidate(c, t_grid, acc_seg, gyr_seg, gap_mask, saturated_grid, fs_hz, params, model)
        if row is not None:
            rows.append(row)
        else:
            dropped.append(drop)
    dropped = _walking_bouts_summarised(dropped, t_grid, walking)
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
        t_s=t_grid,
        pitch_deg=pitch_deg,
    )
