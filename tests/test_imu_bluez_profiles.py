"""End to end for every simulated device profile: real bleak on an emulated BlueZ (bluezoo).

Per profile: the simulated sensor (body-model bends, speaking the device's own wire
protocol) is served through BlueZ GATT with its own layout, name and advertised UUIDs;
hinge scans and recognises its profile, connects, configures and streams about 30 s of
device time, the link drops mid-stream, hinge reconnects, and the session written by
the real `SessionWriter` holds every sample sent exactly once and in order (WitMotion: no
counter and no clock, so what is asserted is that the samples are exactly the ones sent,
none duplicated or invented, and that the outage is marked), the outage is annotated, and
`hinge analyse` on the session gives the same bends as analysing the sent signal directly.
"""
from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass
from functools import partial

import numpy as np
import pytest

from hinge.analysis.body_model import BodyModelStream
from hinge.analysis.pipeline import analyse
from hinge.imu.scan import scan
from hinge.imu.simulated import make_simulated_sensor
from hinge.imu.stream import StreamRecorder, StreamSettings
from hinge.recordings import SessionWriter, iter_raw_records, read_session
from hinge.recordings.decode import decode_raw_records
from imu_ble.fake_peripheral import FakePeripheral
from imu_ble.harness import until

DEVICE_S = 30.0   # device time of samples to stream, s (at least)
SEED = 4
G = 9.80665


@dataclass(frozen=True)
class Case:
    profile: str
    name: str
    rate_hz: float
    speed: float
    acc_tol_mps2: float   # half the quantisation step of the wire format
    gyr_tol_rad_s: float
    kwargs: tuple = ()
    device_s: float = DEVICE_S


CASES = [
    Case("hinge_open", "hinge-P0F1", 200.0, 10.0, 16 * G / 32768 / 2, np.deg2rad(2000) / 32768 / 2, (("mtu", 247),)),
    # No clock: times come from arrival, so the sensor runs in real time, and a little shorter.
    Case("witmotion", "WT901BLE68", 100.0, 1.0, 16 * G / 32768 / 2, np.deg2rad(2000) / 32768 / 2, device_s=24.0),
    Case("polar_verity", "Polar Sense 0A3BA92B", 104.0, 10.0, G / 1000 / 2, np.deg2rad(2000 / 32768) / 2),
    Case("movesense", "Movesense 204730000081", 104.0, 10.0, 1e-5, 1e-6),
]


def _bend_spans(rate_hz: float, seed: int, seconds: float = 150.0) -> np.ndarray:
    """(start, end) sample indices of the bends in the body-model signal, with 0.5 s margins."""
    acc, gyr = BodyModelStream(rate_hz, seed=seed).get(0, int(seconds * rate_hz))
    bends = analyse(np.arange(len(acc)) / rate_hz, acc, gyr).bends
    return np.rint((bends[["start_s", "end_s"]].to_numpy() + (-0.5, 0.5)) * rate_hz).astype(np.int64)


def _after_bends(sent: np.ndarray, since: int, spans: np.ndarray, n: int) -> bool:
    """True once ``n`` whole bends lie in the samples sent since position ``since`` and the last one
    is outside every bend, so that the link loss (or the end) falls between bends, never inside one."""
    if sent.size <= since + 1:
        return False
    k0, k1 = int(sent[since]), int(sent[-1])
    whole = (spans[:, 0] >= k0) & (spans[:, 1] <= k1)
    inside = (spans[:, 0] <= k1) & (k1 <= spans[:, 1])
    return bool(whole.sum() >= n and not inside.any())


def _quantised(x: np.ndarray, half_step: float, case: Case) -> np.ndarray:
    """Values as the wire format carries them: integer steps, or float32 (Movesense)."""
    if case.profile == "movesense":
        return x.astype(np.float32).astype(float)
    return np.rint(x / (2 * half_step)) * (2 * half_step)


