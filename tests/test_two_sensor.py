"""A second sensor at T12 measures lumbar flexion as a pitch difference (analysis.two_sensor)."""
import json

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
    json.dumps({"calibration_upper": result.calibration_upper, "agreement": result.agreement})
    assert result.calibration_upper["ok"] is True
    assert result.agreement["n_bends"] + result.agreement["n_one_sensor_uncertain"] == len(result.bends)
    # The reasons say it in degrees, with the words of coaching.FINDINGS.
    first = result.bends["two_sensor_reasons"].iloc[0][0]
    assert first.startswith(("hips led: the lower back flexed", "rounded back: the lower back flexed")) and " deg" in first
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


def _analyse(pair, **changes):
    lower, upper = pair.lower, pair.upper
    arrays = dict(t_s=lower.t_s, acc_mps2=lower.acc_mps2, gyr_rad_s=lower.gyr_rad_s, upper_t_s=upper.t_s,
                  upper_acc_mps2=upper.acc_mps2, upper_gyr_rad_s=upper.gyr_rad_s)
    arrays.update(changes)
    return analyse_pair(**arrays)


@pytest.fixture(scope="module")
def offset_pair():
    from hinge.analysis.body_model import simulate_pair

    return simulate_pair(SessionSpec(n_bends=8, mounting="random", seed=1003, spine_led_fraction=0.25),
                         offset_s=0.04, drift_ppm=100.0)


def test_a_known_offset_is_measured_and_warned_about(offset_pair):
    result = _analyse(offset_pair)
    # 40 ms, plus 100 ppm of the time since the start: 43-46 ms at the bends.
    true_ms = 1000 * np.median(offset_pair.upper.truth["peak_s"] - offset_pair.lower.truth["peak_s"])
    assert 42.0 < true_ms < 47.0
    assert result.offset_n >= 3
    assert abs(result.offset_ms - true_ms) < 5.0
    assert any("clocks disagree" in w for w in result.warnings)
    aligned = _analyse(offset_pair, upper_t_s=offset_pair.upper.t_s - true_ms / 1000)
    assert abs(aligned.offset_ms) < 5.0
    assert not any("clocks disagree" in w for w in aligned.warnings)


def test_nan_samples_in_the_upper_sensor_are_left_out_with_a_warning(offset_pair):
    acc = offset_pair.upper.acc_mps2.copy()
    acc[1000:1010] = np.nan
    result = _analyse(offset_pair, upper_acc_mps2=acc)
    assert any(w.startswith("upper sensor: 10 samples with a non-finite value left out") for w in result.warnings)
    assert result.bends["two_sensor_label"].notna().sum() >= 6


def test_a_long_gap_in_the_upper_sensor_leaves_that_bend_without_a_two_sensor_verdict(offset_pair):
    upper = offset_pair.upper
    peak_s = _analyse(offset_pair).bends["peak_s"].iloc[2]
    keep = (upper.t_s < peak_s - 0.5) | (upper.t_s > peak_s + 0.5)
    result = _analyse(offset_pair, upper_t_s=upper.t_s[keep], upper_acc_mps2=upper.acc_mps2[keep],
                      upper_gyr_rad_s=upper.gyr_rad_s[keep])
    missing = result.bends[result.bends["two_sensor_label"].isna()]
    assert len(missing) == 1
    assert missing["peak_s"].iloc[0] == peak_s
    assert any("misses" in w and "more than 0.5 s" in w for w in result.warnings)
    assert result.agreement["n_not_measured"] == 1


