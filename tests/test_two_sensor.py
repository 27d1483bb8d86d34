"""A second sensor at T12 measures lumbar flexion as a pitch difference (analysis.two_sensor)."""
import numpy as np
import pytest
from evaluation import match_bends

from hinge.analysis.bend_table import BEND_COLUMNS, PAIR_BEND_COLUMNS
from hinge.analysis.body_model import SessionSpec, simulate_session
from hinge.analysis.pipeline import analyse
from hinge.analysis.two_sensor import PairInputError, analyse_pair, two_sensor_lumbar_share


def test_share_is_the_pitch_difference_over_the_upper_pitch():
    assert np.allclose(two_sensor_lumbar_share([60.0, 10.0, 30.0], [70.0, 50.0, 20.0]), [1 / 7, 0.8, 0.0])


@pytest.fixture(scope="module")
def pair():
    spec = dict(n_bends=6, fs_hz=100.0, mounting="random", seed=21)
    return simulate_session(SessionSpec(placement="sacrum", **spec)), simulate_session(SessionSpec(placement="T12", **spec))


def test_two_sensors_recover_the_lumbar_share(pair):
    sacrum, upper = pair
    result = analyse_pair(sacrum.t_s, sacrum.acc_mps2, sacrum.gyr_rad_s, upper.t_s, upper.acc_mps2, upper.gyr_rad_s)
    assert list(result.bends.columns) == BEND_COLUMNS + PAIR_BEND_COLUMNS
    one = analyse(sacrum.t_s, sacrum.acc_mps2, sacrum.gyr_rad_s)
    assert result.sacral.bends.equals(one.bends)
    matched = match_bends(result.bends, sacrum.truth)
    matched = matched[matched["event_id"] > 0]
    assert len(matched) >= 5
    error = matched["measured_lumbar_share"] - matched["true_lumbar_share"]
    assert np.abs(error).max() < 0.08
    assert (matched["two_sensor_label"] == matched["true_label"]).all()
    assert set(result.rhythm) == set(result.bends.index)
    assert all(r["t_s"].is_monotonic_increasing for r in result.rhythm.values())


def test_sensors_that_do_not_overlap_are_one_line_error(pair):
    sacrum, upper = pair
    with pytest.raises(PairInputError, match="overlap in time for 0.0 s"):
        analyse_pair(sacrum.t_s, sacrum.acc_mps2, sacrum.gyr_rad_s, upper.t_s + 1e4, upper.acc_mps2, upper.gyr_rad_s)
