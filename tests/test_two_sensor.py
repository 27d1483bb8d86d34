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


def test_same_seed_pair_shares_the_movements_not_the_sensor():
    from hinge.analysis.body_model import simulate_pair

    pair = simulate_pair(SessionSpec(n_bends=4, mounting="random", seed=8), offset_s=0.02)
    lower, upper = pair.lower, pair.upper
    movement = ["kind", "lumbar_share", "trunk_deg", "pelvis_deg", "lumbar_deg", "pelvis_lag_s"]
    assert lower.truth[movement].equals(upper.truth[movement])
    assert np.allclose(upper.truth["peak_s"] - lower.truth["peak_s"], 0.02)
    assert not np.allclose(lower.sensor_from_segment, upper.sensor_from_segment)
    # Each sensor loses its own samples.
    assert len(lower.t_s) != len(upper.t_s) or not np.allclose(lower.t_s + 0.02, upper.t_s)
    # T12 pitches more than the sacrum by the lumbar flexion (no soft tissue in the truth).
    bends = pair.truth[pair.truth["is_bend"]]
    assert np.allclose(bends["true_lumbar_flexion_deg"], bends["lumbar_deg"], atol=1.0)
