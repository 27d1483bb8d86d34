"""Battery level: the standard Battery Service read at each connection, shown in the status line."""
import asyncio

import pytest
from imu_ble.harness import run_recorder
from imu_ble.memsink import MemorySink

from hinge.analysis.body_model import BodyModelStream
from hinge.firmware_protocol import ProtocolError
from hinge.firmware_protocol.battery import BATTERY_LEVEL_UUID, decode_battery_level, encode_battery_level
from hinge.imu import simulated as sim
from hinge.imu.scan import find_sensor
from hinge.imu.stream import StreamRecorder, StreamSettings


def test_battery_level_codec_round_trips_and_rejects_nonsense():
    assert [decode_battery_level(encode_battery_level(p)) for p in (0, 57, 100)] == [0, 57, 100]
    for bad in (b"", b"\x01\x02", b"\x65"):
        with pytest.raises(ProtocolError, match=r"^battery: level: "):
            decode_battery_level(bad)


def _record(sensor) -> tuple[StreamRecorder, MemorySink]:
    """Record ``sensor`` through the in-process bleak backend until 200 samples arrived."""
    sink = MemorySink()

    async def go():
        found = await find_sensor(sensor.name, timeout_s=2.0, backend=sim.SimulatedScanner)
        rec = StreamRecorder(found.device, found.profile, sink, StreamSettings(),
                             backend=(sim.SimulatedScanner, sim.SimulatedClient))
        await run_recorder(rec, until=lambda r: r.stats.samples >= 200, timeout_s=10.0)
        return rec

    sim.register(sensor)
    try:
        return asyncio.run(go()), sink
    finally:
        sim.unregister(sensor)


@pytest.mark.parametrize("profile", ["hinge_open", "polar_verity"])
def test_battery_is_read_logged_and_shown(profile):
    sensor = sim.make_simulated_sensor(profile, motion=lambda rate: BodyModelStream(rate, seed=3), speed=10.0)
    sensor.battery_pct = 42
    rec, sink = _record(sensor)
    assert rec.stats.battery_pct == 42
    assert "battery 42 %" in rec.stats.status_line()
    assert rec.summary()["battery_pct"] == 42
    assert any(r[1] == BATTERY_LEVEL_UUID and r[2] == b"\x2a" for r in sink.raw)


def test_a_device_without_battery_service_shows_none():
    sensor = sim.make_simulated_sensor("movesense", motion=lambda rate: BodyModelStream(rate, seed=3), speed=10.0)
    rec, _ = _record(sensor)
    assert rec.stats.battery_pct is None and "battery" not in rec.stats.status_line()
    assert "battery_pct" not in rec.summary()
