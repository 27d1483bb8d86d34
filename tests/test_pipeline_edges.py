"""The pipeline's behaviour on recordings it cannot fully judge."""
import numpy as np

from hinge.analysis.pipeline import BEND_COLUMNS, analyse


def test_standing_only_recording_warns_and_gives_no_bends():
    rng = np.random.default_rng(0)
    n = 3000
    t = np.arange(n) / 100.0
    acc = np.tile([0.0, 0.0, 9.81], (n, 1)) + rng.normal(0, 0.01, (n, 3))
    gyr = rng.normal(0, 0.001, (n, 3))
    result = analyse(t, acc, gyr)
    assert result.bends.empty and list(result.bends.columns) == BEND_COLUMNS
    assert result.calibration["ok"] is False
    assert any("calibration failed" in w and "forward bend" in w for w in result.warnings)


def test_saturated_bend_is_flagged(upright_session):
    s = upright_session
    saturated = np.zeros(len(s.t_s), bool)
    first_bend = s.truth[s.truth["is_bend"]].iloc[0]
    saturated[(s.t_s > first_bend["start_s"] + 0.2) & (s.t_s < first_bend["start_s"] + 0.4)] = True
    result = analyse(s.t_s, s.acc_mps2, s.gyr_rad_s, saturated=saturated)
    flagged = result.bends[result.bends["quality_flags"].apply(lambda f: "saturated" in f)]
    assert len(flagged) == 1
    assert flagged["start_s"].iloc[0] <= first_bend["peak_s"] <= flagged["end_s"].iloc[0] + 1.0
    assert any("saturated" in w for w in result.warnings)


def test_long_gap_flags_the_bend_and_is_not_bridged(upright_session):
    s = upright_session
    first_bend = s.truth[s.truth["is_bend"]].iloc[0]
    keep = ~((s.t_s > first_bend["peak_s"] - 0.1) & (s.t_s < first_bend["peak_s"] + 0.4))
    result = analyse(s.t_s[keep], s.acc_mps2[keep], s.gyr_rad_s[keep])
    gapped = result.bends[result.bends["quality_flags"].apply(lambda f: "gap" in f)]
    assert len(gapped) >= 1
    assert all("pitch-only" in f for f in gapped["quality_flags"])
    assert any("gap" in w for w in result.warnings)


def test_placement_mismatch_is_reported():
    from hinge.analysis.body_model import SessionSpec, simulate_session

    # A sensor at T12 pitches with the whole lower trunk: deep bends exceed what a pelvis does.
    high = simulate_session(SessionSpec(n_bends=12, placement="T12", seed=8, spine_led_fraction=0.0))
    result = analyse(high.t_s, high.acc_mps2, high.gyr_rad_s, placement="sacrum")
    assert result.bends["sensor_pitch_deg"].max() > 100
    assert any("higher on the back" in w for w in result.warnings)
