"""A session whose samples are partly half-empty (a lost frame of one stream) is analysed with gaps."""
from pathlib import Path

import numpy as np
import pytest

from hinge.errors import HingeInputError
from hinge.api import analyse_loaded
from hinge.recordings import load_recording
from hinge.recordings import SessionWriter, read_session

EXAMPLE = Path(__file__).resolve().parents[1] / "recordings" / "examples" / "hip_led"


def _copy_with_missing_gyro(tmp_path, rows: np.ndarray) -> Path:
    original = read_session(EXAMPLE)
    gyr = original.gyr_rad_s.copy()
    gyr[rows] = np.nan
    path = tmp_path / "session"
    writer = SessionWriter.create(path, dict(original.metadata))
    writer.append_samples(original.t_s, original.acc_mps2, gyr)
    writer.close()
    return path


def test_a_lost_gyro_frame_becomes_a_gap_not_a_refusal(tmp_path):
    n = len(read_session(EXAMPLE).t_s)
    # One Polar-sized gyro frame (~36 samples) lost while standing at the start.
    lost = np.arange(150, 186)
    loaded = load_recording(_copy_with_missing_gyro(tmp_path, lost))
    assert len(loaded.recording.t_s) == n - len(lost)
    assert any("36 samples without gyroscope values analysed as gaps" in w for w in loaded.recording.warnings)
    with_gap = analyse_loaded(loaded).bends
    direct = analyse_loaded(load_recording(EXAMPLE)).bends
    assert len(with_gap) == len(direct) > 0
    assert list(with_gap.label) == list(direct.label)


def test_mostly_missing_gyroscope_is_refused_in_one_line(tmp_path):
    n = len(read_session(EXAMPLE).t_s)
    path = _copy_with_missing_gyro(tmp_path, np.arange(0, n, 2))
    with pytest.raises(HingeInputError, match=r"samples have no gyroscope values \(NaN\)") as error:
        load_recording(path)
    assert "\n" not in str(error.value)
