"""CSV reader: good files in SI and other units, header tolerance, saturation, errors, speed."""
import time

import numpy as np
import pytest

from hinge.errors import HingeInputError
from hinge.recordings import ImuRecording, read_imu_csv

G_MPS2 = 9.80665
HEADER = ["time_s", "acc_x", "acc_y", "acc_z", "gyr_x", "gyr_y", "gyr_z"]


def still_with_rotations(duration_s=30.0, fs_hz=100.0, seed=0, t0_s=1234.5):
    """A still sensor with small noise plus a few smooth 45-degree pitch rotations.

    Returns t_s (N,), acc_mps2 (N, 3), gyr_rad_s (N, 3).
    """
    rng = np.random.default_rng(seed)
    n = int(duration_s * fs_hz)
    t_s = t0_s + np.arange(n) / fs_hz
    pitch_rad = np.zeros(n)
    for centre_s in np.arange(5.0, duration_s - 4.0, 8.0):
        pitch_rad += np.deg2rad(45.0) * np.exp(-0.5 * ((t_s - t0_s - centre_s) / 1.2) ** 2)
    rate_rad_s = np.gradient(pitch_rad, 1.0 / fs_hz)
    acc = np.column_stack([-G_MPS2 * np.sin(pitch_rad), np.zeros(n), G_MPS2 * np.cos(pitch_rad)])
    gyr = np.column_stack([np.zeros(n), rate_rad_s, np.zeros(n)])
    acc += rng.normal(0.0, 0.02, acc.shape)
    gyr += rng.normal(0.0, 0.003, gyr.shape)
    return t_s, acc, gyr


def write_csv(path, t_s, acc, gyr, header=HEADER, extra=None):
    data = np.column_stack([t_s, acc, gyr] + ([extra] if extra is not None else []))
    np.savetxt(path, data, delimiter=",", fmt="%.6f", header=",".join(header), comments="")
    return path


def test_good_file_reads_in_si_units(tmp_path):
    t_s, acc, gyr = still_with_rotations()
    rec = read_imu_csv(write_csv(tmp_path / "good.csv", t_s, acc, gyr))
    assert isinstance(rec, ImuRecording)
    assert rec.t_s.dtype == np.float64 and rec.t_s.shape == (3000,)
    assert rec.acc_mps2.shape == (3000, 3) and rec.gyr_rad_s.shape == (3000, 3)
    assert np.allclose(rec.acc_mps2, acc, atol=1e-6) and np.allclose(rec.gyr_rad_s, gyr, atol=1e-6)
    assert rec.t_s[0] == pytest.approx(1234.5), "times stay on the sensor's own clock"
    assert rec.fs_hz == pytest.approx(100.0, rel=1e-6)
    assert rec.saturated.dtype == bool and not rec.saturated.any()
    assert rec.warnings == ()
    assert rec.source.endswith("good.csv")
    with pytest.raises(AttributeError):
        rec.fs_hz = 50.0  # frozen


def test_g_and_deg_s_are_converted(tmp_path):
    t_s, acc, gyr = still_with_rotations()
    path = write_csv(tmp_path / "g_degs.csv", t_s, acc / G_MPS2, np.rad2deg(gyr))
    rec = read_imu_csv(path, acc_unit="g", gyro_unit="deg/s")
    assert np.allclose(rec.acc_mps2, acc, atol=1e-4)
    assert np.allclose(rec.gyr_rad_s, gyr, atol=1e-6)


def test_column_order_whitespace_and_extra_columns(tmp_path):
    t_s, acc, gyr = still_with_rotations()
    order = [6, 0, 3, 1, 2, 4, 5]
    data = np.column_stack([t_s, acc, gyr, np.full(len(t_s), 21.5)])
    header = [f"  {HEADER[i]} " for i in order] + ["temp_c"]
    lines = [",".join(header)]
    lines += [", ".join(f"{row[i]:.6f}" for i in order) + f" ,{row[7]}" for row in data]
    path = tmp_path / "shuffled.csv"
    path.write_text("\n".join(lines) + "\n")
    rec = read_imu_csv(path)
    assert np.allclose(rec.acc_mps2, acc, atol=1e-6) and np.allclose(rec.gyr_rad_s, gyr, atol=1e-6)
    assert len(rec.warnings) == 1 and "temp_c" in rec.warnings[0] and "ignored" in rec.warnings[0]


