"""`hinge recover` rebuilds the samples, times and annotations the live recorder wrote, fault scenarios included.

A real `StreamRecorder` records the simulated sensor (fake bleak backend) into a real
`SessionWriter` while notifications are duplicated, reordered, delivered late and the link
drops; WitMotion (no counter, no clock) loses frames. Then samples.bin is deleted (or cut
as by a crash) and `recover_session` must bring back exactly what the recorder wrote.
"""
from __future__ import annotations

import asyncio
import dataclasses
import json
import shutil

import numpy as np
import pytest

from hinge.firmware_protocol import hinge_open
from hinge.imu import simulated as sim
from hinge.imu.scan import find_sensor
from hinge.imu.stream import StreamRecorder
from hinge.recordings import SessionWriter, read_session, recover_session
from hinge.recordings._samplesfile import SAMPLES_SIGNATURE, encode_sample_blocks
from imu_ble.harness import run_recorder
from test_imu_stream_faults import FAST, FakeWitMotion
from test_imu_stream_timeline import make_sensor

SETTINGS = dataclasses.replace(FAST, max_drift_ppm=None)  # the sensors run 10x fast


async def record_session(sensor, path, *, until, during=None, timeout_s=20.0):
    found = await find_sensor(sensor.name, timeout_s=2.0, backend=sim.SimulatedScanner)
    meta = {"profile": found.profile.key, "placement": "sacrum", "nominal_rate_hz": found.profile.default_rate_hz,
            "timebase": "sensor" if found.profile.has_timestamp else "host"}
    writer = SessionWriter.create(path, meta)
    rec = StreamRecorder(found.device, found.profile, writer, SETTINGS, backend=(sim.SimulatedScanner, sim.SimulatedClient))
    try:
        await run_recorder(rec, until=until, timeout_s=timeout_s, during=during)
    finally:
        writer.metadata["acquisition"] = rec.summary()
        writer.metadata["nominal_rate_hz"] = rec.rate_hz
        writer.close()
    return rec


def faults(sensor):
    """Duplicates, a swapped pair, one packet too late to reorder, then a dropped link."""

    async def go(rec):
        while rec.stats.samples < 50:
            await asyncio.sleep(0.005)
        deliver, state = sensor._notify, {"n": 0, "held": None, "late": None}

        def routed(uuid, value):
            if uuid != hinge_open.DATA_UUID:
                return deliver(uuid, value)
            state["n"] += 1
            n = state["n"]
            if n == 5:
                state["held"] = value                 # overtaken by the next one
                return
            if n == 30:
                state["late"] = value                 # beyond the reorder window
                return
            deliver(uuid, value)
            if n % 11 == 0:
                deliver(uuid, value)                  # duplicated
            if n == 6:
                deliver(uuid, state["held"])
            if n == 60:
                deliver(uuid, state["late"])

        sensor._notify = routed
        while rec.stats.late_packets < 1:
            await asyncio.sleep(0.005)
        sensor.drop_link()                            # the link drops; the recorder reconnects

    return go


def assert_same_session(a, b):
    np.testing.assert_array_equal(a.t_s, b.t_s)
    np.testing.assert_array_equal(a.acc_mps2, b.acc_mps2)
    np.testing.assert_array_equal(np.nan_to_num(a.gyr_rad_s), np.nan_to_num(b.gyr_rad_s))
    pd_a, pd_b = a.annotations.reset_index(drop=True), b.annotations.reset_index(drop=True)
    assert pd_a["description"].tolist() == pd_b["description"].tolist()
    np.testing.assert_allclose(pd_a[["onset_s", "duration_s"]].to_numpy(), pd_b[["onset_s", "duration_s"]].to_numpy(),
                               atol=2e-6)  # annotations.tsv keeps 6 decimals


@pytest.fixture(scope="module")
def hinge_session(tmp_path_factory):
    s = make_sensor("hinge-RCV1", "F0:0D:51:40:02:01")
    path = tmp_path_factory.mktemp("rcv") / "live"
    try:
        rec = asyncio.run(record_session(s, path, during=faults(s),
                                         until=lambda r: r.stats.connections >= 2 and r.stats.samples >= 600))
    finally:
        sim.unregister(s)
    assert rec.stats.duplicates >= 3 and rec.stats.reordered >= 1 and rec.stats.late_packets == 1
    return path


@pytest.fixture(scope="module")
def witmotion_session(tmp_path_factory):
    wit = sim.register(FakeWitMotion(skip=range(60, 80)))
    path = tmp_path_factory.mktemp("rcv") / "wit"
    try:
        asyncio.run(record_session(wit, path, until=lambda r: r.stats.samples >= 150))
    finally:
        sim.unregister(wit)
    return path


# The WitMotion session is recorded in real time (no device clock), so it is left to the slow lane.
@pytest.mark.parametrize("which", ["hinge_session", pytest.param("witmotion_session", marks=pytest.mark.slow)])
def test_recover_rebuilds_exactly_what_the_recorder_wrote(which, request, tmp_path):
    live_path = request.getfixturevalue(which)
    live = read_session(live_path)
    descriptions = set(live.annotations["description"])
    assert descriptions == ({"BAD_gap", "BAD_reconnect"} if which == "hinge_session" else {"BAD_gap_uncertain"})
    copy = tmp_path / "copy"
    shutil.copytree(live_path, copy)
    (copy / "samples.bin").unlink()
    (copy / "annotations.tsv").unlink()
    report = recover_session(copy)
    assert report.rebuilt_from_raw
    assert_same_session(read_session(copy), live)


def test_recover_after_a_crash_extends_with_the_same_samples(hinge_session, tmp_path):
    live = read_session(hinge_session)
    copy = tmp_path / "crashed"
    shutil.copytree(hinge_session, copy)
    cut = live.t_s.size // 2                                     # the crash lost the second half of samples.bin
    (copy / "samples.bin").write_bytes(SAMPLES_SIGNATURE + encode_sample_blocks(
        live.t_s[:cut], live.acc_mps2[:cut], live.gyr_rad_s[:cut]))
    kept = live.annotations[live.annotations["onset_s"] <= live.t_s[cut - 1]]
    lines = ["onset_s\tduration_s\tdescription"] + [f"{o:.6f}\t{d:.6f}\t{x}" for o, d, x in kept.to_numpy()]
    (copy / "annotations.tsv").write_text("\n".join(lines) + "\n")
    meta = json.loads((copy / "session.json").read_text())
    meta["status"] = "recording"
    (copy / "session.json").write_text(json.dumps(meta))
    report = recover_session(copy)
    assert report.extended_from_raw
    got = read_session(copy)
    np.testing.assert_array_equal(got.t_s, live.t_s)
    np.testing.assert_array_equal(got.acc_mps2, live.acc_mps2)
    ann = got.annotations
    assert ann["description"].tolist()[:-1] == live.annotations["description"].tolist()
    assert ann["description"].iloc[-1] == "BAD_gap" and ann["onset_s"].iloc[-1] > live.t_s[-1]  # the interruption


def test_session_gives_host_clock_times_from_the_stored_drift_fit(hinge_session):
    session = read_session(hinge_session)
    fit = session.metadata["acquisition"]["clock_fit"]
    host = session.host_t_s()
    np.testing.assert_allclose(host, fit["host_offset_s"] + fit["scale"] * session.t_s)
    assert session.metadata["acquisition"]["rate_hz"] > 0
