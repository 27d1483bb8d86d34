"""Two sensors: the sacral one (or L5-L3) and one at T12, on one shared time base.

With a second IMU at T12/L1 lumbar flexion is measured, not inferred: it is the upper
sensor's pitch minus the lower one's. `analyse_pair` runs the one-sensor analysis on the
lower sensor (its verdicts stay as they are), calibrates each sensor's mounting on its
own, and adds per bend the measured angles, the lumbopelvic rhythm, which moved first,
and a class and score from the measured share, with the agreement of the one-sensor
verdict and the residual time offset between the sensors measured from shared motion.

Public API::

    analyse_pair(t_s, acc, gyr, upper_t_s, upper_acc, upper_gyr, placement=..., ...) -> PairResult
    pair_bend_verdict(bend, lower, upper, fs_hz, params, placement) -> PairBend   # one bend
    PairLiveJudge(fs_hz, placement): push_lower/push_upper/set_calibration_window/add_bend/ready()  # live
    PairFollower(analyser): push_lower/push_upper/take(events), beside a StreamingAnalyser  # live glue
    calibrate_sensor(t_s, acc, gyr, fs_hz, params, calibration_window_s) -> MountingCalibration
    agreement_summary(bends) -> dict
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from hinge.recordings.placements import UPPER_PLACEMENTS
from hinge.recordings.wording import count

from ..bend_table import BEND_COLUMNS, PAIR_BEND_COLUMNS, PAIR_BEND_SCHEMA, QUALITY_FLAGS_COLUMN
from ..bend_verdict import HIP_LED, SPINE_LED
from ..calibration import CalibrationError, calibration_json
from ..params import AnalysisParams, params_for_placement
from ..pipeline import AnalysisResult, analyse
from ..resampling import estimate_sample_rate
from ._bend import (MAX_BRIDGED_GAP_S, PAD_S, RHYTHM_COLUMNS, TWO_SENSOR_DECISION_SHARE, PairBend, PairedSensor, lower_lumbar_fraction,
                    pair_bend_verdict, two_sensor_lumbar_share)
from ._live import PairFollower, PairLiveJudge
from ._offset import MAX_OFFSET_S, session_offset_ms, window_lag_s
from ._sensor import calibrate_sensor, segment_window

__all__ = ["analyse_pair", "PairFollower", "PairLiveJudge", "PairResult", "PairInputError", "pair_bend_verdict", "PairBend", "PairedSensor",
           "calibrate_sensor", "agreement_summary", "two_sensor_lumbar_share", "RHYTHM_COLUMNS",
           "TWO_SENSOR_DECISION_SHARE", "MIN_OVERLAP_S", "lower_lumbar_fraction", "window_lag_s",
           "session_offset_ms", "MAX_OFFSET_S", "PAD_S", "UPPER_SATURATED_FLAG"]

# The quality flag of a bend in whose window the upper sensor clipped
# (`bend_table.QUALITY_FLAG_LEVELS`).
UPPER_SATURATED_FLAG = "upper-saturated"
# Shortest stretch both sensors must cover together: a calibration needs 3 s of standing
# and one bend, s.
MIN_OVERLAP_S = 5.0


# Bends whose measured lumbar share is above this do not time the sensors: the upper
# sensor's rate is then mostly the lumbar spine's, which may lead or lag the pelvis by
# 0.1-0.4 s (sessions of spine-led bends alone put the median lag off by -13 ms on
# average and by up to 53 ms; benchmarks/second_sensor.py).
OFFSET_MAX_SHARE = 0.35
# An offset from at least OFFSET_MIN_BENDS movements (one or two bends' timing is the
# movement's as much as the clocks') beyond this is warned about:
# four times the 5 ms the clock fit aims at, and beyond the measurement's own error (worst
# 5 ms over simulated sessions). It is not corrected: the measurement is no better than a
# clock fit that works, and lumbopelvic timing would leak into it.
OFFSET_WARN_MS = 20.0
OFFSET_MIN_BENDS = 3


class PairInputError(ValueError):
    """The two recordings cannot be analysed as a pair (reason in the one-line message)."""


@dataclass
class PairResult:
    """Everything `analyse_pair` found.

    Attributes:
        sacral: the one-sensor analysis of the lower sensor, exactly `pipeline.analyse`'s.
        bends: the sacral bends table (same index bend_id, times on the shared base) plus
            the `bend_table.PAIR_BEND_SCHEMA` columns (units and meanings there).
        rhythm: per bend_id, the lumbopelvic rhythm: RHYTHM_COLUMNS t_s (s, shared base),
            pelvic_deg, lumbar_deg (deg from standing) from the bend's start to its end.
        offset_ms: residual time offset of the upper sensor after the lower one measured
            from shared motion (median over the hip-dominated bends, measured share <=
            OFFSET_MAX_SHARE, and the calibration hinge), ms; NaN without any such bend;
            > 0: the upper sensor's stamps are late. Not corrected. From fewer than
            OFFSET_MIN_BENDS bends it is less sure (up to 8 ms off in simulation).
        offset_spread_ms: half the interquartile range of the per-bend offsets, ms.
        offset_n: number of movements the offset came from.
        agreement: `agreement_summary` of the bends (one sensor vs two).
        calibration_upper: JSON-ready mounting calibration of the upper sensor.
        warnings: one-line warnings about the pair (the sacral ones are in `sacral`).
        placement, upper_placement: the two sites.
    """

    sacral: AnalysisResult
    bends: pd.DataFrame
    rhythm: dict[int, pd.DataFrame] = field(repr=False)
    offset_ms: float
    offset_spread_ms: float
    offset_n: int
    agreement: dict
    calibration_upper: dict
    warnings: list[str]
    placement: str = "sacrum"
    upper_placement: str = "T12"


def agreement_summary(bends: pd.DataFrame) -> dict:
    """How often the one-sensor class equals the two-sensor one, JSON-ready.

    Returns:
        n_bends (with both classes), n_agreeing, share_agreeing (0-1, None without bends),
        n_one_sensor_uncertain (one-sensor "uncertain", left out), n_not_measured (no
        two-sensor class), confusion {"<one-sensor class> / <two-sensor class>": n}.
    """
    confusion = {f"{one} / {two}": 0 for one in (HIP_LED, SPINE_LED) for two in (HIP_LED, SPINE_LED)}
    n_uncertain = n_missing = 0
    for one, two in zip(bends.get("label", []), bends.get("two_sensor_label", [])):
        if two not in (HIP_LED, SPINE_LED):
            n_missing += 1
        elif one not in (HIP_LED, SPINE_LED):
            n_uncertain += 1
        else:
            confusion[f"{one} / {two}"] += 1
    n = sum(confusion.values())
    agreeing = confusion[f"{HIP_LED} / {HIP_LED}"] + confusion[f"{SPINE_LED} / {SPINE_LED}"]
    return {"n_bends": n, "n_agreeing": agreeing, "share_agreeing": round(agreeing / n, 3) if n else None,
            "n_one_sensor_uncertain": n_uncertain, "n_not_measured": n_missing, "confusion": confusion}


def _checked(name: str, t_s, acc_mps2, gyr_rad_s, saturated=None
             ) -> tuple[np.ndarray, np.ndarray, np.ndarray, int, np.ndarray | None]:
    """The sensor's arrays as float, samples with a non-finite value dropped (and counted),
    and its (N,) saturation flags for the samples kept (None stays None).

    Raises:
        PairInputError: shapes that do not fit, or times not increasing.
    """
    t_s = np.asarray(t_s, float)
    acc_mps2, gyr_rad_s = np.asarray(acc_mps2, float), np.asarray(gyr_rad_s, float)
    if t_s.ndim != 1 or acc_mps2.shape != (len(t_s), 3) or gyr_rad_s.shape != (len(t_s), 3):
        raise PairInputError(f"{name} sensor: times {t_s.shape}, acceleration {acc_mps2.shape} and rate "
                             f"{gyr_rad_s.shape} do not fit (expected (N,), (N, 3), (N, 3))")
    if saturated is not None:
        saturated = np.asarray(saturated, bool)
        if saturated.shape != t_s.shape:
            raise PairInputError(f"{name} sensor: saturation flags {saturated.shape} do not fit times {t_s.shape}")
    finite = np.isfinite(t_s) & np.isfinite(acc_mps2).all(axis=1) & np.isfinite(gyr_rad_s).all(axis=1)
    t_s, acc_mps2, gyr_rad_s = t_s[finite], acc_mps2[finite], gyr_rad_s[finite]
    if len(t_s) < 2:
        raise PairInputError(f"{name} sensor: {count(len(t_s), 'usable sample')} (need a recording)")
    if np.any(np.diff(t_s) <= 0):
        raise PairInputError(f"{name} sensor: sample times are not strictly increasing")
    return t_s, acc_mps2, gyr_rad_s, int((~finite).sum()), None if saturated is None else saturated[finite]


def analyse_pair(
    t_s: np.ndarray,
    acc_mps2: np.ndarray,
    gyr_rad_s: np.ndarray,
    upper_t_s: np.ndarray,
    upper_acc_mps2: np.ndarray,
    upper_gyr_rad_s: np.ndarray,
    *,
    placement: str = "sacrum",
    upper_placement: str = "T12",
    fs_hz: float | None = None,
    saturated: np.ndarray | None = None,
    params: AnalysisParams | None = None,
    calibration_window_s: tuple[float, float] | None = None,
    upper_saturated: np.ndarray | None = None,
) -> PairResult:
    """Analyse a recording of two sensors, a lower one (sacrum, L5-L3) and one at T12.

    Args:
        t_s, acc_mps2, gyr_rad_s: the lower sensor, as `pipeline.analyse` takes them: (N,)
            s, (N, 3) m/s^2, (N, 3) rad/s in its own axes (any mounting).
        upper_t_s, upper_acc_mps2, upper_gyr_rad_s: the upper sensor, (M,), (M, 3), (M, 3),
            times on the same time base as `t_s` (any mounting of its own).
        placement: the lower sensor's site; upper_placement: the upper one's (UPPER_PLACEMENTS).
        fs_hz, saturated, params, calibration_window_s: as `pipeline.analyse` (the guided
            calibration window calibrates both sensors, as live).
        upper_saturated: (M,) bool, the upper sensor's samples with a clipped channel
            (`ImuRecording.saturated`); bends whose window holds one get the quality flag
            "upper-saturated" and the pair a warning, as the lower sensor's get "saturated".

    Raises:
        PairInputError: arrays that do not fit, an unknown upper site, or sensors that do not
            overlap in time for MIN_OVERLAP_S.
    """
    if upper_placement not in UPPER_PLACEMENTS:
        raise PairInputError(f"upper sensor placement {upper_placement!r} is not one of {', '.join(UPPER_PLACEMENTS)}")
    t_s, acc_mps2, gyr_rad_s, dropped_lower, saturated = _checked("lower", t_s, acc_mps2, gyr_rad_s, saturated)
    upper_t_s, upper_acc_mps2, upper_gyr_rad_s, dropped_upper, upper_saturated = _checked(
        "upper", upper_t_s, upper_acc_mps2, upper_gyr_rad_s, upper_saturated)
    overlap_s = min(t_s[-1], upper_t_s[-1]) - max(t_s[0], upper_t_s[0])
    if overlap_s < MIN_OVERLAP_S:
        raise PairInputError(
            f"the sensors overlap in time for {max(overlap_s, 0.0):.1f} s (lower {t_s[0]:.1f}-{t_s[-1]:.1f} s, "
            f"upper {upper_t_s[0]:.1f}-{upper_t_s[-1]:.1f} s; need >= {MIN_OVERLAP_S:.0f} s on one time base)")
    params = params or params_for_placement(placement)
    fs_hz = float(fs_hz or estimate_sample_rate(t_s))
    sacral = analyse(t_s, acc_mps2, gyr_rad_s, fs_hz, placement, saturated, params, calibration_window_s)
    warnings = [f"{name} sensor: {count(n, 'sample')} with a non-finite value left out (treated as missing)"
                for name, n in (("lower", dropped_lower), ("upper", dropped_upper)) if n]
    bends = sacral.bends.copy()
    for name in PAIR_BEND_COLUMNS:
        bends[name] = pd.Series([np.nan] * len(bends), index=bends.index, dtype=object)
    rhythm: dict[int, pd.DataFrame] = {}
    calibrations = {}
    try:
        for name, arrays in (("lower", (t_s, acc_mps2, gyr_rad_s)),
                             ("upper", (upper_t_s, upper_acc_mps2, upper_gyr_rad_s))):
            calibrations[name] = calibrate_sensor(*arrays, fs_hz, params, calibration_window_s)
    except CalibrationError as error:
        warnings.append(f"{name} sensor: mounting calibration failed: {error}; no two-sensor verdicts")
        return PairResult(sacral, _typed(bends), rhythm, float("nan"), float("nan"), 0, agreement_summary(bends),
                          {"ok": False, "reason": str(error)}, warnings, placement, upper_placement)
    lower = PairedSensor(t_s, acc_mps2, gyr_rad_s, calibrations["lower"])
    upper = PairedSensor(upper_t_s, upper_acc_mps2, upper_gyr_rad_s, calibrations["upper"], upper_saturated)
    lags, notes, across_gaps, clipped = [], [], 0, 0
    for bend_id, row in bends.iterrows():
        verdict = pair_bend_verdict(row, lower, upper, fs_hz, params, placement)
        for name in PAIR_BEND_COLUMNS:
            bends.at[bend_id, name] = verdict.columns[name]
        if verdict.upper_saturated:
            bends.at[bend_id, QUALITY_FLAGS_COLUMN] = list(row[QUALITY_FLAGS_COLUMN]) + [UPPER_SATURATED_FLAG]
            clipped += 1
        if verdict.note:
            notes.append(f"bend {bend_id}: {verdict.note}")
        else:
            rhythm[int(bend_id)] = verdict.rhythm
        share = verdict.columns["measured_lumbar_share"]
        if share is not None and share <= OFFSET_MAX_SHARE:
            lags.append(verdict.lag_s)
        across_gaps += bool(verdict.gap_s > 0 and not verdict.note)
    if calibration_window_s is not None:
        lags.append(_window_lag(lower, upper, calibration_window_s, fs_hz, params))
    if notes:
        warnings.append(f"{count(len(notes), 'bend')} without a two-sensor verdict ({'; '.join(notes[:3])}"
                        + (", ..." if len(notes) > 3 else "") + ")")
    if clipped:
        warnings.append(f"upper sensor: saturated samples in {count(clipped, 'bend')}: those bends are flagged "
                        f"'{UPPER_SATURATED_FLAG}' (the measured lumbar angle may be off)")
    if across_gaps:
        warnings.append(f"{count(across_gaps, 'bend')} measured across missing samples (interpolated, at most "
                        f"{MAX_BRIDGED_GAP_S:.1f} s a bend)")
    offset_ms, spread_ms, n = session_offset_ms(lags)
    if n >= OFFSET_MIN_BENDS and abs(offset_ms) > OFFSET_WARN_MS:
        warnings.append(f"the upper sensor's motion appears {offset_ms:+.0f} ms (+-{spread_ms:.0f} ms, {n} bends) "
                        f"after the lower one's (expected within {OFFSET_WARN_MS:.0f} ms): the sensors' clocks "
                        "disagree; lumbar_lead_s is off by as much")
    return PairResult(sacral, _typed(bends), rhythm, offset_ms, spread_ms, n,
                      agreement_summary(bends), calibration_json(calibrations["upper"]), warnings, placement, upper_placement)


def _typed(bends: pd.DataFrame) -> pd.DataFrame:
    """The bends with the schema's column order, the pair's numbers as float64 (NaN when not
    measured); labels, reasons and the agreement (True/False/NaN) stay objects."""
    bends = bends[BEND_COLUMNS + PAIR_BEND_COLUMNS].copy()
    for column in PAIR_BEND_SCHEMA:
        if column.dtype == "float64" and column.name != "agrees_with_one_sensor":
            bends[column.name] = bends[column.name].astype(float)
    return bends


def _window_lag(lower: PairedSensor, upper: PairedSensor, window_s: tuple[float, float], fs_hz: float,
                params: AnalysisParams) -> float:
    """`window_lag_s` over the guided-calibration stretch (its hinge), s; NaN when not covered."""
    onset_s, duration_s = window_s
    first_s = max(onset_s, lower.t_s[0], upper.t_s[0])
    last_s = min(onset_s + duration_s, lower.t_s[-1], upper.t_s[-1])
    if last_s - first_s < 1.0:
        return float("nan")
    grid_s = first_s + np.arange(int(np.floor((last_s - first_s) * fs_hz)) + 1) / fs_hz
    _, gyr_l, _ = segment_window(lower.t_s, lower.acc_mps2, lower.gyr_rad_s, grid_s, lower.calibration,
                                 params.max_interp_gap_s)
    _, gyr_u, _ = segment_window(upper.t_s, upper.acc_mps2, upper.gyr_rad_s, grid_s, upper.calibration,
                                 params.max_interp_gap_s)
    return window_lag_s(gyr_l[:, 1], gyr_u[:, 1], fs_hz)

