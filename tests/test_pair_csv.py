"""The two-sensor CSV (time_s, the lower sensor's columns, t12_acc_x..t12_gyr_z): read into
`LoadedRecording.upper`, every check of the lower columns applied to the upper's, one-line
errors naming the columns, and a one-sensor CSV read exactly as before."""
import numpy as np
import pytest

from hinge.recordings import load_recording, read_csv_sensors
from hinge.recordings.csv_read import CHANNEL_COLUMNS, EXPECTED_HEADER, pair_header, upper_columns

from load_errors import load_error
from pair_data import UPPER, pair_rows, simulated_pair, write_lower_csv, write_pair_csv
from test_cli_errors import run_hinge

G_MPS2 = 9.80665


@pytest.fixture(scope="module")
def pair():
    return simulated_pair(seed=5, n_bends=4)


@pytest.fixture
def rows(pair):
    return pair_rows(pair).copy()


def _error(path, **options) -> str:
    message = load_error(path, **options)
    assert message.startswith(str(path)), message
    return message


def test_layout_names_the_upper_columns():
    assert upper_columns(UPPER) == tuple(f"t12_{c}" for c in CHANNEL_COLUMNS)
    assert pair_header(UPPER) == EXPECTED_HEADER + ",t12_acc_x,t12_acc_y,t12_acc_z,t12_gyr_x,t12_gyr_y,t12_gyr_z"


def test_both_sensors_are_read_on_one_time_base(pair, rows, tmp_path):
    loaded = load_recording(write_pair_csv(tmp_path / "pair.csv", rows))
    assert loaded.kind == "csv" and loaded.placement == "sacrum" and loaded.upper_placement == UPPER
    lower, upper = loaded.recording, loaded.upper
    assert np.array_equal(lower.t_s, pair.t_s) and np.array_equal(upper.t_s, pair.t_s)
    assert np.allclose(lower.acc_mps2, pair.lower[:, :3], rtol=0, atol=0)
    assert np.allclose(upper.acc_mps2, pair.upper[:, :3], rtol=0, atol=0)
    assert np.allclose(upper.gyr_rad_s, pair.upper[:, 3:], rtol=0, atol=0)
    assert not np.allclose(upper.gyr_rad_s, lower.gyr_rad_s, atol=1e-3), "the two sensors move differently"
    assert upper.fs_hz == pytest.approx(100.0, rel=1e-3) and upper.warnings == ()
    assert lower.warnings == () and lower.source == upper.source == str(tmp_path / "pair.csv")


def test_a_one_sensor_csv_has_no_upper(pair, tmp_path):
    loaded = load_recording(write_lower_csv(tmp_path / "one.csv", pair))
    assert loaded.upper is None and loaded.upper_placement is None
    assert np.allclose(loaded.recording.gyr_rad_s, pair.lower[:, 3:], rtol=0, atol=0)


def test_a_sensor_without_samples_in_some_rows(pair, rows, tmp_path):
    """An upper dropout of 2 s (its cells empty) and an upper sensor at half the rate."""
    rows[1000:1200, 7:] = np.nan
    rows[3001::2, 7:] = np.nan  # from line 3003 on, the upper sensor has every other row only
    rows[2500:2510, 1:7] = np.nan  # and the lower misses 0.1 s, the upper not
    loaded = load_recording(write_pair_csv(tmp_path / "gaps.csv", rows))
    upper_kept = ~np.isnan(rows[:, 7])
    assert np.array_equal(loaded.upper.t_s, pair.t_s[upper_kept])
    assert np.array_equal(loaded.recording.t_s, pair.t_s[~np.isnan(rows[:, 1])])
    assert len(loaded.recording.t_s) == len(pair.t_s) - 10
    assert np.allclose(loaded.upper.gyr_rad_s, pair.upper[upper_kept, 3:], rtol=0, atol=0)


def test_an_extra_column_with_the_prefix_alone_is_no_sensor(pair, tmp_path):
    path = tmp_path / "temp.csv"
    np.savetxt(path, np.column_stack([pair.t_s, pair.lower, np.full(len(pair.t_s), 31.5)]), delimiter=",",
               fmt="%.17g", header=EXPECTED_HEADER + ",t12_temperature", comments="")
    loaded = load_recording(path)
    assert loaded.upper is None
    assert any("ignored extra column 't12_temperature'" in w for w in loaded.recording.warnings)


def test_upper_saturation_and_glitches_are_found_in_its_columns(pair, rows, tmp_path):
    rows[2000:2006, 7] = 8 * G_MPS2  # a plateau at the simulated accelerometer's full scale
    rows[2600, 12] = 30.0  # a one-sample gyro spike of 30 rad/s
    loaded = load_recording(write_pair_csv(tmp_path / "sat.csv", rows))
    upper, lower = loaded.upper, loaded.recording
    assert upper.saturated[2000:2006].all()
    assert not lower.saturated.any()
    warnings = " ".join(upper.warnings)
    assert "channel t12_acc_x is clipped" in warnings
    assert "single-sample gyro spike" in warnings and "first at line 2602" in warnings
    assert len(upper.t_s) == len(pair.t_s) - 1 and len(lower.t_s) == len(pair.t_s)


def test_a_spike_is_named_at_its_file_line_between_rows_of_the_other_sensor(pair, rows, tmp_path):
    rows[0:3001:2, 7:] = np.nan  # the upper sensor in every other row only
    rows[2601, 12] = 30.0
    upper = load_recording(write_pair_csv(tmp_path / "spike.csv", rows)).upper
    assert "first at line 2603" in " ".join(upper.warnings)


