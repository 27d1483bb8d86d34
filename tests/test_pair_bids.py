"""BIDS-Motion with two sensors: two tracking systems (tracksys-imu at the sacrum,
tracksys-imuT12 at T12), each its own tracked point, one recording onset (the same
acq_time in scans.tsv, LATENCY from it), exported from a two-sensor CSV and read back
exactly; validated by the official validator; hostile entries give one-line errors."""
import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from hinge.bids_export import export_bids
from hinge.recordings import load_recording

from pair_data import UPPER, pair_rows, simulated_pair, write_pair_csv
from load_errors import load_error
from bids_validator import validator_issues
from test_cli_errors import run_hinge


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    """A two-sensor CSV: sacrum and T12 on one simulated body, the T12 sensor missing 1 s."""
    rows = pair_rows(simulated_pair(seed=8, n_bends=4))
    rows[2000:2100, 7:] = np.nan
    return write_pair_csv(tmp_path_factory.mktemp("pair") / "pair.csv", rows)


@pytest.fixture(scope="module")
def dataset(source, tmp_path_factory):
    root = tmp_path_factory.mktemp("bids") / "study"
    done = export_bids(source, root, "P01")
    assert done.upper_placement == UPPER and done.upper_paths is not None
    return root


def _motion(root: Path, tracksys: str) -> Path:
    return root / "sub-P01" / "motion" / f"sub-P01_task-bending_tracksys-{tracksys}_motion.tsv"


def _companion(path: Path, suffix: str) -> Path:
    return path.with_name(path.name.replace("_motion.tsv", suffix))


