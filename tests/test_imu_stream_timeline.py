"""Transport faults on the fake bleak backend, and `hinge recover` rebuilding exactly what the recorder wrote.

Duplicated, reordered and bursty notifications, device clock jumps, drift, a sensor that
goes away and comes back, and a WitMotion (no counter, no clock) with losses and bursts.
Each scenario checks the session against what the simulated sensor sent (nothing
invented, nothing silently lost) and that decoding the raw log alone gives the same
samples, times and annotations (`assert_replay_matches`).
"""
from __future__ import annotations

import asyncio
import collections
import math
import time
from functools import partial

import numpy as np
import pytest

from hinge.analysis.body_model import BodyModelStream
from hinge.firmware_protocol import hinge_open
from hinge.imu import simulated as sim
from hinge.imu.stream import StreamSettings
from hinge.recordings import RawRecord, decode_raw_records
from imu_ble.harness import tamper
from imu_ble.virtual_clock import VirtualClock, VirtualTimeLoop
from test_imu_stream_faults import FAST, FakeWitMotion, _record

RATE_HZ = 100.0


def make_sensor(name, address, **kwargs):
    kwargs.setdefault("speed", 10.0)
    return sim.register(sim.SimulatedHingeSensor(name, address, motion=partial(BodyModelStream, seed=3), **kwargs))


@pytest.fixture
def sensor():
    s = make_sensor("hinge-T1ME", "F0:0D:51:40:01:01")
    yield s
    sim.unregister(s)


def indices(sink, t0_s=0.0):
    return np.rint((sink.t_s - t0_s) * RATE_HZ).astype(np.int64)


def assert_replay_matches(rec, sink, profile_key="hinge_open"):
    """Decoding the logged raw values alone (what `hinge recover` does) gives the live session."""
    records = [RawRecord(0, host_ns, char, payload, kind) for host_ns, char, payload, kind in sink.raw]
    t, acc, gyr, _, decoder = decode_raw_records(records, profile_key, rec.settings.rate_hz or None)
    np.testing.assert_array_equal(t, sink.t_s)
    np.testing.assert_array_equal(acc, sink.acc_mps2)
    np.testing.assert_array_equal(np.isnan(gyr), np.isnan(sink.gyr_rad_s))
    np.testing.assert_array_equal(np.nan_to_num(gyr), np.nan_to_num(sink.gyr_rad_s))
    assert decoder.annotations == sink.annotations
    counts = decoder.timeline.counts
    assert (counts.duplicates, counts.late_packets, counts.clock_jumps, counts.dropped_samples) == (
        rec.stats.duplicates, rec.stats.late_packets, rec.stats.clock_jumps, rec.stats.dropped_samples)


def test_duplicated_notifications_are_stored_once(sensor):
    state = {"n": 0, "dups": 0}

    def twice_every_7th(value, deliver):
        state["n"] += 1
        deliver(value)
        if state["n"] % 7 == 0 and state["dups"] < 20:
            state["dups"] += 1
            deliver(value)

    rec, stats, sink = asyncio.run(_record(sensor, sim.SimulatedClient, FAST, during=tamper(sensor, 50, twice_every_7th),
                                           until=lambda r: r.stats.duplicates >= 20 and r.stats.samples >= 300))
    np.testing.assert_array_equal(indices(sink), sensor.sent_indices())   # each sample once, in order
    assert stats.duplicates == 20 and stats.dropped_samples == 0 and stats.lost_packets == 0  # dropped undecoded
    assert sink.annotations == [] and stats.reordered == 0
    assert_replay_matches(rec, sink)


def test_reordered_notifications_are_put_back_in_order(sensor):
    held = []

    def swap_pairs(value, deliver):  # every 10th notification overtakes the one before it
        seq = int.from_bytes(value[2:4], "little")
        if seq % 10 == 0 and not held:
            held.append(value)
            return
        deliver(value)
        while held:
            deliver(held.pop())

    rec, stats, sink = asyncio.run(_record(sensor, sim.SimulatedClient, FAST, during=tamper(sensor, 50, swap_pairs),
                                           until=lambda r: r.stats.reordered >= 10 and r.stats.samples >= 300))
    got, sent = indices(sink), sensor.sent_indices()
    assert got.size >= sent.size - 1                      # the last one sent may still have been held back
    np.testing.assert_array_equal(got, sent[:got.size])
    assert stats.reordered >= 10 and stats.late_packets == 0 and stats.lost_packets == 0
    assert sink.annotations == [] and stats.dropped_samples == 0
    assert_replay_matches(rec, sink)


