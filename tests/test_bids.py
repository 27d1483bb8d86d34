"""BIDS-Motion export and import: round trip, the layout against the specification, errors.

The spec checks below are written from BIDS 1.11.1 (modality-specific-files/motion.md
and the schema rules for the motion datatype) and always run; the official validator
(bids-validator 3.0.2, test extra) runs in test_official_validator when installed.
"""
from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import hinge
from hinge.bids_export import export_bids
from hinge.cli import main
from hinge.errors import HingeInputError
from hinge.recordings import load_recording
from hinge.recordings import example_session_path, read_session
from hinge.recordings.bids import read_motion
from load_errors import load_error
from bids_validator import validator_errors

STEM = re.compile(r"^sub-(?P<sub>[A-Za-z0-9]+)(_ses-(?P<ses>[A-Za-z0-9]+))?_task-(?P<task>[A-Za-z0-9]+)"
                  r"_tracksys-(?P<tracksys>[A-Za-z0-9]+)(_acq-[A-Za-z0-9]+)?(_run-[0-9]+)?"
                  r"_(?P<suffix>motion|channels|events)\.(?P<ext>tsv|json)$")
CHANNEL_TYPES = {"ACCEL", "ANGACCEL", "GYRO", "JNTANG", "LATENCY", "MAGN", "MISC", "ORNT", "POS", "VEL"}
COMPONENTS = {"x", "y", "z", "quat_x", "quat_y", "quat_z", "quat_w", "n/a"}


@pytest.fixture(scope="module")
def dataset(tmp_path_factory) -> Path:
    """Both example sessions exported: hip_led as sub-01 ses-1, spine_led as sub-02 (no session)."""
    root = tmp_path_factory.mktemp("bids") / "study"
    export_bids(example_session_path("hip_led"), root, "01", session="1")
    export_bids(example_session_path("spine_led"), root, "02")
    return root


def _motion_file(root: Path, subject: str) -> Path:
    (path,) = sorted(root.glob(f"sub-{subject}/**/motion/*_motion.tsv"))
    return path


def _companion(path: Path, suffix: str) -> Path:
    return path.with_name(path.name.replace("_motion.tsv", suffix))


def _copy_entry(src: Path, dst_dir: Path) -> Path:
    """Copy one entry's files (motion, channels, json, events) to dst_dir; return the new motion path."""
    dst_dir.mkdir(parents=True, exist_ok=True)
    for file in src.parent.glob(src.name.replace("_motion.tsv", "_*")):
        shutil.copy(file, dst_dir / file.name)
    return dst_dir / src.name


# --- round trip ---------------------------------------------------------------------------

@pytest.mark.parametrize("name, subject", [("hip_led", "01"), ("spine_led", "02")])
def test_round_trip_gives_the_same_bends(dataset, name, subject):
    """session -> BIDS -> analyse == analyse session: count, times within a sample, classes, scores."""
    session_path = example_session_path(name)
    direct = hinge.analyse_file(session_path).bends
    via_bids = hinge.analyse_file(_motion_file(dataset, subject)).bends
    t0 = read_session(session_path).t_s[0]
    assert len(direct) >= 5 and len(via_bids) == len(direct)
    one_sample_s = 0.01
    for column in ("start_s", "peak_s", "end_s"):
        np.testing.assert_allclose(via_bids[column].to_numpy(), direct[column].to_numpy() - t0, atol=one_sample_s)
    assert list(via_bids["label"]) == list(direct["label"])
    np.testing.assert_allclose(via_bids["score"].to_numpy(), direct["score"].to_numpy(), atol=1e-6)
    np.testing.assert_allclose(via_bids["lumbar_share"].to_numpy(), direct["lumbar_share"].to_numpy(), atol=1e-6)


def test_samples_come_back_exactly(dataset):
    session = read_session(example_session_path("hip_led"))
    motion = read_motion(_motion_file(dataset, "01"))
    assert len(motion.t_s) == len(session.t_s)
    np.testing.assert_array_equal(motion.t_s, session.t_s - session.t_s[0])
    # float32 samples written with 9 significant digits come back bit for bit as float32.
    np.testing.assert_array_equal(motion.acc_mps2.astype(np.float32), session.acc_mps2.astype(np.float32))
    np.testing.assert_array_equal(motion.gyr_rad_s.astype(np.float32), session.gyr_rad_s.astype(np.float32))
    assert motion.placement == "sacrum" and motion.fs_hz == pytest.approx(100.0, rel=1e-3)


