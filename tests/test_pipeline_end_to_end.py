"""End to end: a simulated session through the pipeline gives the right verdicts."""
import numpy as np
import pandas as pd
import pytest
from evaluation import detection_counts, f1, match_bends

from hinge.analysis.pipeline import analyse


@pytest.fixture(scope="module", params=["upright_session", "random_mount_session"])
def analysed(request):
    session = request.getfixturevalue(request.param)
    result = analyse(session.t_s, session.acc_mps2, session.gyr_rad_s, placement="sacrum")
    return session, result, match_bends(result.bends, session.truth)


def test_every_bend_found_and_nothing_else(analysed):
    session, result, matched = analysed
    tp, fp, fn = detection_counts(matched, session.truth)
    assert f1(tp, fp, fn) >= 0.9
    non_bends = matched["true_kind"].isin(["squat", "fidget", "weight-shift"])
    assert not non_bends.any(), matched.loc[non_bends, ["peak_s", "true_kind"]]


def test_clear_cases_classified(analysed):
    _, _, matched = analysed
    clear_hinge = matched[matched["true_lumbar_share"] < 0.2]
    clear_round = matched[matched["true_lumbar_share"] > 0.75]
    assert len(clear_hinge) + len(clear_round) > 0
    # Never the wrong class; "uncertain" where the evidence is thin (a shallow hinge), rarely.
    assert not (clear_hinge["label"] == "spine-led").any()
    assert not (clear_round["label"] == "hip-led").any()
    decided = pd.concat([clear_hinge, clear_round])["label"] != "uncertain"
    assert decided.mean() > 0.5


def test_scores_follow_lumbar_share(analysed):
    _, _, matched = analysed
    bends = matched[matched["event_id"] > 0]
    hinge_scores = bends.loc[bends["true_lumbar_share"] < 0.3, "score"]
    round_scores = bends.loc[bends["true_lumbar_share"] > 0.6, "score"]
    assert hinge_scores.mean() > round_scores.mean() + 10


def test_times_are_on_the_input_axis(analysed):
    session, result, _ = analysed
    assert result.bends["start_s"].min() >= session.t_s[0]
    assert result.bends["end_s"].max() <= session.t_s[-1]
    assert (result.bends["start_s"] < result.bends["peak_s"]).all()
    assert (result.bends["peak_s"] < result.bends["end_s"]).all()


def test_inputs_are_not_mutated(upright_session):
    acc = upright_session.acc_mps2.copy()
    analyse(upright_session.t_s, acc, upright_session.gyr_rad_s)
    assert np.array_equal(acc, upright_session.acc_mps2)


@pytest.mark.parametrize("fs_hz", [25.0, 1000.0])
def test_extreme_sample_rates(fs_hz):
    from hinge.analysis.body_model import SessionSpec, simulate_session

    session = simulate_session(SessionSpec(n_bends=6, fs_hz=fs_hz, seed=44, mounting="random"))
    result = analyse(session.t_s, session.acc_mps2, session.gyr_rad_s)
    matched = match_bends(result.bends, session.truth)
    assert result.fs_hz == pytest.approx(fs_hz, rel=0.01)
    assert f1(*detection_counts(matched, session.truth)) >= 0.9