def test_a_notification_too_late_to_reorder_is_counted_and_its_gap_stays_marked(sensor):
    state = {"n": 0, "late": None}

    def one_very_late(value, deliver):
        state["n"] += 1
        if state["n"] == 10:
            state["late"] = value           # held back past the reorder window (8 packets)
            return
        deliver(value)
        if state["n"] == 40:
            deliver(state["late"])

    rec, stats, sink = asyncio.run(_record(sensor, sim.SimulatedClient, FAST, during=tamper(sensor, 50, one_very_late),
                                           until=lambda r: r.stats.late_packets == 1 and r.stats.samples >= 300))
    late_k = hinge_open.decode_data(state["late"], sample_rate_hz=RATE_HZ, clock_hz=32768).timestamp_s * RATE_HZ
    got = indices(sink)
    np.testing.assert_array_equal(got, np.setdiff1d(sensor.sent_indices(), np.rint(late_k)))
    assert stats.late_packets == 1 and stats.dropped_samples == 1 and stats.lost_packets == 1
    (onset, duration, desc), = sink.annotations
    assert desc == "BAD_gap" and onset == pytest.approx(late_k[0] / RATE_HZ, abs=1e-4)
    assert duration == pytest.approx(1 / RATE_HZ, abs=1e-4)
    assert_replay_matches(rec, sink)


def test_bursts_after_a_radio_hiccup_keep_device_times(sensor):
    queue = []
    state = {"bursts": 0, "since": time.monotonic()}

    def bursty(value, deliver):  # hold everything for 60 ms host (0.6 s device), then all at once
        queue.append(value)
        if time.monotonic() - state["since"] >= 0.06:
            for v in queue:
                deliver(v)
            queue.clear()
            state["bursts"] += 1
            state["since"] = time.monotonic()

    rec, stats, sink = asyncio.run(_record(sensor, sim.SimulatedClient, FAST, during=tamper(sensor, 50, bursty),
                                           until=lambda r: state["bursts"] >= 15 and r.stats.samples >= 600))
    sent = sensor.sent_indices()
    got = indices(sink)
    np.testing.assert_array_equal(got, sent[:got.size])                       # the last burst may be unsent
    np.testing.assert_allclose(sink.t_s, got / RATE_HZ, atol=1 / 32768)      # device times, not arrival times
    assert sink.annotations == [] and stats.lost_packets == 0 and stats.gaps == 0
    assert_replay_matches(rec, sink)


def test_device_clock_jumps_are_marked_and_time_stays_continuous():
    start = 10 * 32768                                    # the device clock starts at 10 s
    s = make_sensor("hinge-JUMP", "F0:0D:51:40:01:02", clock_start_ticks=start)
    try:
        async def jumps(rec):
            for target, step_s in ((150, +5.0), (300, -7.0), (450, -1e9)):
                while rec.stats.samples < target:
                    await asyncio.sleep(0.005)
                if step_s < -1e6:                          # the clock restarts from 0, the link stays up
                    k = s.sample_now() - 100               # (packets already due still get ticks >= 0)
                    s.clock_start_ticks = -int(round(k * 32768 / RATE_HZ))
                else:
                    s.clock_start_ticks += int(step_s * 32768)

        rec, stats, sink = asyncio.run(_record(s, sim.SimulatedClient, FAST, during=jumps,
                                               until=lambda r: r.stats.clock_jumps >= 3 and r.stats.samples >= 600))
    finally:
        sim.unregister(s)
    sent = s.sent_indices()
    assert sink.t_s.size == sent.size and stats.dropped_samples == 0         # nothing lost, nothing invented
    np.testing.assert_allclose(np.diff(sink.t_s), 1 / RATE_HZ, atol=2 / 32768)  # one continuous time base
    np.testing.assert_allclose(sink.t_s - sink.t_s[0], (sent - sent[0]) / RATE_HZ, atol=3 / 32768)
    assert stats.clock_jumps == 3 and stats.lost_packets == 0
    assert [a[2] for a in sink.annotations] == ["BAD_clock_jump"] * 3
    assert all(a[1] == pytest.approx(1 / RATE_HZ, abs=1e-4) for a in sink.annotations)  # placed by the sequence
    assert_replay_matches(rec, sink)


