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

from .bend_table import BEND_COLUMNS, empty_bends
from .bend_verdict import MAX_LAG_S, lumbar_share_with_timing  # noqa: F401 - re-exported
from .bend_verdict import INDEX_FIELDS, candidate_span, judge_candidate
from .calibration import CalibrationError, calibrate_mounting, calibration_json, segment_signals
from .grid_signals import GridWindows, reach_samples
from .guided_calibration import calibrate_window
from .inverse_model import pose_grid
from .movement_kind import step_signal, steps_in, walking_from_steps
from .orientation import estimate_pitch_deg
from .params import AnalysisParams, params_for_placement
from .rate_check import gyro_to_gravity_ratio
from .resampling import estimate_sample_rate, find_gaps, grid_length, long_gap_mask
from .segmentation import rest_posture, segment_with_params
from .sensor_correction import estimate_correction
from .stillness import drop_short_runs, runs, settled_mask, still_candidate
from hinge.recordings.wording import count

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
        bends: one row per bend, index `bend_id` from 1, columns BEND_COLUMNS (schema,
            units and meanings: `bend_table.BEND_SCHEMA`); times in seconds on the input's
            own time axis; `reasons`/`quality_flags` are lists of str.
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


def _walking_bouts_summarised(dropped: list[tuple], time_at, walking: np.ndarray) -> list[tuple]:
    """The drop log with each gait bout as one entry ("walking, N s") in place of the small
    movements inside it; other reasons (turns, gait starts, standing up) stay.
    `time_at(k)`: the time of grid sample k, s."""
    bouts = [(time_at(a), time_at(b - 1)) for a, b in runs(walking)]
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
    t_s = np.asarray(t_s, float)
    acc_mps2, gyr_rad_s = np.asarray(acc_mps2, float), np.asarray(gyr_rad_s, float)
    n_grid = grid_length(t_s, fs_hz)
    gaps = find_gaps(t_s, fs_hz)
    gap_mask = long_gap_mask(t_s[0], fs_hz, n_grid, gaps, params.max_interp_gap_s)
    warnings: list[str] = []
    long_gaps = gaps[gaps["duration_s"] > params.max_interp_gap_s]
    if len(long_gaps):
        warnings.append(
            f"{count(len(long_gaps), 'gap')} longer than {params.max_interp_gap_s:.2f} s "
            f"(longest {long_gaps['duration_s'].max():.2f} s): bends overlapping them are flagged 'gap'"
        )

    first = 0
    guided_stop = None
    if calibration_window_s is not None:
        # Guided calibration: the analysis starts with the calibration stretch, and the
        # mounting comes from that stretch alone (the same samples the live view used).
        onset_s, duration_s = calibration_window_s
        first = int(np.clip(round((onset_s - t_s[0]) * fs_hz), 0, n_grid))
        guided_stop = int(np.clip(round(duration_s * fs_hz), 0, n_grid - first))
    n = n_grid - first
    gap_mask = gap_mask[first:]
    # The resampled recording, read a window at a time (`grid_signals`): no stage holds
    # more than a chunk of intermediates, so a day's recording fits in memory.
    signals = GridWindows(t_s, acc_mps2, gyr_rad_s, fs_hz, first, n)
    reach = reach_samples(fs_hz)
    saturated_grid = np.zeros(n, bool) if saturated is None else signals.flagged(saturated)

    # Steps are peaks of |specific force|, which sensor errors of a few per cent barely move.
    steps = steps_in(signals.map_chunks(lambda acc, gyr: step_signal(acc, fs_hz), reach, float), fs_hz,
                     params.step_prominence_mps2)
    walking = walking_from_steps(steps, n, fs_hz, params.gait_min_steps) & ~gap_mask
    try:
        # The sensor's own errors: from the guided stretch alone (as live), else the whole recording.
        if guided_stop is not None:
            calibration = calibrate_window(*signals.window(0, guided_stop), gap_mask[:guided_stop], fs_hz, params)
            correction = calibration.correction
        else:
            correction = estimate_correction(signals, fs_hz, exclude=gap_mask)
        corrected = signals.corrected(correction)
        # Still (centred windows, stretches of still_min_s) and, for segmentation, settled:
        # a tighter, backward-looking notion of still; a bend ends (and is judged live) as
        # soon as the sensor has been at rest for `settle_s`, not after 0.4 s of quiet standing.
        candidate, settled = np.empty(n, bool), np.empty(n, bool)
        for start, stop, lo, acc, gyr in corrected.chunks(reach):
            candidate[start:stop] = still_candidate(acc, gyr, fs_hz, params.still_gyro_rad_s,
                                                    params.still_acc_tolerance_mps2)[start - lo:stop - lo]
            settled[start:stop] = settled_mask(acc, gyr, fs_hz, params.still_gyro_rad_s, params.still_acc_tolerance_mps2,
                                               settle_s=params.settle_s)[start - lo:stop - lo]
        still = drop_short_runs(candidate, int(round(params.still_min_s * fs_hz))) & ~gap_mask
        del candidate
        if guided_stop is None:
            calibration = replace(calibrate_mounting(corrected, fs_hz, still, params.upright_tolerance_deg,
                                                     walking=walking), correction=correction)
    except CalibrationError as error:
        warnings.append(f"mounting calibration failed: {error}; no bends can be judged")
        bouts = _walking_bouts_summarised([], lambda k: float(signals.times(k, k + 1)[0]), walking)
        return AnalysisResult(empty_bends(), {"ok": False, "reason": str(error)}, warnings,
                              pd.DataFrame(bouts, columns=DROPPED_COLUMNS), fs_hz, params, signals.times(0, n), np.zeros(n))
    calibration_info = calibration_json(calibration)
    if guided_stop is not None:
        calibration_info["guided_window_s"] = [round(float(signals.times(0, 1)[0]), 6), round(guided_stop / fs_hz, 6)]
    if calibration.planarity < MIN_PLANARITY:
        warnings.append(
            f"only {100 * calibration.planarity:.0f}% of the movement is about one flexion axis "
            f"(expected >= {100 * MIN_PLANARITY:.0f}%): is the sensor on the lower back, and were there forward bends?"
        )
    ratio, n_changes = gyro_to_gravity_ratio(corrected, fs_hz, still)
    if n_changes >= MIN_RATE_CHECKS and not RATE_RATIO_OK[0] <= ratio <= RATE_RATIO_OK[1]:
        warnings.append(
            f"between still postures the gyroscope turns {ratio:.2f} times as far as gravity shows "
            f"({n_changes} posture changes): is the sample rate ({fs_hz:g} Hz) or the gyroscope unit wrong?")
    calibration_info["gyro_to_gravity_ratio"] = None if n_changes == 0 else round(ratio, 3)
    if calibration.sign_margin < MIN_SIGN_MARGIN:
        warnings.append("neither the centripetal acceleration nor the excursions tell forward from backward "
                        "clearly: the flexion direction is uncertain")

    segment = corrected.in_segment_axes(lambda acc, gyr: segment_signals(acc, gyr, calibration))
    pitch_deg = estimate_pitch_deg(segment, fs_hz, gain=params.ahrs_gain)
    # Segmentation needs a tighter notion of upright than calibration: a rounded back
    # can hold its deepest point with the pelvis tilted by only 5 deg.
    near_stance = rest_posture(pitch_deg, params.upright_pitch_deg)
    upright = settled & ~gap_mask & near_stance
    del settled
    candidates, dropped_samples = segment_with_params(pitch_deg, upright, still & near_stance, fs_hz,
                                                      params)
    model = pose_grid(params.height_m, params.placement)

    def time_at(k: int) -> float:
        return float(signals.times(k, k + 1)[0])

    rows, dropped = [], [(time_at(r.start), time_at(min(r.end, n - 1)), r.reason) for r in dropped_samples.itertuples()]
    for c in candidates.itertuples():
        if guided_stop is not None and c.end < guided_stop:
            dropped.append((time_at(c.start), time_at(c.end), CALIBRATION_HINGE))
            continue
        # Each bend is judged on its own stretch of the calibrated signals.
        lo, hi = candidate_span(c, fs_hz, params)
        local = c._replace(**{name: getattr(c, name) - lo for name in INDEX_FIELDS})
        row, drop = judge_candidate(local, signals.times(lo, hi), *segment.window(lo, hi), gap_mask[lo:hi],
                                    saturated_grid[lo:hi], fs_hz, params, model)
        if row is not None:
            rows.append(row)
        else:
            dropped.append(drop)
    dropped = _walking_bouts_summarised(dropped, time_at, walking)
    bends = pd.DataFrame(rows, columns=BEND_COLUMNS) if rows else empty_bends()
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
        t_s=signals.times(0, n),
        pitch_deg=pitch_deg,
    )
