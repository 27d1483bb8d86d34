"""Live equals offline for two sensors: the same per-bend two-sensor verdicts."""
import numpy as np
import pandas as pd

from hinge.analysis.bend_table import PAIR_BEND_COLUMNS
from hinge.analysis.body_model import SessionSpec, simulate_pair
from hinge.analysis.streaming import StreamingAnalyser
from hinge.analysis.two_sensor import PairFollower, PairLiveJudge, analyse_pair


def _live(pair, block_s=0.37, upper_saturated=None):
    """Replay the pair in blocks through the live glue `hinge live` uses (`PairFollower`)."""
    lower, upper = pair.lower, pair.upper
    clipped = np.zeros(len(upper.t_s), bool) if upper_saturated is None else upper_saturated
    analyser = StreamingAnalyser(placement=lower.spec.placement)
    follower = PairFollower(analyser)
    verdicts = {}
    t_end = max(lower.t_s[-1], upper.t_s[-1])
    edges = np.arange(min(lower.t_s[0], upper.t_s[0]), t_end + block_s, block_s)
    for a, b in zip(edges[:-1], edges[1:]):
        lo = (lower.t_s >= a) & (lower.t_s < b)
        up = (upper.t_s >= a) & (upper.t_s < b)
        events = analyser.push(lower.t_s[lo], lower.acc_mps2[lo], lower.gyr_rad_s[lo])
        follower.push_lower(lower.t_s[lo], lower.acc_mps2[lo], lower.gyr_rad_s[lo])
        follower.push_upper(upper.t_s[up], upper.acc_mps2[up], upper.gyr_rad_s[up], clipped[up])
        verdicts.update(follower.take(events))
    verdicts.update(follower.take(analyser.finish()))
    return analyser, verdicts


def test_live_two_sensor_verdicts_equal_offline():
    pair = simulate_pair(SessionSpec(n_bends=6, fs_hz=100.0, mounting="random", seed=33, guided_calibration=True))
    analyser, verdicts = _live(pair)
    assert analyser.calibration_window_s is not None
    offline = analyse_pair(pair.lower.t_s, pair.lower.acc_mps2, pair.lower.gyr_rad_s, pair.upper.t_s,
                           pair.upper.acc_mps2, pair.upper.gyr_rad_s, calibration_window_s=analyser.calibration_window_s)
    assert len(offline.bends) >= 5
    assert sorted(verdicts) == list(offline.bends.index)
    live = pd.DataFrame([verdicts[i].columns for i in sorted(verdicts)], index=offline.bends.index)
    for column in PAIR_BEND_COLUMNS:
        assert live[column].tolist() == offline.bends[column].tolist(), column
    for bend_id, verdict in verdicts.items():
        pd.testing.assert_frame_equal(verdict.rhythm, offline.rhythm[bend_id])


def test_live_flags_the_bends_where_the_upper_sensor_clipped_as_offline():
    from hinge.analysis.two_sensor import UPPER_SATURATED_FLAG

    pair = simulate_pair(SessionSpec(n_bends=6, fs_hz=100.0, mounting="random", seed=33, guided_calibration=True))
    bends = pair.truth[pair.truth["is_bend"]]
    clipped = np.abs(pair.upper.t_s - pair.upper.truth.loc[bends.index[2], "peak_s"]) < 0.05
    analyser, verdicts = _live(pair, upper_saturated=clipped)
    offline = analyse_pair(pair.lower.t_s, pair.lower.acc_mps2, pair.lower.gyr_rad_s, pair.upper.t_s,
                           pair.upper.acc_mps2, pair.upper.gyr_rad_s, calibration_window_s=analyser.calibration_window_s,
                           upper_saturated=clipped)
    flagged = [UPPER_SATURATED_FLAG in flags for flags in offline.bends["quality_flags"]]
    assert sum(flagged) == 1
    assert [verdicts[i].upper_saturated for i in offline.bends.index] == flagged


def test_live_buffer_keeps_times_increasing_through_repeated_late_and_nan_samples():
    judge = PairLiveJudge(100.0)
    acc, gyr = np.zeros((4, 3)), np.zeros((4, 3))
    judge.push_upper([0.00, 0.01, 0.02, 0.03], acc, gyr)
    acc_nan = acc.copy()
    acc_nan[3] = np.nan
    judge.push_upper([0.02, 0.04, 0.035, 0.05], acc, gyr)  # a repeat, then one late sample
    judge.push_upper([0.06, 0.07, 0.08, 0.09], acc_nan, gyr)
    t_s, acc_kept, _ = judge.upper.arrays()
    assert t_s.tolist() == [0.00, 0.01, 0.02, 0.03, 0.04, 0.05, 0.06, 0.07, 0.08]
    assert np.isfinite(acc_kept).all()
    assert judge.ready() == []  # no calibration window yet: nothing to judge
