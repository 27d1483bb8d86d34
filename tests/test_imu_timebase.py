"""imu.timebase: counter unwrapping, per-sample device times, drift fit, losses from counters and arrivals."""
from __future__ import annotations

import numpy as np
import pytest

from hinge.imu import timebase as tb


def test_unwrapper_matches_batch_unwrap_across_u16_and_u32_wraps():
    rng = np.random.default_rng(1)
    for bits in (16, 32):
        true = np.cumsum(rng.integers(1, 300, 5000)) + (1 << bits) - 1000
        wrapped = true % (1 << bits)
        online = tb.Unwrapper(bits)
        got = np.array([online(v) for v in wrapped])
        np.testing.assert_array_equal(got - got[0], true - true[0])
        np.testing.assert_array_equal(tb.unwrap_counter(wrapped, bits) - wrapped[0], true - true[0])


def test_packet_losses_across_the_sequence_wrap():
    seq = np.array([65533, 65534, 65535, 0, 2, 3, 7])
    unwrapped, lost = tb.packet_losses(seq, 16)
    np.testing.assert_array_equal(np.diff(unwrapped), [1, 1, 1, 2, 1, 4])
    np.testing.assert_array_equal(lost, [0, 0, 0, 0, 1, 0, 3])


def test_a_backwards_step_is_not_a_loss():
    _, lost = tb.packet_losses([10, 11, 11, 5, 6], 16)
    np.testing.assert_array_equal(lost, [0, 0, 0, 0, 0])


def test_sample_times_unwrap_the_u32_clock_and_space_samples_at_the_rate():
    clock, rate, n = 32768.0, 100.0, 19
    k0 = np.arange(0, 19 * 50, 19)                                   # first sample index of each packet
    ticks = (np.rint(k0 * clock / rate).astype(np.int64) + (1 << 32) - 3000) % (1 << 32)  # wraps mid-stream
    t = tb.sample_times(ticks, np.full(k0.size, n), clock, rate)
    assert t.size == k0.size * n
    np.testing.assert_allclose(np.diff(t), 1 / rate, atol=1 / clock)
    assert np.all(np.diff(t) > 0)


def test_sample_times_keep_a_lost_packet_as_a_gap_without_inventing_samples():
    clock, rate = 1e6, 100.0
    k0 = np.array([0, 5, 15, 20])                                  # the packet at k=10 was lost
    t = tb.sample_times(k0 * 10_000, [5, 5, 5, 5], clock, rate)
    assert t.size == 20
    steps = np.diff(t)
    assert np.isclose(steps.max(), 0.06) and np.sum(~np.isclose(steps, 0.01)) == 1


def test_rate_estimate_from_consecutive_packets_skips_gaps():
    true_rate = 100.0 * (1 + 40e-6)
    n = np.full(200, 10)
    t_first = np.arange(200) * 10 / true_rate
    t_first[120:] += 0.5                                            # a loss: skipped
    assert tb.estimate_rate_hz(t_first, n, 100.0) == pytest.approx(true_rate, rel=1e-9)
    assert tb.estimate_rate_hz(t_first[:1], n[:1], 100.0) == 100.0


@pytest.mark.parametrize("ppm", [-80.0, 0.0, 35.0, 250.0])
def test_clock_fit_recovers_drift_despite_bursty_latency(ppm):
    rng = np.random.default_rng(int(ppm) + 1000)
    device_s = np.arange(0, 120, 0.05)
    host_s = 1234.5 + device_s / (1 + ppm * 1e-6)                  # a fast device clock counts more
    latency = 0.004 + rng.exponential(0.006, device_s.size)
    bursts = rng.random(device_s.size) < 0.1
    latency[bursts] += rng.uniform(0.05, 0.3, bursts.sum())        # queued notifications
    fit = tb.fit_clock(device_s, host_s + latency)
    assert fit.drift_ppm == pytest.approx(ppm, abs=3.0)
    corrected = fit.to_host(device_s)
    assert np.abs(corrected - (host_s + 0.004)).max() < 0.002      # on the lower envelope
    assert fit.rate_hz(100.0) == pytest.approx(100.0 * (1 + ppm * 1e-6), abs=3e-4)  # samples per host second


def test_clock_fit_rejects_nonsense_and_short_spans():
    with pytest.raises(ValueError, match="equal-length"):
        tb.fit_clock([1.0], [2.0])
    with pytest.raises(ValueError, match="exceeds"):
        d = np.arange(0, 10, 0.1)
        tb.fit_clock(d, d * 1.01)                                   # 1 % is not a clock error
    short = tb.fit_clock([0.0, 0.5], [10.01, 10.5])
    assert short.scale == 1.0 and short.offset_s == pytest.approx(10.0)


def test_arrival_timing_without_losses_is_the_nominal_grid():
    rng = np.random.default_rng(3)
    host = 50.0 + np.arange(2000) / 50.0 + rng.exponential(0.01, 2000)
    timing = tb.arrival_sample_times(host, 50.0)
    assert timing.gaps == [] and not timing.uncertain.any()
    np.testing.assert_allclose(np.diff(timing.t_s), 0.02, rtol=1e-3)   # the fitted period: nominal within 0.1 %


def test_arrival_timing_marks_a_loss_as_uncertain_and_estimates_its_size():
    rng = np.random.default_rng(4)
    k = np.r_[np.arange(0, 500), np.arange(540, 1000)]              # 40 samples never arrived
    host = k / 100.0 + rng.exponential(0.004, k.size)
    timing = tb.arrival_sample_times(host, 100.0)
    assert timing.t_s.size == k.size                                 # nothing invented
    (gap,) = timing.gaps
    assert gap.uncertain and abs(gap.n_missing - 40) <= 2
    assert np.flatnonzero(timing.uncertain).tolist() == [500]
    assert np.all(np.diff(timing.t_s) > 0)
    assert timing.t_s[-1] == pytest.approx(k[-1] / 100.0, abs=0.02)


def test_arrival_timing_follows_slow_drift_without_false_gaps():
    rng = np.random.default_rng(5)
    k = np.arange(100 * 600)                                         # 10 minutes at 100 Hz
    host = k / (100.0 * (1 + 300e-6)) + rng.exponential(0.003, k.size)
    bursts = rng.random(k.size) < 0.01
    host[bursts] += 0.05
    host = np.maximum.accumulate(host)
    timing = tb.arrival_sample_times(host, 100.0)
    assert timing.gaps == []
