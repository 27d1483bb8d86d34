"""`hinge scan` and `hinge record`: the command-line side of acquisition (hinge/cli.py calls these).

Only this module and hinge/cli.py print. Each command runs one ``asyncio.run``.
"""
from __future__ import annotations

import argparse
import signal
import sys
import time
from functools import partial
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

from hinge.cli_options import add_height_argument
from hinge.errors import HingeInputError, HingeWriteError

if TYPE_CHECKING:  # asyncio is imported where a command runs: `hinge --help` needs no event loop
    import asyncio

# Signals that stop a recording as Ctrl-C does; exit status when stopped before recording
# anything (128 + SIGINT, the shell's convention, as hinge.cli's "interrupted").
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
EXIT_STOPPED = 130
# Bends in the simulated set of `--simulate` when --bends is not given.
SIMULATED_SET_BENDS = 10

__all__ = ["run_scan", "run_record", "add_scan_arguments", "add_record_arguments", "PROFILE_KEYS"]

# The keys of hinge.firmware_protocol.PROFILES, spelled out so that `hinge --help` needs no
# numpy import (a test checks that they agree).
PROFILE_KEYS = ("hinge_open", "witmotion", "polar_verity", "polar_h10", "movesense")


def add_scan_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--timeout", type=float, default=5.0, metavar="S", help="how long to listen, s")
    p.add_argument("--adapter", metavar="HCI", help="Bluetooth adapter (Linux), e.g. hci0; default: the system's")
    p.add_argument("--simulate", action="store_true",
                   help="also list the simulated sensors, one per simulated profile (hinge_open, witmotion, "
                        "polar_verity, movesense), each driven by the body model")


def add_record_arguments(p: argparse.ArgumentParser, placements) -> None:
    p.add_argument("--device", metavar="ADDRESS_OR_NAME",
                   help="sensor to record; default: the only supported sensor in range")
    p.add_argument("--profile", metavar="NAME", help=f"only consider sensors of this profile: {', '.join(PROFILE_KEYS)}")
    p.add_argument("--participant", metavar="ID", help="pseudonymous participant code (also names the session)")
    p.add_argument("--placement", choices=placements, default="sacrum", help="skin site of the sensor")
    add_height_argument(p, recording=True)
    p.add_argument("-o", "--output", default=".", metavar="DIR", help="directory to create the session folder in")
    p.add_argument("--duration", type=float, metavar="S", help="stop after S seconds; default: at Ctrl-C")
    p.add_argument("--rate-hz", type=float, help="sample rate to configure, Hz; default: the profile's")
    p.add_argument("--timeout", type=float, default=5.0, metavar="S", help="scan time to find the sensor, s")
    p.add_argument("--adapter", metavar="HCI", help="Bluetooth adapter (Linux), e.g. hci0")
    p.add_argument("--simulate", action="store_true",
                   help="record a simulated sensor (body-model bends) speaking the --profile's protocol "
                        "(hinge_open, witmotion, polar_verity or movesense; default hinge_open) instead of a real one")
    p.add_argument("--speed", type=float, default=1.0,
                   help="with --simulate: the simulated sensor's clock runs this many times faster than real time")
    p.add_argument("--seed", type=int, default=0, help="with --simulate: body-model random seed")
    p.add_argument("--bends", type=int, default=None, metavar="N",
                   help=f"with --simulate: the simulated person does a set of N bends (hip-led and spine-led mixed) "
                        f"and the recording ends with the set, at any --speed, unless --duration is given; "
                        f"default {SIMULATED_SET_BENDS}")


class _StopAtSensorTime:
    """A session sink that sets `stop` once the samples span `seconds` of sensor time.

    The simulated set's length is known on the sensor clock, so the recording ends with the
    set whatever the --speed and however the host schedules the stream.
    """

    def __init__(self, sink, seconds: float, stop: asyncio.Event):
        self.sink, self.seconds, self.stop = sink, seconds, stop
        self.first_t_s: float | None = None

    def append_samples(self, t_s, acc_mps2, gyr_rad_s):
        result = self.sink.append_samples(t_s, acc_mps2, gyr_rad_s)
        if len(t_s):
            if self.first_t_s is None:
                self.first_t_s = float(t_s[0])
            if float(t_s[-1]) - self.first_t_s >= self.seconds:
                self.stop.set()
        return result

    def __getattr__(self, name: str):  # append_raw, annotate, flush, path, metadata, ...
        return getattr(self.sink, name)


