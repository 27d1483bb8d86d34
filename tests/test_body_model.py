"""Unit tests of the forward body model simulator (hinge.analysis.body_model)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from hinge.analysis.body_model import (
    MOVEMENT_KINDS,
    PLACEMENTS,
    Posture,
    SessionSpec,
    draw_movement,
    forward_kinematics,
    make_body,
    minimum_jerk,
    random_mounting,
    segment_signals,
    simulate_session,
    standing_com_x_m,
)

G = 9.80665  # the body model uses standard gravity (hinge.analysis.constants)


def _ideal(**kw) -> SessionSpec:
    base = dict(n_bends=4, n_squats=1, n_fidgets=1, n_weight_shifts=1, ideal_sensor=True, seed=3)
    base.update(kw)
    return SessionSpec(**base)


def test_public_constants():
    assert set(MOVEMENT_KINDS) == {"hip-led", "spine-led", "squat", "fidget", "weight-shift"}
    assert set(PLACEMENTS) == {"sacrum", "L5", "L4", "L3", "T12"}


@pytest.mark.parametrize("placement", ["sacrum", "L3", "T12"])
def test_still_sensor_reads_gravity_and_no_rate(placement):
    body = make_body(1.75)
    t = np.linspace(0, 2, 201)
    acc, gyr = segment_signals(t, lambda tt: Posture(knee_rad=0.1 + 0 * tt, pelvis_rad=0.0 * tt),
                               body, placement)
    np.testing.assert_allclose(acc, np.tile([0, 0, G], (t.size, 1)), atol=1e-6)
    np.testing.assert_allclose(gyr, 0.0, atol=1e-9)


def test_still_session_reads_gravity():
    s = simulate_session(SessionSpec(n_bends=0, n_squats=0, n_fidgets=0, n_weight_shifts=0,
                                     ideal_sensor=True, postural_sway=False, seed=5))
    assert s.t_s.size > 400  # ≥ 5 s of quiet stance at 100 Hz
    np.testing.assert_allclose(np.linalg.norm(s.acc_mps2, axis=1), G, atol=1e-6)
    np.testing.assert_allclose(s.gyr_rad_s, 0.0, atol=1e-9)
    assert len(s.truth) == 0 and s.truth["trunk_deg"].dtype == float and s.truth["is_bend"].dtype == bool


def test_pure_pelvic_rotation_matches_analytic_specific_force():
    body = make_body(1.80)
    amp, dur = np.radians(70.0), 1.2
    t = np.linspace(-0.2, 1.5, 400)

    def posture(tt):
        return Posture(pelvis_rad=amp * minimum_jerk(tt / dur))

    acc, gyr = segment_signals(t, posture, body, "sacrum", balance=False)
    tau = np.clip(t / dur, 0, 1)
    th = amp * minimum_jerk(tau)
    thd = amp / dur * (30 * tau**2 - 60 * tau**3 + 30 * tau**4)
    thdd = amp / dur**2 * (60 * tau - 180 * tau**2 + 120 * tau**3)
    rx, rz = body.skin_m["sacrum"]
    c, s = np.cos(th), np.sin(th)
    # World offset of the skin point from the (fixed) hip joint centre.
    wx, wz = c * rx + s * rz, -s * rx + c * rz
    # a = alpha x r + omega x (omega x r) with omega = thd * e_y.
    ax = thdd * wz - thd**2 * wx
    az = -thdd * wx - thd**2 * wz
    vx, vz = ax, az + G
    f_expected = np.stack([c * vx - s * vz, 0 * t, s * vx + c * vz], axis=1)
    # 1e-3: the 1 ms central difference straddling the jerk step at motion onset errs ~3e-4.
    np.testing.assert_allclose(acc, f_expected, atol=1e-3)
    np.testing.assert_allclose(gyr[:, 1], thd, atol=1e-5)
    np.testing.assert_allclose(gyr[:, [0, 2]], 0.0, atol=1e-12)
    # The centripetal/tangential part is not negligible, so the test has teeth.
    assert np.max(np.hypot(ax, az)) > 0.3


def test_forward_bend_gyro_sign_is_positive_y():
    body = make_body(1.70)
    t = np.linspace(0.1, 0.9, 50)
    _, gyr = segment_signals(t, lambda tt: Posture(pelvis_rad=0.8 * minimum_jerk(tt)), body)
    assert np.all(gyr[:, 1] > 0)


def test_com_stays_over_feet_during_bends():
    body = make_body(1.75)
    rng = np.random.default_rng(0)
    x0 = standing_com_x_m(body)
    for kind in ("hip-led", "spine-led", "squat"):
        m = draw_movement(kind, rng)
        t = np.linspace(0, m.duration_s, 300)
        p = Posture(**m.evaluate(t))
        st = forward_kinematics(p, body, "sacrum")
        assert np.max(np.abs(st.com_x_m - x0)) < 1e-3
        # Without balance the COM would move several cm: the constraint is doing work.
        free = forward_kinematics(p, body, "sacrum", balance=False)
        assert np.max(np.abs(free.com_x_m - x0)) > 0.03


def test_hips_move_back_in_deep_hip_led_bends():
    s = simulate_session(SessionSpec(n_bends=30, spine_led_fraction=0.0, seed=11))
    deep = s.truth[(s.truth.kind == "hip-led") & (s.truth.trunk_deg >= 60)]
    assert len(deep) >= 5
    assert (deep.hip_shift_m < -0.03).all()


def test_truth_labels_and_shares_are_consistent():
    s = simulate_session(SessionSpec(n_bends=40, spine_led_fraction=0.5, n_squats=3, n_fidgets=4,
                                     n_weight_shifts=2, seed=7))
    tr = s.truth
    assert tr.index.name == "event_id" and tr.index[0] == 1
    assert (tr.kind.value_counts().reindex(MOVEMENT_KINDS).to_numpy() == [20, 20, 3, 4, 2]).all()
    bends = tr[tr.is_bend]
    np.testing.assert_allclose(bends.lumbar_share, bends.lumbar_deg / bends.trunk_deg, rtol=1e-12)
    np.testing.assert_allclose(bends.trunk_deg, bends.pelvis_deg + bends.lumbar_deg, rtol=1e-12)
    assert (bends.label == np.where(bends.lumbar_share > 0.5, "spine-led", "hip-led")).all()
    assert (bends.label == bends.kind).all()
    assert bends.lumbar_deg.max() <= 60.0
    assert bends.trunk_deg.between(40, 110).all()
    assert tr[~tr.is_bend].label.isna().all() and all(v is None for v in tr[~tr.is_bend].label)
    assert (tr.start_s < tr.peak_s).all() and (tr.peak_s < tr.end_s).all()
    assert (tr.start_s.iloc[1:].to_numpy() > tr.end_s.iloc[:-1].to_numpy() + 1.4).all()
    # Session starts with ≥ 3 s and ends with ≥ 2 s of quiet standing.
    assert tr.start_s.iloc[0] - s.t_s[0] >= 3.0 - 1e-6
    assert s.t_s[-1] - tr.end_s.iloc[-1] >= 2.0 - 0.02


def test_truth_sensor_pitch_matches_integrated_gyro():
    s = simulate_session(_ideal(placement="L3"))
    gy = s.gyr_rad_s[:, 1]
    for _, row in s.truth.iterrows():
        i0, i1 = np.searchsorted(s.t_s, [row.start_s, row.peak_s])
        integ = np.degrees(np.trapezoid(gy[i0:i1 + 1], s.t_s[i0:i1 + 1]))
        assert integ == pytest.approx(row.sensor_pitch_deg, abs=0.5)


def test_mounting_rotates_segment_signals():
    M = random_mounting(np.random.default_rng(4))
    np.testing.assert_allclose(M @ M.T, np.eye(3), atol=1e-12)
    assert np.linalg.det(M) == pytest.approx(1.0)
    up = simulate_session(_ideal())
    rot = simulate_session(_ideal(mounting=M))
    np.testing.assert_allclose(rot.acc_mps2, up.acc_mps2 @ M.T, atol=1e-9)
    np.testing.assert_allclose(rot.gyr_rad_s, up.gyr_rad_s @ M.T, atol=1e-12)
    np.testing.assert_allclose(rot.sensor_from_segment, M)
    rnd = simulate_session(_ideal(mounting="random"))
    np.testing.assert_allclose(rnd.acc_mps2, up.acc_mps2 @ rnd.sensor_from_segment.T, atol=1e-9)


def test_weight_shift_gives_3d_rates():
    s = simulate_session(SessionSpec(n_bends=0, n_squats=0, n_fidgets=0, n_weight_shifts=2,
                                     ideal_sensor=True, postural_sway=False, seed=2))
    assert np.max(np.abs(s.gyr_rad_s[:, 0])) > np.radians(2.0)
    assert (s.truth.sensor_pitch_deg.abs() < 3.0).all()


def test_lost_samples_produce_gaps():
    fs = 100.0
    s = simulate_session(SessionSpec(n_bends=20, loss_rate=0.01, fs_hz=fs, seed=9))
    dt = np.diff(s.t_s)
    assert np.all(dt > 0)
    assert np.sum(dt > 1.5 / fs) > 10
    assert np.max(dt) >= 2.5 / fs  # at least one burst
    n_expected = round((s.t_s[-1] - s.t_s[0]) * fs) + 1
    lost = 1 - s.t_s.size / n_expected
    assert 0.005 < lost < 0.05
    # Kept timestamps stay on the sensor's own grid.
    np.testing.assert_allclose(np.round((s.t_s - s.t_s[0]) * fs), (s.t_s - s.t_s[0]) * fs, atol=1e-6)
    ideal = simulate_session(_ideal(fs_hz=fs))
    np.testing.assert_allclose(np.diff(ideal.t_s), 1 / fs, atol=1e-9)


def test_noise_bias_and_quantisation():
    s = simulate_session(SessionSpec(n_bends=0, n_squats=0, n_fidgets=0, n_weight_shifts=0,
                                     postural_sway=False, seed=1))
    lsb = 8 * 9.80665 / 32768
    np.testing.assert_allclose(s.acc_mps2 / lsb, np.round(s.acc_mps2 / lsb), atol=1e-6)
    gyr_std = np.std(s.gyr_rad_s, axis=0)
    assert np.all(gyr_std > 1e-4) and np.all(gyr_std < 2e-3)
    assert np.all(np.abs(np.mean(s.gyr_rad_s, axis=0)) < np.radians(0.55))
    assert abs(np.mean(np.linalg.norm(s.acc_mps2, axis=1)) - G) < 0.4


def test_saturation_at_full_scale():
    s = simulate_session(SessionSpec(n_bends=6, gyro_range_dps=30.0, seed=4))
    full = np.radians(30.0)
    assert np.max(np.abs(s.gyr_rad_s)) <= full + 1e-12
    assert np.any(np.isclose(np.abs(s.gyr_rad_s), full, atol=np.radians(0.01)) |
                  np.isclose(np.abs(s.gyr_rad_s), full * 32767 / 32768, atol=1e-9))


def test_same_seed_same_output_and_different_seed_differs():
    a = simulate_session(SessionSpec(seed=21))
    b = simulate_session(SessionSpec(seed=21))
    c = simulate_session(SessionSpec(seed=22))
    np.testing.assert_array_equal(a.t_s, b.t_s)
    np.testing.assert_array_equal(a.acc_mps2, b.acc_mps2)
    np.testing.assert_array_equal(a.gyr_rad_s, b.gyr_rad_s)
    pd.testing.assert_frame_equal(a.truth, b.truth)
    assert a.height_m == b.height_m and 1.55 <= a.height_m <= 1.95
    assert a.t_s.size != c.t_s.size or not np.array_equal(a.acc_mps2, c.acc_mps2)


@pytest.mark.parametrize("placement", ["L5", "L4", "T12"])
def test_higher_placements_rotate_more(placement):
    sac = simulate_session(_ideal(placement="sacrum"))
    hi = simulate_session(_ideal(placement=placement))
    bends = sac.truth.is_bend
    assert (hi.truth.sensor_pitch_deg[bends] > sac.truth.sensor_pitch_deg[bends]).all()


def test_to_csv_header(tmp_path):
    s = simulate_session(SessionSpec(n_bends=1, n_squats=0, n_fidgets=0, n_weight_shifts=0, seed=0))
    path = tmp_path / "s.csv"
    s.to_csv(path)
    lines = path.read_text().splitlines()
    assert lines[0] == "time_s,acc_x,acc_y,acc_z,gyr_x,gyr_y,gyr_z"
    df = pd.read_csv(path)
    assert len(df) == s.t_s.size
    np.testing.assert_allclose(df.time_s, s.t_s, atol=1e-6)
    np.testing.assert_allclose(df[["acc_x", "acc_y", "acc_z"]], s.acc_mps2, atol=1e-6)


def test_pelvis_lags_lumbar_in_spine_led_bends():
    rng = np.random.default_rng(8)
    for _ in range(20):
        m = draw_movement("spine-led", rng)
        assert 0.1 - 1e-12 <= m.pelvis_lag_s <= 0.6
        early = m.evaluate(np.array([0.5 * m.pelvis_lag_s]))
        assert early["lumbar_rad"][0] > 0 and early["pelvis_rad"][0] == 0.0
        h = draw_movement("hip-led", rng)
        assert -0.2 <= h.pelvis_lag_s <= 0.0
        assert h.lumbar_deg <= 60.0 and m.lumbar_deg <= 60.0 + 1e-9


def test_ten_minute_session_is_fast():
    import time

    t0 = time.perf_counter()
    s = simulate_session(SessionSpec(n_bends=60, n_squats=5, n_fidgets=10, n_weight_shifts=5, seed=1))
    assert s.t_s[-1] - s.t_s[0] > 8 * 60
    assert time.perf_counter() - t0 < 5.0


def test_truth_skin_pitch_is_what_a_sensor_on_the_skin_turns_through():
    # A noise-free-ish sensor (no errors, no lost samples) on the skin at T12 with the
    # soft-tissue artefact doubled: its integrated gyro follows the skin, not the vertebra.
    s = simulate_session(SessionSpec(n_bends=4, n_squats=0, n_fidgets=0, n_weight_shifts=0, placement="T12", seed=5,
                                     sensor_error_scale=0.0, loss_rate=0.0, soft_tissue_scale=2.0))
    assert abs(s.sta_pitch_gain - 1.0) > 0.03
    gy = s.gyr_rad_s[:, 1]
    for _, row in s.truth.iterrows():
        i0, i1 = np.searchsorted(s.t_s, [row.start_s, row.peak_s])
        integ = np.degrees(np.trapezoid(gy[i0:i1 + 1], s.t_s[i0:i1 + 1]))
        assert integ == pytest.approx(row.skin_pitch_deg, abs=0.5)
        assert row.skin_pitch_deg == pytest.approx(s.sta_pitch_gain * row.sensor_pitch_deg, rel=1e-12)
    bends = s.truth[s.truth.is_bend]
    assert (np.abs(bends.skin_pitch_deg - bends.sensor_pitch_deg) > 1.0).all()
    # Without the artefact the two references are one.
    ideal = simulate_session(_ideal(placement="T12")).truth
    np.testing.assert_array_equal(ideal.skin_pitch_deg, ideal.sensor_pitch_deg)


def test_pair_truth_has_both_references():
    from hinge.analysis.body_model import simulate_pair

    spec = SessionSpec(n_bends=4, mounting="random", seed=8)
    pair = simulate_pair(spec)
    truth = pair.truth
    np.testing.assert_allclose(truth.true_skin_pelvic_tilt_deg, pair.lower.sta_pitch_gain * truth.true_pelvic_tilt_deg)
    np.testing.assert_allclose(truth.true_skin_upper_pitch_deg, pair.upper.sta_pitch_gain * truth.true_upper_pitch_deg)
    np.testing.assert_allclose(truth.true_skin_lumbar_flexion_deg,
                               truth.true_skin_upper_pitch_deg - truth.true_skin_pelvic_tilt_deg)
    # The skin truth is truth only: the samples are those of the sessions simulated alone.
    alone = simulate_session(spec)
    np.testing.assert_array_equal(pair.lower.acc_mps2, alone.acc_mps2)
    np.testing.assert_array_equal(pair.lower.gyr_rad_s, alone.gyr_rad_s)
