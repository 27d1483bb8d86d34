"""The residual time offset between the two sensors, measured from shared motion.

Both sensors turn about the same medio-lateral axis in every forward bend (and in the
calibration hinge): the lower one with the pelvis, the upper one with the pelvis plus
the lumbar flexion. The lag that best aligns their sagittal angular rates (normalised
cross-correlation, parabolic sub-sample peak) is the residual offset of the time base
plus whatever lumbopelvic timing the movement has: a lumbar spine that leads moves the
upper sensor's rate earlier. So one bend's lag is not a clock error; the median over
many bends of both kinds is an estimate of it, and `benchmarks/second_sensor.py`
measures how good an estimate (against a known simulated offset).
"""
from __future__ import annotations

import numpy as np

# Largest offset looked for, s: the clock fit of each sensor to the host clock leaves a few
# ms; 0.25 s covers a BLE connection interval and gross errors without reaching into the
# next movement.
MAX_OFFSET_S = 0.25
# A window whose best normalised correlation is below this is not shared motion.
MIN_CORRELATION = 0.8
# Windows with a smaller peak rate carry too little motion to time, rad/s.
MIN_PEAK_RATE_RAD_S = 0.2


def window_lag_s(lower_rate_rad_s: np.ndarray, upper_rate_rad_s: np.ndarray, fs_hz: float,
                 max_lag_s: float = MAX_OFFSET_S) -> float:
    """How much later the upper sensor shows the motion of one window, s (NaN: no shared motion).

    Args:
        lower_rate_rad_s, upper_rate_rad_s: (M,) sagittal angular rates of the two segments on
            one uniform grid, rad/s.
        fs_hz: the grid's rate, Hz.

    Returns:
        d, s, such that upper(t + d) best matches lower(t) (> 0: upper stamped later).
    """
    lower = np.asarray(lower_rate_rad_s, float)
    upper = np.asarray(upper_rate_rad_s, float)
    m = min(len(lower), len(upper))
    k_max = min(int(round(max_lag_s * fs_hz)), m // 4)
    if k_max < 2 or max(np.abs(lower).max(initial=0), np.abs(upper).max(initial=0)) < MIN_PEAK_RATE_RAD_S:
        return float("nan")
    lower, upper = lower[:m] - lower[:m].mean(), upper[:m] - upper[:m].mean()
    lags = np.arange(-k_max, k_max + 1)
    core = slice(k_max, m - k_max)
    a = lower[core]
    corr = np.empty(len(lags))
    for i, k in enumerate(lags):
        b = upper[k_max + k: m - k_max + k]
        denominator = np.sqrt(np.dot(a, a) * np.dot(b, b))
        corr[i] = np.dot(a, b) / denominator if denominator > 0 else 0.0
    best = int(np.argmax(corr))
    if corr[best] < MIN_CORRELATION or best in (0, len(lags) - 1):
        return float("nan")
    # Parabola through the peak and its neighbours: sub-sample lag.
    left, centre, right = corr[best - 1], corr[best], corr[best + 1]
    curvature = left - 2 * centre + right
    shift = 0.5 * (left - right) / curvature if curvature < 0 else 0.0
    return float((lags[best] + shift) / fs_hz)


def session_offset_ms(lags_s) -> tuple[float, float, int]:
    """(median lag, half the interquartile range, number of windows), ms, ms, count, over the
    windows that had shared motion (NaN, NaN, 0 without any)."""
    lags = np.asarray([v for v in lags_s if np.isfinite(v)], float)
    if not len(lags):
        return float("nan"), float("nan"), 0
    q1, median, q3 = np.percentile(1000.0 * lags, [25, 50, 75])
    return float(median), float((q3 - q1) / 2), int(len(lags))