@pytest.mark.slow
def test_clock_restart_across_a_reconnection_continues_on_host_time():
    s = make_sensor("hinge-RBT1", "F0:0D:51:40:01:03", speed=1.0, clock_start_ticks=3600 * 32768)

    async def reboot(rec):
        while rec.stats.samples < 100:
            await asyncio.sleep(0.005)
        s.clock_start_ticks = -int(round((s.sample_now() - 100) * 32768 / RATE_HZ))  # rebooted: clock near 0
        s.drop_link()

    try:
        rec, stats, sink = asyncio.run(_record(s, sim.SimulatedClient, FAST, during=reboot,
                                               until=lambda r: r.stats.connections >= 2 and r.stats.samples >= 250))
    finally:
        sim.unregister(s)
    assert stats.clock_restarts == 1 and np.all(np.diff(sink.t_s) > 0)
    (onset, duration, desc), = sink.annotations
    assert desc == "BAD_reconnect" and 0 < duration < 3.0                   # the outage, measured on host time
    assert sink.t_s.size == s.sent_indices().size
    assert_replay_matches(rec, sink)


class LatentClient(sim.SimulatedClient):
    """Delivers each notification late, in order, as a BLE link does: most within 2 ms,
    one in five up to 30 ms later (missed connection events), one in a hundred up to
    150 ms (interference). Times are the event loop's, so a virtual clock delays virtually."""

    rng = np.random.default_rng(0)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._pending: collections.deque = collections.deque()
        self._last_s = -math.inf

    def _deliver(self, uuid, value):
        loop = asyncio.get_running_loop()
        draw = self.rng.random()
        delay_s = self.rng.uniform(0.0, 0.002 if draw < 0.79 else 0.030 if draw < 0.99 else 0.150)
        self._last_s = max(loop.time() + delay_s, self._last_s)
        self._pending.append((self._last_s, uuid, value))
        if len(self._pending) == 1:
            loop.call_at(self._last_s, self._arrive)

    def _arrive(self):
        loop = asyncio.get_running_loop()
        while self._pending and self._pending[0][0] <= loop.time():
            _, uuid, value = self._pending.popleft()
            super()._deliver(uuid, value)
        if self._pending:
            loop.call_at(self._pending[0][0], self._arrive)


def test_drift_corrected_rate_and_host_times_over_ten_minutes_on_a_virtual_clock():
    """Two sensors at +100 and -100 ppm, recorded at once for 10 min in real-time speed
    over a jittery link, on a virtual clock (the event loop skips the idle waits: ~1 s).

    The host-clock rate must beat the 100 ppm (0.01 Hz at 100 Hz) that ignoring the drift
    would cost by a factor of 5, and the fitted host times the send times within 1 ms.
    """
    clock = VirtualClock()
    sensors = {ppm: make_sensor(f"hinge-D{int(ppm):+d}", f"F0:0D:51:40:01:{'04' if ppm > 0 else '05'}", speed=1.0,
                                clock_ppm=ppm, mtu=247, clock_ns=clock.monotonic_ns) for ppm in (100.0, -100.0)}
    settings = StreamSettings(backoff_s=(0.05,), scan_timeout_s=2.0, command_timeout_s=1.0)
    LatentClient.rng = np.random.default_rng(7)

    def ten_minutes(r):
        return bool(r.sink._t) and r.stats.last_t_s - r.sink._t[0][0] >= 600.0

    async def both():
        return await asyncio.gather(*(_record(s, LatentClient, settings, timeout_s=60, until=ten_minutes, poll_s=1.0,
                                              clock_ns=clock.monotonic_ns) for s in sensors.values()))

    started_ns = clock.monotonic_ns()
    try:
        with asyncio.Runner(loop_factory=lambda: VirtualTimeLoop(clock)) as runner:
            results = runner.run(both())
    finally:
        for s in sensors.values():
            sim.unregister(s)
    assert (clock.monotonic_ns() - started_ns) / 1e9 >= 600.0                # ten minutes passed on the host clock
    for (ppm, s), (rec, stats, sink) in zip(sensors.items(), results):
        k = indices(sink)
        np.testing.assert_array_equal(k, s.sent_indices())
        true_rate_hz = RATE_HZ * (1 + ppm * 1e-6)                            # samples per host second
        truth = s._host_s(k / RATE_HZ)                                       # when each sample's packet was sent
        err_s = rec.clock_fit.to_host(sink.t_s) - truth
        print(f"{ppm:+.0f} ppm: rate {stats.rate_hz:.4f} Hz (true {true_rate_hz:.4f}), host-time error "
              f"max {np.abs(err_s).max() * 1e3:.3f} ms over {sink.t_s[-1] - sink.t_s[0]:.0f} s device time")
        assert stats.rate_hz == pytest.approx(true_rate_hz, abs=0.002)
        assert rec.clock_fit.drift_ppm == pytest.approx(ppm, abs=20.0)
        assert rec.summary()["rate_hz"] == pytest.approx(stats.rate_hz, abs=1e-5)
        assert np.abs(err_s).max() < 1e-3