def test_events_hold_one_row_per_bend_and_the_gap(dataset):
    session_path = example_session_path("spine_led")
    bends = hinge.analyse_file(session_path).bends
    t0 = read_session(session_path).t_s[0]
    events = pd.read_csv(_companion(_motion_file(dataset, "02"), "_events.tsv"), sep="\t", na_values="n/a")
    rows = events[events["trial_type"].isin(["hip-led", "spine-led", "uncertain"])]
    assert list(rows["trial_type"]) == list(bends["label"])
    np.testing.assert_allclose(rows["onset"], bends["start_s"] - t0, atol=1e-6)
    np.testing.assert_allclose(rows["duration"], bends["end_s"] - bends["start_s"], atol=1e-6)
    np.testing.assert_allclose(rows["score"], bends["score"], atol=1e-3)
    gaps = events[events["trial_type"] == "BAD_gap"]
    assert len(gaps) == 1 and gaps["score"].isna().all()
    assert (np.diff(events["onset"]) >= 0).all()


def test_without_latency_channel_time_comes_from_the_rate(dataset, tmp_path):
    """A reader that ignores LATENCY (row / rate, n/a rows for lost samples) sees the same bends."""
    src = _motion_file(dataset, "01")
    motion_path = _copy_entry(src, tmp_path / "motion")
    channels = pd.read_csv(_companion(motion_path, "_channels.tsv"), sep="\t", dtype=str, keep_default_na=False)
    keep = channels["type"] != "LATENCY"
    channels[keep].to_csv(_companion(motion_path, "_channels.tsv"), sep="\t", index=False)
    lines = motion_path.read_text().splitlines()
    motion_path.write_text("".join("\t".join(line.split("\t")[:6]) + "\n" for line in lines))
    direct = hinge.analyse_file(src).bends
    no_latency = hinge.analyse_file(motion_path).bends
    assert list(no_latency["label"]) == list(direct["label"])
    np.testing.assert_allclose(no_latency["start_s"], direct["start_s"], atol=0.011)
    np.testing.assert_allclose(no_latency["end_s"], direct["end_s"], atol=0.011)


@pytest.mark.parametrize("change", [{"SamplingFrequency": 200.0, "SamplingFrequencyEffective": 200.0},
                                    {"SamplingFrequencyEffective": 150.0}])
def test_without_latency_a_rate_the_sidecar_contradicts_is_refused(dataset, tmp_path, change):
    src = _motion_file(dataset, "01")
    motion_path = _copy_entry(src, tmp_path / "motion")
    channels = pd.read_csv(_companion(motion_path, "_channels.tsv"), sep="\t", dtype=str, keep_default_na=False)
    channels[channels["type"] != "LATENCY"].to_csv(_companion(motion_path, "_channels.tsv"), sep="\t", index=False)
    lines = motion_path.read_text().splitlines()
    motion_path.write_text("".join("\t".join(line.split("\t")[:6]) + "\n" for line in lines))
    sidecar_path = _companion(motion_path, "_motion.json")
    sidecar = json.loads(sidecar_path.read_text())
    assert "RecordingDuration" in sidecar or "SamplingFrequencyEffective" in change
    sidecar.update(change)
    sidecar_path.write_text(json.dumps(sidecar))
    with pytest.raises(HingeInputError, match="no LATENCY channel to tell which is right"):
        read_motion(motion_path)