def test_saturation_marks_mask_and_warns_with_channel_and_span(tmp_path):
    t_s, acc, gyr = still_with_rotations()
    # A +-125 deg/s gyroscope clips the fast part of each rotation.
    clip = np.deg2rad(125.0)
    gyr = gyr.copy()
    gyr[:, 1] = np.clip(gyr[:, 1] * 10.0, -clip, clip)
    path = write_csv(tmp_path / "clipped.csv", t_s, acc, np.rad2deg(gyr))
    rec = read_imu_csv(path, gyro_unit="deg/s")
    assert rec.saturated.any()
    assert np.all(np.isclose(np.abs(np.rad2deg(rec.gyr_rad_s[rec.saturated, 1])), 125.0))
    assert len(rec.warnings) == 1
    warning = rec.warnings[0]
    assert "gyr_y" in warning and "clipped" in warning and "time_s" in warning


def test_quantised_still_noise_is_not_saturation(tmp_path):
    t_s, acc, gyr = still_with_rotations()
    gyr = np.round(gyr * 0, 3)  # a still gyro: its extreme repeats, but far below any full scale
    gyr[::7, 0] = 0.001
    rec = read_imu_csv(write_csv(tmp_path / "quant.csv", t_s, np.round(acc, 2), gyr))
    assert not rec.saturated.any() and rec.warnings == ()


def test_errors_name_file_line_and_column(tmp_path):
    t_s, acc, gyr = still_with_rotations()
    path = write_csv(tmp_path / "bad.csv", t_s, acc, gyr)
    lines = path.read_text().splitlines()
    fields = lines[5].split(",")
    fields[2] = "oops"
    lines[5] = ",".join(fields)
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(HingeInputError, match=r"bad\.csv: line 6, column 'acc_y': 'oops' is not a number"):
        read_imu_csv(path)


def test_error_is_a_value_error_with_one_line(tmp_path):
    with pytest.raises(ValueError) as info:
        read_imu_csv(tmp_path / "nope.csv")
    assert "\n" not in str(info.value) and "nope.csv" in str(info.value)


def test_unknown_unit_option_is_rejected(tmp_path):
    with pytest.raises(HingeInputError, match="acc_unit 'mg'"):
        read_imu_csv(tmp_path / "x.csv", acc_unit="mg")


@pytest.mark.slow
def test_one_hour_at_100_hz_loads_well_under_a_second(tmp_path):
    n = 360_000
    rng = np.random.default_rng(3)
    t_s = np.arange(n) / 100.0
    acc = rng.normal(0, 0.05, (n, 3)) + [0.0, 0.0, G_MPS2]
    gyr = rng.normal(0, 0.01, (n, 3))
    data = np.column_stack([t_s, acc, gyr])
    # Faster than np.savetxt: format all cells at once.
    body = "\n".join(",".join(f"{v:.5f}" for v in row) for row in data.tolist())
    path = tmp_path / "hour.csv"
    path.write_text(",".join(HEADER) + "\n" + body + "\n")
    read_imu_csv(path)  # warm up imports and caches
    start = time.perf_counter()
    rec = read_imu_csv(path)
    elapsed_s = time.perf_counter() - start
    assert len(rec.t_s) == n
    assert elapsed_s < 1.0, f"loading 360k rows took {elapsed_s:.2f} s"


def test_a_packet_repeated_exactly_is_dropped_with_a_warning(tmp_path):
    t_s, acc, gyr = still_with_rotations()
    rows = np.column_stack([t_s, acc, gyr])
    doubled = np.insert(rows, 301, rows[300], axis=0)  # the same time stamp and values twice
    path = tmp_path / "rec.csv"
    np.savetxt(path, doubled, delimiter=",", fmt="%.6f", header=",".join(HEADER), comments="")
    rec = read_imu_csv(path)
    assert len(rec.t_s) == len(t_s)
    np.testing.assert_allclose(rec.t_s, np.round(t_s, 6))
    assert any("dropped 1 row repeating" in w and "line 303" in w for w in rec.warnings)


def test_a_repeated_time_stamp_with_other_values_is_still_refused(tmp_path):
    t_s, acc, gyr = still_with_rotations()
    rows = np.column_stack([t_s, acc, gyr])
    conflict = np.insert(rows, 301, rows[300] + np.r_[0.0, 0.5, 0, 0, 0, 0, 0], axis=0)
    path = tmp_path / "rec.csv"
    np.savetxt(path, conflict, delimiter=",", fmt="%.6f", header=",".join(HEADER), comments="")
    with pytest.raises(HingeInputError, match="time repeats"):
        read_imu_csv(path)