def _simulated_set_s(args) -> float:
    """Sensor-clock length of the simulated set (standing, calibration, the bends), s."""
    from hinge.analysis.body_model import BodyModelStream
    from hinge.firmware_protocol import get_profile

    rate = float(args.rate_hz or get_profile(args.profile or "hinge_open").default_rate_hz)
    return BodyModelStream(rate, seed=args.seed, placement=args.placement, **args.motion_options).first_session_s()


def _simulation(args, profiles: tuple[str, ...] = ("hinge_open",)):
    """Register one simulated sensor per profile; returns (sensors, scanner backend, client backend)."""
    from hinge.imu import simulated as sim

    from hinge.analysis.body_model import BodyModelStream

    motion = partial(BodyModelStream, seed=getattr(args, "seed", 0), placement=getattr(args, "placement", "sacrum"),
                     **getattr(args, "motion_options", {}))  # hinge live: guided calibration, set size
    sensors = [sim.make_simulated_sensor(p, motion=motion, speed=getattr(args, "speed", 1.0)) for p in profiles]
    for sensor in sensors:
        sensor.power_on_at_connect = True  # the simulated set starts when the recording does
        sim.register(sensor)
    return sensors, sim.SimulatedScanner, sim.SimulatedClient


def run_scan(args: argparse.Namespace) -> int:
    if not args.timeout > 0:
        raise HingeInputError(f"--timeout {args.timeout:g}: must be > 0 s")
    import asyncio

    from bleak.exc import BleakError

    from hinge.imu.scan import scan

    sensors, backend = [], None
    if args.simulate:
        from hinge.imu import simulated as sim

        sensors, backend, _ = _simulation(args, sim.SIMULATED_PROFILES)
    try:
        found = asyncio.run(scan(args.timeout, backend=backend, adapter=args.adapter))
    except (BleakError, OSError) as e:
        raise HingeInputError(_bluetooth_error(e)) from None
    finally:
        for sensor in sensors:
            sim.unregister(sensor)
    if not found:
        print(f"no supported sensor found in {args.timeout:g} s")
        return 0
    width = max(20, *(len(f.name or "?") + 1 for f in found))
    print(f"{'name':<{width}} {'address':<18} {'profile':<13} {'RSSI':>8}")
    for f in found:
        rssi = "-" if f.rssi_dbm is None else f"{f.rssi_dbm} dBm"
        print(f"{(f.name or '?'):<{width}} {f.address:<18} {f.profile.key:<13} {rssi:>8}")
    return 0


def _bluetooth_error(e: BaseException) -> str:
    text = " ".join(str(e).split()) or type(e).__name__
    if isinstance(e, OSError):  # no D-Bus system bus socket, or nobody listening on it
        return (f"Bluetooth is not available: cannot reach BlueZ on the D-Bus system bus ({text}); "
                "is bluetoothd running? (or try --simulate)")
    return f"Bluetooth scan failed: {text}"


def _session_path(out_dir: Path, participant: str | None) -> Path:
    """A new session folder's path in `out_dir` (created with its parents if missing).

    The participant code is checked here, at record time, as a BIDS label (letters and
    digits only): "Jane Doe" or "pt007 " would otherwise become participants of their own
    and be refused only at export.
    """
    from hinge.recordings.bids_layout import check_label

    if participant is not None:
        check_label(participant, "participant")
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise HingeInputError(f"{out_dir}: cannot create the output directory ({error.strerror or error}); "
                              "choose another -o") from None
    if not out_dir.is_dir():
        raise HingeInputError(f"{out_dir}: not a directory; choose another -o")
    stem = participant or "session"
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    path = out_dir / f"{stem}_{stamp}"
    n = 1
    while path.exists():
        n += 1
        path = out_dir / f"{stem}_{stamp}_{n}"
    return path


