"""CPU of `hinge live` recording two 400 Hz sensors (sacrum and T12) over real bleak and an emulated BlueZ.

Issue 14's target: "CPU of two 400 Hz streams (client plus analysis under 40 % of one
core)". Measured through the real two-sensor path, the `hinge live` command itself run as
its own process: `--device` and `--upper-device` found by scanning the emulated BlueZ
(bluezoo on a private D-Bus, the test kit under tests/imu_ble), one `StreamRecorder` per
sensor in one event loop, the two-sensor session written by `PairWriter`, the lower
sensor's streaming analysis (`StreamingAnalyser`) and the per-bend two-sensor verdict
(`PairLiveJudge`, the upper samples put on the lower's clock through both clock fits).
The two simulated hinge-open sensors are worn by one simulated person (`SharedMotion`,
the body model with `hinge live`'s guided calibration, then bends without end), each on
its own emulated adapter and clock (+100 / -100 ppm), served by one other process.

The hinge process's CPU (user + system time of all its threads, from /proc/PID/stat) is
taken over a steady-state window of ``--minutes`` of wall time = sensor time (speed 1),
starting ``--settle-s`` after the recording began (scan, connection and configuration are
not the steady state), while busy-loop processes keep every other core busy
(benchmarks/machine_load.py; ``--no-load``: the machine as it is). bluezoo, dbus-daemon and
the sensors run in their own processes and are not counted. Printed: CPU in % of one core,
and per sensor the samples sent and recorded, checked once each and in order (sample
index = time x rate on the sensor's own clock), and the two-sensor verdicts shown live.

    python benchmarks/pair_stream.py [--minutes 1.5] [--rate-hz 400] [--no-load] [--keep DIR]

Linux only (BlueZ, /proc).
"""
from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

TESTS = Path(__file__).resolve().parents[1] / "tests"
sys.path.insert(0, str(TESTS))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from imu_ble import fake_peripheral  # noqa: E402
from machine_load import busy_cores, load_line  # noqa: E402

from hinge.recordings.pair import read_pair  # noqa: E402

LOWER, UPPER = "hinge-BNCL", "hinge-BNCU"
# Client plus analysis of two 400 Hz sensors, % of one core (issue 14).
TARGET_CPU_PCT = 40.0
_PAIR_VERDICT = re.compile(r"bend (\d+) \(two sensors\): (lumbar flexion|not measured)")


def _cpu_s(pid: int) -> float:
    """User + system CPU time, s, of process ``pid`` (all its threads) from /proc/PID/stat."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime (fields 14, 15)


class _Lines:
    """A process's stdout read on a thread: the lines so far, and when each came."""

    def __init__(self, stream):
        self.lines: list[tuple[float, str]] = []
        self._thread = threading.Thread(target=self._read, args=(stream,), daemon=True)
        self._thread.start()

    def _read(self, stream) -> None:
        for line in stream:
            self.lines.append((time.monotonic(), line.rstrip("\n")))

    def wait_for(self, prefix: str, count: int, timeout_s: float, proc) -> float:
        """Time (monotonic) at which the ``count``-th line starting with ``prefix`` came."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            hits = [t for t, line in self.lines if line.startswith(prefix)]
            if len(hits) >= count:
                return hits[count - 1]
            if proc.poll() is not None:
                break
            time.sleep(0.05)
        raise RuntimeError(f"no {count} line(s) '{prefix}...' within {timeout_s:.0f} s:\n" +
                           "\n".join(line for _, line in self.lines[-20:]))

    def join(self) -> list[str]:
        self._thread.join(30)
        return [line for _, line in self.lines]


def _sent(lines: list[str]) -> dict[str, tuple[int, int, int, int]]:
    """The sensors' own counts: site -> (samples sent, unique, first index, last index)."""
    out = {}
    for line in lines:
        if line.startswith("sent "):
            _, site, *numbers = line.split()
            out[site] = tuple(int(x) for x in numbers)
    return out


