"""Sustained streaming over real bleak against an emulated BlueZ: loss and client CPU.

Starts a private D-Bus system bus with bluezoo (the test kit under tests/imu_ble; bluezoo
is a test-only dependency, installed by `make test`), serves the simulated hinge-open
sensor from its own process, and records it with the real streaming client into a real
session directory for `--minutes` at `--rate-hz`. Prints samples expected and received,
lost packets, and the client's CPU use in % of one core (user + system time of this
process, which holds only the client; bluezoo, dbus-daemon and the sensor run in their
own processes).

    python benchmarks/ble_stream.py [--minutes 10] [--rate-hz 400] [--profile hinge_open]

``--profile`` serves the simulated sensor of another device protocol (witmotion,
polar_verity, movesense) at that profile's rate (WitMotion 100 Hz, Polar and Movesense
104 Hz unless ``--rate-hz`` says otherwise).
"""
from __future__ import annotations

import argparse
import asyncio
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1] / "tests"
sys.path.insert(0, str(TESTS))

from imu_ble import fake_peripheral  # noqa: E402

from hinge.imu.scan import find_sensor  # noqa: E402
from hinge.imu.stream import StreamRecorder, StreamSettings  # noqa: E402
from hinge.recordings import SessionWriter, read_session  # noqa: E402

NAMES = {"hinge_open": "hinge-BNCH", "witmotion": "WT901BNCH", "polar_verity": "Polar Sense BNCH",
         "movesense": "Movesense BNCH"}
DEFAULT_RATE_HZ = {"hinge_open": 400.0, "witmotion": 100.0, "polar_verity": 104.0, "movesense": 104.0}


class _Env:
    """The one method of pytest's monkeypatch that start_bluez uses."""

    def setenv(self, key: str, value: str) -> None:
        os.environ[key] = value


def _cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def _record(session_dir: Path, minutes: float, rate_hz: float, name: str):
    found = await find_sensor(name, timeout_s=10.0, adapter="hci0")
    with SessionWriter.create(session_dir, {"profile": found.profile.key, "placement": "sacrum",
                                            "nominal_rate_hz": rate_hz}) as writer:
        stop = asyncio.Event()
        recorder = StreamRecorder(found.device, found.profile, writer,
                                  StreamSettings(rate_hz=rate_hz, bluez_adapter="hci0"))
        task = asyncio.create_task(recorder.run(stop))
        await asyncio.sleep(2.0)  # connection and configuration are not the steady state
        cpu0, wall0, samples0 = _cpu_s(), time.monotonic(), recorder.stats.samples
        await asyncio.sleep(minutes * 60.0)
        cpu1, wall1, samples1 = _cpu_s(), time.monotonic(), recorder.stats.samples
        stop.set()
        stats = await asyncio.wait_for(task, 30)
    return stats, (cpu1 - cpu0) / (wall1 - wall0), samples1 - samples0, wall1 - wall0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--rate-hz", type=float, default=None, help="default: 400 Hz for hinge_open")
    parser.add_argument("--profile", choices=sorted(NAMES), default="hinge_open")
    args = parser.parse_args(argv)
    args.rate_hz = args.rate_hz or DEFAULT_RATE_HZ[args.profile]
    with tempfile.TemporaryDirectory() as tmp:
        stop_bluez = fake_peripheral.start_bluez(Path(tmp), _Env())
        sensor = subprocess.Popen([sys.executable, fake_peripheral.__file__, NAMES[args.profile], "1", args.profile],
                                  stdout=subprocess.PIPE, text=True)
        try:
            assert sensor.stdout.readline().strip() == "ready", "simulated sensor did not start"
            stats, cpu_share, samples, wall_s = asyncio.run(_record(Path(tmp) / "session", args.minutes, args.rate_hz,
                                                                        NAMES[args.profile]))
        finally:
            sensor.terminate()
            sensor.wait(10)
            stop_bluez()
        session = read_session(Path(tmp) / "session")
    expected = args.rate_hz * wall_s
    print(f"streamed {wall_s / 60:.1f} min of {args.profile} at {args.rate_hz:.0f} Hz over bleak + emulated BlueZ")
    print(f"samples in the steady-state window: {samples} received, about {expected:.0f} expected "
          f"({100 * samples / expected:.2f} %)")
    print(f"whole session: {len(session.t_s)} samples, lost packets {stats.lost_packets}, "
          f"malformed {stats.malformed}, reconnects {stats.reconnects}")
    print(f"client CPU: {100 * cpu_share:.1f} % of one core (target < 20 %)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