def test_an_upper_sensor_that_ends_early_judges_the_bends_it_covers(offset_pair):
    upper = offset_pair.upper
    cut = offset_pair.truth[offset_pair.truth["is_bend"]]["end_s"].iloc[3] + 1.0
    keep = upper.t_s < cut
    result = _analyse(offset_pair, upper_t_s=upper.t_s[keep], upper_acc_mps2=upper.acc_mps2[keep],
                      upper_gyr_rad_s=upper.gyr_rad_s[keep])
    covered = result.bends["end_s"] + 0.6 < cut
    assert result.bends.loc[covered, "two_sensor_label"].notna().all()
    assert result.bends.loc[~covered, "two_sensor_label"].isna().all()
    assert any("does not cover the bend" in w for w in result.warnings)


@pytest.mark.parametrize("seconds, message", [(3.0, "overlap in time for 3.0 s"), (0.0, "usable sample")])
def test_an_upper_sensor_too_short_is_one_line_error(offset_pair, seconds, message):
    upper = offset_pair.upper
    keep = upper.t_s < upper.t_s[0] + seconds if seconds else np.zeros(len(upper.t_s), bool)
    keep[:1] = seconds > 0
    with pytest.raises(PairInputError, match=message) as error:
        _analyse(offset_pair, upper_t_s=upper.t_s[keep], upper_acc_mps2=upper.acc_mps2[keep],
                 upper_gyr_rad_s=upper.gyr_rad_s[keep])
    assert "\n" not in str(error.value)


def test_an_upper_sensor_without_standing_gives_the_sacral_verdicts_and_a_warning(offset_pair):
    upper = offset_pair.upper
    # A sensor shaking all the time (loose on the strap): never still, so no quiet standing.
    shaking = upper.gyr_rad_s + np.random.default_rng(0).normal(0.0, 0.5, upper.gyr_rad_s.shape)
    result = _analyse(offset_pair, upper_gyr_rad_s=shaking)
    assert result.calibration_upper["ok"] is False
    assert any(w.startswith("upper sensor: mounting calibration failed") for w in result.warnings)
    assert result.bends["two_sensor_label"].isna().all()
    assert result.bends[BEND_COLUMNS].equals(result.sacral.bends)


def test_mismatched_shapes_and_unknown_upper_site_are_one_line_errors(offset_pair):
    with pytest.raises(PairInputError, match=r"upper sensor: times .* do not fit"):
        _analyse(offset_pair, upper_acc_mps2=offset_pair.upper.acc_mps2[:, :2])
    with pytest.raises(PairInputError, match="placement 'T10' is not one of T12"):
        analyse_pair(*(np.zeros((3, 3)),) * 0, t_s=[0.0, 1.0], acc_mps2=np.zeros((2, 3)), gyr_rad_s=np.zeros((2, 3)),
                     upper_t_s=[0.0, 1.0], upper_acc_mps2=np.zeros((2, 3)), upper_gyr_rad_s=np.zeros((2, 3)),
                     upper_placement="T10")


def test_inputs_are_not_modified_and_a_pair_without_bends_gives_an_empty_typed_table():
    from hinge.analysis.body_model import simulate_pair

    pair = simulate_pair(SessionSpec(n_bends=0, n_squats=0, n_fidgets=0, n_weight_shifts=0, seed=5))
    arrays = [pair.lower.t_s, pair.lower.acc_mps2, pair.lower.gyr_rad_s, pair.upper.t_s, pair.upper.acc_mps2,
              pair.upper.gyr_rad_s]
    copies = [a.copy() for a in arrays]
    result = analyse_pair(*arrays)
    assert all(np.array_equal(a, c) for a, c in zip(arrays, copies))
    assert len(result.bends) == 0 and list(result.bends.columns) == BEND_COLUMNS + PAIR_BEND_COLUMNS
    assert result.bends["measured_lumbar_share"].dtype == float
    assert result.rhythm == {} and result.agreement["n_bends"] == 0 and result.agreement["share_agreeing"] is None
    assert np.isnan(result.offset_ms)


