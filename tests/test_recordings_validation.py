"""One set of limits for every input format (recordings/validation.py, issue 11, class 9).

The same samples written as a CSV, a session directory and a BIDS-Motion entry are
refused, cleaned or warned about in the same way, by the same check.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from hinge.analysis.body_model import SessionSpec, simulate_session
from hinge.api import analyse_loaded
from hinge.errors import HingeInputError
from hinge.recordings import SessionWriter, load_recording
from hinge.recordings.bids import MotionEntry, write_motion_entry
from hinge.recordings.placements import PLACEMENTS

FORMATS = ("csv", "session", "bids")
KNOWN = ", ".join(PLACEMENTS)


@pytest.fixture(scope="module")
def signals():
    """(t_s, acc_mps2, gyr_rad_s): 24 s at 100 Hz with three bends."""
    sim = simulate_session(SessionSpec(n_bends=3, n_squats=0, n_fidgets=0, n_weight_shifts=0, fs_hz=100.0,
                                       seed=5))
    return sim.t_s, sim.acc_mps2, sim.gyr_rad_s


def _write(fmt: str, folder, t_s, acc, gyr, placement: str = "sacrum", acc_unit: str = "m/s^2"):
    """The samples as a recording of format ``fmt`` under ``folder``; returns its path."""
    folder.mkdir(parents=True, exist_ok=True)
    if fmt == "csv":
        path = folder / "rec.csv"
        columns = {"time_s": t_s} | {f"acc_{c}": acc[:, i] for i, c in enumerate("xyz")}
        columns |= {f"gyr_{c}": gyr[:, i] for i, c in enumerate("xyz")}
        pd.DataFrame(columns).to_csv(path, index=False)
        return path
    if fmt == "session":
        path = folder / "session"
        with SessionWriter.create(path, {"profile": "hinge_open", "placement": placement}) as writer:
            writer.append_samples(t_s, acc, gyr)
        return path
    entry = MotionEntry(t_s=t_s, acc_mps2=acc, gyr_rad_s=gyr, nominal_fs_hz=100.0, tracked_point="LowerBack",
                        placement=placement)
    path = write_motion_entry(folder / "bids", entry, subject="01", session=None, task="bending")["motion"]
    if acc_unit != "m/s^2":  # declare another unit for the same numbers
        channels = path.with_name(path.name.replace("_motion.tsv", "_channels.tsv"))
        channels.write_text(channels.read_text().replace("m/s^2", acc_unit))
    return path


@pytest.mark.parametrize("fmt", FORMATS)
def test_too_short_is_the_same_error_in_every_format(tmp_path, signals, fmt):
    t_s, acc, gyr = (a[:600] for a in signals)  # 6 s
    with pytest.raises(HingeInputError, match=r"too few samples: only 5\.99 s of data \(need >= 10 s\)"):
        load_recording(_write(fmt, tmp_path, t_s, acc, gyr))


@pytest.mark.parametrize("fmt", FORMATS)
def test_too_slow_is_the_same_error_in_every_format(tmp_path, signals, fmt):
    t_s, acc, gyr = (a[::5] for a in signals)  # 20 Hz
    with pytest.raises(HingeInputError, match=r"sample rate 20 Hz \(from the median interval\) is outside 25-1000 Hz"):
        load_recording(_write(fmt, tmp_path, t_s, acc, gyr))


@pytest.mark.parametrize("fmt", ("csv", "bids"))
def test_acceleration_in_g_declared_as_m_s2_is_the_same_error(tmp_path, signals, fmt):
    t_s, acc, gyr = signals
    with pytest.raises(HingeInputError, match=r"accelerometer median \|acc\| is 1.01 m/s\S*, which looks like g"):
        load_recording(_write(fmt, tmp_path, t_s, acc / 9.80665, gyr))


@pytest.mark.parametrize("fmt", ("session", "bids"))
def test_an_unknown_placement_is_an_error_naming_the_known_ones(tmp_path, signals, fmt):
    path = _write(fmt, tmp_path, *signals, placement="T12")
    with pytest.raises(HingeInputError, match=f"placement 'T12' in .* is not one of {KNOWN}; pass --placement"):
        load_recording(path)
    # Saying where the sensor sat is the way out, and the analysis runs there.
    loaded = load_recording(path, placement="L4")
    assert loaded.placement == "L4"
    assert analyse_loaded(loaded).params.placement == "L4"


@pytest.mark.parametrize("fmt", FORMATS)
def test_the_placement_comes_from_the_caller_else_the_metadata_else_sacrum(tmp_path, signals, fmt):
    path = _write(fmt, tmp_path, *signals, placement="L5")
    assert load_recording(path).placement == ("sacrum" if fmt == "csv" else "L5")
    assert load_recording(path, placement="L3").placement == "L3"
    with pytest.raises(HingeInputError, match=f"placement 'T12' is not one of {KNOWN}"):
        load_recording(path, placement="T12")


@pytest.mark.parametrize("fmt", ("session", "bids"))
def test_samples_without_gyroscope_values_are_gaps_up_to_5_percent(tmp_path, signals, fmt):
    t_s, acc, gyr = signals
    lost = gyr.copy()
    lost[150:186] = np.nan  # one Polar-sized gyro frame
    loaded = load_recording(_write(fmt, tmp_path / "few", t_s, acc, lost))
    assert len(loaded.recording.t_s) == len(t_s) - 36
    assert any("36 samples without gyroscope values analysed as gaps" in w for w in loaded.recording.warnings)

    lost[::2] = np.nan
    with pytest.raises(HingeInputError, match=r"of 2425 samples have no gyroscope values \(NaN\)"):
        load_recording(_write(fmt, tmp_path / "many", t_s, acc, lost))
