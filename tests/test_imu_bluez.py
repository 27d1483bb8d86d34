"""End to end: hinge's scan and recorder on bleak's real BlueZ backend against bluezoo.

bluezoo (GPL, test-only) emulates BlueZ on a private D-Bus; the fake peripheral serves the
simulated hinge open sensor (body-model bends, 100 Hz, MTU 23 = one sample per
notification) through BlueZ GATT, faster than real time.
"""
from __future__ import annotations

import asyncio
import time
from functools import partial

import numpy as np
import pytest

from hinge.analysis.body_model import BodyModelStream
from hinge.firmware_protocol import hinge_open
from hinge.imu.scan import find_sensor, scan
from hinge.imu.simulated import SimulatedHingeSensor
from hinge.imu.stream import StreamRecorder, StreamSettings
from imu_ble.fake_peripheral import FakeHingePeripheral
from imu_ble.harness import until
from imu_ble.memsink import MemorySink

NAME = "hinge-E2E0"


async def _start_recording(sensor, sink):
    """Serve `sensor` on BlueZ, find it and start recording it into `sink`."""
    periph = await FakeHingePeripheral(sensor).start()
    try:
        found = await find_sensor(NAME, timeout_s=5.0, adapter="hci0")
    except BaseException:
        await periph.stop()
        raise
    stop = asyncio.Event()
    rec = StreamRecorder(found.device, found.profile, sink,
                         StreamSettings(bluez_adapter="hci0", backoff_s=(0.1, 0.3), scan_timeout_s=5.0))
    return periph, rec, stop, asyncio.create_task(rec.run(stop))


def test_scan_lists_the_sensor_with_its_profile(bluez):
    async def scenario():
        periph = await FakeHingePeripheral(SimulatedHingeSensor(NAME, motion=BodyModelStream)).start()
        try:
            found = await scan(2.0, adapter="hci0", until=lambda fs: bool(fs))
        finally:
            await periph.stop()
        return found

    found = asyncio.run(scenario())
    assert [(f.name, f.address, f.profile.key) for f in found] == [(NAME, "66:77:88:99:AA:BB", "hinge_open")]


def test_stream_with_link_loss_keeps_every_sample_once_and_marks_the_gap(bluez):
    sensor = SimulatedHingeSensor(NAME, speed=4.0, motion=partial(BodyModelStream, seed=3))
    sink = MemorySink()

    async def scenario():
        periph, rec, stop, task = await _start_recording(sensor, sink)
        try:
            await until(lambda: sensor.sent_indices().size >= 800, 15, "800 samples before the link loss")
            # Quiet the sensor for 0.3 s so nothing is in flight when the link drops (a real
            # link loss also loses what was in flight; the gap annotation covers it).
            sensor.paused = True
            await asyncio.sleep(0.3)
            n_before = sensor.sent_indices().size
            await periph.drop_link()
            sensor.paused = False
            await until(lambda: sensor.sent_indices().size >= n_before + 1200, 20, "1200 samples after reconnect")
            sensor.paused = True
            await asyncio.sleep(0.4)
            stop.set()
            stats = await asyncio.wait_for(task, 10)
        finally:
            await periph.stop()
        return stats, n_before

    t0 = time.monotonic()
    stats, n_before = asyncio.run(scenario())
    wall = time.monotonic() - t0

    sent = sensor.sent_indices()
    got = np.rint(sink.t_s * 100.0).astype(np.int64)
    assert got.size == sent.size >= 2000
    np.testing.assert_array_equal(got, sent)          # every sample sent, once, in order
    assert np.all(np.diff(sink.t_s) > 0)
    acc_sent, gyr_sent = sensor._source.get(0, int(sent.max()) + 1)
    lsb_acc = 16.0 / 32768 * 9.80665
    assert np.abs(sink.acc_mps2 - acc_sent[sent]).max() <= lsb_acc / 2 + 1e-9
    assert np.abs(sink.gyr_rad_s - gyr_sent[sent]).max() <= np.deg2rad(2000.0) / 32768 / 2 + 1e-9

    assert stats.connections == 2 and stats.malformed == 0 and stats.lost_packets == 0
    notes = [a for a in sink.annotations if a[2] == "BAD_reconnect"]
    assert len(notes) == 1 and not [a for a in sink.annotations if a[2] != "BAD_reconnect"]
    onset, duration, _ = notes[0]
    last_before, first_after = sent[n_before - 1], sent[n_before]
    assert onset == pytest.approx(sink.t_s[n_before - 1]) and onset + duration == pytest.approx(sink.t_s[n_before])
    assert first_after - last_before > 1                 # the outage is a real gap on the device clock

    kinds = [r[3] for r in sink.raw]
    assert kinds.count("read") == 4 and kinds.count("write") == 4  # info + battery, CONFIGURE + START per connection
    data = [r for r in sink.raw if r[1] == hinge_open.DATA_UUID]
    assert len(data) == stats.packets == sent.size
    print(f"bluez e2e: {sent.size} samples ({sent.size / 100:.1f} s of device time) in {wall:.1f} s, "
          f"lost 0, reconnects {stats.reconnects}")


