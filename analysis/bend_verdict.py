"""One bend candidate in, one verdict (or a drop-log entry) out: shared by the offline
pipeline (`pipeline.analyse`) and the streaming one (`streaming.StreamingAnalyser`).

Everything here depends only on the samples of the candidate's own window, so a
verdict given live, as soon as the bend has returned to upright standing, equals the
one the offline pipeline gives on the whole recording.
"""
from __future__ import annotations

import numpy as np

from .features import bend_features
from .inverse_model import PoseGrid, invert_pose
from .movement_kind import not_a_bend
from .params import AnalysisParams
from .scoring import score_bend

# The classes a bend can get. UNCERTAIN: the evidence does not separate hip-led from
# spine-led (the estimated share is too close to the boundary for what was measured).
HIP_LED, SPINE_LED, UNCERTAIN = "hip-led", "spine-led", "uncertain"
# Pelvic lags beyond this are treated as this, s (a lag measures onset order, not depth).
MAX_LAG_S = 0.3
# Confidence 0-1: distance of the lumbar share from the decision threshold over twice the
# uncertain band, capped at 1; a bend is "uncertain" exactly when its confidence is below this.
UNCERTAIN_BELOW_CONFIDENCE = 0.5
# Still time at both ends of a bend window used as anchors for the strapdown integration, s.
ANCHOR_S = 0.3


def lumbar_share_with_timing(model_share: float, pelvic_lag_s: float | None, params: AnalysisParams) -> float:
    """The body-model share, moved by the timing evidence of a lagging pelvis.

    A pelvis that starts tilting after the hips began to move back means the lumbar spine
    moved the trunk first. The weight (share per second of lag, lag clipped to +-0.3 s) is
    fitted on a simulated training cohort; with one sensor this is evidence, not a
    measurement, and healthy bends are somewhat lumbar-first early too (Esola 1996).
    """
    if pelvic_lag_s is None:
        return model_share
    lag = min(max(float(pelvic_lag_s), -MAX_LAG_S), MAX_LAG_S)  # np.clip's numbers, without its overhead
    return min(max(model_share + params.timing_weight_per_s * lag, 0.0), 1.0)


def confidence(margin: float, pitch_only: bool, params: AnalysisParams) -> float:
    """0-1: how far the share lies from the class boundary, in units of twice the uncertain
    band (wider when only the pitch was measured: the translation that separates a hinge
    from a rounded back at equal pitch is missing)."""
    band = params.uncertain_band_pitch_only if pitch_only else params.uncertain_band
    return min(1.0, margin / (2.0 * band))


def class_of(share: float, margin: float, pitch_only: bool, params: AnalysisParams) -> str:
    """hip-led, spine-led, or uncertain when the confidence is below UNCERTAIN_BELOW_CONFIDENCE."""
    if confidence(margin, pitch_only, params) < UNCERTAIN_BELOW_CONFIDENCE:
        return UNCERTAIN
    return SPINE_LED if share > params.decision_share else HIP_LED


# Candidate fields that are sample indices (shifted together when a window is cut out).
INDEX_FIELDS = ("window_start", "window_stop", "start", "peak", "end", "movement_start", "movement_stop")


def candidate_span(candidate, fs_hz: float, params: AnalysisParams) -> tuple[int, int]:
    """[first, stop) samples `judge_candidate` reads: the candidate's window and, for what the
    person did around the excursion, its movement up to `gait_margin_s` beyond onset and return."""
    c = candidate
    margin = int(params.gait_margin_s * fs_hz)
    return (min(c.window_start, max(c.movement_start, c.start - margin)),
            max(c.window_stop, min(c.movement_stop, c.end + 1 + margin)))


