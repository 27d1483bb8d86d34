"""A Polar Verity Sense at its default 52 Hz on a virtual clock: its acc and gyro frames come
seconds apart and are merged into 6-axis samples, and the recorder's clock fit must pair each
arrival with the frame that arrived (not with the older merged samples handed over), or the
fit's drift is thousands of ppm off and it is refused (a two-sensor session could then not
put the Verity on the shared time base)."""
from __future__ import annotations

import asyncio
from functools import partial

import numpy as np

from hinge.analysis.body_model import BodyModelStream
from hinge.imu import simulated as sim
from hinge.imu.scan import find_sensor
from hinge.imu.stream import StreamRecorder, StreamSettings
from hinge.recordings import SessionWriter, read_session
from imu_ble.virtual_clock import VirtualClock, VirtualTimeLoop
from test_imu_stream_timeline import LatentClient

CLOCK_PPM = 80.0
RECORD_S = 240.0


def test_a_verity_at_52_hz_gets_a_clock_fit_from_its_merged_frames(tmp_path):
    clock = VirtualClock()
    sensor = sim.make_simulated_sensor("polar_verity", motion=partial(BodyModelStream, seed=5),
                                       clock_ppm=CLOCK_PPM, clock_ns=clock.monotonic_ns)
    sensor.power_on_at_connect = True
    LatentClient.rng = np.random.default_rng(5)
    settings = StreamSettings(backoff_s=(0.05,), scan_timeout_s=2.0, command_timeout_s=1.0)
    writer = SessionWriter.create(tmp_path / "verity", {"profile": "polar_verity", "timebase": "sensor"},
                                  clock=clock.monotonic)

    async def record():
        sim.register(sensor)
        found = await find_sensor(sensor.name, timeout_s=2.0, backend=sim.SimulatedScanner)
        rec = StreamRecorder(found.device, found.profile, writer, settings,
                             backend=(sim.SimulatedScanner, LatentClient), clock_ns=clock.monotonic_ns)
        stop = asyncio.Event()
        task = asyncio.create_task(rec.run(stop))
        await asyncio.sleep(RECORD_S)
        stop.set()
        await task
        return rec

    try:
        with asyncio.Runner(loop_factory=lambda: VirtualTimeLoop(clock)) as runner:
            rec = runner.run(record())
    finally:
        sim.unregister(sensor)
    writer.metadata["acquisition"] = rec.summary()
    writer.close()

    assert rec.stats.connections == 1 and rec.stats.stalls == 0
    fit = rec.clock_fit
    assert fit is not None, "no clock fit"
    session = read_session(tmp_path / "verity")
    k = np.rint((session.t_s - sensor.clock_origin_ns * 1e-9) * sensor.rate_hz).astype(np.int64)
    error_s = session.host_t_s() - sensor.sample_host_s(k)
    print(f"verity 52 Hz, {session.t_s.size} samples in {RECORD_S:.0f} s: drift fitted {fit.drift_ppm:+.1f} ppm "
          f"(clock {CLOCK_PPM:+.0f} ppm), host times off by {np.abs(error_s).max() * 1e3:.2f} ms at most")
    assert session.t_s.size > 0.9 * RECORD_S * sensor.rate_hz
    assert np.abs(error_s).max() < 0.005