def test_unannounced_link_loss_loses_only_what_was_in_flight_inside_the_marked_gap(bluez):
    sensor = SimulatedHingeSensor(NAME, speed=5.0, motion=partial(BodyModelStream, seed=4))
    sink = MemorySink()

    async def scenario():
        periph, rec, stop, task = await _start_recording(sensor, sink)
        try:
            await until(lambda: sensor.sent_indices().size >= 500, 15, "500 samples")
            await periph.drop_link()                          # mid-stream, no warning
            await until(lambda: rec.stats.connections >= 2 and rec.stats.samples >= 1000, 20, "reconnect")
            sensor.paused = True
            await asyncio.sleep(0.4)
            stop.set()
            stats = await asyncio.wait_for(task, 10)
        finally:
            await periph.stop()
        return stats

    stats = asyncio.run(scenario())
    sent, got = sensor.sent_indices(), np.rint(sink.t_s * 100.0).astype(np.int64)
    assert np.all(np.diff(got) > 0) and np.isin(got, sent).all()  # in order, once, nothing invented
    (onset, duration, desc), = sink.annotations
    assert desc == "BAD_reconnect" and stats.connections == 2
    missing = np.setdiff1d(sent, got)
    assert missing.size <= 10                                     # at most what was in flight
    print(f"unannounced link loss: {missing.size} samples were in flight and lost, inside the BAD_reconnect mark")
    assert np.all((missing / 100.0 > onset) & (missing / 100.0 < onset + duration))


def test_hinge_scan_and_record_commands_on_bluez(bluez, tmp_path, capsys):
    import subprocess
    import sys

    from hinge.cli import main
    from hinge.recordings import read_session
    from imu_ble import fake_peripheral

    proc = subprocess.Popen([sys.executable, fake_peripheral.__file__, NAME, "4"], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "ready"
        assert main(["scan", "--adapter", "hci0", "--timeout", "1"]) == 0
        listing = capsys.readouterr().out
        assert f"{NAME}" in listing and "66:77:88:99:AA:BB  hinge_open" in listing
        assert main(["record", "--adapter", "hci0", "--device", NAME, "--duration", "2", "--participant", "P09",
                     "-o", str(tmp_path)]) == 0
    finally:
        proc.terminate()
        proc.wait(10)
    (path,) = [p for p in tmp_path.iterdir() if p.name.startswith("P09_")]
    session = read_session(path)
    assert session.t_s.size >= 400 and session.metadata["status"] == "closed"   # ~2 s x 100 Hz x 4
    np.testing.assert_allclose(np.diff(session.t_s), 0.01, atol=1e-4)
    assert session.metadata["device"]["address"] == "66:77:88:99:AA:BB"
    assert session.metadata["acquisition"]["lost_packets"] == 0
