"""Two sensors on one time base: their clocks run +100 and -100 ppm and start 3.7 s apart.

Both are recorded at once into one two-sensor session (`hinge.recordings.PairWriter`, real
files) for 10 min over a jittery link, on a virtual clock (the event loop skips the idle
waits); `read_pair` puts both on the shared time base (the lower sensor's clock) through the host
clock and each sensor's own clock fit. The two streams' times of the same true instant must agree within 5 ms (issue 14).
"""
from __future__ import annotations

import asyncio
from functools import partial

import numpy as np

from hinge.analysis.body_model import BodyModelStream
from hinge.imu import simulated as sim
from hinge.imu.scan import find_sensor
from hinge.imu.simulated_pair import SharedMotion
from hinge.imu.stream import StreamRecorder, StreamSettings
from hinge.recordings.pair import PairWriter, read_pair
from imu_ble.virtual_clock import VirtualClock, VirtualTimeLoop
from pair_data import ALIGNMENT_TARGET_S, residual_between, shared_base_errors
from test_imu_stream_timeline import LatentClient

RATE_HZ = 100.0
MINUTES_S = 600.0
LATE_START_S = 3.7     # the upper sensor is switched on and connected this much later


def _pair_sensors(clock: VirtualClock, speed: float = 1.0):
    person = partial(BodyModelStream, seed=3)
    shared = SharedMotion({"sacrum": partial(person, placement="sacrum"), "T12": partial(person, placement="T12")},
                          reference="sacrum", speed=speed)
    lower = sim.SimulatedHingeSensor("hinge-PAIR", "F0:0D:51:40:02:01", motion=shared.motion("sacrum"), speed=speed,
                                     clock_ppm=100.0, mtu=247, clock_ns=clock.monotonic_ns)
    upper = sim.SimulatedHingeSensor("hinge-PT12", "F0:0D:51:40:02:02", motion=shared.motion("T12"), speed=speed,
                                     clock_ppm=-100.0, mtu=247, clock_ns=clock.monotonic_ns)
    for site, sensor in (("sacrum", lower), ("T12", upper)):
        shared.bind(site, sensor)
        sensor.power_on_at_connect = True
    return shared, lower, upper


def test_two_sensors_100_ppm_apart_agree_within_5_ms_after_10_minutes(tmp_path):
    clock = VirtualClock()
    shared, lower, upper = _pair_sensors(clock)
    settings = StreamSettings(backoff_s=(0.05,), scan_timeout_s=2.0, command_timeout_s=1.0)
    LatentClient.rng = np.random.default_rng(11)
    meta = {"profile": "hinge_open", "nominal_rate_hz": RATE_HZ, "timebase": "sensor"}
    session = PairWriter.create(tmp_path / "pair", {"participant": "P01"}, [("sacrum", meta), ("T12", meta)],
                                clock=clock.monotonic)

    async def record(sensor, site, delay_s, stop):
        await asyncio.sleep(delay_s)
        sim.register(sensor)
        found = await find_sensor(sensor.name, timeout_s=2.0, backend=sim.SimulatedScanner)
        rec = StreamRecorder(found.device, found.profile, session.writers[site], settings,
                             backend=(sim.SimulatedScanner, LatentClient), clock_ns=clock.monotonic_ns)
        return rec, asyncio.create_task(rec.run(stop))

    async def both():
        stop = asyncio.Event()
        (rec_lo, task_lo), (rec_up, task_up) = await asyncio.gather(record(lower, "sacrum", 0.0, stop),
                                                                    record(upper, "T12", LATE_START_S, stop))
        while min(r.stats.last_t_s for r in (rec_lo, rec_up)) < MINUTES_S + LATE_START_S:
            await asyncio.sleep(1.0)
        stop.set()
        await asyncio.gather(task_lo, task_up)
        return rec_lo, rec_up

    try:
        with asyncio.Runner(loop_factory=lambda: VirtualTimeLoop(clock)) as runner:
            recs = runner.run(both())
    finally:
        for s in (lower, upper):
            sim.unregister(s)
    for site, rec in zip(("sacrum", "T12"), recs):
        session.writers[site].metadata["acquisition"] = rec.summary()
    session.close()

    pair = read_pair(tmp_path / "pair")
    # The shared base is the lower sensor's clock: host time through its own clock fit.
    errors = shared_base_errors(pair, {"sacrum": lower, "T12": upper}, RATE_HZ)
    (t_lo, e_lo), (t_up, e_up) = errors["sacrum"], errors["T12"]
    instants, residual_s = residual_between(errors, 1.0)  # the same true instants, in 1 s steps
    span_s = instants[-1] - instants[0]
    late = instants >= instants[-1] - 60.0
    print(f"sensors +100/-100 ppm, started {LATE_START_S} s apart, {span_s:.0f} s in common: residual offset "
          f"between them max {np.abs(residual_s).max() * 1e3:.3f} ms (last minute {np.abs(residual_s[late]).max() * 1e3:.3f}"
          f" ms), each sensor's error max {np.abs(e_lo).max() * 1e3:.3f} / {np.abs(e_up).max() * 1e3:.3f} ms; "
          f"drift fitted {recs[0].clock_fit.drift_ppm:+.1f} / {recs[1].clock_fit.drift_ppm:+.1f} ppm")
    assert span_s >= MINUTES_S
    assert np.abs(residual_s).max() < ALIGNMENT_TARGET_S, f"residual {np.abs(residual_s).max() * 1e3:.3f} ms"
    # The test can fail: device clocks taken as they are (each aligned at its first sample)
    # end 200 ppm x 600 s = 120 ms apart.
    naive = {name: part.t_s - part.t_s[0] + errors[name][0][0] for name, part in (("sacrum", pair.lower),
                                                                                  ("T12", pair.upper))}
    naive_s = (np.interp(instants, t_lo, naive["sacrum"] - t_lo) - np.interp(instants, t_up, naive["T12"] - t_up))
    print(f"without the drift fits: {np.abs(naive_s).max() * 1e3:.1f} ms")
    assert np.abs(naive_s).max() > 20 * ALIGNMENT_TARGET_S
