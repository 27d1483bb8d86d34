"""Recorder fault handling on a fake bleak backend (the in-process simulated sensor + injected faults).

bluezoo cannot model connect failures, GATT errors or a silent sensor; these tests pass a
backend to bleak's public `BleakScanner`/`BleakClient` instead (no BlueZ code runs).
"""
from __future__ import annotations

import asyncio
import time
from functools import partial

import numpy as np
import pytest
from bleak.exc import BleakError

from hinge.analysis.body_model import BodyModelStream
from hinge.firmware_protocol import get_profile, hinge_open
from hinge.imu import simulated as sim
from hinge.imu.scan import find_sensor, scan
from hinge.imu.stream import StreamError, StreamRecorder, StreamSettings
from imu_ble.harness import run_recorder
from imu_ble.memsink import MemorySink

FAST = StreamSettings(backoff_s=(0.05, 0.1), scan_timeout_s=2.0, command_timeout_s=1.0, max_failures=3)


@pytest.fixture
def sensor():
    s = sim.register(sim.SimulatedHingeSensor("hinge-FA17", "F0:0D:51:40:00:09", speed=10.0, motion=partial(BodyModelStream, seed=5)))
    yield s
    sim.unregister(s)


class RefusingClient(sim.SimulatedClient):
    """Refuses the first ``refusals`` connection attempts (class attribute, set per test)."""

    refusals = 0
    attempts = 0

    async def connect(self, pair: bool = False, **kwargs):
        type(self).attempts += 1
        if type(self).attempts <= type(self).refusals:
            raise BleakError("le-connection-abort-by-local")
        await super().connect(pair, **kwargs)


class GattErrorClient(sim.SimulatedClient):
    """The first ``failures`` CONFIGURE writes fail with a GATT error."""

    failures = 0

    async def write_gatt_char(self, characteristic, data, response):
        if bytes(data)[:1] == b"\x03" and type(self).failures > 0:
            type(self).failures -= 1
            raise BleakError("Failed to write characteristic 12: Unlikely Error (0x0e)")
        await super().write_gatt_char(characteristic, data, response)


async def _record(sensor, client_cls, settings, *, until, timeout_s=10.0, during=None, poll_s=0.02,
                  **recorder_options):
    found = await find_sensor(sensor.name, timeout_s=2.0, backend=sim.SimulatedScanner)
    sink = MemorySink()
    rec = StreamRecorder(found.device, found.profile, sink, settings, backend=(sim.SimulatedScanner, client_cls),
                         **recorder_options)
    stats = await run_recorder(rec, until=until, timeout_s=timeout_s, during=during, poll_s=poll_s)
    return rec, stats, sink


def _indices(sink):
    return np.rint(sink.t_s * 100.0).astype(np.int64)


def test_scan_finds_the_simulated_sensor_with_rssi(sensor):
    found = asyncio.run(scan(0.5, backend=sim.SimulatedScanner))
    assert [(f.name, f.address, f.profile.key) for f in found] == [("hinge-FA17", "F0:0D:51:40:00:09", "hinge_open")]
    assert -70 <= found[0].rssi_dbm <= -50


def test_two_sensors_in_range_need_a_name(sensor):
    other = sim.register(sim.SimulatedHingeSensor("hinge-0THR", "F0:0D:51:40:00:0A", motion=BodyModelStream))
    try:
        with pytest.raises(Exception, match="2 supported sensors in range .*--device"):
            asyncio.run(find_sensor(timeout_s=0.3, backend=sim.SimulatedScanner))
        assert asyncio.run(find_sensor("hinge-0thr", timeout_s=2, backend=sim.SimulatedScanner)).address == other.address
    finally:
        sim.unregister(other)


def test_connect_refused_once_then_records(sensor):
    RefusingClient.refusals, RefusingClient.attempts = 1, 0
    rec, stats, sink = asyncio.run(_record(sensor, RefusingClient, FAST, until=lambda r: r.stats.samples >= 300))
    assert stats.failed_attempts == 1 and stats.connections == 1
    assert "le-connection-abort-by-local" in stats.last_error
    np.testing.assert_array_equal(_indices(sink), sensor.sent_indices())
    assert sink.annotations == []