def run_record(args: argparse.Namespace, live=None) -> int:
    """`hinge record`; `hinge live` passes `live` (hinge.live.LiveSession): it wraps the session
    writer to see every appended sample, shows the status, and annotates before the close."""
    if args.duration is not None and not args.duration > 0:
        raise HingeInputError(f"--duration {args.duration:g}: must be > 0 s")
    if not args.timeout > 0:
        raise HingeInputError(f"--timeout {args.timeout:g}: must be > 0 s")
    if not args.speed > 0 or (args.speed != 1.0 and not args.simulate):
        raise HingeInputError(f"--speed {args.speed:g}: must be > 0, and only with --simulate")
    if args.profile is not None and args.profile not in PROFILE_KEYS:
        raise HingeInputError(f"--profile {args.profile}: unknown; choose one of {', '.join(PROFILE_KEYS)}")
    if args.bends is not None and not args.simulate:
        raise HingeInputError(f"--bends {args.bends}: only with --simulate")
    if args.bends is not None and args.bends < 1:
        raise HingeInputError(f"--bends {args.bends}: need at least 1 bend")
    if args.simulate:
        # hinge live's simulated person starts with the guided calibration.
        # Ending with the set, the person then stands still (no bend of a next set is recorded
        # in the moment the link takes to close).
        args.motion_options = {"bends_per_chunk": args.bends or SIMULATED_SET_BENDS, "guided_calibration": live is not None,
                               "one_set": args.duration is None}
    if args.simulate:
        from hinge.imu.simulated import SIMULATED_PROFILES

        if args.profile is not None and args.profile not in SIMULATED_PROFILES:
            raise HingeInputError(f"--profile {args.profile}: no simulated sensor for it (accelerometer only); "
                                  f"simulated: {', '.join(SIMULATED_PROFILES)}")
        if args.profile == "witmotion" and args.speed != 1.0:
            # No device clock: times come from arrival, so a faster-than-real-time sensor would be misdated.
            raise HingeInputError(f"--speed {args.speed:g}: the simulated witmotion sensor has no clock (times come "
                                  "from arrival), so it runs in real time; leave --speed at 1")
    path = _session_path(Path(args.output), args.participant)
    from hinge.firmware_protocol import get_profile

    if args.rate_hz is not None:
        rates = get_profile(args.profile or "hinge_open").rates_hz if (args.profile or args.simulate) else None
        if rates is not None and float(args.rate_hz) not in rates:
            raise HingeInputError(f"--rate-hz {args.rate_hz:g}: {args.profile or 'hinge_open'} supports "
                                  f"{', '.join(f'{r:g}' for r in rates)} Hz")
    import asyncio

    return asyncio.run(_record(args, path, live))


