"""Still detection, and bend segmentation on known pitch traces."""
import numpy as np
import pytest

from hinge.analysis.segmentation import CANDIDATE_COLUMNS, movements, segment_bends
from hinge.analysis.stillness import (GRAVITY_MPS2, drop_short_runs, runs, settle_history_samples, settled_mask,
                                      still_mask)

FS_HZ = 100.0


def test_runs_and_short_run_removal():
    mask = np.array([0, 1, 1, 0, 1, 1, 1, 1, 0, 1], bool)
    assert runs(mask).tolist() == [[1, 3], [4, 8], [9, 10]]
    assert drop_short_runs(mask, 3).tolist() == [False] * 4 + [True] * 4 + [False] * 2


def test_still_sensor_is_still_and_rotation_or_translation_is_not():
    n = 600
    acc = np.tile([0.0, 0.0, GRAVITY_MPS2], (n, 1))
    gyr = np.zeros((n, 3))
    gyr[200:300, 1] = 0.5  # a rotation
    acc[400:500, 0] = 0.8 * np.sin(np.linspace(0, 2 * np.pi, 100))  # a horizontal push, no rotation
    still = still_mask(acc, gyr, FS_HZ)
    assert still[:180].all() and still[560:].all()
    assert not still[220:280].any()
    assert not still[420:480].any()


def _pitch_trace(bends_deg, pause_s=2.0, bend_s=3.0):
    pieces, upright = [np.zeros(int(pause_s * FS_HZ))], [np.ones(int(pause_s * FS_HZ), bool)]
    for depth in bends_deg:
        t = np.linspace(0, np.pi, int(bend_s * FS_HZ))
        pieces += [depth * np.sin(t) ** 2, np.zeros(int(pause_s * FS_HZ))]
        upright += [np.zeros(len(t), bool), np.ones(int(pause_s * FS_HZ), bool)]
    return np.concatenate(pieces), np.concatenate(upright)


def test_each_excursion_is_one_candidate_with_onset_peak_return():
    pitch, upright = _pitch_trace([40.0, 2.0, 15.0])
    candidates, dropped = segment_bends(pitch, upright, FS_HZ)
    assert list(candidates.columns) == CANDIDATE_COLUMNS
    assert candidates["peak_pitch_deg"].round().tolist() == [40.0, 15.0]
    assert (candidates["start"] < candidates["peak"]).all() and (candidates["peak"] < candidates["end"]).all()
    assert candidates["anchored_before"].all() and candidates["anchored_after"].all()
    assert len(dropped) == 1 and "too small" in dropped["reason"].iloc[0]


def test_repeated_bends_without_a_pause_are_split():
    t = np.linspace(0, 2 * np.pi, 600)
    pitch = np.concatenate([np.zeros(200), 50 * np.sin(t) ** 2 + 2, np.zeros(200)])
    upright = np.concatenate([np.ones(200, bool), np.zeros(600, bool), np.ones(200, bool)])
    candidates, _ = segment_bends(pitch, upright, FS_HZ)
    assert len(candidates) == 2
    assert candidates["anchored_before"].tolist() == [True, False]
    assert candidates["anchored_after"].tolist() == [False, True]
    assert candidates["window_stop"].iloc[0] == candidates["window_start"].iloc[1]


def test_settled_looks_back_only_and_needs_settle_s_of_stillness():
    n = 400
    acc = np.tile([0.0, 0.0, GRAVITY_MPS2], (n, 1))
    gyr = np.zeros((n, 3))
    gyr[100:200, 1] = 0.5  # a rotation that stops at sample 200
    settled = settled_mask(acc, gyr, FS_HZ, settle_s=0.3)
    history = settle_history_samples(FS_HZ, 0.3)
    assert not settled[:history - 1].any()  # not enough past yet
    assert settled[history:100].all() and not settled[105:200].any()
    first = 200 + int(np.argmax(settled[200:]))
    assert 200 + 0.25 * FS_HZ <= first <= 200 + 0.35 * FS_HZ
    # Nothing after a sample changes it.
    later = gyr.copy()
    later[first + 1:, 1] = 1.0
    assert np.array_equal(settled_mask(acc, later, FS_HZ, settle_s=0.3)[:first + 1], settled[:first + 1])


def test_a_bend_ends_at_its_first_settled_sample_and_a_pause_before_it_does_not_end_the_movement():
    pitch, upright = _pitch_trace([30.0])
    settled = upright.copy()
    settled[205:215] = True  # a brief pause at the start of the bend, before the pitch has risen
    quiet = upright.copy()
    moves = movements(pitch, settled, quiet, FS_HZ)
    assert [(a, b) for a, b, _ in moves] == [(200, 500)]
    candidates, _ = segment_bends(pitch, settled, FS_HZ, quiet=quiet)
    assert len(candidates) == 1 and candidates["anchored_after"].iloc[0]
    # The window stops right after the first settled sample: the verdict needs nothing later.
    assert candidates["window_stop"].iloc[0] == 501


def test_no_movement_gives_empty_typed_tables():
    candidates, dropped = segment_bends(np.zeros(500), np.ones(500, bool), FS_HZ)
    assert candidates.empty and list(candidates.columns) == CANDIDATE_COLUMNS
    assert dropped.empty


@pytest.mark.parametrize("pitch_deg", [0.0, 30.0, -20.0])
def test_orientation_of_a_still_tilted_segment(pitch_deg):
    from hinge.analysis.orientation import estimate_orientation

    theta = np.radians(pitch_deg)
    n = 800
    acc = np.tile(GRAVITY_MPS2 * np.array([-np.sin(theta), 0.0, np.cos(theta)]), (n, 1))
    result = estimate_orientation(acc, np.zeros((n, 3)), FS_HZ)
    assert result.pitch_deg[-1] == pytest.approx(pitch_deg, abs=0.2)
    assert result.roll_deg[-1] == pytest.approx(0.0, abs=0.2)
    assert result.startup[0] and not result.startup[-1]


def test_pitch_keeps_counting_past_90_degrees():
    from scipy.spatial.transform import Rotation

    from hinge.analysis.orientation import quaternion_to_pitch_roll_deg

    angles = np.array([10.0, 80.0, 100.0, 120.0])
    xyzw = Rotation.from_euler("y", angles[:, None], degrees=True).as_quat()
    pitch, roll = quaternion_to_pitch_roll_deg(xyzw[:, [3, 0, 1, 2]])
    assert pitch == pytest.approx(angles)
    assert roll == pytest.approx(0.0, abs=1e-9)


def test_pitch_alone_equals_the_full_orientation_sample_for_sample(upright_session, monkeypatch):
    from hinge.analysis import grid_signals
    from hinge.analysis.orientation import estimate_orientation, estimate_pitch_deg

    acc, gyr = upright_session.acc_mps2, upright_session.gyr_rad_s
    full = estimate_orientation(acc, gyr, 100.0)
    # Chunks that do not divide the recording: Fusion's state carries across them.
    monkeypatch.setattr(grid_signals, "CHUNK_SAMPLES", 777)
    assert np.array_equal(estimate_pitch_deg(grid_signals.ArrayWindows(acc, gyr), 100.0), full.pitch_deg)