def test_connect_always_refused_gives_up_with_one_line(sensor):
    RefusingClient.refusals, RefusingClient.attempts = 99, 0
    t0 = time.monotonic()
    with pytest.raises(StreamError, match=r"gave up after 3 failed connection attempts \(BleakError: le-conn") as err:
        asyncio.run(_record(sensor, RefusingClient, FAST, until=lambda r: False))
    assert "\n" not in str(err.value) and time.monotonic() - t0 < 5


def test_gatt_error_on_configure_is_retried(sensor):
    GattErrorClient.failures = 1
    rec, stats, sink = asyncio.run(_record(sensor, GattErrorClient, FAST, until=lambda r: r.stats.samples >= 300))
    assert stats.failed_attempts == 1 and stats.connections == 1 and "Unlikely Error" in stats.last_error
    assert sensor.connections == 2  # the failed connection was closed and a new one made
    np.testing.assert_array_equal(_indices(sink), sensor.sent_indices())


def test_unsupported_rate_answer_names_the_problem(sensor):
    settings = StreamSettings(rate_hz=30.0, backoff_s=(0.05,), max_failures=2, command_timeout_s=1.0)
    with pytest.raises(StreamError, match="command 03 answered 'unsupported rate'"):
        asyncio.run(_record(sensor, sim.SimulatedClient, settings, until=lambda r: False))


def test_malformed_packets_are_counted_and_skipped(sensor):
    bad = [b"", b"\x01\x20", bytes([2, 0x30, 0, 0, 0, 0, 0, 0]) + bytes(12),  # truncated, truncated, version 2
           bytes([1, 0xB0, 0, 0, 0, 0, 0, 0]) + bytes(12),                     # reserved bit 7
           bytes([1, 0x30, 0, 0, 0, 0, 0, 0]) + bytes(13)]                     # body not whole samples

    async def inject(rec):
        while rec.stats.samples < 100:
            await asyncio.sleep(0.01)
        for value in bad:
            sensor.inject(value)

    rec, stats, sink = asyncio.run(_record(sensor, sim.SimulatedClient, FAST, during=inject,
                                           until=lambda r: r.stats.samples >= 400))
    assert stats.malformed == len(bad) and len(stats.malformed_reasons) == len(bad)
    assert all("hinge_open" in r for r in stats.malformed_reasons)
    np.testing.assert_array_equal(_indices(sink), sensor.sent_indices())
    assert sum(1 for r in sink.raw if r[1] == hinge_open.DATA_UUID) == stats.packets + len(bad)  # all logged raw


def test_lost_notification_is_counted_and_marked(sensor):
    async def lose_one(rec):
        while rec.stats.samples < 100:
            await asyncio.sleep(0.005)
        deliver = sensor._notify
        state = {"n": 0}

        def lossy(uuid, value):
            if uuid == hinge_open.DATA_UUID:
                state["n"] += 1
                if state["n"] == 10:
                    return  # this notification never reaches the host
            deliver(uuid, value)

        sensor._notify = lossy

    rec, stats, sink = asyncio.run(_record(sensor, sim.SimulatedClient, FAST, during=lose_one,
                                           until=lambda r: r.stats.samples >= 400))
    sent, got = sensor.sent_indices(), _indices(sink)
    missing = np.setdiff1d(sent, got)
    assert missing.size == 1 and got.size == sent.size - 1
    assert stats.lost_packets == 1 and stats.gaps == 1
    assert len(sink.annotations) == 1, sink.annotations
    (onset, duration, desc), = sink.annotations
    assert desc == "BAD_gap" and onset == pytest.approx(missing[0] / 100, abs=1e-4)  # where the lost sample belongs
    assert duration == pytest.approx(0.01, abs=1e-4)                                 # up to the next one received


