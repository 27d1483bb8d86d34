"""Sustained streaming over real bleak against an emulated BlueZ: loss, and the CPU of client plus live analysis.

Starts a private D-Bus system bus with bluezoo (the test kit under tests/imu_ble; bluezoo
is a test-only dependency, installed by `make test`), serves `--sensors` simulated
sensors (each from its own process, on its own emulated adapter; the body model starts
with `hinge live`'s guided calibration), and records them all at once from this one
process and event loop, each as `hinge live` does: the real streaming client
(`StreamRecorder`) into a real session directory, the session writer wrapped so that
every sample also goes to the streaming analysis (`hinge.live.LiveSession`, its view
writing to memory). Prints, per sensor, samples expected and received, lost packets and
bends judged, and this process's CPU use (user + system time over wall time, in % of
one core) in the steady state; bluezoo, dbus-daemon and the sensors run in their own
processes and are not counted.

Target (issue 12): two hinge-open sensors at 400 Hz under 40 % of one core, client and
analysis together, while busy-loop processes (benchmarks/machine_load.py) keep every
core but one busy (``--no-load``: the machine as it is). ``--no-analysis`` measures the
client alone. The analysis runs with one BLAS/OpenMP thread, as `hinge live` does.

    python benchmarks/ble_stream.py [--minutes 10] [--sensors 2] [--rate-hz 400] [--profile hinge_open]

``--profile`` serves the simulated sensor of another device protocol (witmotion,
polar_verity, movesense) at that profile's rate (WitMotion 100 Hz, Polar and Movesense
104 Hz unless ``--rate-hz`` says otherwise).
"""
from __future__ import annotations

from hinge.threads import limit_native_threads

limit_native_threads()  # before numpy loads, as `hinge live` (hinge.cli.main) does

import argparse  # noqa: E402
import asyncio  # noqa: E402
import io  # noqa: E402
import resource  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

TESTS = Path(__file__).resolve().parents[1] / "tests"
sys.path.insert(0, str(TESTS))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from imu_ble import fake_peripheral  # noqa: E402
from machine_load import busy_cores, load_line  # noqa: E402

from hinge.imu.scan import find_sensor  # noqa: E402
from hinge.imu.stream import StreamRecorder, StreamSettings  # noqa: E402
from hinge.live import LiveSession  # noqa: E402
from hinge.live_view import LiveView  # noqa: E402
from hinge.recordings import SessionWriter, read_session  # noqa: E402

NAMES = {"hinge_open": "hinge-BNC", "witmotion": "WT901BNC", "polar_verity": "Polar Sense BNC",
         "movesense": "Movesense BNC"}
DEFAULT_RATE_HZ = {"hinge_open": 400.0, "witmotion": 100.0, "polar_verity": 104.0, "movesense": 104.0}
# Client plus live analysis of two 400 Hz sensors, % of one core (issue 12).
TARGET_CPU_PCT = 40.0


def _cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class _Recording:
    """One sensor recorded as `hinge live` records it (analysis optional)."""

    def __init__(self, name: str, session_dir: Path, rate_hz: float, analyse: bool):
        self.name, self.session_dir, self.rate_hz, self.analyse = name, session_dir, rate_hz, analyse
        self.live = LiveSession("sacrum", LiveView(stream=io.StringIO(), fancy=False)) if analyse else None
        self.recorder: StreamRecorder | None = None
        self.writer = None

    async def start(self, stop: asyncio.Event) -> asyncio.Task:
        found = await find_sensor(self.name, timeout_s=10.0, adapter="hci0")
        self.writer = SessionWriter.create(self.session_dir, {"profile": found.profile.key, "placement": "sacrum",
                                                              "nominal_rate_hz": self.rate_hz})
        sink = self.live.wrap(self.writer) if self.live else self.writer
        self.recorder = StreamRecorder(found.device, found.profile, sink,
                                       StreamSettings(rate_hz=self.rate_hz, bluez_adapter="hci0"),
                                       on_status=self.live.status if self.live else None)
        return asyncio.create_task(self.recorder.run(stop))

    def close(self) -> None:
        if self.live is not None:
            self.live.finish(self.writer)
        self.writer.close()