def judge_candidate(
    candidate,
    t_s: np.ndarray,
    acc_seg_mps2: np.ndarray,
    gyr_seg_rad_s: np.ndarray,
    gap_mask: np.ndarray,
    saturated: np.ndarray,
    fs_hz: float,
    params: AnalysisParams,
    model: PoseGrid,
    provisional: bool = False,
) -> tuple[dict | None, tuple | None]:
    """Verdict of one segmentation candidate.

    Args:
        candidate: a row of `segmentation.segment_bends` (attributes window_start,
            window_stop, start, peak, end, anchored_before, anchored_after), sample
            indices into the arrays below.
        t_s: (N,) uniform grid times, s; the arrays may be any stretch of the recording
            holding `candidate_span` (indices relative to its start).
        acc_seg_mps2, gyr_seg_rad_s: (N, 3) calibrated signals in segment axes (m/s^2,
            bias-corrected rad/s).
        gap_mask, saturated: (N,) bool, grid samples inside long gaps / with a clipped channel.
        model: `inverse_model.pose_grid` for the params' height and placement.
        provisional: the window ends at the return to upright, taken as still before the
            body has settled (the live provisional verdict): the height gained is not
            judged (the hips may still be moving; the final verdict judges it).

    Returns:
        (row, None) with the bend-table fields (bend_table.BEND_COLUMNS), or
        (None, (start_s, end_s, reason)) for a movement that is not a bend.
    """
    c = candidate
    n = len(t_s)
    anchor = max(1, int(round(ANCHOR_S * fs_hz)))
    anchored = bool(c.anchored_before and c.anchored_after)
    feats = bend_features(acc_seg_mps2, gyr_seg_rad_s, fs_hz, (c.window_start, c.window_stop),
                          c.start, c.peak, c.end, anchored, anchor,
                          end_still=bool(c.anchored_after), start_still=bool(c.anchored_before))
    # A bend is measured from the stance, not from where its window starts (the low point
    # of an extension, or the return of the bend before it).
    feats["sensor_pitch_deg"] += c.window_pitch_deg
    feats["pitch_trace_deg"] = feats["pitch_trace_deg"] + c.window_pitch_deg
    window = slice(c.window_start, c.window_stop)
    bad = gap_mask[window].any() or saturated[window].any()
    if not anchored or bad:
        # Translation needs still ends and clean samples; without it only pitch is used.
        dx = dz = None
    else:
        dx, dz = feats["sensor_dx_m"], feats["sensor_dz_m"]
    start_s, end_s = float(t_s[c.start]), float(t_s[min(c.end, n - 1)])
    # What the person did around the excursion within its movement (a gait start is
    # followed by walking), with the pitch carried on from the window by the gyro.
    first, stop = candidate_span(c, fs_hz, params)
    before = -np.degrees(np.cumsum(gyr_seg_rad_s[first:c.window_start, 1][::-1]) / fs_hz)[::-1]
    after = np.degrees(np.cumsum(gyr_seg_rad_s[c.window_stop:stop, 1]) / fs_hz)
    trace = feats["pitch_trace_deg"]
    pitch = np.concatenate([trace[0] + before, trace, trace[-1] + after])
    other = not_a_bend(acc_seg_mps2[first:stop], gyr_seg_rad_s[first:stop], pitch, fs_hz,
                       (c.start - first, c.end - first), feats["sensor_pitch_deg"], params)
    if other is not None:
        return None, (start_s, end_s, other)
    rise = feats["rise_m"]
    if rise is not None and abs(rise) > params.posture_change_rise_m and not bad and not provisional:
        what = "standing up" if rise > 0 else "sitting or crouching down"
        return None, (start_s, end_s, f"{what}, not a bend: the hips {'rose' if rise > 0 else 'dropped'} "
                                      f"{100 * abs(rise):.0f} cm by the return (a bend brings them back)")
    raised = max(c.start_pitch_deg, c.end_pitch_deg)
    if raised > params.max_raised_fraction * c.peak_pitch_deg:
        return None, (start_s, end_s, f"not a bend from standing: pitch rose {c.peak_pitch_deg - raised:.0f} deg "
                                      f"on a posture already tilted {raised:.0f} deg (walking, sitting or leaning)")
    hip_back_m = -dx if dx is not None else 0.0
    if feats["sensor_pitch_deg"] < params.min_bend_deg and hip_back_m < params.min_hip_back_m:
        return None, (start_s, end_s,
                      f"too small to be a bend: pitch {feats['sensor_pitch_deg']:.1f} deg < {params.min_bend_deg:.1f} deg "
                      f"and hips {100 * hip_back_m:.0f} cm back < {100 * params.min_hip_back_m:.0f} cm")
    invert = lambda x, z: invert_pose(feats["sensor_pitch_deg"], x, z, model, params.spine_led_share,  # noqa: E731
                                      params.pitch_sigma_deg, params.translation_sigma_m)
    pose = invert(dx, dz)
    flags = []
    if dx is not None and pose.misfit > params.max_translation_misfit:
        # No posture of a body makes this pitch with this translation: integration error
        # (sensor errors, a bump), not a measurement. Judge from the pitch alone.
        dx = dz = None
        pose = invert(None, None)
        flags.append("translation-implausible")
    if dz is not None and dz < -params.squat_drop_m and pose.knee_deg >= params.squat_knee_deg:
        return None, (start_s, end_s, f"squat, not a bend: hips dropped {100 * -dz:.0f} cm with the knees "
                                      f"bent about {pose.knee_deg:.0f} deg (a hinge drops them < "
                                      f"{100 * params.squat_drop_m:.0f} cm)")
    if gap_mask[window].any():
        flags.insert(0, "gap")
    if saturated[window].any():
        flags.append("saturated")
    if dx is None:
        flags.append("pitch-only")
    lag = feats["pelvic_lag_s"] if dx is not None else None
    share = lumbar_share_with_timing(pose.lumbar_share, lag, params)
    margin = abs(share - params.decision_share)
    label = class_of(share, margin, dx is None, params)
    score = score_bend(label, share, params.decision_share, pose.hip_shift_m if dx is not None else None,
                       feats["judder_count"], feats["peak_rate_deg_s"], lag, pitch_only=dx is None)
    return {
        "start_s": start_s, "peak_s": float(t_s[c.peak]), "end_s": end_s, "label": label,
        "score": round(score.points, 1), "lumbar_share": round(share, 3),
        "depth_deg": round(pose.trunk_deg, 1), "confidence": round(confidence(margin, dx is None, params), 3),
        "sensor_pitch_deg": round(feats["sensor_pitch_deg"], 1),
        "hip_shift_m": round(pose.hip_shift_m, 3), "sensor_dx_m": dx, "sensor_dz_m": dz,
        "pitch_t50_fraction": round(feats["pitch_t50_fraction"], 3),
        "pelvic_lag_s": None if lag is None else round(lag, 3),
        "peak_rate_deg_s": round(feats["peak_rate_deg_s"], 1),
        "reasons": list(score.reasons), "cue": score.cue, "quality_flags": flags,
    }, None
