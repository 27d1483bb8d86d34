"""`hinge scan --simulate` and `hinge record --simulate --profile NAME` for every simulated device profile.

In-process bleak backend (no BlueZ): the simulated sensors speak their devices' own wire
protocols through the same decoding path as real ones; the BlueZ end-to-end runs are in
test_imu_bluez_profiles.py.
"""
from __future__ import annotations

import asyncio
import json

import numpy as np
import pytest

from hinge.cli import main
from hinge.imu.simulated import SIMULATED_PROFILES
from hinge.recordings import read_session


def test_scan_simulate_lists_every_simulated_profile_with_name_address_and_rssi(capsys):
    assert main(["scan", "--simulate", "--timeout", "0.5"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["name", "address", "profile", "RSSI"]
    rows = {line.split()[-3]: line for line in lines[1:]}
    assert sorted(rows) == sorted(SIMULATED_PROFILES)
    assert rows["polar_verity"].startswith("Polar Sense ") and rows["movesense"].startswith("Movesense ")
    assert rows["witmotion"].startswith("WT901BLE") and all(r.endswith(" dBm") for r in rows.values())


@pytest.mark.parametrize("profile, speed, duration_s, rate_hz", [
    ("polar_verity", 10.0, 2.0, 104.0),
    ("polar_verity", 1.0, 12.0, 52.0),             # the default rate, in real time: frames seconds apart
    ("movesense", 10.0, 1.5, 104.0),
    ("witmotion", 1.0, 1.5, 100.0),
])
@pytest.mark.slow
def test_record_simulate_profile_writes_a_six_axis_session_at_the_profile_rate(profile, speed, duration_s, rate_hz,
                                                                               tmp_path, capsys):
    assert main(["record", "--simulate", "--profile", profile, "--speed", f"{speed:g}", "--rate-hz", f"{rate_hz:g}",
                 "--duration", f"{duration_s:g}", "-o", str(tmp_path)]) == 0
    (path,) = tmp_path.iterdir()
    session = read_session(path)
    meta = json.loads((path / "session.json").read_text())
    assert meta["profile"] == profile and meta["device"]["simulated"] is True
    assert meta["acquisition"]["malformed_packets"] == 0 and meta["acquisition"]["lost_packets"] == 0
    assert session.t_s.size >= 0.5 * duration_s * speed * rate_hz
    assert np.isfinite(session.acc_mps2).all() and np.isfinite(session.gyr_rad_s).all()  # Polar: gyro merged in
    np.testing.assert_allclose(np.median(np.diff(session.t_s)), 1.0 / rate_hz, rtol=0.02)
    g = np.linalg.norm(session.acc_mps2, axis=1)
    assert 8.0 < np.median(g) < 11.6                                   # m/s^2: gravity, in the right unit


# ---------------------------------------------------------------------- firmware behaviour of the simulated sensors

class _Central:
    """Stands in for a connected central: collects what the sensor sends, in order."""

    def __init__(self):
        self.values: list[tuple[str, bytes]] = []

    def __call__(self, uuid: str, value: bytes) -> None:
        self.values.append((uuid, bytes(value)))

    def on(self, uuid: str) -> list[bytes]:
        return [v for u, v in self.values if u == uuid]


def _sensor(profile: str, **kwargs):
    from functools import partial

    from hinge.analysis.body_model import BodyModelStream
    from hinge.imu.simulated import make_simulated_sensor

    return make_simulated_sensor(profile, motion=partial(BodyModelStream, seed=2), **kwargs)


def test_simulated_verity_control_point_frames_and_merge():
    from hinge.firmware_protocol import polar_pmd as pmd
    from hinge.firmware_protocol.polar_merge import VerityStreamDecoder
    from hinge.imu.simulated_polar import GYRO_FACTOR_DPS

    sensor, central = _sensor("polar_verity", speed=20.0), _Central()
    cp = pmd.CONTROL_UUID
    start = {"sample_rate": 104, "resolution": 16, "range": 8, "channels": 3}

    async def scenario():
        sensor.attach(central)
        assert {"acc", "gyro", "sdk_mode"} <= pmd.decode_features(sensor.read(cp))
        sensor.write(cp, pmd.command_get_settings("acc"))
        sensor.write(cp, pmd.command_start("acc", start))              # 104 Hz needs SDK mode
        sensor.write(cp, pmd.command_sdk_mode(True))
        for cmd in pmd.verity_start_commands(104.0)[1:]:
            sensor.write(cp, cmd)
        sensor.write(cp, pmd.command_start("acc", start))              # already streaming
        await asyncio.sleep(0.5)                                         # 10 s of device time
        sensor.paused = True
        await asyncio.sleep(0.1)
        sensor.link_lost()

    asyncio.run(scenario())
    answers = [pmd.decode_control_response(v) for v in central.on(cp)]
    assert answers[0].settings["sample_rate"] == (52,)                  # normal mode: 52 Hz only
    assert [a.message for a in answers[1:]] == ["invalid sample rate", "success", "success", "success",
                                                "already in state"]
    assert answers[3].settings["factor"] == (1.0,) and answers[4].settings["factor"][0] == GYRO_FACTOR_DPS
    frames = central.on(pmd.DATA_UUID)
    assert frames and max(len(f) for f in frames) <= sensor.mtu - 3 and all(f[9] & 0x80 for f in frames)
    dec = VerityStreamDecoder(104.0)
    for v in central.on(cp):
        dec.feed_control(v)
    merged = [s for f in frames for s in dec.feed(f)]
    t = np.concatenate([s.timestamp_s for s in merged])
    k = np.rint((t - sensor.clock_origin_ns * 1e-9) * 104.0).astype(np.int64)
    np.testing.assert_array_equal(k, sensor.sent_indices())              # acc + gyro both sent, once, in order
    acc, gyr = sensor.samples(0, int(k.max()) + 1)
    assert np.abs(np.vstack([s.acc_mps2 for s in merged]) - acc[k]).max() <= 9.80665e-3 / 2 + 1e-9
    assert np.abs(np.vstack([s.gyr_rad_s for s in merged]) - gyr[k]).max() <= np.deg2rad(GYRO_FACTOR_DPS) / 2 + 1e-9


def test_simulated_movesense_answers_commands_and_splits_responses_at_a_small_mtu():
    from hinge.firmware_protocol import movesense as ms

    sensor, central = _sensor("movesense", speed=20.0, mtu=23), _Central()

    async def scenario():
        sensor.attach(central)
        sensor.write(ms.WRITE_UUID, ms.command_hello(0))
        sensor.write(ms.WRITE_UUID, ms.command_subscribe("/Meas/Temperature"))
        sensor.write(ms.WRITE_UUID, ms.command_subscribe(ms.imu_path(104.0)))
        await asyncio.sleep(0.2)
        sensor.write(ms.WRITE_UUID, ms.command_unsubscribe())

    asyncio.run(scenario())
    results = [ms.decode_response(v) for v in central.on(ms.NOTIFY_UUID) if v[0] == ms.RESP_RESULT]
    assert [r.status for r in results] == [200, 404, 200, 200]
    data = [v for v in central.on(ms.NOTIFY_UUID) if v[0] != ms.RESP_RESULT]
    assert data and max(len(v) for v in data) <= 20 and any(v[0] == ms.RESP_DATA_PART2 for v in data)
    dec = ms.MovesenseReassembler(max_payload=20)
    samples = [s for v in data for s in dec.feed(v)] + dec.flush()
    t = np.concatenate([s.timestamp_s for s in samples])
    np.testing.assert_array_equal(np.rint(t * 104.0).astype(np.int64), sensor.sent_indices())
    acc, _ = sensor.samples(0, sensor.sent_indices().max() + 1)
    np.testing.assert_allclose(np.vstack([s.acc_mps2 for s in samples]), acc[sensor.sent_indices()], atol=1e-5)


def test_simulated_witmotion_streams_on_subscribe_and_takes_the_rate_only_after_unlock():
    from hinge.firmware_protocol import witmotion as wm

    sensor, central = _sensor("witmotion", speed=1.0), _Central()

    async def scenario():
        sensor.attach(central)
        sensor.write(wm.WRITE_UUID, wm.command_set_rate(50.0))           # locked: ignored
        rate_locked = sensor.rate_hz
        sensor.subscribed(wm.NOTIFY_UUID, True)
        for cmd in wm.configure_commands(50.0):
            sensor.write(wm.WRITE_UUID, cmd)
        await asyncio.sleep(0.3)
        sensor.subscribed(wm.NOTIFY_UUID, False)
        n = len(central.on(wm.NOTIFY_UUID))
        await asyncio.sleep(0.1)
        return rate_locked, n

    rate_locked, n = asyncio.run(scenario())
    assert rate_locked == 100.0 and sensor.rate_hz == 50.0
    values = central.on(wm.NOTIFY_UUID)
    assert len(values) == n                                              # nothing after notifications were disabled
    replies = [wm.decode_register_reply(v) for v in values if wm.frame_kind(v) == 0x71]
    assert [(r.start_register, r.values[0]) for r in replies] == [(wm.REG_RATE, wm.RATE_CODES[50.0])]
    frames = [v for v in values if wm.frame_kind(v) == 0x61]
    assert 10 <= len(frames) <= 30 and all(len(f) == 20 for f in frames)  # 0.3 s at 50 Hz


def test_a_still_verity_at_52_hz_sends_frames_seconds_apart_and_the_recorder_waits_for_them():
    """A still sensor's delta frames hold many samples: at 52 Hz the Verity's frames come
    seconds apart, longer than the 2 s default stall timeout; the recorder must not call
    that a stall (it did: `hinge record --simulate --profile polar_verity` got 0 samples)."""
    from hinge.firmware_protocol import get_profile
    from hinge.firmware_protocol import polar_pmd as pmd
    from hinge.imu.stream import StreamSettings, stall_timeout_s

    sensor, central = _sensor("polar_verity", speed=40.0), _Central()

    async def scenario():
        sensor.attach(central)
        for cmd in pmd.verity_start_commands(52.0):
            sensor.write(pmd.CONTROL_UUID, cmd)
        await asyncio.sleep(1.0)                                   # 40 s of device time
        sensor.paused = True

    asyncio.run(scenario())
    frames = [pmd.decode_pmd_frame(f) for f in central.on(pmd.DATA_UUID)]
    stamps_s = np.array([f.timestamp_ns * 1e-9 for f in frames if f.kind == "acc"])
    assert stamps_s.size >= 5
    longest_gap_s = float(np.diff(stamps_s).max())                  # device time between frames, s
    default_s = StreamSettings().stall_timeout_s
    waits_s = stall_timeout_s(get_profile("polar_verity"), 52.0, default_s)
    assert longest_gap_s > default_s, "the case this guards: frames further apart than the default"
    assert waits_s > longest_gap_s, (longest_gap_s, waits_s)