async def _record(args: argparse.Namespace, path: Path, live=None) -> int:
    import asyncio

    from bleak.exc import BleakError

    from hinge.recordings import SessionWriter

    from hinge.imu.scan import find_sensor
    from hinge.imu.stream import StreamError, StreamRecorder, StreamSettings

    sensor, scanner_backend, client_backend = None, None, None
    if args.simulate:
        from hinge.imu import simulated as sim

        (sensor,), scanner_backend, client_backend = _simulation(args, (args.profile or "hinge_open",))
    # Ctrl-C, `kill`/`timeout` (SIGTERM) and closing the terminal (SIGHUP) all stop the same
    # way, from the first moment on: during the scan nothing is recorded yet; later the
    # session is closed, summarised and (live) reported.
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    handled = []
    for stop_signal in STOP_SIGNALS:
        try:
            loop.add_signal_handler(stop_signal, stop.set)
            handled.append(stop_signal)
        except (NotImplementedError, RuntimeError, ValueError):
            pass
    try:
        try:
            wanted = args.device or (sensor.address if sensor is not None else None)
            found = await _until_stopped(find_sensor(wanted, args.profile, args.timeout, backend=scanner_backend,
                                                     adapter=args.adapter), stop)
        except (BleakError, OSError) as e:
            raise HingeInputError(_bluetooth_error(e)) from None
        if found is None:
            print("hinge: stopped before a sensor was found; nothing was recorded", file=sys.stderr)
            return EXIT_STOPPED
        profile = found.profile
        rate = float(args.rate_hz or profile.default_rate_hz)
        metadata = {
            "device": {"name": found.name, "address": found.address, "simulated": bool(args.simulate)},
            "profile": profile.key, "placement": args.placement, "participant": args.participant,
            "nominal_rate_hz": rate, "timebase": "sensor" if profile.has_timestamp else "host",
        }
        if args.height_m is not None:
            metadata["height_m"] = args.height_m
        if args.simulate:
            metadata["source"] = {"generator": "hinge record --simulate", "body_model_seed": args.seed,
                                  "speed": args.speed}
        writer = SessionWriter.create(path, metadata)
        tty = sys.stderr.isatty()

        def terminal_status(stats) -> None:
            if tty:
                print(f"\r{stats.status_line()}  (Ctrl-C stops)", end="", file=sys.stderr, flush=True)

        if args.duration is not None:
            loop.call_later(args.duration, stop.set)
        print(f"recording {found.name or '?'} {found.address} ({profile.key}) to {path}", flush=True)
        status = live.status if live is not None else terminal_status
        sink = writer if live is None else live.wrap(writer)
        if args.simulate and args.duration is None:
            sink = _StopAtSensorTime(sink, _simulated_set_s(args), stop)
        rec = StreamRecorder(found.device, profile, sink,
                             StreamSettings(rate_hz=rate, bluez_adapter=args.adapter, scan_timeout_s=args.timeout,
                                            # a simulated sensor run fast "drifts" by its speed
                                            max_drift_ppm=None if args.simulate and args.speed != 1 else 2000.0),
                             backend=(scanner_backend, client_backend) if args.simulate else None, on_status=status)
        t0 = time.monotonic()
        error = None
        try:
            stats = await rec.run(stop)
        except StreamError as e:
            error, stats = e, rec.stats
        finally:
            if tty:
                print(file=sys.stderr)
            # counts, host-clock rate, clock_fit: host_s = host_offset_s + scale * t_s (recordings/FORMAT.md)
            writer.metadata["acquisition"] = rec.summary()
            if rec.rate_hz:
                writer.metadata["nominal_rate_hz"] = rec.rate_hz
            if rec.clock_hz and profile.decode_info is not None:  # a clock the device declared (FORMAT.md)
                writer.metadata["device_clock_hz"] = rec.clock_hz
            if live is not None:
                live.finish(writer)  # never raises: the session is closed below regardless
            try:
                writer.close()
            except OSError as close_error:
                error = error or close_error
                raise HingeWriteError(f"{path}: could not finish writing the session ({_why(error)}); what was "
                                      f"written is kept: free space, then run `hinge recover {path}`") from None
        if error is not None:
            kind = HingeWriteError if isinstance(error, OSError) else HingeInputError
            raise kind(f"{_why(error)} (session so far kept in {path}; `hinge recover {path}` "
                       "repairs it if it was cut short)")
        elapsed = time.monotonic() - t0
        print(f"wrote {path}: {stats.samples} samples in {elapsed:.1f} s, {stats.lost_packets} lost packets, "
              f"{stats.malformed} malformed, {stats.reconnects} reconnects")
        return 0
    finally:
        for stop_signal in handled:
            loop.remove_signal_handler(stop_signal)
        if sensor is not None:
            sim.unregister(sensor)


def _why(error: BaseException) -> str:
    """One line for an error, an OSError by its message ("No space left on device")."""
    if isinstance(error, OSError) and error.strerror:
        return error.strerror
    return str(error).splitlines()[0] if str(error) else type(error).__name__


async def _until_stopped(job, stop: asyncio.Event):
    """`job`'s result, or None (the job cancelled) if `stop` is set first."""
    import asyncio

    task = asyncio.ensure_future(job)
    waiter = asyncio.ensure_future(stop.wait())
    try:
        done, _ = await asyncio.wait({task, waiter}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        waiter.cancel()
    if task in done:
        return task.result()
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    return None