async def _record(recordings: list[_Recording], minutes: float):
    stop = asyncio.Event()
    tasks = [await r.start(stop) for r in recordings]
    await asyncio.sleep(3.0)  # connection and configuration are not the steady state
    cpu0, wall0 = _cpu_s(), time.monotonic()
    samples0 = [r.recorder.stats.samples for r in recordings]
    await asyncio.sleep(minutes * 60.0)
    cpu1, wall1 = _cpu_s(), time.monotonic()
    samples = [r.recorder.stats.samples - s0 for r, s0 in zip(recordings, samples0)]
    stop.set()
    stats = [await asyncio.wait_for(task, 30) for task in tasks]
    for r in recordings:
        r.close()
    return stats, (cpu1 - cpu0) / (wall1 - wall0), samples, wall1 - wall0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--sensors", type=int, default=2, help="sensors recorded at once, one event loop")
    parser.add_argument("--rate-hz", type=float, default=None, help="default: 400 Hz for hinge_open")
    parser.add_argument("--profile", choices=sorted(NAMES), default="hinge_open")
    parser.add_argument("--no-analysis", dest="analyse", action="store_false",
                        help="record only, without `hinge live`'s streaming analysis")
    parser.add_argument("--no-load", dest="load", action="store_false",
                        help="without the busy-loop processes on the other cores")
    args = parser.parse_args(argv)
    args.rate_hz = args.rate_hz or DEFAULT_RATE_HZ[args.profile]
    names = [f"{NAMES[args.profile]}{i}" for i in range(args.sensors)]
    with tempfile.TemporaryDirectory() as tmp:
        stop_bluez = fake_peripheral.start_bluez(Path(tmp), None, peripherals=args.sensors)
        sensors = [subprocess.Popen([sys.executable, fake_peripheral.__file__, name, "1", args.profile,
                                     "--adapter", f"hci{i + 1}", "--guided-calibration"],
                                    stdout=subprocess.PIPE, text=True) for i, name in enumerate(names)]
        recordings = [_Recording(name, Path(tmp) / f"session{i}", args.rate_hz, args.analyse)
                      for i, name in enumerate(names)]
        try:
            for sensor in sensors:
                assert sensor.stdout.readline().strip() == "ready", "simulated sensor did not start"
            with busy_cores(None if args.load else 0) as busy:
                stats, cpu_share, samples, wall_s = asyncio.run(_record(recordings, args.minutes))
                machine = load_line(busy)
        finally:
            for sensor in sensors:
                sensor.terminate()
            for sensor in sensors:
                sensor.wait(10)
            stop_bluez()
        sessions = [read_session(r.session_dir) for r in recordings]
    expected = args.rate_hz * wall_s
    what = "client + live analysis" if args.analyse else "client only"
    print(f"streamed {wall_s / 60:.1f} min of {args.sensors} x {args.profile} at {args.rate_hz:.0f} Hz over bleak + "
          f"emulated BlueZ, {what}, one process and event loop; {machine}")
    for name, r, st, n, session in zip(names, recordings, stats, samples, sessions):
        judged = f", {r.live.summary()['n_bends']} bends judged live" if r.live else ""
        print(f"  {name}: steady state {n} samples received of about {expected:.0f} expected "
              f"({100 * n / expected:.2f} %); whole session {len(session.t_s)} samples, lost packets "
              f"{st.lost_packets}, malformed {st.malformed}, reconnects {st.reconnects}{judged}")
    target = (f"; target < {TARGET_CPU_PCT:.0f} % for 2 x 400 Hz with analysis: ratio "
              f"{100 * cpu_share / TARGET_CPU_PCT:.2f}" if args.analyse else "")
    print(f"CPU of this process ({what}): {100 * cpu_share:.1f} % of one core{target}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
