"""The analysis's own moving mean, peak finder and gravity-sphere fit against SciPy's.

The analysis no longer imports SciPy (its import cost more than the work it did), so the
numpy versions must decide exactly as SciPy's did: the moving mean and the peaks to the
last bit, the sphere fit at a cost no higher than MINPACK's.
"""
from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.ndimage import uniform_filter1d
from scipy.optimize import least_squares
from scipy.signal import find_peaks as scipy_find_peaks

from hinge.analysis import peaks
from hinge.analysis.constants import GRAVITY_MPS2
from hinge.analysis.peaks import find_peaks
from hinge.analysis.sensor_correction import (ACC_OFFSET_SIGMA_MPS2, ACC_SENSITIVITY_SIGMA, STRETCH_SIGMA_MPS2,
                                              fit_gravity_sphere)
from hinge.analysis.smoothing import moving_mean

# Signals with flat tops, ties and equal heights (small integers), and smooth ones.
small_integers = st.lists(st.integers(0, 4), min_size=0, max_size=60).map(lambda v: np.array(v, float))
walks = st.lists(st.floats(-1, 1, allow_nan=False), min_size=0, max_size=300).map(lambda v: np.cumsum(v))
signals = st.one_of(small_integers, walks)


@settings(max_examples=250, deadline=None)
@given(x=st.one_of(small_integers, walks).filter(len), size=st.integers(1, 40), mode=st.sampled_from(["nearest", "reflect"]),
       origin_at=st.floats(0, 1), columns=st.integers(0, 3))
def test_moving_mean_equals_scipy_to_the_last_bit(x, size, mode, origin_at, columns):
    origin = -(size // 2) + int(origin_at * ((size - 1) // 2 + size // 2))
    if columns:
        x = np.column_stack([x * (c + 1) + 9.8 for c in range(columns)])
    want = uniform_filter1d(x, size, axis=0, mode=mode, origin=origin)
    assert np.array_equal(moving_mean(x, size, axis=0, mode=mode, origin=origin), want)


def test_moving_mean_of_a_long_recording_equals_scipy_to_the_last_bit():
    # The running sum carries rounding along an hour of samples; both carry the same.
    acc = np.random.default_rng(4).normal(9.8, 0.5, (360_000, 3))
    assert np.array_equal(moving_mean(acc, 20), uniform_filter1d(acc, 20, axis=0, mode="nearest"))
    assert np.array_equal(moving_mean(acc[:, 0], 30, origin=14), uniform_filter1d(acc[:, 0], 30, mode="nearest", origin=14))


@settings(max_examples=600, deadline=None)
@given(x=signals, height=st.one_of(st.none(), st.floats(-3, 4)), distance=st.one_of(st.none(), st.floats(1, 15)),
       prominence=st.one_of(st.none(), st.floats(0, 4)))
def test_peaks_equal_scipys(x, height, distance, prominence):
    want = scipy_find_peaks(x, height=height, distance=distance, prominence=prominence)[0]
    assert np.array_equal(find_peaks(x, height=height, distance=distance, prominence=prominence), want)
    # Short signals take the plain loops and the dense tables; the dense tables alone, and the
    # trees and rounds a recording needs, must agree too.
    limits = peaks.LOOP_MAX_PEAKS, peaks.LOOP_MAX_PEAKS_PROMINENCE, peaks.DENSE_MAX_PEAKS, peaks.DENSE_MAX_CELLS
    try:
        peaks.LOOP_MAX_PEAKS = peaks.LOOP_MAX_PEAKS_PROMINENCE = 0
        assert np.array_equal(find_peaks(x, height=height, distance=distance, prominence=prominence), want)
        peaks.DENSE_MAX_PEAKS = peaks.DENSE_MAX_CELLS = 0
        assert np.array_equal(find_peaks(x, height=height, distance=distance, prominence=prominence), want)
    finally:
        peaks.LOOP_MAX_PEAKS, peaks.LOOP_MAX_PEAKS_PROMINENCE, peaks.DENSE_MAX_PEAKS, peaks.DENSE_MAX_CELLS = limits


def test_steps_of_a_walking_hour_equal_scipys():
    # The gait search runs over a whole recording: tens of thousands of local maxima.
    rng = np.random.default_rng(6)
    t = np.arange(360_000) / 100.0
    x = np.sin(2 * np.pi * 1.8 * t) * (rng.random(len(t)) < 0.999) + rng.normal(0, 0.3, len(t))
    smooth = moving_mean(x, 10)
    want = scipy_find_peaks(smooth, prominence=1.0, distance=30)[0]
    assert len(want) > 1000
    assert np.array_equal(find_peaks(smooth, prominence=1.0, distance=30), want)


def _residuals(means, weights):
    def residuals(x):
        size = np.linalg.norm((means - x[:3]) * (1.0 + x[3:]), axis=1)
        return np.concatenate([weights * (size - GRAVITY_MPS2) / STRETCH_SIGMA_MPS2,
                               x[:3] / ACC_OFFSET_SIGMA_MPS2, x[3:] / ACC_SENSITIVITY_SIGMA])
    return residuals


@pytest.mark.parametrize("seed", range(40))
def test_gravity_sphere_fit_reaches_minpacks_minimum_or_lower(seed):
    rng = np.random.default_rng(seed)
    k = int(rng.integers(1, 40))
    up = rng.normal(size=(k, 3)) * (0.1 if seed % 2 else 1.0) + (np.array([0, 0, 1.0]) if seed % 2 else 0.0)
    up /= np.linalg.norm(up, axis=1, keepdims=True)
    means = up * GRAVITY_MPS2 / (1 + rng.normal(0, 0.02, 3)) + rng.normal(0, 0.3, 3) + rng.normal(0, 0.01, (k, 3))
    weights = np.sqrt(rng.uniform(1, 100, k))
    residuals = _residuals(means, weights)
    minpack = least_squares(residuals, np.zeros(6), method="lm").x
    offset, error = fit_gravity_sphere(means, weights)
    ours = np.concatenate([offset, error])
    cost, minpack_cost = residuals(ours) @ residuals(ours), residuals(minpack) @ residuals(minpack)
    # MINPACK stops once the cost falls by less than 1e-8 relative; the minimiser is the same.
    assert cost <= minpack_cost * (1 + 1e-12)
    assert np.allclose(ours, minpack, atol=1e-4)


def test_gravity_sphere_fit_recovers_a_known_sensor():
    rng = np.random.default_rng(1)
    up = rng.normal(size=(12, 3))
    up /= np.linalg.norm(up, axis=1, keepdims=True)
    offset, gain = np.array([0.2, -0.3, 0.1]), np.array([1.02, 0.98, 1.01])
    means = up * GRAVITY_MPS2 / gain + offset
    got_offset, got_error = fit_gravity_sphere(means, np.full(12, 30.0))
    assert np.allclose(got_offset, offset, atol=0.02) and np.allclose(1 + got_error, gain, atol=0.002)


def test_the_analysis_imports_no_scipy():
    code = ("import sys, hinge.analysis.pipeline, hinge.analysis.streaming; "
            "print(sorted({m.split('.')[0] for m in sys.modules if m.startswith('scipy')}))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and out.stdout.strip() == "[]", out.stdout + out.stderr
