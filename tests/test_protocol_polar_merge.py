"""Polar Verity: frames filled to the MTU, and acc + gyro streams merged on the acc time base."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hinge.firmware_protocol import get_profile, polar_pmd
from hinge.firmware_protocol.polar_merge import VerityStreamDecoder, gyro_on_acc_times

RATE_HZ = 104.0
T0_NS = 599_616_000 * 10**9


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 300), st.integers(16, 400), st.integers(1, 70), st.integers(1, 4000), st.integers(0, 2**31))
def test_samples_that_fit_is_the_largest_frame_the_encoder_keeps_within_the_limit(n, max_bytes, block, step, seed):
    rng = np.random.default_rng(seed)
    v = np.clip(np.cumsum(rng.integers(-step, step + 1, size=(n, 3)), axis=0), -30000, 30000)
    k = polar_pmd.compressed_samples_that_fit(v, max_bytes, block)
    assert 1 <= k <= n
    assert len(polar_pmd.encode_pmd_frame(v[:k], timestamp_ns=1, block_size=block)) <= max_bytes
    if k < n:
        assert len(polar_pmd.encode_pmd_frame(v[:k + 1], timestamp_ns=1, block_size=block)) > max_bytes


def test_nearest_gyro_within_half_a_period_else_nan():
    acc_t = np.array([0.0, 1.0, 2.0, 3.0, 4.0])
    gyr_t = np.array([0.1, 1.45, 2.6, 4.0])
    gyr = np.arange(12.0).reshape(4, 3)
    out = gyro_on_acc_times(acc_t, gyr_t, gyr, period_s=1.0)
    np.testing.assert_array_equal(out[[0, 1, 4]], gyr[[0, 1, 3]])
    assert np.isnan(out[2]).all()                                          # 2.6 is 0.6 periods away
    np.testing.assert_array_equal(out[3], gyr[2])                          # 2.6 is 0.4 periods from 3.0


def _frames(kind, values, k0, sizes):
    """Compressed frames of ``values`` (device units) starting at sample k0, cut into ``sizes``."""
    out, k = [], 0
    for n in sizes:
        last = k0 + k + n - 1
        out.append(polar_pmd.encode_pmd_frame(values[k:k + n], kind=kind,
                                              timestamp_ns=T0_NS + int(round(last * 1e9 / RATE_HZ))))
        k += n
    return out


def _start(kind, factor):
    return polar_pmd.encode_control_response(2, polar_pmd.MEASUREMENT[kind], 0, {"factor": (factor,)})


def test_acc_and_gyro_frames_merge_into_six_axis_samples_on_the_acc_time_base():
    rng = np.random.default_rng(1)
    acc = np.cumsum(rng.integers(-40, 41, size=(300, 3)), axis=0)
    gyr = np.cumsum(rng.integers(-300, 301, size=(300, 3)), axis=0)
    dec = get_profile("polar_verity").make_decoder(sample_rate_hz=RATE_HZ)
    assert isinstance(dec, VerityStreamDecoder)
    dec.feed_control(_start("acc", 1.0))
    dec.feed_control(_start("gyro", 0.25))
    # acc starts at sample 0, gyro at sample 5; the frames interleave with different cuts.
    acc_frames = _frames("acc", acc, 0, [60, 70, 50, 80, 40])
    gyr_frames = _frames("gyro", gyr[5:], 5, [90, 40, 100, 65])
    out = []
    for f in [acc_frames[0], gyr_frames[0], acc_frames[1], acc_frames[2], gyr_frames[1], acc_frames[3],
              gyr_frames[2], gyr_frames[3], acc_frames[4]]:
        out += dec.feed(f)
    t = np.concatenate([s.timestamp_s for s in out])
    k = np.rint((t - T0_NS * 1e-9) * RATE_HZ).astype(int)
    np.testing.assert_array_equal(k, np.arange(5, 300))          # every paired acc sample, once, in order
    got_acc = np.vstack([s.acc_mps2 for s in out])
    got_gyr = np.vstack([s.gyr_rad_s for s in out])
    np.testing.assert_allclose(got_acc, acc[5:] * 9.80665e-3)
    np.testing.assert_allclose(got_gyr, np.deg2rad(gyr[5:] * 0.25))
    assert dec.unpaired_acc == 5 and dec.acc_without_gyro == 0    # acc before the gyro stream began


def test_a_lost_gyro_frame_leaves_nan_gyro_and_keeps_every_acc_sample():
    rng = np.random.default_rng(2)
    acc = np.cumsum(rng.integers(-40, 41, size=(200, 3)), axis=0)
    gyr = np.cumsum(rng.integers(-300, 301, size=(200, 3)), axis=0)
    dec = VerityStreamDecoder(RATE_HZ)
    acc_frames = _frames("acc", acc, 0, [50, 50, 50, 50])
    gyr_frames = _frames("gyro", gyr, 0, [40, 60, 50, 50])
    out = []
    for f in [acc_frames[0], gyr_frames[0], acc_frames[1], acc_frames[2], gyr_frames[2], acc_frames[3], gyr_frames[3]]:
        out += dec.feed(f)                                       # gyr_frames[1] (samples 40-99) is lost
    got_gyr = np.vstack([s.gyr_rad_s for s in out])
    t = np.concatenate([s.timestamp_s for s in out])
    assert t.size == 200 and np.all(np.diff(t) > 0)
    nan = np.isnan(got_gyr).any(axis=1)
    np.testing.assert_array_equal(np.flatnonzero(nan), np.arange(40, 100))
    assert dec.acc_without_gyro == 60


def test_a_restart_drops_acc_samples_still_waiting_for_gyro():
    acc = np.zeros((100, 3)) + (0, 0, 1000)
    dec = VerityStreamDecoder(RATE_HZ)
    dec.feed(_frames("acc", acc, 0, [100])[0])
    dec.feed(_frames("gyro", np.zeros((60, 3)), 0, [60])[0])     # the link dropped before gyro reached sample 60
    dec.feed_control(_start("acc", 1.0))
    assert dec.unpaired_acc == 40


def test_feature_bits_round_trip():
    names = {"acc", "gyro", "ppg", "sdk_mode"}
    assert polar_pmd.decode_features(polar_pmd.encode_features(names)) == names
    with pytest.raises(ValueError):
        polar_pmd.encode_features({"barometer"})
