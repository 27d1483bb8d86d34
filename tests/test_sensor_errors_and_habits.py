"""The analysis on sensors and movements its own body model was not fitted to.

Sensor errors at the datasheet limits (gyro zero-rate offset 5 deg/s, accelerometer offset
40 mg and sensitivity 3 % per axis, a rest magnitude anywhere in 9.3-10.3 m/s^2), and
movement patterns of real people: back-to-back extension and flexion, seated forward
bends that tilt L4 by only 12-14 deg.
"""
from __future__ import annotations

import numpy as np
import pytest
from evaluation import detection_counts, f1, match_bends

from hinge.analysis.body_model import SessionSpec, simulate_session
from hinge.analysis.body_model._sensor import draw_sensor_errors
from hinge.analysis.constants import GRAVITY_MPS2
from hinge.analysis.pipeline import analyse
from hinge.analysis.grid_signals import ArrayWindows
from hinge.analysis.sensor_correction import estimate_correction


@pytest.mark.parametrize("seed", [1003, 1004])
def test_datasheet_worst_sensor_errors_leave_detection_and_calibration_intact(seed):
    session = simulate_session(SessionSpec(n_bends=12, mounting="random", seed=seed, sensor_error_scale=2.0,
                                           gyro_bias_max_dps=5.0))
    result = analyse(session.t_s, session.acc_mps2, session.gyr_rad_s)
    assert result.calibration["ok"]
    tp, fp, fn = detection_counts(match_bends(result.bends, session.truth), session.truth)
    assert f1(tp, fp, fn) >= 0.9
    # The offset of up to 5 deg/s is found from the recording itself: the session's own
    # error draw (the simulator's stream for sensor errors) is the truth.
    errors = draw_sensor_errors(np.random.default_rng(np.random.SeedSequence(seed).spawn(7)[3]), 2.0, 5.0)
    found = np.radians(result.calibration["sensor_correction"]["gyro_bias_deg_s"])
    np.testing.assert_allclose(found, errors.gyr_bias_rad_s, atol=np.radians(0.3))


@pytest.mark.parametrize("rest_mps2", [9.3, 10.3])
def test_a_rest_magnitude_off_by_5_percent_is_corrected(rest_mps2):
    session = simulate_session(SessionSpec(n_bends=10, mounting="random", seed=1007))
    acc = session.acc_mps2 * rest_mps2 / GRAVITY_MPS2
    correction = estimate_correction(ArrayWindows(acc, session.gyr_rad_s), session.spec.fs_hz)
    corrected, _ = correction.apply(acc[:50], session.gyr_rad_s[:50])
    assert abs(np.linalg.norm(corrected.mean(axis=0)) - GRAVITY_MPS2) < 0.03
    result = analyse(session.t_s, acc, session.gyr_rad_s)
    tp, fp, fn = detection_counts(match_bends(result.bends, session.truth), session.truth)
    assert f1(tp, fp, fn) >= 0.9


# -- synthetic sagittal movements: gravity rotating in the sensor, rate about +y ----------

FS_HZ = 100.0


def _sagittal(pitch_deg: np.ndarray, seed: int = 0):
    """(t, acc, gyr) of a sensor in body axes pitching by `pitch_deg` (N,) about +y (flexion > 0)."""
    rng = np.random.default_rng(seed)
    pitch = np.radians(pitch_deg)
    acc = GRAVITY_MPS2 * np.column_stack([-np.sin(pitch), np.zeros_like(pitch), np.cos(pitch)])
    gyr = np.column_stack([np.zeros_like(pitch), np.gradient(pitch, 1 / FS_HZ), np.zeros_like(pitch)])
    t = np.arange(len(pitch)) / FS_HZ
    return t, acc + rng.normal(0, 0.01, acc.shape), gyr + rng.normal(0, 0.001, gyr.shape)


def _bump(duration_s: float, amplitude_deg: float) -> np.ndarray:
    tau = np.linspace(0, 1, int(duration_s * FS_HZ))
    return amplitude_deg * np.sin(np.pi * tau) ** 2


def _still(seconds: float, level_deg: float = 0.0) -> np.ndarray:
    return np.full(int(seconds * FS_HZ), level_deg)


def test_a_flexion_right_after_an_extension_is_measured_from_standing():
    # Three flexions of 40 deg, the last two straight after a 15 deg extension, no pause.
    parts = [_still(4)]
    for k in range(3):
        if k:
            parts.append(-_bump(2.0, 15.0))
        parts += [_bump(3.0, 40.0), _still(3)]
    result = analyse(*_sagittal(np.concatenate(parts)))
    pitches = result.bends["sensor_pitch_deg"].to_numpy(float)
    assert len(pitches) == 3
    np.testing.assert_allclose(pitches, 40.0, atol=4.0)


def test_seated_forward_bends_of_13_deg_at_l4_are_bends():
    # Seated: the pelvis rests tilted 20 deg back of standing; three rounded-back flexions
    # tilt L4 by 13 deg from there and back, with a few seconds of sitting between them.
    parts = [_still(5, -20.0)]
    for _ in range(3):
        parts += [-20.0 + _bump(3.0, 13.0), _still(3, -20.0)]
    result = analyse(*_sagittal(np.concatenate(parts)), placement="L4")
    assert len(result.bends) == 3
    np.testing.assert_allclose(result.bends["sensor_pitch_deg"].to_numpy(float), 13.0, atol=2.0)


def test_a_time_column_at_the_wrong_rate_is_caught_by_gravity():
    session = simulate_session(SessionSpec(n_bends=10, mounting="random", seed=1002))
    right = analyse(session.t_s, session.acc_mps2, session.gyr_rad_s)
    assert abs(right.calibration["gyro_to_gravity_ratio"] - 1.0) < 0.05
    assert not any("sample rate" in w for w in right.warnings)
    t0 = session.t_s[0]
    slow = analyse(t0 + 2.0 * (session.t_s - t0), session.acc_mps2, session.gyr_rad_s)  # claims 50 Hz
    assert slow.calibration["gyro_to_gravity_ratio"] > 1.8
    assert any("times as far as gravity shows" in w and "sample rate (50 Hz)" in w for w in slow.warnings)