def _sample_index(case: Case, sensor, t_s: np.ndarray) -> np.ndarray:
    """Sample index of each recorded time from the device clock the profile's packets carry."""
    if case.profile == "polar_verity":
        return np.rint((t_s - sensor.clock_origin_ns * 1e-9) * case.rate_hz).astype(np.int64)
    return np.rint(t_s * case.rate_hz).astype(np.int64)  # hinge open ticks and Movesense ms both start at 0


def _bends(path, capsys) -> list[dict]:
    from hinge.cli import main

    capsys.readouterr()
    assert main(["analyse", str(path), "--json"]) == 0
    return json.loads(capsys.readouterr().out)["bends"]


@pytest.mark.parametrize("case", CASES, ids=[c.profile for c in CASES])
def test_profile_end_to_end_with_a_link_loss(case, bluez, tmp_path, capsys):
    sensor = make_simulated_sensor(case.profile, motion=partial(BodyModelStream, seed=SEED), name=case.name,
                                   speed=case.speed, **dict(case.kwargs))
    path = tmp_path / "session"
    n_target = int(case.device_s * case.rate_hz)
    spans = _bend_spans(case.rate_hz, SEED)

    async def scenario():
        periph = await FakePeripheral(sensor).start()
        try:
            found = await scan(3.0, adapter="hci0", until=lambda fs: any(f.name == case.name for f in fs))
            (hit,) = [f for f in found if f.name == case.name]
            assert (hit.address, hit.profile.key) == ("66:77:88:99:AA:BB", case.profile)
            writer = SessionWriter.create(path, {
                "device": {"name": hit.name, "address": hit.address, "simulated": True}, "profile": case.profile,
                "placement": "sacrum", "participant": None, "nominal_rate_hz": case.rate_hz,
                "timebase": "sensor" if hit.profile.has_timestamp else "host"})
            stop = asyncio.Event()
            sensor.power_on()  # device time 0 = the start of the body-model signal, as the recording starts
            rec = StreamRecorder(hit.device, hit.profile, writer,
                                 StreamSettings(rate_hz=case.rate_hz, bluez_adapter="hci0", backoff_s=(0.1, 0.3),
                                                scan_timeout_s=5.0, stall_timeout_s=10.0))  # see between_bends
            task = asyncio.create_task(rec.run(stop))
            try:
                def first_half_done():
                    sent = sensor.sent_indices()
                    return sent.size >= n_target // 2 and _after_bends(sent, 0, spans, 2)

                await until(lambda: first_half_done() or task.done(), 40, "half the samples and two bends")
                assert not task.done(), task.result()
                # Quiet the sensor so nothing is in flight when the link drops (a real link loss
                # also loses what was in flight; the reconnection mark covers it).
                sensor.paused = True
                await asyncio.sleep(0.3)
                n_before = sensor.sent_indices().size
                await periph.drop_link()
                # Resume sending between bends too (the analysis' calibration is thrown by a
                # recording that resumes halfway through a bend): keep quiet until the device
                # is at least 1 s past any bend once the link is back.
                await until(lambda: rec.stats.connections >= 2 or task.done(), 20, "the reconnection")

                def between_bends() -> bool:
                    k = sensor.sample_now()
                    return not ((spans[:, 0] <= k + case.rate_hz // 2) & (spans[:, 1] >= k - case.rate_hz)).any()

                await until(between_bends, 20, "a moment between bends")
                sensor.paused = False

                def second_half_done():
                    sent = sensor.sent_indices()
                    return sent.size >= n_target and _after_bends(sent, n_before, spans, 1)

                await until(lambda: second_half_done() or task.done(), 60,
                             lambda: f"the rest of the samples ({rec.stats.status_line()}; {rec.stats.last_error}; "
                                     f"sent {sensor.sent_indices().size}, streaming {sensor.streaming})")
                sensor.paused = True
                await asyncio.sleep(0.5)
                stop.set()
                stats = await asyncio.wait_for(task, 10)
            finally:
                stop.set()
                writer.close()
        finally:
            await periph.stop()
        return stats, n_before

    t0 = time.monotonic()
    stats, n_before = asyncio.run(scenario())
    wall_s = time.monotonic() - t0
    session = read_session(path)
    sent = sensor.sent_indices()
    acc_all, gyr_all = BodyModelStream(case.rate_hz, seed=SEED).get(0, int(sent.max()) + 1)
    assert stats.connections == 2 and stats.malformed == 0
    assert np.all(np.diff(session.t_s) > 0)

    # Every sample sent is in the session exactly once, in order, with the values sent.
    assert session.t_s.size == sent.size >= n_target
    if case.profile != "witmotion":
        np.testing.assert_array_equal(_sample_index(case, sensor, session.t_s), sent)
    # (plus float32 rounding in samples.bin: < 2e-6 at these magnitudes)
    np.testing.assert_array_less(np.abs(session.acc_mps2 - acc_all[sent]), case.acc_tol_mps2 + 2e-6)
    np.testing.assert_array_less(np.abs(session.gyr_rad_s - gyr_all[sent]), case.gyr_tol_rad_s + 2e-7)

    # The outage is annotated: the mark spans the missing time between the last sample
    # before it and the first after it (FORMAT.md: from one period after the last).
    notes = session.annotations
    bad = notes[notes["description"].astype(str).str.startswith("BAD_")]
    t_last, t_first = session.t_s[n_before - 1], session.t_s[n_before]
    period = 1.0 / case.rate_hz
    covering = bad[(bad["onset_s"] <= t_last + period + 1e-6) & (bad["onset_s"] >= t_last - 1e-6)
                   & (np.abs(bad["onset_s"] + bad["duration_s"] - t_first) <= period + 1e-6)]
    assert len(covering) == 1, (notes, t_last, t_first)
    # WitMotion: no clock, so the outage's length is only known from host arrival times.
    assert covering["description"].iloc[0] in (("BAD_reconnect", "BAD_gap_uncertain") if case.profile == "witmotion"
                                               else ("BAD_reconnect",))
    assert sent[n_before] - sent[n_before - 1] > 1                   # a real gap on the device's sampling

    # The raw log alone (what `hinge recover` rebuilds from) decodes to the same samples:
    # for Polar, the acc and gyro frames merge the same way in both.
    t_raw, acc_raw, gyr_raw, _, _ = decode_raw_records(iter_raw_records(path / "raw.log"), case.profile,
                                                       case.rate_hz)
    np.testing.assert_array_equal(t_raw, session.t_s)
    np.testing.assert_allclose(acc_raw, session.acc_mps2, atol=2e-6)
    np.testing.assert_allclose(gyr_raw, session.gyr_rad_s, atol=2e-7)

    # hinge analyse on the session = the analysis of the sent signal (as the device's wire
    # format quantised it: that is the sensor's measurement) at its true sample times.
    recorded = _bends(path, capsys)
    direct = analyse(sent / case.rate_hz, _quantised(acc_all[sent], case.acc_tol_mps2, case),
                     _quantised(gyr_all[sent], case.gyr_tol_rad_s, case)).bends
    assert len(recorded) == len(direct) >= 2, (sent[[0, n_before - 1, n_before, -1]] / case.rate_hz, spans / case.rate_hz)
    assert [b["label"] for b in recorded] == direct["label"].tolist()
    np.testing.assert_allclose([b["score"] for b in recorded], direct["score"], atol=2.0)
    expected_peaks = np.interp(direct["peak_s"].to_numpy() * case.rate_hz, sent, session.t_s)
    np.testing.assert_allclose([b["peak_s"] for b in recorded], expected_peaks, atol=0.05)
    print(f"{case.profile}: {sent.size} samples ({sent.size / case.rate_hz:.1f} s of device time at "
          f"{case.rate_hz:g} Hz) in {wall_s:.1f} s, {stats.packets} notifications, reconnects {stats.reconnects}, "
          f"{len(recorded)} bends; annotations {sorted(set(bad['description']))}")