# --- hostile inputs: one line naming the file, the columns and the fix -----------------

def test_upper_columns_partly_missing(rows, tmp_path):
    header = pair_header(UPPER).split(",")
    path = write_pair_csv(tmp_path / "part.csv", rows[:, :12], header=",".join(header[:12]))
    message = _error(path)
    assert "column 't12_gyr_z' of the upper sensor (T12) is missing" in message
    assert "t12_acc_x,t12_acc_y,t12_acc_z,t12_gyr_x,t12_gyr_y,t12_gyr_z" in message


def test_upper_column_misspelled(rows, tmp_path):
    header = pair_header(UPPER).replace("t12_gyr_y", "T12_gyro_y")
    message = _error(write_pair_csv(tmp_path / "typo.csv", rows, header=header))
    assert "column 't12_gyr_y' of the upper sensor (T12) is missing" in message
    assert "rename 'T12_gyro_y' to 't12_gyr_y'?" in message


def test_upper_column_twice(rows, tmp_path):
    header = pair_header(UPPER).replace("t12_gyr_y", "t12_gyr_x")
    assert "column 't12_gyr_x' appears twice" in _error(write_pair_csv(tmp_path / "twice.csv", rows, header=header))


def test_upper_accelerometer_in_g_while_the_lower_is_in_m_s2(rows, tmp_path):
    rows[:, 7:10] /= G_MPS2
    message = _error(write_pair_csv(tmp_path / "g.csv", rows))
    assert "(columns t12_acc_x..t12_gyr_z)" in message and "which looks like g" in message
    assert "write the t12_acc_* columns in m/s2 like acc_x..acc_z" in message


def test_upper_gyroscope_in_deg_s_while_the_lower_is_in_rad_s(rows, tmp_path):
    rows[:, 10:13] = np.degrees(rows[:, 10:13]) * 3.0  # fast enough to pass 35 "rad/s"
    message = _error(write_pair_csv(tmp_path / "deg.csv", rows))
    assert "(columns t12_acc_x..t12_gyr_z)" in message and "looks like deg/s" in message
    assert "t12_gyr_* columns in rad/s" in message


def test_both_in_g_are_converted_by_one_option(pair, rows, tmp_path):
    rows[:, 1:4] /= G_MPS2
    rows[:, 7:10] /= G_MPS2
    loaded = load_recording(write_pair_csv(tmp_path / "both_g.csv", rows), acc_unit="g")
    assert np.allclose(loaded.upper.acc_mps2, pair.upper[:, :3], rtol=1e-6, atol=1e-9)
    assert np.allclose(loaded.recording.acc_mps2, pair.lower[:, :3], rtol=1e-6, atol=1e-9)


def test_upper_sensor_all_nan(rows, tmp_path):
    rows[:, 7:] = np.nan
    message = _error(write_pair_csv(tmp_path / "upper_nan.csv", rows))
    assert "columns t12_acc_x..t12_gyr_z (the upper sensor) hold no values" in message
    assert "remove them to analyse the lower sensor alone" in message


def test_lower_sensor_all_nan(rows, tmp_path):
    rows[:, 1:7] = np.nan
    assert "columns acc_x..gyr_z (the lower sensor) hold no values" in _error(write_pair_csv(tmp_path / "l.csv", rows))


def test_a_row_with_part_of_a_sensor(rows, tmp_path):
    rows[99, 11] = np.nan
    message = _error(write_pair_csv(tmp_path / "part_row.csv", rows))
    assert "line 101, column 't12_gyr_y': empty or NaN cell" in message
    assert "leave all six t12_acc_x..t12_gyr_z empty" in message


def test_a_row_with_only_a_time(rows, tmp_path):
    rows[50, 1:] = np.nan
    assert "line 52: no values of either sensor" in _error(write_pair_csv(tmp_path / "time_only.csv", rows))


def test_a_nan_cell_of_a_one_sensor_csv_is_still_an_error(pair, tmp_path):
    path = write_lower_csv(tmp_path / "one.csv", pair)
    lines = path.read_text().splitlines()
    lines[10] = ",".join(lines[10].split(",")[:5] + ["", ""])
    path.write_text("\n".join(lines) + "\n")
    assert "line 11, column 'gyr_y': empty or NaN cell" in _error(path)


def test_upper_sensor_with_too_few_rows(rows, tmp_path):
    rows[500:, 7:] = np.nan  # 5 s of the upper sensor
    message = _error(write_pair_csv(tmp_path / "short.csv", rows))
    assert "(columns t12_acc_x..t12_gyr_z): too few samples" in message


def test_upper_time_in_milliseconds_cannot_happen_but_a_slow_upper_rate_is_named(pair, rows, tmp_path):
    keep = np.ones(len(rows), bool)
    rows[np.arange(len(rows)) % 10 != 0, 7:] = np.nan  # the upper sensor at 10 Hz
    message = _error(write_pair_csv(tmp_path / "slow.csv", rows[keep]))
    assert "(columns t12_acc_x..t12_gyr_z): sample rate 10 Hz" in message


def test_command_line_errors_are_one_line_with_exit_2(rows, tmp_path):
    rows[:, 7:10] /= G_MPS2
    result = run_hinge("analyse", write_pair_csv(tmp_path / "g.csv", rows))
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "t12_acc_x..t12_gyr_z" in result.stderr
    assert "Traceback" not in result.stderr


def test_help_names_the_two_sensor_layout():
    result = run_hinge("analyse", "--help")
    assert result.returncode == 0
    upper = upper_columns(UPPER)
    assert f"{upper[0]},...,{upper[-1]}" in " ".join(result.stdout.split())
