"""The loaded recording carries what was read with its samples: annotations and the guided
calibration's stretch, the same from a session and from its BIDS copy (issue 11, class 9)."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from hinge.errors import HingeInputError
from hinge.recordings import CALIBRATION_ANNOTATION, SessionWriter, example_session_path, load_recording, read_session
from hinge.recordings.bids import MotionEntry, write_motion_entry

# (onset from the first sample, duration, description), s
MARKS = [(2.0, 0.5, "BAD_gap"), (4.0, 9.0, CALIBRATION_ANNOTATION), (15.0, 0.3, "BAD_saturation")]


@pytest.fixture(scope="module")
def example():
    return read_session(example_session_path("hip_led"))


def _session(folder, example) -> object:
    t0 = float(example.t_s[0])
    with SessionWriter.create(folder / "session", {"profile": "hinge_open", "placement": "sacrum"}) as writer:
        writer.append_samples(example.t_s, example.acc_mps2, example.gyr_rad_s)
        for onset_s, duration_s, description in MARKS:
            writer.annotate(t0 + onset_s, duration_s, description)
    return folder / "session"


def _bids(folder, example, durations=None):
    t0 = float(example.t_s[0])
    events = pd.DataFrame({"onset_s": [t0 + m[0] for m in MARKS], "duration_s": durations or [m[1] for m in MARKS],
                           "trial_type": [m[2] for m in MARKS]})
    entry = MotionEntry(t_s=example.t_s, acc_mps2=example.acc_mps2, gyr_rad_s=example.gyr_rad_s, nominal_fs_hz=100.0,
                        tracked_point="LowerBack", placement="sacrum", events=events)
    return write_motion_entry(folder / "bids", entry, subject="01", session=None, task="bending")["motion"]


def test_a_session_and_its_bids_copy_carry_the_same_annotations_and_window(tmp_path, example):
    t0 = float(example.t_s[0])
    session = load_recording(_session(tmp_path, example))
    bids = load_recording(_bids(tmp_path, example))
    for loaded, origin_s in ((session, t0), (bids, 0.0)):  # BIDS times start at the first sample
        table = loaded.annotations
        assert list(table.columns) == ["onset_s", "duration_s", "description"]
        assert list(table["description"]) == [m[2] for m in MARKS]
        np.testing.assert_allclose(table["onset_s"] - origin_s, [m[0] for m in MARKS], atol=1e-6)
        np.testing.assert_allclose(loaded.calibration_window_s, (origin_s + 4.0, 9.0), atol=1e-6)
        # Read once, used by the checks too: the saturated stretch and the BAD_ summary.
        assert 29 <= loaded.recording.saturated.sum() <= 31  # 0.3 s at 100 Hz
        assert any("2 BAD_" in w and "0.80 s in all" in w for w in loaded.recording.warnings)


def test_a_csv_has_no_annotations_and_no_calibration_window(tmp_path, example):
    path = tmp_path / "rec.csv"
    columns = {"time_s": example.t_s} | {f"acc_{c}": example.acc_mps2[:, i] for i, c in enumerate("xyz")}
    columns |= {f"gyr_{c}": example.gyr_rad_s[:, i] for i, c in enumerate("xyz")}
    pd.DataFrame(columns).to_csv(path, index=False)
    loaded = load_recording(path)
    assert loaded.annotations.empty and loaded.calibration_window_s is None


def test_a_calibration_event_without_a_duration_is_refused_in_one_line(tmp_path, example):
    path = _bids(tmp_path, example, durations=[0.5, None, 0.3])
    with pytest.raises(HingeInputError, match="calibration event has no onset or duration") as error:
        load_recording(path)
    assert "\n" not in str(error.value)
