"""Duplicates, bursts and a dropped link on the other simulated devices (WitMotion, Polar Verity Sense, Movesense).

The simulated sensors are H1's (imu/simulated_*.py) on the fake bleak backend. Each
scenario checks that nothing is invented (every sample written was sent, once, in order),
that the faults are counted, and that decoding the raw log alone gives the live session
(`assert_replay_matches`, what `hinge recover` does).
"""
from __future__ import annotations

import asyncio
from functools import partial

import numpy as np
import pytest

from hinge.analysis.body_model import BodyModelStream
from hinge.imu import simulated as sim
from hinge.imu.simulated_movesense import SimulatedMovesense
from hinge.imu.simulated_polar import SimulatedVeritySense
from hinge.imu.simulated_witmotion import SimulatedWitMotion
from imu_ble.harness import tamper
from test_imu_stream_faults import FAST, _record
from test_imu_stream_timeline import assert_replay_matches

# `make test-fast` leaves these out: real-time streams of every profile; test_imu_stream_faults covers hinge open.
pytestmark = pytest.mark.slow


DEVICES = {
    "witmotion": (SimulatedWitMotion, "F0:0D:51:40:03:01", 100.0),
    "polar_verity": (SimulatedVeritySense, "F0:0D:51:40:03:02", 52.0),
    "movesense": (SimulatedMovesense, "F0:0D:51:40:03:03", 104.0),
}


def make(key, speed=4.0):
    cls, address, _ = DEVICES[key]
    return sim.register(cls(address=address, motion=partial(BodyModelStream, seed=4), speed=speed))


def device_indices(key, sink, rate_hz):
    """Sample index of each sample written (clocked devices: from the device time)."""
    return np.rint((sink.t_s - sink.t_s[0]) * rate_hz).astype(np.int64)


@pytest.mark.parametrize("key", ["polar_verity", "movesense"])
def test_duplicates_and_a_dropped_link_on_clocked_devices(key):
    s = make(key)
    state = {"n": 0, "dups": 0, "at_drop": None}

    def dup(value, deliver):
        state["n"] += 1
        deliver(value)
        if state["n"] % 9 == 0 and state["dups"] < 5:
            state["dups"] += 1
            deliver(value)

    async def scenario(rec):
        await tamper(s, 20, dup)(rec)
        while state["dups"] < 5:
            await asyncio.sleep(0.01)
        state["at_drop"] = rec.stats.samples
        s.drop_link()

    def done(r):
        return state["at_drop"] is not None and r.stats.connections >= 2 and r.stats.samples >= state["at_drop"] + 200

    try:
        rec, stats, sink = asyncio.run(_record(s, sim.SimulatedClient, FAST, during=scenario, timeout_s=30,
                                               until=done))
    finally:
        sim.unregister(s)
    rate_hz = DEVICES[key][2]
    got = device_indices(key, sink, rate_hz)
    sent = s.sent_indices()
    assert np.all(np.diff(got) >= 1)                                        # once each, in order
    assert np.isin(got + sent[0], sent).all() or np.isin(got, sent - sent[0]).all()  # nothing invented
    assert stats.duplicates == 5 and stats.dropped_samples == 0            # each extra copy dropped before decoding
    assert [a[2] for a in sink.annotations].count("BAD_reconnect") == 1
    assert_replay_matches(rec, sink, key)


def test_witmotion_simulated_loss_and_burst():
    s = make("witmotion", speed=1.0)
    state = {"n": 0, "held": []}

    def faults(value, deliver):
        state["n"] += 1
        n = state["n"]
        if 30 <= n < 50:
            return                                      # 20 frames lost (configured at 50 Hz: 0.4 s)
        if 100 <= n < 125:
            state["held"].append(value)                 # 0.5 s held by the radio, then a burst
            return
        for v in state["held"]:
            deliver(v)
        state["held"].clear()
        deliver(value)

    try:
        rec, stats, sink = asyncio.run(_record(s, sim.SimulatedClient, FAST, during=tamper(s, 20, faults),
                                               timeout_s=20, until=lambda r: r.stats.samples >= 250))
    finally:
        sim.unregister(s)
    assert sink.t_s.size == stats.samples and np.all(np.diff(sink.t_s) > 0)
    notes = [a for a in sink.annotations if a[2] == "BAD_gap_uncertain"]
    assert len(notes) == 1 and notes[0][1] == pytest.approx(0.40, abs=0.06)   # the loss (20 frames at 50 Hz), not the burst
    assert_replay_matches(rec, sink, "witmotion")
