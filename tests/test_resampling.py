"""Uniform resampling: grid, interpolation, gap annotations and mask, rate estimate."""
import numpy as np
import pandas as pd
import pytest

from hinge.analysis.resampling import estimate_sample_rate, find_gaps, resample_uniform


def _with_gap(fs_hz=100.0, n=1000, gap_at=500, gap_s=0.5):
    t_s = 3.0 + np.arange(n) / fs_hz
    t_s[gap_at:] += gap_s
    return t_s


def test_rate_is_median_interval_and_ignores_gaps_and_jitter():
    rng = np.random.default_rng(1)
    t_s = np.arange(5000) / 200.0 + rng.normal(0, 1e-4, 5000)
    t_s = np.sort(t_s)
    # Many gaps: every 10th interval is 3 periods long.
    t_s = t_s + np.repeat(np.arange(500), 10) * 2 / 200.0
    assert estimate_sample_rate(t_s) == pytest.approx(200.0, rel=1e-3)


def test_rate_needs_two_samples():
    with pytest.raises(ValueError, match="two"):
        estimate_sample_rate(np.array([1.0]))


def test_grid_is_uniform_from_first_sample_and_linear_signal_is_exact():
    rng = np.random.default_rng(2)
    t_s = 10.0 + np.cumsum(rng.uniform(0.008, 0.012, 2000))
    values = np.column_stack([2.0 * t_s + 1.0, -t_s])
    before = values.copy()
    out = resample_uniform(t_s, values, 100.0)
    assert out.t_s[0] == t_s[0] and out.t_s[-1] <= t_s[-1]
    assert np.allclose(np.diff(out.t_s), 0.01)
    assert out.values.shape == (len(out.t_s), 2)
    assert np.allclose(out.values[:, 0], 2.0 * out.t_s + 1.0)
    assert np.allclose(out.values[:, 1], -out.t_s)
    assert np.array_equal(values, before), "inputs must not be mutated"


def test_one_dimensional_values_become_one_column():
    t_s = np.arange(100) / 50.0
    out = resample_uniform(t_s, np.sin(t_s), 50.0)
    assert out.values.shape == (100, 1)
    assert len(out.gaps) == 0 and not out.gap_mask.any()


def test_long_gap_is_listed_and_masked_but_values_stay_finite():
    t_s = _with_gap(gap_s=0.5)
    out = resample_uniform(t_s, np.ones((len(t_s), 3)), 100.0, max_interp_gap_s=0.1)
    assert list(out.gaps.columns) == ["onset_s", "duration_s", "description"]
    assert len(out.gaps) == 1
    gap = out.gaps.iloc[0]
    assert gap["onset_s"] == pytest.approx(t_s[499])
    assert gap["duration_s"] == pytest.approx(0.51)
    assert gap["description"] == "BAD_gap"
    masked_s = out.t_s[out.gap_mask]
    # Grid points strictly inside the hole, none outside it.
    assert masked_s.min() > t_s[499] and masked_s.max() < t_s[500]
    assert out.gap_mask.sum() == pytest.approx(50, abs=1)
    assert np.isfinite(out.values).all()


def test_short_gap_is_interpolated_and_listed_but_not_masked():
    t_s = _with_gap(gap_s=0.05)
    out = resample_uniform(t_s, t_s, 100.0, max_interp_gap_s=0.1)
    assert len(out.gaps) == 1 and out.gaps["duration_s"].iloc[0] == pytest.approx(0.06)
    assert not out.gap_mask.any()
    assert np.allclose(out.values[:, 0], out.t_s)


def test_single_lost_sample_is_a_gap():
    t_s = np.delete(np.arange(200) / 100.0, 50)
    gaps = find_gaps(t_s, 100.0)
    assert len(gaps) == 1 and gaps["duration_s"].iloc[0] == pytest.approx(0.02)
    assert isinstance(gaps, pd.DataFrame)


def test_clock_drift_grid_follows_the_data_span():
    # A sensor clock running 1 % slow: 1000 samples span 10.1 s at a nominal 100 Hz.
    t_s = np.arange(1000) * 0.0101
    out = resample_uniform(t_s, t_s, 100.0)
    assert len(out.t_s) == int(np.floor(t_s[-1] * 100.0 + 1e-6)) + 1
    assert out.t_s[-1] <= t_s[-1]
    assert len(out.gaps) == 0


def test_empty_input_gives_empty_typed_output():
    out = resample_uniform(np.empty(0), np.empty((0, 6)), 100.0)
    assert out.values.shape == (0, 6) and out.gap_mask.shape == (0,)
    assert list(out.gaps.columns) == ["onset_s", "duration_s", "description"]


def test_mismatched_lengths_are_rejected():
    with pytest.raises(ValueError, match="same number"):
        resample_uniform(np.arange(10.0), np.zeros((9, 2)), 100.0)


def test_grid_positions_are_found_without_building_the_grid():
    from hinge.analysis.resampling import grid_searchsorted, grid_times

    rng = np.random.default_rng(0)
    for fs_hz, t0_s in [(100.0, 1907.731), (52.0, -3.2), (99.97, 1.7e9), (1000.0, 0.0)]:
        grid = grid_times(t0_s, fs_hz, 0, 5000)
        # Points between grid times, and the grid times themselves (ties decide the side).
        x = np.concatenate([rng.uniform(t0_s - 1, grid[-1] + 1, 500), grid[rng.integers(0, 5000, 200)]])
        for side in ("left", "right"):
            assert np.array_equal(grid_searchsorted(t0_s, fs_hz, 5000, x, side), np.searchsorted(grid, x, side))
