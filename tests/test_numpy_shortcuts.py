"""`analysis.shortcuts` gives numpy's own numbers to the last bit, so that every threshold
decides exactly as before: row sums and lengths of whole recordings, means and medians of
a bend's or a stance's samples."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from hinge.analysis.shortcuts import mean_of, median_of, norm_of, norm_rows, sum_rows

finite = st.floats(-1e150, 1e150, allow_nan=False, allow_infinity=False)


@settings(max_examples=300, deadline=None)
@given(v=hnp.arrays(np.float64, st.tuples(st.integers(0, 40), st.just(3)), elements=finite))
def test_row_sums_and_norms_equal_numpys_to_the_last_bit(v):
    assert np.array_equal(sum_rows(v), np.sum(v, axis=1))
    assert np.array_equal(norm_rows(v), np.linalg.norm(v, axis=1))


@pytest.mark.parametrize("scale", [1e-6, 1.0, 9.81, 1e6])
def test_a_long_recording_and_views_of_it_equal_numpys(scale):
    samples = np.random.default_rng(7).normal(0.0, scale, (200_000, 7))
    for v in (samples[:, :3], samples[:, 4:7], samples[::3, 1:4], np.ascontiguousarray(samples[:, 2:5])):
        assert np.array_equal(sum_rows(v), v.sum(axis=1))
        assert np.array_equal(norm_rows(v), np.linalg.norm(v, axis=1))
        assert np.array_equal(sum_rows(v**2), np.sum(v**2, axis=1))


def test_other_column_counts_fall_back_to_numpy():
    v = np.arange(20.0).reshape(4, 5)
    assert np.array_equal(sum_rows(v), v.sum(axis=1))
    assert np.array_equal(norm_rows(v), np.linalg.norm(v, axis=1))


@settings(max_examples=300, deadline=None)
@given(x=hnp.arrays(np.float64, st.integers(1, 60), elements=finite))
def test_per_bend_means_and_medians_equal_numpys(x):
    assert mean_of(x) == np.mean(x)
    assert median_of(x) == np.median(x)


@settings(max_examples=300, deadline=None)
@given(v=hnp.arrays(np.float64, st.integers(1, 8), elements=st.floats(-1e100, 1e100, allow_nan=False)))
def test_vector_lengths_equal_numpys(v):
    assert norm_of(v) == np.linalg.norm(v)