@pytest.fixture(scope="module")
def clipping_upper_csv(tmp_path_factory):
    """A two-sensor CSV whose T12 gyro range (120 deg/s) clips in the fastest bends; the
    sacral sensor's (2000 deg/s) does not."""
    from pair_data import write_pair_csv

    spec = dict(n_bends=6, seed=7, fs_hz=100.0)
    lower = simulate_session(SessionSpec(placement="sacrum", **spec))
    upper = simulate_session(SessionSpec(placement="T12", gyro_range_dps=120.0, **spec))
    rows = np.column_stack([lower.t_s, lower.acc_mps2, lower.gyr_rad_s, upper.acc_mps2, upper.gyr_rad_s])
    return write_pair_csv(tmp_path_factory.mktemp("clip") / "pair.csv", rows)


def test_bends_where_the_upper_sensor_clipped_are_flagged(clipping_upper_csv):
    from hinge.analysis.bend_table import QUALITY_FLAG_LEVELS
    from hinge.analysis.two_sensor import PAD_S, UPPER_SATURATED_FLAG
    from hinge.api import analyse_pair_loaded
    from hinge.recordings import load_recording

    assert UPPER_SATURATED_FLAG in QUALITY_FLAG_LEVELS
    loaded = load_recording(clipping_upper_csv)
    upper = loaded.upper
    assert upper.saturated.any() and not loaded.recording.saturated.any()
    result = analyse_pair_loaded(loaded)
    clipped_s = upper.t_s[upper.saturated]
    expected = [bool(((clipped_s >= b.start_s - PAD_S) & (clipped_s <= b.end_s + PAD_S)).any())
                for b in result.bends.itertuples()]
    flagged = [UPPER_SATURATED_FLAG in flags for flags in result.bends["quality_flags"]]
    assert flagged == expected and any(flagged) and not all(flagged)
    assert any(w.startswith(f"upper sensor: saturated samples in {sum(flagged)} bend") for w in result.warnings)
    # The one-sensor analysis is the lower sensor's alone; the verdicts are not changed by the flag.
    assert not any(UPPER_SATURATED_FLAG in flags for flags in result.sacral.bends["quality_flags"])
    lower = loaded.recording
    unflagged = analyse_pair(lower.t_s, lower.acc_mps2, lower.gyr_rad_s, upper.t_s, upper.acc_mps2, upper.gyr_rad_s,
                             fs_hz=lower.fs_hz)
    assert not any(UPPER_SATURATED_FLAG in flags for flags in unflagged.bends["quality_flags"])
    assert result.bends["two_sensor_label"].equals(unflagged.bends["two_sensor_label"])


def test_saturation_flags_that_do_not_fit_are_a_one_line_error(offset_pair):
    with pytest.raises(PairInputError, match=r"upper sensor: saturation flags \(3,\) do not fit times"):
        _analyse(offset_pair, upper_saturated=np.zeros(3, bool))


def test_lower_clipping_is_kept_when_a_non_finite_sample_is_left_out(offset_pair):
    lower = offset_pair.lower
    peak_s = _analyse(offset_pair).bends["peak_s"].iloc[1]
    saturated = np.abs(lower.t_s - peak_s) < 0.05
    acc = lower.acc_mps2.copy()
    acc[50] = np.nan  # before main, a dropped sample made the pair ignore the lower saturation
    result = _analyse(offset_pair, acc_mps2=acc, saturated=saturated)
    flags = result.bends["quality_flags"]
    assert "saturated" in flags.iloc[1] and not any("saturated" in f for f in flags.drop(flags.index[1]))


def test_a_lower_sensor_that_cannot_be_calibrated_is_named_in_the_warning(offset_pair):
    lower = offset_pair.lower
    shaking = lower.gyr_rad_s + np.random.default_rng(0).normal(0.0, 0.5, lower.gyr_rad_s.shape)
    result = _analyse(offset_pair, gyr_rad_s=shaking)
    failed = [w for w in result.warnings if "mounting calibration failed" in w]
    assert failed and all(w.startswith("lower sensor: ") for w in failed), result.warnings
