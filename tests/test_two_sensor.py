"""A second sensor at T12 measures lumbar flexion as a pitch difference."""
import numpy as np
from evaluation import match_bends

from hinge.analysis.body_model import SessionSpec, simulate_session
from hinge.analysis.pipeline import analyse
from hinge.analysis.two_sensor import two_sensor_lumbar_share, upper_pitch_excursions_deg


def test_share_is_the_pitch_difference_over_the_upper_pitch():
    assert np.allclose(two_sensor_lumbar_share([60.0, 10.0, 30.0], [70.0, 50.0, 20.0]), [1 / 7, 0.8, 0.0])


def test_two_sensors_recover_the_lumbar_share():
    spec = dict(n_bends=6, fs_hz=100.0, mounting="random", seed=21)
    sacrum = simulate_session(SessionSpec(placement="sacrum", **spec))
    upper = simulate_session(SessionSpec(placement="T12", **spec))
    result = analyse(sacrum.t_s, sacrum.acc_mps2, sacrum.gyr_rad_s)
    matched = match_bends(result.bends, sacrum.truth)
    matched = matched[matched["event_id"] > 0]
    upper_deg = upper_pitch_excursions_deg(upper.t_s, upper.acc_mps2, upper.gyr_rad_s, 100.0, matched)
    share = two_sensor_lumbar_share(matched["sensor_pitch_deg"], upper_deg)
    assert len(matched) >= 5
    assert np.abs(share - matched["true_lumbar_share"].to_numpy()).max() < 0.08
