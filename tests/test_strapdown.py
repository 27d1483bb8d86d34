"""Strapdown integration recovers pitch and skin-point translation of known motions."""
import numpy as np
import pytest

from hinge.analysis.inverse_model import forward_pose
from hinge.analysis.stillness import GRAVITY_MPS2
from hinge.analysis.strapdown import integrate_window, tilt_pitch_rad

FS_HZ = 200.0


def minimum_jerk(t_s, t0_s, duration_s):
    s = np.clip((t_s - t0_s) / duration_s, 0.0, 1.0)
    return 10 * s**3 - 15 * s**4 + 6 * s**5


def sensor_signals(pitch_rad, anterior_m, up_m, fs_hz):
    """Exact segment-axis specific force and angular rate of a sagittal trajectory."""
    dt = 1.0 / fs_hz
    acc_x = np.gradient(np.gradient(anterior_m, dt), dt)
    acc_z = np.gradient(np.gradient(up_m, dt), dt)
    cos, sin = np.cos(pitch_rad), np.sin(pitch_rad)
    force = np.column_stack([
        acc_x * cos - (acc_z + GRAVITY_MPS2) * sin,
        np.zeros_like(acc_x),
        acc_x * sin + (acc_z + GRAVITY_MPS2) * cos,
    ])
    rate = np.column_stack([np.zeros_like(acc_x), np.gradient(pitch_rad, dt), np.zeros_like(acc_x)])
    return force, rate


def test_still_tilt_reads_its_pitch():
    pitch = np.radians(35.0)
    force = GRAVITY_MPS2 * np.array([[-np.sin(pitch), 0.0, np.cos(pitch)]])
    assert np.degrees(tilt_pitch_rad(force))[0] == pytest.approx(35.0)


@pytest.mark.parametrize("pelvis_deg, lumbar_deg, knee_deg", [(60, 10, 20), (20, 50, 5), (35, 30, 15)])
def test_bend_translation_and_pitch_recovered(pelvis_deg, lumbar_deg, knee_deg):
    t_s = np.arange(0.0, 8.0, 1.0 / FS_HZ)
    profile = minimum_jerk(t_s, 1.0, 1.5) - minimum_jerk(t_s, 4.0, 1.5)
    pitch, dx, dz, _ = forward_pose(
        np.radians(pelvis_deg) * profile, np.radians(lumbar_deg) * profile,
        np.radians(knee_deg) * profile, 1.75, "sacrum",
    )
    force, rate = sensor_signals(pitch, dx, dz, FS_HZ)
    traj = integrate_window(force, rate, FS_HZ, anchor_samples=int(0.3 * FS_HZ))
    peak = int(np.argmax(pitch))
    assert np.degrees(traj.pitch_rad[peak]) == pytest.approx(np.degrees(pitch[peak]), abs=0.1)
    assert traj.anterior_m[peak] == pytest.approx(dx[peak], abs=0.005)
    assert traj.up_m[peak] == pytest.approx(dz[peak], abs=0.005)


def test_gyro_drift_is_anchored_to_gravity():
    t_s = np.arange(0.0, 8.0, 1.0 / FS_HZ)
    pitch = np.radians(50.0) * (minimum_jerk(t_s, 1.0, 1.5) - minimum_jerk(t_s, 4.0, 1.5))
    force, rate = sensor_signals(pitch, np.zeros_like(t_s), np.zeros_like(t_s), FS_HZ)
    rate[:, 1] += np.radians(1.0)  # an uncorrected 1 deg/s gyro bias
    traj = integrate_window(force, rate, FS_HZ, anchor_samples=int(0.3 * FS_HZ))
    assert np.degrees(traj.pitch_rad[-1]) == pytest.approx(0.0, abs=0.2)
    assert np.degrees(traj.pitch_drift_rad) == pytest.approx(8.0 - 0.3, abs=0.5)
