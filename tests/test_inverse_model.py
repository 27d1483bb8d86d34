"""The body-model inversion: balance physics, and poses recovered from their own signals."""
import numpy as np
import pytest

from hinge.analysis.inverse_model import forward_pose, invert_pose, lumbar_fraction_below, pose_grid


def test_upright_pose_has_no_displacement():
    pitch, dx, dz, hip = forward_pose(0.0, 0.0, 0.0, 1.75, "sacrum")
    assert np.allclose([pitch, dx, dz, hip], 0.0, atol=1e-9)


def test_trunk_lean_pushes_hips_back():
    _, _, _, hip_hinge = forward_pose(np.radians(60), np.radians(10), np.radians(20), 1.75, "sacrum")
    _, _, _, hip_round = forward_pose(np.radians(20), np.radians(50), np.radians(5), 1.75, "sacrum")
    assert hip_hinge < -0.1 and hip_round < -0.05


def test_higher_sites_see_part_of_the_lumbar_flexion():
    assert lumbar_fraction_below("sacrum") == 0.0
    assert lumbar_fraction_below("L3") == pytest.approx(0.64)
    pitch, *_ = forward_pose(np.radians(30), np.radians(40), 0.0, 1.75, "L4")
    assert np.degrees(pitch) == pytest.approx(30 + 0.42 * 40)


def _estimate(pelvis_deg, lumbar_deg, knee_deg):
    grid = pose_grid(1.75, "sacrum")
    pitch, dx, dz, _ = forward_pose(np.radians(pelvis_deg), np.radians(lumbar_deg), np.radians(knee_deg), 1.75, "sacrum")
    return invert_pose(float(np.degrees(pitch)), float(dx), float(dz), grid, translation_sigma_m=0.01)


def test_exact_measurements_give_the_right_class_and_order():
    hinge = _estimate(60, 8, 20)
    mixed = _estimate(45, 20, 10)
    rounded = _estimate(20, 50, 4)
    assert hinge.p_spine_led < 0.2 and rounded.p_spine_led > 0.8
    assert hinge.lumbar_share < mixed.lumbar_share < rounded.lumbar_share
    # Near horizontal, extra lumbar flexion barely moves the centre of mass, so the share
    # of a deep hinge is only bounded from above; a rounded back is recovered closely.
    assert hinge.lumbar_share < 0.35
    assert rounded.lumbar_share == pytest.approx(50 / 70, abs=0.1)
    assert rounded.trunk_deg == pytest.approx(70, abs=10)


def _posterior_means_written_plainly(pitch_deg, dx, dz, grid, spine_led_share, pitch_sigma_deg, translation_sigma_m):
    """The posterior of `invert_pose`'s docstring, term by term over every grid point."""
    sigma = np.radians(pitch_sigma_deg) + 0.05 * np.radians(abs(pitch_deg))
    cost = ((grid.sensor_pitch_rad - np.radians(pitch_deg)) / sigma) ** 2
    if dx is not None:
        cost = cost + ((grid.sensor_dx_m - dx) / translation_sigma_m) ** 2
        cost = cost + ((grid.sensor_dz_m - dz) / translation_sigma_m) ** 2
    log_post = grid.log_prior - 0.5 * cost
    weight = np.exp(log_post - log_post.max())
    weight = weight / weight.sum()
    return {
        "lumbar_share": np.sum(weight * grid.lumbar_share),
        "p_spine_led": np.sum(weight[grid.lumbar_share > spine_led_share]),
        "trunk_deg": np.degrees(np.sum(weight * grid.trunk_rad)),
        "pelvis_deg": np.degrees(np.sum(weight * grid.pelvis_rad)),
        "lumbar_deg": np.degrees(np.sum(weight * grid.lumbar_rad)),
        "knee_deg": np.degrees(np.sum(weight * grid.knee_rad)),
        "hip_shift_m": np.sum(weight * grid.hip_dx_m),
        "misfit": cost.min(),
    }


@pytest.mark.parametrize("placement", ["sacrum", "L4"])
def test_inversion_equals_the_posterior_written_plainly_over_the_whole_grid(placement):
    # Bends of every depth, with plausible, implausible (far from any pose) and missing
    # translations, at several thresholds and measurement errors.
    grid = pose_grid(1.70, placement)
    rng = np.random.default_rng(5)
    for i in range(150):
        pitch_deg = float(rng.uniform(-5.0, 130.0))
        dx, dz = (None, None) if i % 5 == 0 else (float(rng.normal(-0.1, 0.15)), float(rng.normal(0.0, 0.1)))
        settings = (float(rng.choice([0.3, 0.5, 0.62])), float(rng.choice([2.0, 3.0])), float(rng.choice([0.05, 0.08])))
        got = invert_pose(pitch_deg, dx, dz, grid, *settings)
        want = _posterior_means_written_plainly(pitch_deg, dx, dz, grid, *settings)
        for name, value in want.items():
            assert getattr(got, name) == pytest.approx(value, rel=1e-9, abs=1e-9), (name, pitch_deg, dx, dz)


def test_a_bend_is_weighed_over_the_poses_near_its_pitch_alone():
    # Poses beyond PITCH_WINDOW_SIGMAS of a plausible bend's pitch are not read at all (their
    # moments made NaN here), yet the result is the posterior over the whole grid.
    from dataclasses import replace

    from hinge.analysis.inverse_model import PITCH_WINDOW_SIGMAS

    grid = pose_grid(1.75, "L5")
    pitch_deg, dx, dz = 25.0, -0.08, -0.01
    sigma = np.radians(3.0) + 0.05 * np.radians(pitch_deg)
    far = np.abs(grid.sensor_pitch_rad - np.radians(pitch_deg)) > PITCH_WINDOW_SIGMAS * sigma
    assert 0.2 < far.mean() < 0.8
    moments = grid.moments.copy()
    moments[:, far] = np.nan
    got = invert_pose(pitch_deg, dx, dz, replace(grid, moments=moments))
    want = _posterior_means_written_plainly(pitch_deg, dx, dz, grid, 0.5, 3.0, 0.08)
    for name, value in want.items():
        assert getattr(got, name) == pytest.approx(value, rel=1e-9, abs=1e-9), name
    # A translation no pose near that pitch explains: the whole grid is weighed (NaN shows).
    assert np.isnan(invert_pose(pitch_deg, 0.9, 0.9, replace(grid, moments=moments)).lumbar_share)


def test_a_translation_far_beyond_any_pose_is_weighed_over_the_whole_grid():
    # The window's best pose then has a log posterior far below -700.
    grid = pose_grid(1.75, "sacrum")
    got = invert_pose(30.0, 5.0, -5.0, grid, translation_sigma_m=0.05)
    want = _posterior_means_written_plainly(30.0, 5.0, -5.0, grid, 0.5, 3.0, 0.05)
    for name, value in want.items():
        assert getattr(got, name) == pytest.approx(value, rel=1e-9, abs=1e-9), name