@pytest.mark.slow
def test_silent_sensor_is_detected_within_3_s_and_reconnected(sensor):
    marks = {}

    async def go_silent(rec):
        while rec.stats.samples < 200:
            await asyncio.sleep(0.01)
        sensor.paused = True  # still connected, sends nothing
        marks["silent"] = time.monotonic()
        while rec.stats.stalls == 0:
            await asyncio.sleep(0.01)
        marks["detected"] = time.monotonic()
        # Resume only once the recorder has dropped the stalled link: a sensor that resumes
        # on the old link in that instant is a different fault (a device clock that jumped
        # while its sequence ran on), which the timeline marks as BAD_clock_jump.
        while sensor._notify is not None and rec.stats.connections < 2:
            await asyncio.sleep(0.001)
        sensor.paused = False

    rec, stats, sink = asyncio.run(_record(sensor, sim.SimulatedClient, FAST, during=go_silent,
                                           until=lambda r: r.stats.connections >= 2 and r.stats.samples >= 600))
    assert marks["detected"] - marks["silent"] < 3.0
    assert stats.stalls == 1 and stats.connections == 2 and "no data" in stats.last_error
    np.testing.assert_array_equal(_indices(sink), sensor.sent_indices())
    assert [a[2] for a in sink.annotations] == ["BAD_reconnect"]


def test_recorder_needs_a_bledevice(sensor):
    with pytest.raises(TypeError, match="BLEDevice"):
        StreamRecorder(sensor.address, get_profile("hinge_open"), MemorySink())


def test_sequence_and_clock_wraps_are_seamless():
    start = (1 << 32) - 5000                                          # the u32 clock wraps after ~0.15 s
    s = sim.register(sim.SimulatedHingeSensor("hinge-WRAP", "F0:0D:51:40:00:0B", speed=10.0, mtu=247,
                                              clock_start_ticks=start, first_sequence=65530, motion=BodyModelStream))
    try:
        rec, stats, sink = asyncio.run(_record(s, sim.SimulatedClient, FAST, until=lambda r: r.stats.samples >= 400))
    finally:
        sim.unregister(s)
    assert stats.packets >= 20 and s.sequence < 65530                # both wrapped during the recording
    got = np.rint((sink.t_s - start / 32768.0) * 100.0).astype(np.int64)
    np.testing.assert_array_equal(got, s.sent_indices())
    assert stats.lost_packets == 0 and sink.annotations == []
    assert 19 * stats.packets == stats.samples                        # MTU 247: 19 samples per notification


def test_a_failing_session_writer_stops_the_recording_with_one_line(sensor):
    class FullDisk(MemorySink):
        def append_samples(self, t_s, acc_mps2, gyr_rad_s):
            raise OSError(28, "No space left on device")

    async def scenario():
        found = await find_sensor(sensor.name, timeout_s=2.0, backend=sim.SimulatedScanner)
        rec = StreamRecorder(found.device, found.profile, FullDisk(), FAST,
                             backend=(sim.SimulatedScanner, sim.SimulatedClient))
        return await asyncio.wait_for(rec.run(asyncio.Event()), 10)

    with pytest.raises(StreamError, match=r"writing the session failed: OSError: \[Errno 28\] No space left") as err:
        asyncio.run(scenario())
    assert "\n" not in str(err.value)


class FakeWitMotion:
    """A WitMotion BLE 5.0 sensor (no counter, no clock): streams 0x61 frames at 50 Hz while connected."""

    gatt = {"0000ffe5-0000-1000-8000-00805f9a34fb": [("0000ffe4-0000-1000-8000-00805f9a34fb", ["notify"]),
                                                     ("0000ffe9-0000-1000-8000-00805f9a34fb", ["write"])]}

    def __init__(self, skip: range):
        self.name, self.address, self.mtu, self.rssi_dbm = "WT901BLE68", "F0:0D:51:40:00:0C", 23, -60
        self.skip, self.sent, self.writes, self._task = skip, [], [], None

    def attach(self, notify, drop=None):
        self._task = asyncio.get_running_loop().create_task(self._stream(notify))

    def link_lost(self):
        if self._task is not None:
            self._task.cancel()

    def read(self, uuid):
        return b""

    def write(self, uuid, value):
        self.writes.append(bytes(value))

    async def _stream(self, notify):
        from hinge.firmware_protocol import witmotion

        t0, k = time.monotonic() + 0.1, 0  # starts once notifications are enabled
        while True:
            await asyncio.sleep(max(0.0, t0 + k / 50.0 - time.monotonic()))
            if k not in self.skip:  # frames in `skip` never reach the host
                notify(witmotion.NOTIFY_UUID, witmotion.encode_witmotion([0.0, 0.0, 9.8], [0.0, 0.0, 0.01 * k]))
                self.sent.append(k)
            k += 1


