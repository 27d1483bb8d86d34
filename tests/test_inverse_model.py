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
