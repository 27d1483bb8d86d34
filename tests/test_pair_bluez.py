"""Two sensors end to end through real bleak on one emulated BlueZ central (bluezoo).

Two simulated hinge open sensors, worn by one simulated person (`SharedMotion`: sacrum and
T12, the same body-model movements), each served by its own fake peripheral (hci1, hci2);
hinge's two `StreamRecorder`s run in one event loop on the central hci0 and write one
two-sensor session (`PairWriter`). The upper sensor's link is dropped mid-stream: the lower
one keeps streaming unshifted, every sample is in each sensor's samples once and in order,
and `read_pair` puts the two on one time base within the 5 ms target.
"""
from __future__ import annotations

import asyncio
import shutil
from functools import partial

import numpy as np
import pytest

from hinge.analysis.body_model import BodyModelStream
from hinge.imu.scan import find_sensor
from hinge.imu.simulated import SimulatedHingeSensor
from hinge.imu.simulated_pair import SharedMotion
from hinge.imu.stream import StreamRecorder, StreamSettings
from hinge.recordings import load_recording
from hinge.recordings.pair import PairWriter, read_pair
from imu_ble.fake_peripheral import FakePeripheral
from pair_data import ALIGNMENT_TARGET_S, residual_between, shared_base_errors
from imu_ble.harness import until

pytestmark = pytest.mark.ble

RATE_HZ = 100.0
SPEED = 1.0          # device time per host second: real time, so a host-side delay is not magnified in sensor time


@pytest.fixture
def bluez_pair(tmp_path, monkeypatch):
    """An emulated BlueZ with a central (hci0) and two peripheral adapters (hci1, hci2)."""
    if shutil.which("dbus-daemon") is None:
        pytest.skip("dbus-daemon not installed (apt-get install dbus-daemon)")
    from imu_ble.fake_peripheral import start_bluez

    stop = start_bluez(tmp_path, monkeypatch, peripherals=2)
    yield
    stop()


def test_two_sensors_one_link_loss_every_sample_once_and_aligned(bluez_pair, tmp_path):
    person = partial(BodyModelStream, seed=8)
    shared = SharedMotion({"sacrum": partial(person, placement="sacrum"), "T12": partial(person, placement="T12")},
                          reference="sacrum", speed=SPEED)
    lower = shared.bind("sacrum", SimulatedHingeSensor("hinge-L0W0", motion=shared.motion("sacrum"), speed=SPEED,
                                                       clock_ppm=100.0))
    upper = shared.bind("T12", SimulatedHingeSensor("hinge-T12U", motion=shared.motion("T12"), speed=SPEED,
                                                    clock_ppm=-100.0))
    meta = {"profile": "hinge_open", "nominal_rate_hz": RATE_HZ, "timebase": "sensor"}
    session = PairWriter.create(tmp_path / "pair", {"participant": "P02"}, [("sacrum", meta), ("T12", meta)])
    # max_drift_ppm None: a sensor run SPEED times faster "drifts" by that factor (as `--simulate --speed`)
    settings = StreamSettings(bluez_adapter="hci0", backoff_s=(0.1, 0.3), scan_timeout_s=5.0, max_drift_ppm=None)
    marks = {}

    async def scenario():
        periphs = [await FakePeripheral(lower, "hci1").start()]
        stop = asyncio.Event()
        try:
            await asyncio.sleep(0.7)                       # the upper sensor is switched on later
            periphs.append(await FakePeripheral(upper, "hci2").start())
            recs = {}
            for site, sensor in (("sacrum", lower), ("T12", upper)):
                found = await find_sensor(sensor.name, timeout_s=5.0, adapter="hci0")
                recs[site] = StreamRecorder(found.device, found.profile, session.writers[site], settings)
            tasks = [asyncio.create_task(r.run(stop)) for r in recs.values()]
            await until(lambda: upper.sent_indices().size >= 600, 30, "600 upper samples before the link loss")
            upper.paused = True                            # nothing in flight when the link drops
            await asyncio.sleep(0.3)
            marks["upper_before"] = upper.sent_indices().size
            marks["lower_at_loss"] = lower.sent_indices().size
            await periphs[1].drop_link()
            upper.paused = False
            await until(lambda: recs["T12"].stats.connections >= 2, 30, "the upper sensor reconnected")
            marks["lower_at_reconnect"] = lower.sent_indices().size
            await until(lambda: upper.sent_indices().size >= marks["upper_before"] + 800, 30,
                        "800 upper samples after the reconnection")
            lower.paused = upper.paused = True
            await asyncio.sleep(0.4)
            stop.set()
            await asyncio.wait_for(asyncio.gather(*tasks), 15)
        finally:
            for p in periphs:
                await p.stop()
        return recs

    recs = asyncio.run(scenario())
    for site, rec in recs.items():
        session.writers[site].metadata["acquisition"] = rec.summary()
    session.close()

    pair = read_pair(tmp_path / "pair")
    errors = shared_base_errors(pair, {"sacrum": lower, "T12": upper}, RATE_HZ)
    # The lower sensor streamed through the upper's outage: one connection, no gap, no mark.
    assert recs["sacrum"].stats.connections == 1 and not len(pair.lower.annotations)
    assert np.all(np.diff(np.rint(pair.lower.t_s * RATE_HZ)) == 1)     # not a sample missing or moved
    np.testing.assert_allclose(np.diff(pair.lower.t_s), 1 / RATE_HZ, atol=1 / 32768)  # within one clock tick
    assert marks["lower_at_reconnect"] > marks["lower_at_loss"]
    # The upper one: one reconnection, its outage marked on its own clock.
    assert recs["T12"].stats.connections == 2
    assert list(pair.upper.annotations["description"]) == ["BAD_reconnect"]
    # One time base: the shared times of the same true instant.
    instants, residual_s = residual_between(errors, 0.5)
    t_lo, t_up = errors["sacrum"][0], errors["T12"][0]
    print(f"bluez, two sensors: {t_lo.size} + {t_up.size} samples, upper reconnected after its link loss; "
          f"residual offset between the sensors max {np.abs(residual_s).max() * 1e3:.2f} ms over "
          f"{instants[-1] - instants[0]:.1f} s (shared time base: the lower sensor's clock, speed {SPEED:g})")
    assert np.abs(residual_s).max() < ALIGNMENT_TARGET_S
    # load_recording hands both to the analysis on that time base.
    loaded = load_recording(tmp_path / "pair")
    assert loaded.upper_placement == "T12" and loaded.placement == "sacrum"
    np.testing.assert_array_equal(loaded.upper.t_s, pair.upper_t_s)