def _check(site: str, t_s: np.ndarray, rate_hz: float, sent) -> tuple[str, bool]:
    """One line on the sensor's recorded samples against those it sent, and whether every
    sample came once and in order."""
    k = np.rint(np.asarray(t_s) * rate_hz).astype(np.int64)
    n_sent, unique_sent, first, last = sent
    steps = np.diff(k)
    once_in_order = bool(k.size) and bool(np.all(steps == 1)) and k[0] == first
    # The recording stops while the sensors still stream: the packets in flight then are sent, not recorded.
    tail = last - int(k[-1]) if k.size else n_sent
    return (f"  {site}: {n_sent} samples sent ({unique_sent} distinct), {k.size} recorded; "
            f"{'every sample once and in order, no gap' if once_in_order else 'NOT once and in order'} "
            f"(indices {k[0] if k.size else '-'}..{k[-1] if k.size else '-'}); "
            f"{tail} sent after the recording stopped"), once_in_order


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=1.5, help="steady-state window, min (sensor time = wall time)")
    parser.add_argument("--settle-s", type=float, default=8.0, help="from the start of the recording to the window, s")
    parser.add_argument("--rate-hz", type=float, default=400.0)
    parser.add_argument("--seed", type=int, default=0, help="body-model seed of the simulated person")
    parser.add_argument("--no-load", dest="load", action="store_false",
                        help="without the busy-loop processes on the other cores")
    parser.add_argument("--keep", metavar="DIR", help="write the session into DIR (default: a temporary folder)")
    args = parser.parse_args(argv)
    window_s = args.minutes * 60.0
    with tempfile.TemporaryDirectory() as tmp:
        out_dir = Path(args.keep or tmp)
        out_dir.mkdir(parents=True, exist_ok=True)
        stop_bluez = fake_peripheral.start_bluez(Path(tmp), None, peripherals=2)
        sensors = subprocess.Popen([sys.executable, fake_peripheral.__file__, LOWER, "1", "hinge_open",
                                    "--adapter", "hci1", "--upper", UPPER, "--upper-adapter", "hci2",
                                    "--guided-calibration", "--seed", str(args.seed)],
                                   stdout=subprocess.PIPE, text=True)
        sensor_lines = _Lines(sensors.stdout)
        try:
            sensor_lines.wait_for("ready", 1, 60, sensors)
            with busy_cores(None if args.load else 0) as busy:
                duration_s = args.settle_s + window_s + 2.0
                hinge = subprocess.Popen([sys.executable, "-m", "hinge", "live", "--device", LOWER,
                                          "--upper-device", UPPER, "--adapter", "hci0", "--rate-hz", f"{args.rate_hz:g}",
                                          "--timeout", "20", "--duration", f"{duration_s:g}", "--participant", "BENCH",
                                          "--no-report", "-o", str(out_dir)],
                                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
                lines = _Lines(hinge.stdout)
                started = lines.wait_for("recording ", 2, 60, hinge)
                time.sleep(max(0.0, started + args.settle_s - time.monotonic()))
                cpu0, wall0 = _cpu_s(hinge.pid), time.monotonic()
                time.sleep(window_s)
                cpu1, wall1 = _cpu_s(hinge.pid), time.monotonic()
                machine = load_line(busy)
                code = hinge.wait(120)
            hinge_out = lines.join()
        finally:
            sensors.terminate()
            sensors.wait(30)
            stop_bluez()
        if code != 0:
            print("\n".join(hinge_out[-20:]))
            raise SystemExit(f"hinge live exited with status {code}")
        sent = _sent(sensor_lines.join())
        session = next(p for p in out_dir.iterdir() if p.name.startswith("BENCH_"))
        pair = read_pair(session)
        checks = [_check(site, part.t_s, args.rate_hz, sent[site])
                  for site, part in (("sacrum", pair.lower), ("T12", pair.upper))]
        acq = {site: part.metadata.get("acquisition", {}) for site, part in (("sacrum", pair.lower),
                                                                            ("T12", pair.upper))}
    verdicts = [m for m in map(_PAIR_VERDICT.search, hinge_out) if m]
    measured = sum(m.group(2) == "lumbar flexion" for m in verdicts)
    one_sensor = sum(bool(re.match(r"\s*bend \d+:", line)) for line in hinge_out)
    cpu_pct = 100.0 * (cpu1 - cpu0) / (wall1 - wall0)
    print(f"hinge live, two hinge-open sensors (sacrum, T12) at {args.rate_hz:g} Hz over real bleak + emulated BlueZ, "
          f"one process: client, decoding, writing, StreamingAnalyser + PairLiveJudge; {machine}")
    for (line, _), site in zip(checks, ("sacrum", "T12")):
        a = acq[site]
        print(f"{line}; lost packets {a.get('lost_packets')}, reconnects {a.get('reconnects')}")
    print(f"  verdicts shown live: {one_sensor} one-sensor lines, {len(verdicts)} two-sensor "
          f"({measured} measured)")
    print(f"CPU of the hinge process over {wall1 - wall0:.1f} s of steady state ({(wall1 - wall0) * args.rate_hz:.0f} "
          f"samples per sensor): {cpu_pct:.1f} % of one core; target < {TARGET_CPU_PCT:.0f} %: ratio "
          f"{cpu_pct / TARGET_CPU_PCT:.2f}")
    return 0 if all(ok for _, ok in checks) else 1


if __name__ == "__main__":
    raise SystemExit(main())