def test_g_and_deg_per_s_are_converted(dataset, tmp_path):
    src = _motion_file(dataset, "01")
    motion_path = _copy_entry(src, tmp_path / "motion")
    values = np.loadtxt(src, delimiter="\t", dtype=str)
    numbers = np.where(values == "n/a", "nan", values).astype(float)
    numbers[:, :3] /= 9.80665
    numbers[:, 3:6] = np.degrees(numbers[:, 3:6])
    text = ["\t".join("n/a" if np.isnan(v) else f"{v:.9g}" for v in row) for row in numbers]
    motion_path.write_text("\n".join(text) + "\n")
    channels_path = _companion(motion_path, "_channels.tsv")
    channels = channels_path.read_text().replace("m/s^2", "g").replace("rad/s", "deg/s")
    channels_path.write_text(channels)
    original, converted = read_motion(src), read_motion(motion_path)
    np.testing.assert_allclose(converted.acc_mps2, original.acc_mps2, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(converted.gyr_rad_s, original.gyr_rad_s, rtol=1e-6, atol=1e-8)


# --- the layout, checked against the specification -----------------------------------------

def test_dataset_level_files(dataset):
    description = json.loads((dataset / "dataset_description.json").read_text())
    assert description["Name"] and description["BIDSVersion"] == "1.11.1"
    assert description["DatasetType"] == "raw"
    assert description["GeneratedBy"][0]["Name"] == "hinge"
    participants = pd.read_csv(dataset / "participants.tsv", sep="\t", dtype=str)
    assert participants.columns[0] == "participant_id"
    assert sorted(participants["participant_id"]) == ["sub-01", "sub-02"]
    assert (dataset / "README").is_file()
    for scans in dataset.glob("sub-*/**/*_scans.tsv"):
        table = pd.read_csv(scans, sep="\t", dtype=str)
        assert list(table.columns[:2]) == ["filename", "acq_time"]
        for filename in table["filename"]:
            assert (scans.parent / filename).is_file()
        assert list(table["acq_time"]) == ["2026-11-24T12:00:00.000000Z"]  # the session's created_utc


def test_file_names_follow_the_entity_order(dataset):
    files = [p for p in dataset.rglob("*") if p.is_file() and p.parent.name == "motion"]
    assert len(files) == 12
    for path in files:
        match = STEM.match(path.name)
        assert match, path.name
        subject_dir = path.parent.parent if match["ses"] is None else path.parent.parent.parent
        assert subject_dir.name == f"sub-{match['sub']}"
        if match["ses"]:
            assert path.parent.parent.name == f"ses-{match['ses']}"


@pytest.mark.parametrize("subject", ["01", "02"])
def test_motion_channels_and_sidecar_agree(dataset, subject):
    motion_path = _motion_file(dataset, subject)
    channels = pd.read_csv(_companion(motion_path, "_channels.tsv"), sep="\t", dtype=str, keep_default_na=False)
    assert list(channels.columns[:5]) == ["name", "component", "type", "tracked_point", "units"]
    assert set(channels["type"]) <= CHANNEL_TYPES and set(channels["component"]) <= COMPONENTS
    assert channels["name"].is_unique
    units = dict(zip(channels["type"], channels["units"]))
    assert units == {"ACCEL": "m/s^2", "GYRO": "rad/s", "LATENCY": "s"}
    assert set(channels.loc[channels["type"] != "LATENCY", "placement"]) == {"sacrum"}

    lines = motion_path.read_text().splitlines()
    first = lines[0].split("\t")
    assert all(re.match(r"^-?[0-9.e+-]+$", cell) for cell in first), "motion.tsv must not have a header"
    widths = {len(line.split("\t")) for line in lines}
    assert widths == {len(channels)}
    latency_col = list(channels["type"]).index("LATENCY")
    latencies = [line.split("\t")[latency_col] for line in lines]
    # Plain decimals, as many digits as the float64 time needs to read back exactly.
    assert all(re.match(r"^\d+\.\d+$", t) or t == "n/a" for t in latencies)
    assert float(latencies[0]) == 0.0

    sidecar = json.loads(_companion(motion_path, "_motion.json").read_text())
    assert sidecar["TaskName"] == STEM.match(motion_path.name)["task"]
    assert isinstance(sidecar["SamplingFrequency"], float) and sidecar["SamplingFrequency"] == 100.0
    assert sidecar["TrackingSystemName"]
    assert sidecar["MotionChannelCount"] == len(channels)
    for kind in CHANNEL_TYPES:
        assert sidecar[f"{kind}ChannelCount"] == int((channels["type"] == kind).sum())
    n_lost = sum(line.startswith("n/a") for line in lines)
    assert n_lost == 19 and str(n_lost) in sidecar["SubjectArtefactDescription"]
    assert sidecar["MissingValues"] == "n/a"
    assert sidecar["SoftwareVersions"] == "1.0.0" and sidecar["ManufacturersModelName"].startswith("hinge open")
    # Rows are one nominal period apart: the last row sits at the recording's duration.
    assert (len(lines) - 1) / sidecar["SamplingFrequencyEffective"] == pytest.approx(
        sidecar["RecordingDuration"], abs=0.5 / sidecar["SamplingFrequency"])


def test_events_columns_are_described(dataset):
    events_path = _companion(_motion_file(dataset, "01"), "_events.tsv")
    events = pd.read_csv(events_path, sep="\t", dtype=str, keep_default_na=False)
    assert list(events.columns[:3]) == ["onset", "duration", "trial_type"]
    described = json.loads(events_path.with_suffix(".json").read_text())
    assert set(events.columns) <= set(described)
    assert set(events["trial_type"]) <= set(described["trial_type"]["Levels"])
    onset = events["onset"].astype(float)
    duration = events["duration"].astype(float)
    sidecar = json.loads(_companion(_motion_file(dataset, "01"), "_motion.json").read_text())
    assert (onset >= 0).all() and ((onset + duration) <= sidecar["RecordingDuration"]).all()
    assert (duration > 0).all()


@pytest.mark.slow
def test_official_validator(dataset):
    """bids-validator 3.0.2 (Deno build, from the test extra) finds no error; it does find a broken copy."""
    assert validator_errors(dataset) == []
    broken = dataset.parent / "broken"
    shutil.copytree(dataset, broken)
    sidecar_path = _companion(_motion_file(broken, "01"), "_motion.json")
    sidecar = json.loads(sidecar_path.read_text())
    del sidecar["SamplingFrequency"]
    sidecar_path.write_text(json.dumps(sidecar))
    assert any("SamplingFrequency" in e or "JSON_KEY_REQUIRED" in e or "SIDECAR_KEY_REQUIRED" in e
               for e in validator_errors(broken))


# --- adding to a dataset ------------------------------------------------------------------

def test_adding_keeps_other_entries_and_refuses_to_overwrite(dataset, tmp_path):
    root = tmp_path / "study"
    shutil.copytree(dataset, root)
    participants = pd.read_csv(root / "participants.tsv", sep="\t", dtype=str)
    participants["age"] = ["31", "45"]
    participants.to_csv(root / "participants.tsv", sep="\t", index=False)
    before = _motion_file(root, "01").read_bytes()

    export_bids(example_session_path("spine_led"), root, "01", session="2")
    table = pd.read_csv(root / "participants.tsv", sep="\t", dtype=str)
    assert list(table["participant_id"]) == ["sub-01", "sub-02"] and list(table["age"]) == ["31", "45"]
    assert (root / "sub-01/ses-1/motion/sub-01_ses-1_task-bending_tracksys-imu_motion.tsv").read_bytes() == before
    assert (root / "sub-01/ses-2/motion/sub-01_ses-2_task-bending_tracksys-imu_motion.tsv").is_file()

    export_bids(example_session_path("hip_led"), root, "03")
    table = pd.read_csv(root / "participants.tsv", sep="\t", dtype=str, keep_default_na=False)
    assert list(table["participant_id"]) == ["sub-01", "sub-02", "sub-03"] and table["age"].iloc[2] == "n/a"

    with pytest.raises(HingeInputError, match="already exists.*--force"):
        export_bids(example_session_path("hip_led"), root, "01", session="1")
    # --force replaces this entry (here with the other session) and its scans row.
    export_bids(example_session_path("spine_led"), root, "01", session="1", force=True)
    replaced = read_motion(root / "sub-01/ses-1/motion/sub-01_ses-1_task-bending_tracksys-imu_motion.tsv")
    assert len(replaced.t_s) == len(read_session(example_session_path("spine_led")).t_s)
    scans = pd.read_csv(root / "sub-01/ses-1/sub-01_ses-1_scans.tsv", sep="\t", dtype=str)
    assert len(scans) == 1


def test_command_line_export_then_analyse(tmp_path, capsys):
    root = tmp_path / "study"
    args = ["export", str(example_session_path("hip_led")), "--bids", str(root), "--subject", "P01",
            "--session", "1", "--task", "bends"]
    assert main(args) == 0
    assert "8 bends" in capsys.readouterr().out
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.startswith("hinge: error: ") and "already exists" in err and err.count("\n") == 1
    motion = root / "sub-P01/ses-1/motion/sub-P01_ses-1_task-bends_tracksys-imu_motion.tsv"
    assert main(["analyse", str(motion), "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert len(document["bends"]) == 8 and document["input"]["fs_hz"] == pytest.approx(100.0, rel=1e-3)
    assert main(["export", str(example_session_path("hip_led")), "--bids", str(root), "--subject", "P_01"]) == 2
    assert "letters and digits" in capsys.readouterr().err


# --- bad BIDS input: one line each ---------------------------------------------------------

@pytest.fixture
def entry(dataset, tmp_path) -> Path:
    """A private copy of sub-01's entry to damage."""
    return _copy_entry(_motion_file(dataset, "01"), tmp_path / "motion")


def _edit_channels(motion_path: Path, old: str, new: str) -> None:
    path = _companion(motion_path, "_channels.tsv")
    path.write_text(path.read_text().replace(old, new))




def test_mislabeled_units_are_caught(entry):
    _edit_channels(entry, "m/s^2", "g")
    assert "looks like m/s^2, but the channels file says g" in load_error(entry)


def test_mislabeled_gyro_units_are_caught(entry):
    _edit_channels(entry, "rad/s", "deg/s")
    assert "looks like rad/s" in load_error(entry)


def test_unknown_unit_names_file_and_channel(entry):
    _edit_channels(entry, "rad/s", "rpm")
    message = load_error(entry)
    assert "_channels.tsv" in message and "'gyr_x'" in message and "'rpm'" in message


def test_truncated_motion_file(entry):
    text = entry.read_text()
    entry.write_text(text[: len(text) // 2].rsplit("\t", 3)[0] + "\n")
    assert "cells, expected 7" in load_error(entry) and "truncated" in load_error(entry)


def test_motion_file_with_a_header(entry):
    entry.write_text("acc_x\tacc_y\tacc_z\tgyr_x\tgyr_y\tgyr_z\tlatency\n" + entry.read_text())
    assert "no header row" in load_error(entry)


def test_column_count_must_match_channels(entry):
    channels = _companion(entry, "_channels.tsv")
    channels.write_text("\n".join(channels.read_text().splitlines()[:-1]) + "\n")
    assert "7 columns but the _channels.tsv lists 6" in load_error(entry)


@pytest.mark.parametrize("suffix", ["_channels.tsv", "_motion.json"])
def test_missing_companion_file(entry, suffix):
    _companion(entry, suffix).unlink()
    message = load_error(entry)
    assert suffix in message and "not found" in message


def test_sampling_frequency_must_be_a_number(entry):
    path = _companion(entry, "_motion.json")
    sidecar = json.loads(path.read_text())
    sidecar["SamplingFrequency"] = "100 Hz"
    del sidecar["SamplingFrequencyEffective"]
    path.write_text(json.dumps(sidecar))
    assert "SamplingFrequency is '100 Hz'" in load_error(entry)


def test_missing_gyro_axis(entry):
    _edit_channels(entry, "gyr_z\tz\tGYRO", "gyr_z\tz\tMISC")
    assert "one GYRO channel with component z" in load_error(entry)


def test_units_flags_are_refused_for_bids(entry):
    with pytest.raises(HingeInputError, match="declares its units"):
        load_recording(entry, acc_unit="g")


def test_bids_folder_is_pointed_at_its_motion_file(dataset):
    message = load_error(dataset)
    assert "pass one *_motion.tsv file" in message and "found 2" in message


def test_bad_saturation_events_mark_samples_saturated(entry):
    events_path = _companion(entry, "_events.tsv")
    events = pd.read_csv(events_path, sep="\t", dtype=str, keep_default_na=False)
    row = {c: "n/a" for c in events.columns} | {"onset": "20.0", "duration": "0.5", "trial_type": "BAD_saturation"}
    pd.concat([events, pd.DataFrame([row])]).to_csv(events_path, sep="\t", index=False)
    recording = load_recording(entry).recording
    inside = (recording.t_s >= 20.0) & (recording.t_s <= 20.5)
    assert 49 <= inside.sum() <= 51 and (recording.saturated == inside).all()
    assert any("BAD_saturation" in w for w in recording.warnings)


def test_uniform_rows_leave_empty_rows_for_lost_samples():
    from hinge.recordings.bids import uniform_rows

    rng = np.random.default_rng(4)
    period_s = 1 / 99.7  # a device a little slower than its nominal 100 Hz
    t_s = 50.0 + np.arange(20_000) * period_s + rng.uniform(-0.2, 0.2, 20_000) * period_s
    lost = np.zeros(t_s.size, bool)
    lost[[100, 5000, 5001, 5002]] = True
    lost[12_000:12_040] = True
    kept = t_s[~lost]
    rows = uniform_rows(kept, 99.7)
    assert rows[0] == 0 and (np.diff(rows) >= 1).all()
    assert rows[-1] + 1 == t_s.size  # every lost sample left exactly one empty row
    np.testing.assert_allclose(rows / 99.7, kept - kept[0], atol=0.5 * period_s)


def test_a_csv_recording_exports_without_device_metadata(tmp_path):
    from hinge.analysis.body_model import SessionSpec, simulate_session

    csv_path = tmp_path / "demo.csv"
    simulate_session(SessionSpec(n_bends=3, placement="L5", fs_hz=50.0, seed=5)).to_csv(csv_path)
    done = export_bids(csv_path, tmp_path / "study", "7", task="demo", placement="L5")
    sidecar = json.loads(done.paths["motion_json"].read_text())
    assert sidecar["SamplingFrequency"] == pytest.approx(50.0, rel=1e-3) and "Manufacturer" not in sidecar
    loaded = load_recording(done.paths["motion"])
    assert loaded.kind == "bids" and loaded.placement == "L5"
    direct = hinge.analyse_file(csv_path, placement="L5").bends
    assert list(hinge.analyse_file(done.paths["motion"]).bends["label"]) == list(direct["label"])


def test_a_live_sessions_calibration_travels_with_it(tmp_path):
    """hinge live sessions are analysed from their guided calibration; so is their BIDS export."""
    session_path = tmp_path / "live"
    shutil.copytree(example_session_path("hip_led"), session_path)
    t0 = read_session(session_path).t_s[0]
    with open(session_path / "annotations.tsv", "a", encoding="utf-8") as handle:
        handle.write(f"{t0 + 1.0:.6f}\t30.000000\tcalibration\n")
    direct = hinge.analyse_file(session_path).bends
    assert len(direct) < len(hinge.analyse_file(example_session_path("hip_led")).bends)  # the window matters
    done = export_bids(session_path, tmp_path / "study", "01")
    via_bids = hinge.analyse_file(done.paths["motion"]).bends
    assert list(via_bids["label"]) == list(direct["label"])
    np.testing.assert_allclose(via_bids["start_s"], direct["start_s"] - t0, atol=0.01)
    np.testing.assert_allclose(via_bids["score"], direct["score"], atol=1e-6)


def test_refuses_to_write_into_a_folder_that_is_not_a_bids_dataset(tmp_path):
    (tmp_path / "notes.txt").write_text("my files\n")
    with pytest.raises(HingeInputError, match="no dataset_description.json"):
        export_bids(example_session_path("hip_led"), tmp_path, "01")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]
    empty = tmp_path / "empty"
    empty.mkdir()
    assert export_bids(example_session_path("hip_led"), empty, "01").paths["motion"].is_file()


def test_every_annotation_kind_is_described(tmp_path):
    session_path = tmp_path / "session"
    shutil.copytree(example_session_path("spine_led"), session_path)
    t0 = read_session(session_path).t_s[0]
    with open(session_path / "annotations.tsv", "a", encoding="utf-8") as handle:
        handle.write(f"{t0 + 30.0:.6f}\t0.000000\tBAD_clock_jump\n")
    done = export_bids(session_path, tmp_path / "study", "01")
    events = pd.read_csv(done.paths["events"], sep="\t", dtype=str)
    levels = json.loads(done.paths["events_json"].read_text())["trial_type"]["Levels"]
    assert "BAD_clock_jump" in set(events["trial_type"]) and set(events["trial_type"]) <= set(levels)