class CountingClient(sim.SimulatedClient):
    connects = 0

    async def connect(self, pair: bool = False, **kwargs):
        type(self).connects += 1
        await super().connect(pair, **kwargs)


@pytest.mark.slow
def test_sensor_gone_for_4_s_is_back_within_2_s_of_returning_and_the_gap_is_exact():
    s = make_sensor("hinge-AWAY", "F0:0D:51:40:01:06", speed=1.0)
    settings = StreamSettings(scan_timeout_s=1.0, command_timeout_s=1.0)   # default backoff
    marks = {}

    async def away(rec):
        while rec.stats.samples < 200:
            await asyncio.sleep(0.005)
        sim.unregister(s)                                  # gone: no advertising, the link drops
        marks["connects"] = CountingClient.connects
        await asyncio.sleep(4.0)
        marks["connects_while_away"] = CountingClient.connects - marks["connects"]
        marks["back_k"] = s.sample_now()                   # device sample index when it returns
        sim.register(s)

    CountingClient.connects = 0
    try:
        rec, stats, sink = asyncio.run(_record(s, CountingClient, settings, during=away, timeout_s=20,
                                               until=lambda r: r.stats.connections >= 2 and r.stats.samples >= 400))
    finally:
        sim.unregister(s)
    k = indices(sink)
    np.testing.assert_array_equal(k, s.sent_indices())                     # nothing invented or lost
    jump = int(np.flatnonzero(np.diff(k) > 1)[0])
    first_back = k[jump + 1]
    assert marks["connects_while_away"] == 0                               # no connection to an unseen sensor
    assert (first_back - marks["back_k"]) / RATE_HZ < 2.0                  # data again < 2 s (device time) after return
    (onset, duration, desc), = sink.annotations
    assert desc == "BAD_reconnect"
    assert onset == pytest.approx(k[jump] / RATE_HZ, abs=1e-4)             # last sample before to first after
    assert duration == pytest.approx((first_back - k[jump]) / RATE_HZ, abs=1e-4)
    assert duration >= 4.0
    assert_replay_matches(rec, sink)


@pytest.mark.slow
def test_witmotion_loss_and_burst_arrival_timing_and_replay():
    wit = sim.register(FakeWitMotion(skip=range(60, 80)))
    try:
        rec, stats, sink = asyncio.run(_record(wit, sim.SimulatedClient, FAST,
                                               until=lambda r: r.stats.samples >= 150))
    finally:
        sim.unregister(wit)
    assert sink.t_s.size == stats.samples
    assert [a[2] for a in sink.annotations] == ["BAD_gap_uncertain"]
    assert_replay_matches(rec, sink, "witmotion")


class BurstyWitMotion(FakeWitMotion):
    """Frames 50-69 are held back by the radio and delivered at once with frame 70."""

    async def _stream(self, notify):
        from hinge.firmware_protocol import witmotion

        t0, k, held = time.monotonic() + 0.1, 0, []
        while True:
            await asyncio.sleep(max(0.0, t0 + k / 50.0 - time.monotonic()))
            value = witmotion.encode_witmotion([0.0, 0.0, 9.8], [0.0, 0.0, 0.01 * k])
            self.sent.append(k)
            if 50 <= k < 70:
                held.append(value)
            else:
                for v in held:
                    notify(witmotion.NOTIFY_UUID, v)
                held.clear()
                notify(witmotion.NOTIFY_UUID, value)
            k += 1


@pytest.mark.slow
def test_witmotion_burst_is_not_a_loss():
    wit = sim.register(BurstyWitMotion(skip=range(0)))
    try:
        rec, stats, sink = asyncio.run(_record(wit, sim.SimulatedClient, FAST,
                                               until=lambda r: r.stats.samples >= 150))
    finally:
        sim.unregister(wit)
    assert sink.annotations == [] and stats.gaps == 0                     # 0.4 s late, then all at once: no loss
    k = np.rint(sink.gyr_rad_s[:, 2] / 0.01).astype(int)
    np.testing.assert_array_equal(k, np.arange(k.size))
    np.testing.assert_allclose(np.diff(sink.t_s), 0.02, rtol=1e-3)        # even spacing throughout (the fitted
                                                                          # period: nominal within 0.1 %)
    assert_replay_matches(rec, sink, "witmotion")
