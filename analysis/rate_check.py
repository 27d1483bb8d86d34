"""Is the sample rate (and the gyro's unit) what the recording claims? Gravity tells.

Between two still postures the sensor turns by an angle the accelerometer sees directly
(the change of the gravity direction) and the gyroscope sees as the integral of its rate
over the time between them. The integral scales with the assumed sample period: a time
column at the wrong rate, or a gyro in the wrong unit, makes the gyro's angle a constant
factor off. The median ratio over the posture changes of a recording is that factor.
"""
from __future__ import annotations

import numpy as np

from .grid_signals import SampleWindows
from .shortcuts import norm_of
from .stillness import runs

# Posture changes smaller than this (deg) say little; longer gaps than this (s) let gyro
# drift in; stretches shorter than this (s) give a noisy gravity direction.
MIN_TILT_DEG = 15.0
MAX_GAP_S = 10.0
MIN_STILL_S = 0.3


def gyro_to_gravity_ratio(signals: SampleWindows, fs_hz: float, still: np.ndarray) -> tuple[float, int]:
    """(median of gyro angle / gravity angle over posture changes, number of changes).

    Args:
        signals: (N, 3) corrected signals in sensor axes (m/s^2, rad/s), by window.
        fs_hz: the sample rate the analysis assumes, Hz.
        still: (N,) bool still samples.

    Returns NaN and 0 when the recording has no posture change to judge by.
    """
    stretches = [(a, b) for a, b in runs(still) if b - a >= MIN_STILL_S * fs_hz]
    ratios = []
    directions: dict[int, np.ndarray] = {}  # a stretch ends one posture change and starts the next

    def direction(a: int, b: int) -> np.ndarray:
        if a not in directions:
            g = signals.window(a, b)[0].mean(axis=0)
            directions[a] = g / norm_of(g)
        return directions[a]

    for (a0, b0), (a1, b1) in zip(stretches[:-1], stretches[1:]):
        if (a1 - b0) > MAX_GAP_S * fs_hz:
            continue
        g0, g1 = direction(a0, b0), direction(a1, b1)
        tilt = np.degrees(np.arccos(min(max(float(g0 @ g1), -1.0), 1.0)))  # np.clip's number
        if tilt < MIN_TILT_DEG:
            continue
        # The sensor's tilting rotation between the two stretches: the rate without its
        # component about gravity (a turn about the vertical tilts nothing), summed. Exact
        # for a rotation about one horizontal axis, as a bend, a sit-down or a lean is.
        rate = signals.window(b0, a1)[1]
        tilting = rate - (rate @ g0)[:, None] * g0  # np.outer's numbers
        gyro_tilt = np.degrees(norm_of(tilting.sum(axis=0)) / fs_hz)
        ratios.append(gyro_tilt / tilt)
    if not ratios:
        return float("nan"), 0
    return float(np.median(ratios)), len(ratios)