def _copy(dataset: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "copy"
    shutil.copytree(dataset, copy)
    return copy




def test_two_tracking_systems_with_their_own_tracked_points(dataset):
    lower, upper = _motion(dataset, "imu"), _motion(dataset, "imuT12")
    assert lower.is_file() and upper.is_file()
    channels = {k: pd.read_csv(_companion(p, "_channels.tsv"), sep="\t", dtype=str, keep_default_na=False)
                for k, p in (("lower", lower), ("upper", upper))}
    imu = {k: c[c["type"].isin(["ACCEL", "GYRO"])] for k, c in channels.items()}
    assert set(imu["lower"]["tracked_point"]) == {"LowerBack"} and set(imu["lower"]["placement"]) == {"sacrum"}
    assert set(imu["upper"]["tracked_point"]) == {"UpperBack"} and set(imu["upper"]["placement"]) == {UPPER}
    for path in (lower, upper):
        sidecar = json.loads(_companion(path, "_motion.json").read_text())
        assert sidecar["TrackedPointsCount"] == 1 and sidecar["ACCELChannelCount"] == 3
    assert (pd.read_csv(_companion(lower, "_events.tsv"), sep="\t")["trial_type"] != "BAD_gap").sum() >= 3
    assert len(pd.read_csv(_companion(upper, "_events.tsv"), sep="\t")) == 0, "the bends go with the lower sensor"
    scans = pd.read_csv(dataset / "sub-P01" / "sub-P01_scans.tsv", sep="\t", dtype=str, keep_default_na=False)
    assert set(scans["filename"]) == {f"motion/{lower.name}", f"motion/{upper.name}"}
    assert scans["acq_time"].nunique() == 1, "one recording onset for both"


def test_round_trip_keeps_both_sensors_on_one_time_base(source, dataset):
    csv = load_recording(source)
    bids = load_recording(_motion(dataset, "imu"))
    assert bids.upper_placement == UPPER and bids.placement == "sacrum"
    origin_csv, origin_bids = csv.recording.t_s[0], bids.recording.t_s[0]
    assert origin_bids == 0.0, "the lower sensor starts first: it is the onset"
    for a, b in ((csv.recording, bids.recording), (csv.upper, bids.upper)):
        assert len(a.t_s) == len(b.t_s)
        np.testing.assert_allclose(b.t_s - origin_bids, a.t_s - origin_csv, rtol=0, atol=1e-9)
        np.testing.assert_allclose(b.acc_mps2, a.acc_mps2, rtol=1e-8, atol=1e-9)
        np.testing.assert_allclose(b.gyr_rad_s, a.gyr_rad_s, rtol=1e-8, atol=1e-9)
    assert len(bids.upper.t_s) == len(bids.recording.t_s) - 100


def test_the_upper_sensor_starting_first_sets_the_onset(tmp_path):
    rows = pair_rows(simulated_pair(seed=8, n_bends=2))
    rows[:50, 1:7] = np.nan  # the lower sensor starts 0.5 s after the upper one
    source = write_pair_csv(tmp_path / "late.csv", rows)
    export_bids(source, tmp_path / "study", "P01")
    bids = load_recording(_motion(tmp_path / "study", "imu"))
    assert bids.upper.t_s[0] == 0.0
    assert bids.recording.t_s[0] == pytest.approx(rows[50, 0] - rows[0, 0], abs=1e-9)


def test_acq_time_moves_the_upper_sensor(dataset, tmp_path):
    copy = _copy(dataset, tmp_path)
    scans_path = copy / "sub-P01" / "sub-P01_scans.tsv"
    scans = pd.read_csv(scans_path, sep="\t", dtype=str, keep_default_na=False)
    scans["acq_time"] = np.where(scans["filename"].str.contains("imuT12"), "2026-12-01T10:00:00.250000Z",
                                 "2026-12-01T10:00:00.000000Z")
    scans.to_csv(scans_path, sep="\t", index=False)
    moved = load_recording(_motion(copy, "imu"))
    original = load_recording(_motion(dataset, "imu"))
    np.testing.assert_allclose(moved.upper.t_s - original.upper.t_s, 0.25, atol=1e-9)
    np.testing.assert_array_equal(moved.recording.t_s, original.recording.t_s)


def test_batch_counts_the_pair_once(dataset, tmp_path):
    from hinge.batch_discovery import discover

    found = discover([str(dataset)])
    assert [Path(r.path).name for r in found.recordings] == [_motion(dataset, "imu").name]


def test_a_one_sensor_export_is_one_tracking_system(tmp_path):
    from hinge.recordings import example_session_path

    done = export_bids(example_session_path("hip_led"), tmp_path / "study", "P02")
    assert done.upper_paths is None and done.upper_placement is None
    assert len(list((tmp_path / "study").rglob("*_motion.tsv"))) == 1
    assert load_recording(done.paths["motion"]).upper is None


def test_command_line_export_names_both(source, tmp_path):
    result = run_hinge("export", source, "--bids", tmp_path / "study", "--subject", "P03")
    assert result.returncode == 0, result.stderr
    assert "tracksys-imuT12_motion.tsv (the T12 sensor)" in result.stdout and "sacrum and T12" in result.stdout


# --- hostile entries --------------------------------------------------------------------------

def test_the_upper_file_alone_points_at_the_lower_one(dataset):
    message = load_error(_motion(dataset, "imuT12"))
    assert "is the upper sensor (T12) of a two-sensor recording" in message
    assert _motion(dataset, "imu").name in message


def test_both_sensors_labelled_one_tracked_point(dataset, tmp_path):
    copy = _copy(dataset, tmp_path)
    channels = _companion(_motion(copy, "imuT12"), "_channels.tsv")
    channels.write_text(channels.read_text().replace("UpperBack", "LowerBack"))
    message = load_error(_motion(copy, "imu"))
    assert "tracked_point 'LowerBack' is also the sacrum sensor's" in message
    assert message.startswith(str(_motion(copy, "imuT12")))


def test_two_tracked_points_in_one_tracking_system(dataset, tmp_path):
    copy = _copy(dataset, tmp_path)
    channels = _companion(_motion(copy, "imu"), "_channels.tsv")
    lines = channels.read_text().splitlines()
    lines[4:7] = [line.replace("LowerBack", "UpperBack") for line in lines[4:7]]  # the gyroscope "elsewhere"
    channels.write_text("\n".join(lines) + "\n")
    message = load_error(_motion(copy, "imu"))
    assert "ACCEL/GYRO channels of 2 tracked points (LowerBack, UpperBack) in one tracking system" in message


def test_two_upper_sensors(dataset, tmp_path):
    copy = _copy(dataset, tmp_path)
    upper = _motion(copy, "imuT12")
    for file in upper.parent.glob(upper.name.replace("_motion.tsv", "_*")):
        shutil.copy(file, file.with_name(file.name.replace("imuT12", "imuT12b")))
    assert "2 tracking systems beside it are placed at an upper site" in load_error(_motion(copy, "imu"))


def test_upper_sensor_in_other_units_than_declared(dataset, tmp_path):
    copy = _copy(dataset, tmp_path)
    upper = _motion(copy, "imuT12")
    channels = _companion(upper, "_channels.tsv")
    channels.write_text(channels.read_text().replace("m/s^2", "g"))
    message = load_error(_motion(copy, "imu"))
    assert message.startswith(str(upper)) and "looks like m/s^2" in message


def test_upper_sensor_all_missing(dataset, tmp_path):
    copy = _copy(dataset, tmp_path)
    upper = _motion(copy, "imuT12")
    n_rows = len(upper.read_text().splitlines())
    upper.write_text("n/a\tn/a\tn/a\tn/a\tn/a\tn/a\tn/a\n" * n_rows)
    message = load_error(_motion(copy, "imu"))
    assert message.startswith(str(upper)) and "too few samples: only 0" in message


@pytest.mark.slow
def test_official_validator(dataset):
    """bids-validator 3.0.2 (Deno build, the test extra) finds no error in the two-sensor dataset."""
    issues = validator_issues(dataset)
    assert [f"{i['code']} {i.get('location')}" for i in issues if i["severity"] == "error"] == []
    assert not [i for i in issues if i["code"] == "EVENTS_TSV_MISSING"]
