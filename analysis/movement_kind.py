"""What a pitch excursion is when it is not a bend: walking, a turn, a side bend.

A forward bend is a rotation about the medio-lateral axis with the feet planted. On real
lower-back recordings most pitch excursions of 10-25 deg are something else (Mobilise-D
lab data, `benchmarks/real_recordings.py`): the pelvis tilts while a person walks, and a
turn while walking leaks yaw into the pitch axis when "up" is a few degrees off. Each
test reads only the candidate's own samples, so a live verdict still equals the offline
one.

* Turn or twist: the segment turns about its vertical axis by more than `turn_yaw_deg`
  and by more than it pitches (a bend yaws only through axis error, a few degrees per
  ten of pitch).
* Side bend: it rolls more than `side_bend_roll_deg` and more than it pitches (smaller
  rolls are sway and weight shifts, judged by their pitch as before).
* Walking: at least `gait_min_steps` steps at a walking cadence (0.3-1.0 s apart;
  healthy and slow gait, 1-3.3 steps/s, Zijlstra & Hof 2003, Gait Posture 18:1-10)
  around the excursion, taken with the pelvis raised (people walk with it 10-25 deg
  ahead of standing, so a gait start looks like a small bend). A step is a peak of the
  high-passed |specific force| (heel strike: 2-5 m/s^2 at L5).
"""
from __future__ import annotations

import numpy as np

from .peaks import find_peaks
from .shortcuts import median_of, norm_rows
from .smoothing import moving_mean
from .stillness import runs

# Cadence limits of a step, s between steps.
STEP_INTERVAL_S = (0.3, 1.0)


def step_signal(acc_mps2: np.ndarray, fs_hz: float) -> np.ndarray:
    """(M,) |specific force| ((M, 3) m/s^2, any axes) high-passed (1 s mean removed) and
    smoothed (0.1 s): heel strikes are its peaks. A value depends on at most
    `step_signal_reach_samples` samples on either side."""
    magnitude = norm_rows(acc_mps2)
    high = magnitude - moving_mean(magnitude, max(1, int(round(fs_hz))), mode="nearest")
    return moving_mean(high, max(1, int(round(0.1 * fs_hz))), mode="nearest")


def step_signal_reach_samples(fs_hz: float) -> int:
    """Samples on either side that a `step_signal` value depends on."""
    return max(1, int(round(fs_hz))) // 2 + max(1, int(round(0.1 * fs_hz))) // 2 + 1


def steps_in(signal: np.ndarray, fs_hz: float, step_prominence_mps2: float) -> np.ndarray:
    """Sample indices of the heel strikes in a `step_signal`: peaks of at least
    `step_prominence_mps2`, at least one step interval apart."""
    return find_peaks(signal, prominence=step_prominence_mps2,
                      distance=max(1, int(round(STEP_INTERVAL_S[0] * fs_hz))))


def step_indices(acc_mps2: np.ndarray, fs_hz: float, step_prominence_mps2: float) -> np.ndarray:
    """Sample indices of heel-strike peaks of |specific force| ((M, 3) m/s^2, any axes)."""
    if len(acc_mps2) < 3:
        return np.empty(0, int)
    return steps_in(step_signal(acc_mps2, fs_hz), fs_hz, step_prominence_mps2)


def longest_step_run(steps: np.ndarray, fs_hz: float) -> int:
    """Most consecutive steps whose intervals are all within the walking cadence."""
    if len(steps) == 0:
        return 0
    gaps = np.diff(steps) / fs_hz
    regular = (gaps >= STEP_INTERVAL_S[0]) & (gaps <= STEP_INTERVAL_S[1])
    best = run = 1
    for ok in regular:
        run = run + 1 if ok else 1
        best = max(best, run)
    return best


def gait_mask(acc_mps2: np.ndarray, fs_hz: float, step_prominence_mps2: float, min_steps: int) -> np.ndarray:
    """(N,) bool: samples from the first to the last step of every run of at least
    `min_steps` steps at a walking cadence ((N, 3) specific force, m/s^2, any axes)."""
    return walking_from_steps(step_indices(acc_mps2, fs_hz, step_prominence_mps2), len(acc_mps2), fs_hz, min_steps)


def walking_from_steps(steps: np.ndarray, n: int, fs_hz: float, min_steps: int) -> np.ndarray:
    """`gait_mask` (n,) from the recording's heel strikes (sample indices, increasing)."""
    mask = np.zeros(n, bool)
    if len(steps) < min_steps:
        return mask
    gaps = np.diff(steps) / fs_hz
    regular = (gaps >= STEP_INTERVAL_S[0]) & (gaps <= STEP_INTERVAL_S[1])
    for first, stop in runs(regular):  # gaps first .. stop-1 link steps first .. stop
        if stop - first + 1 >= min_steps:
            mask[steps[first]:steps[stop] + 1] = True
    return mask


def not_a_bend(
    acc_seg_mps2: np.ndarray,
    gyr_seg_rad_s: np.ndarray,
    pitch_rel_deg: np.ndarray,
    fs_hz: float,
    bend: tuple[int, int],
    excursion_deg: float,
    params,
) -> str | None:
    """Why the excursion is not a forward bend (one line), or None if it may be one.

    Args:
        acc_seg_mps2, gyr_seg_rad_s: (M, 3) the candidate's window in segment axes
            (m/s^2; bias-corrected rad/s).
        pitch_rel_deg: (M,) segment pitch over the window relative to its start, deg.
        bend: [start, end] sample indices of the excursion within the window (onset, return).
        excursion_deg: its pitch excursion, deg.
        params: `params.AnalysisParams` (turn_yaw_deg, side_bend_roll_deg, gait_min_steps,
            step_prominence_mps2, gait_margin_s, gait_raised_fraction, max_walking_pitch_deg).
    """
    start, end = bend
    angles = np.degrees(np.cumsum(gyr_seg_rad_s[start:end + 1], axis=0) / fs_hz)
    if len(angles):
        roll_deg, _, yaw_deg = angles.max(axis=0) - angles.min(axis=0)
        if yaw_deg > params.turn_yaw_deg and yaw_deg > excursion_deg:
            return f"turn, not a bend: turned {yaw_deg:.0f} deg about the vertical axis, pitched {excursion_deg:.0f} deg"
        if roll_deg > params.side_bend_roll_deg and roll_deg > excursion_deg:
            return f"side bend, not a forward bend: rolled {roll_deg:.0f} deg, pitched {excursion_deg:.0f} deg"
    margin = int(round(params.gait_margin_s * fs_hz))
    lo, hi = max(0, start - margin), min(len(acc_seg_mps2), end + margin + 1)
    steps = step_indices(acc_seg_mps2, fs_hz, params.step_prominence_mps2)
    steps = steps[(steps >= lo) & (steps < hi)]
    steps = steps[pitch_rel_deg[steps] < params.max_walking_pitch_deg]  # deeper: a bend's own jolts
    run = longest_step_run(steps, fs_hz)
    # People walk with the pelvis 10-25 deg ahead of standing (Mobilise-D lab data), so a
    # gait start or stop is a pitch step of that size with steps taken at the raised
    # posture; a bend's own acceleration peaks, or steps before and after it, lie near
    # the stance instead.
    raised = len(steps) and median_of(pitch_rel_deg[steps]) >= params.gait_raised_fraction * excursion_deg
    if run >= params.gait_min_steps and raised:
        return (f"walking, not a bend: {run} steps at a walking cadence with the pelvis tilted "
                f"up to {excursion_deg:.0f} deg (a gait start, stop or turn)")
    return None
