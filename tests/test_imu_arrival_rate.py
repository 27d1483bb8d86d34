"""Arrival-timed devices (WitMotion: no counter, no clock) whose real rate is off nominal.

Real modules run 1-2 % off their nominal rate. Fed 10 minutes of synthetic BLE arrivals
(one sample per notification, delivered at 30 ms connection events with OS jitter,
bursts the radio held back, runs of lost samples), `ArrivalClock` must keep every
received sample, learn the real rate, keep times on the true send times, and still find
the losses; `SampleTimeline` must not drop anything at a reconnection either.
"""
from __future__ import annotations

import numpy as np
import pytest

from hinge.firmware_protocol import get_profile, witmotion
from hinge.imu import timebase as tb
from hinge.imu.timeline import LINK_CHARACTERISTIC, SampleTimeline, link_payload

NOMINAL_HZ = 100.0
LOSSES = ((12_000, 30), (30_000, 21), (47_000, 45))   # (first missing index, count) at 100 Hz nominal


def ble_arrivals(rate_hz: float, duration_s: float, seed: int, losses=LOSSES, t0_s: float = 100.0,
                 interval_s: float = 0.030, jitter_s: float = 0.003):
    """(send time, host arrival) in s of the samples that arrive, and how many were sent.

    Sent every 1/rate_hz; each waits for the next connection event (``interval_s``,
    random phase), plus exponential OS jitter (mean ``jitter_s``); every ~20 s the radio holds
    0.1-0.3 s of samples and delivers them at once; ``losses`` never arrive.
    """
    rng = np.random.default_rng(seed)
    n = int(duration_s * rate_hz)
    send = t0_s + np.arange(n) / rate_hz
    phase = rng.uniform(0, interval_s)
    host = phase + np.ceil((send - phase) / interval_s) * interval_s + rng.exponential(jitter_s, n)
    for start in rng.uniform(t0_s + 5, t0_s + duration_s - 1, int(duration_s / 20)):
        held = (send >= start) & (send < start + rng.uniform(0.1, 0.3))
        host[held] = host[held].max()
    keep = np.ones(n, dtype=bool)
    for k0, m in losses:
        keep[k0:k0 + m] = False
    return send[keep], np.maximum.accumulate(host[keep]), n


@pytest.mark.slow
@pytest.mark.parametrize("factor", [0.98, 1.02, 1.05])
def test_off_nominal_device_keeps_every_sample_learns_its_rate_and_finds_losses(factor):
    true_hz = NOMINAL_HZ * factor
    send, host, _ = ble_arrivals(true_hz, 600.0, seed=int(factor * 100))
    timing = tb.arrival_sample_times(host, NOMINAL_HZ)
    assert timing.t_s.size == host.size                                # every received sample, nothing invented
    assert np.all(np.diff(timing.t_s) > 0)
    assert timing.rate_hz == pytest.approx(true_hz, rel=1e-3)          # within 0.1 % of the real rate
    err = timing.t_s - send
    settled = send > send[0] + 30.0                                    # after the rate and phase converged
    assert np.abs(err[settled] - np.median(err[settled])).max() < 0.020
    assert len(timing.gaps) == len(LOSSES)                             # the losses, and no burst taken for one
    for gap, (_, m) in zip(timing.gaps, LOSSES):
        assert gap.uncertain and abs(gap.n_missing - m) <= 1
    assert timing.uncertain.sum() == len(LOSSES)


def test_exactly_nominal_device_stays_on_the_nominal_grid():
    send, host, _ = ble_arrivals(NOMINAL_HZ, 120.0, seed=7, losses=())
    timing = tb.arrival_sample_times(host, NOMINAL_HZ)
    assert timing.gaps == []
    assert timing.rate_hz == pytest.approx(NOMINAL_HZ, rel=2e-4)
    np.testing.assert_allclose(np.diff(timing.t_s), 0.01, rtol=5e-3)           # converging on the envelope
    np.testing.assert_allclose(np.diff(timing.t_s[1000:]), 0.01, rtol=5e-4)    # then even


def _feed(tl: SampleTimeline, host_s, k0: int = 0):
    """WitMotion notifications at ``host_s``; gyr_z carries the sample index modulo 3000
    (what ±2000 °/s holds at 0.01 rad/s a step)."""
    out = []
    for i, h in enumerate(host_s):
        value = witmotion.encode_witmotion([0.0, 0.0, 9.8], [0.0, 0.0, 0.01 * ((k0 + i) % 3000)])
        out += tl.feed(int(round(h * 1e9)), witmotion.NOTIFY_UUID, value)
    return out


@pytest.mark.slow
def test_reconnect_after_a_fast_device_loses_nothing():
    # 2 % fast for 5 min, a 3 s outage, then on: the continuation is placed on host time
    # again, which must not collide with (and drop) anything.
    rate = NOMINAL_HZ * 1.02
    send, host, n = ble_arrivals(rate, 300.0, seed=11, losses=())
    tl = SampleTimeline(get_profile("witmotion"), NOMINAL_HZ)
    blocks = _feed(tl, host)
    reconnect_s = host[-1] + 3.0
    blocks += tl.feed(int(reconnect_s * 1e9), LINK_CHARACTERISTIC, link_payload("connected", NOMINAL_HZ))
    send2, host2, _ = ble_arrivals(rate, 60.0, seed=12, losses=(), t0_s=reconnect_s + 0.1)
    blocks += _feed(tl, host2, k0=n)
    blocks += tl.finish()
    t = np.concatenate([b.t_s for b in blocks])
    k = np.rint(np.concatenate([b.gyr_rad_s[:, 2] for b in blocks]) / 0.01).astype(int)
    assert tl.counts.dropped_samples == 0
    np.testing.assert_array_equal(k, np.arange(host.size + host2.size) % 3000)   # nothing dropped, in order
    assert np.all(np.diff(t) > 0)
    notes = [note for b in blocks for note in b.notes]
    assert [d for _, _, d in notes] == ["BAD_reconnect"]
    assert tl.device_rate_hz == pytest.approx(rate, rel=1e-3)              # feeds stats.rate_hz / rate_hz
    fit = tl.clock_fit()
    assert tl.host_rate_hz(fit) == pytest.approx(rate, rel=1e-3)


def test_continuation_that_would_collide_is_shifted_and_counted():
    # Arrival times after the reconnection that are not after the last sample written
    # (here: the host clock of the new connection is behind) move later, never vanish.
    tl = SampleTimeline(get_profile("witmotion"), NOMINAL_HZ)
    blocks = _feed(tl, 10.0 + np.arange(500) / NOMINAL_HZ)
    blocks += tl.feed(int(15.0 * 1e9), LINK_CHARACTERISTIC, link_payload("connected", NOMINAL_HZ))
    blocks += _feed(tl, 14.0 + np.arange(200) / NOMINAL_HZ, k0=500)
    blocks += tl.finish()
    t = np.concatenate([b.t_s for b in blocks])
    assert t.size == 700 and tl.counts.dropped_samples == 0
    assert np.all(np.diff(t) > 0)
    assert tl.counts.time_shifts == 1
    assert t[500] == pytest.approx(t[499] + 1 / NOMINAL_HZ)                # moved the least it has to