@pytest.mark.slow
def test_witmotion_losses_are_found_from_arrival_timing_and_marked_uncertain():
    wit = sim.register(FakeWitMotion(skip=range(60, 80)))           # 20 frames (0.4 s) lost in transit
    try:
        rec, stats, sink = asyncio.run(_record(wit, sim.SimulatedClient, FAST,
                                               until=lambda r: r.stats.samples >= 120))
    finally:
        sim.unregister(wit)
    assert rec.profile.key == "witmotion" and stats.lost_packets == 0   # no counter: nothing to count
    assert wit.writes[:2] == [bytes.fromhex("ffaa6988b5"), bytes.fromhex("ffaa030800")]  # unlock, 50 Hz
    assert sink.t_s.size == stats.samples >= 120                      # nothing invented
    (onset, duration, desc), = sink.annotations
    assert desc == "BAD_gap_uncertain" and stats.gaps == 1
    assert duration == pytest.approx(0.40, abs=0.06)                # the 20 missing periods (an estimate)
    k = np.rint(sink.gyr_rad_s[:, 2] / 0.01).astype(int)             # the frame index rides in gyr_z
    np.testing.assert_array_equal(k[k < 60], np.arange(60))
    t_by_k = dict(zip(k, sink.t_s))
    assert t_by_k[80] - t_by_k[59] == pytest.approx(0.42, abs=0.06)


@pytest.mark.slow
def test_device_clock_drift_is_estimated_against_the_host():
    s = sim.register(sim.SimulatedHingeSensor("hinge-DR1F", "F0:0D:51:40:00:0D", speed=1.0, clock_ppm=800.0, motion=BodyModelStream))
    try:
        rec, stats, sink = asyncio.run(_record(s, sim.SimulatedClient, FAST, until=lambda r: r.stats.samples >= 300))
    finally:
        sim.unregister(s)
    assert rec.clock_fit is not None
    assert rec.clock_fit.drift_ppm == pytest.approx(800.0, abs=250.0)
    host = rec.clock_fit.to_host(sink.t_s)                       # device times corrected onto the host clock
    arrivals = np.array([r[0] for r in sink.raw if r[1] == hinge_open.DATA_UUID]) / 1e9
    assert arrivals.size == host.size                            # MTU 23: one sample per notification
    assert np.all(arrivals - host > -0.002)                      # nothing "arrives" before it exists
    assert np.median(arrivals - host) < 0.02


@pytest.mark.slow
def test_sensor_switched_off_for_a_while_is_waited_for_and_the_outage_marked(sensor):
    settings = StreamSettings(backoff_s=(0.05, 0.1), scan_timeout_s=0.3, command_timeout_s=1.0, max_failures=3)
    marks = {}

    async def power_cycle(rec):
        while rec.stats.samples < 200:
            await asyncio.sleep(0.01)
        sim.unregister(sensor)                        # switched off: the link drops, it no longer advertises
        marks["off"] = rec.stats.failed_attempts
        while rec.stats.failed_attempts < 5:          # more than max_failures: data had flowed before
            await asyncio.sleep(0.02)
        sim.register(sensor)

    rec, stats, sink = asyncio.run(_record(sensor, sim.SimulatedClient, settings, during=power_cycle, timeout_s=20,
                                           until=lambda r: r.stats.connections >= 2 and r.stats.samples >= 500))
    assert stats.failed_attempts >= 5 and stats.connections == 2
    np.testing.assert_array_equal(_indices(sink), sensor.sent_indices())
    (onset, duration, desc), = sink.annotations
    assert desc == "BAD_reconnect" and duration > 1.0
