"""Mounting calibration recovers any sensor orientation on the back within 2 degrees."""
import itertools

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from hinge.analysis.calibration import CalibrationError, calibrate_mounting, rotation_angle_deg
from hinge.analysis.grid_signals import ArrayWindows
from hinge.analysis.resampling import resample_uniform
from hinge.analysis.stillness import still_mask


def axis_aligned_rotations():
    """The 24 rotations that map sensor axes onto body axes (signed permutations, det +1)."""
    out = []
    for perm in itertools.permutations(range(3)):
        for signs in itertools.product((1, -1), repeat=3):
            m = np.zeros((3, 3))
            m[range(3), perm] = signs
            if np.isclose(np.linalg.det(m), 1.0):
                out.append(m)
    return out


def calibrate(session, sensor_from_segment):
    """Remount the session's body-axis signals with `sensor_from_segment`, then calibrate."""
    grid = resample_uniform(session.t_s, np.column_stack([session.acc_mps2, session.gyr_rad_s]), session.spec.fs_hz)
    acc = grid.values[:, :3] @ sensor_from_segment.T
    gyr = grid.values[:, 3:] @ sensor_from_segment.T
    still = still_mask(acc, gyr, session.spec.fs_hz)
    return calibrate_mounting(ArrayWindows(acc, gyr), session.spec.fs_hz, still)


def test_there_are_24_axis_aligned_mountings():
    assert len(axis_aligned_rotations()) == 24


@pytest.mark.parametrize("index", range(24))
def test_axis_aligned_mountings_recovered(upright_session, index):
    mounting = axis_aligned_rotations()[index]
    result = calibrate(upright_session, mounting)
    assert rotation_angle_deg(result.segment_from_sensor, mounting.T) < 2.0


@pytest.mark.parametrize("seed", range(12))
def test_random_mountings_recovered(upright_session, seed):
    mounting = Rotation.random(random_state=seed).as_matrix()
    result = calibrate(upright_session, mounting)
    assert rotation_angle_deg(result.segment_from_sensor, mounting.T) < 2.0
    assert result.planarity > 0.8


def test_simulated_random_mounting_recovered(random_mount_session):
    result = calibrate(random_mount_session, np.eye(3))
    assert rotation_angle_deg(result.segment_from_sensor, random_mount_session.sensor_from_segment.T) < 2.0


def test_no_quiet_standing_is_a_calibration_error():
    rng = np.random.default_rng(0)
    n = 3000
    acc = rng.normal(0, 3.0, (n, 3)) + [0, 0, 9.81]
    gyr = rng.normal(0, 1.0, (n, 3))
    with pytest.raises(CalibrationError, match="quiet standing"):
        calibrate_mounting(ArrayWindows(acc, gyr), 100.0, still_mask(acc, gyr, 100.0))


def test_standing_only_cannot_find_the_flexion_axis():
    rng = np.random.default_rng(1)
    n = 3000
    acc = rng.normal(0, 0.01, (n, 3)) + [0, 0, 9.81]
    gyr = rng.normal(0, 0.001, (n, 3))
    with pytest.raises(CalibrationError, match="forward bend"):
        calibrate_mounting(ArrayWindows(acc, gyr), 100.0, still_mask(acc, gyr, 100.0))
