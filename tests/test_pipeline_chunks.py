"""The offline pipeline reads its signals a window at a time (`grid_signals`): a long
recording is interpolated window by window instead of kept, and the long stages run in
chunks. Neither may change a verdict."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from hinge.analysis import grid_signals
from hinge.analysis.pipeline import analyse


def _analysed(session, monkeypatch, chunk: int, keep_grid: bool):
    monkeypatch.setattr(grid_signals, "CHUNK_SAMPLES", chunk)
    monkeypatch.setattr(grid_signals, "MATERIALISE_MAX_SAMPLES", 10**9 if keep_grid else 0)
    saturated = np.zeros(len(session.t_s), bool)
    saturated[5000:5004] = True
    return analyse(session.t_s, session.acc_mps2, session.gyr_rad_s, saturated=saturated)


def test_windows_interpolated_again_equal_the_kept_grid_to_the_last_bit(random_mount_session, monkeypatch):
    # Chunks of a prime length, so no chunk edge falls where the recording's structure does.
    kept = _analysed(random_mount_session, monkeypatch, 3001, keep_grid=True)
    again = _analysed(random_mount_session, monkeypatch, 3001, keep_grid=False)
    assert len(random_mount_session.t_s) > 5 * 3001 and len(kept.bends) >= 10
    pd.testing.assert_frame_equal(kept.bends, again.bends)
    pd.testing.assert_frame_equal(kept.dropped, again.dropped)
    assert kept.calibration == again.calibration and kept.warnings == again.warnings
    assert np.array_equal(kept.pitch_deg, again.pitch_deg) and np.array_equal(kept.t_s, again.t_s)


def test_chunk_length_does_not_change_the_verdicts(random_mount_session, monkeypatch):
    whole = _analysed(random_mount_session, monkeypatch, 10**7, keep_grid=True)
    chunked = _analysed(random_mount_session, monkeypatch, 3001, keep_grid=False)
    # Moving sums restart at chunk edges: the numbers agree to rounding, the tables exactly.
    assert np.allclose(whole.pitch_deg, chunked.pitch_deg, rtol=0, atol=1e-9)
    for column in ["label", "score", "lumbar_share", "depth_deg", "confidence", "start_s", "end_s", "quality_flags"]:
        assert whole.bends[column].tolist() == chunked.bends[column].tolist(), column
    assert whole.bends["sensor_dx_m"].to_numpy(float) == pytest.approx(chunked.bends["sensor_dx_m"].to_numpy(float),
                                                                      abs=1e-9, nan_ok=True)
    pd.testing.assert_frame_equal(whole.dropped, chunked.dropped)
    assert whole.calibration == chunked.calibration
