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
    from hinge.recordings.placements import DEFAULT_UPPER_PLACEMENT, UPPER_PLACEMENTS  # a plain table

    p.add_argument("--device", metavar="ADDRESS_OR_NAME",
                   help="sensor to record; default: the only supported sensor in range")
    p.add_argument("--profile", metavar="NAME", help=f"only consider sensors of this profile: {', '.join(PROFILE_KEYS)}")
    p.add_argument("--participant", metavar="ID", help="pseudonymous participant code (also names the session)")
    p.add_argument("--placement", choices=placements, default="sacrum", help="skin site of the (lower) sensor")
    two = p.add_argument_group(
        "a second sensor", "Record a second sensor above the lumbar spine at the same time, into the same session "
        "(one folder per sensor, both on one time base; recordings/FORMAT.md, 'Two sensors'). Any mix of profiles. "
        "Given --upper-device (then name the lower one with --device too) or, with --simulate, --upper-profile.")
    two.add_argument("--upper-device", metavar="ADDRESS_OR_NAME", help="the second sensor's address or name")
    two.add_argument("--upper-profile", metavar="NAME",
                     help=f"the second sensor's profile ({', '.join(PROFILE_KEYS)}); with --simulate it adds a "
                          "simulated second sensor speaking it, worn by the same simulated person")
    two.add_argument("--upper-placement", choices=UPPER_PLACEMENTS, default=DEFAULT_UPPER_PLACEMENT,
                     help="skin site of the second sensor: T12 = over the spinous process of T12")
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
    return _registered(sensors)


# The simulated second sensor's clock error, ppm: the lower one runs at the simulator's
# default (+30 ppm), so the two drift apart as real crystals do (each is fitted on its own).
SIMULATED_UPPER_CLOCK_PPM = -40.0


def _pair_simulation(args):
    """Two simulated sensors worn by one simulated person (`hinge.imu.simulated_pair.SharedMotion`):
    the lower at --placement, the upper at --upper-placement, the same body-model movements at
    the same true time, each sampled on its own drifting clock. Returns (sensors, scanner, client)."""
    from hinge.imu import simulated as sim
    from hinge.imu.simulated_pair import SharedMotion

    from hinge.analysis.body_model import BodyModelStream

    lower, upper = args.placement, args.upper_placement
    person = partial(BodyModelStream, seed=args.seed, **args.motion_options)  # one seed: one movement plan
    shared = SharedMotion({lower: partial(person, placement=lower), upper: partial(person, placement=upper)},
                          reference=lower, speed=args.speed)
    first = sim.make_simulated_sensor(args.profile or "hinge_open", motion=shared.motion(lower), speed=args.speed)
    second = sim.make_simulated_sensor(args.upper_profile, motion=shared.motion(upper), speed=args.speed,
                                       clock_ppm=SIMULATED_UPPER_CLOCK_PPM)
    second.name, second.address = f"{second.name}-{upper}", _upper_address(second.address)
    shared.bind(lower, first)
    shared.bind(upper, second)
    return _registered([first, second])


def _upper_address(address: str) -> str:
    """The simulated upper sensor's address: the profile's default with its 5th byte set to 0x12."""
    parts = address.split(":")
    parts[4] = "12"
    return ":".join(parts)


def _registered(sensors):
    from hinge.imu import simulated as sim

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
    _check_profile("--profile", args.profile, args)
    if args.bends is not None and not args.simulate:
        raise HingeInputError(f"--bends {args.bends}: only with --simulate")
    if args.bends is not None and args.bends < 1:
        raise HingeInputError(f"--bends {args.bends}: need at least 1 bend")
    _check_upper(args)
    if args.simulate:
        # hinge live's simulated person starts with the guided calibration.
        # Ending with the set, the person then stands still (no bend of a next set is recorded
        # in the moment the link takes to close).
        args.motion_options = {"bends_per_chunk": args.bends or SIMULATED_SET_BENDS, "guided_calibration": live is not None,
                               "one_set": args.duration is None}
    path = _session_path(Path(args.output), args.participant)
    from hinge.firmware_protocol import get_profile

    if args.rate_hz is not None:
        rates = get_profile(args.profile or "hinge_open").rates_hz if (args.profile or args.simulate) else None
        if rates is not None and float(args.rate_hz) not in rates:
            raise HingeInputError(f"--rate-hz {args.rate_hz:g}: {args.profile or 'hinge_open'} supports "
                                  f"{', '.join(f'{r:g}' for r in rates)} Hz")
    import asyncio

    return asyncio.run(_record(args, path, live))


class _Leg:
    """One sensor of a recording: its site, what to look for, and (once found) its writer and recorder."""

    def __init__(self, site: str, device: str | None, profile: str | None, simulated=None):
        self.site, self.device, self.profile, self.simulated = site, device, profile, simulated
        self.found = self.writer = self.recorder = None
        self.rate: float | None = None  # configured sample rate, Hz
        self.error: BaseException | None = None

    def metadata(self, args: argparse.Namespace) -> dict:
        profile = self.found.profile
        meta = {
            "device": {"name": self.found.name, "address": self.found.address, "simulated": bool(args.simulate)},
            "profile": profile.key, "placement": self.site, "participant": args.participant,
            "nominal_rate_hz": self.rate, "timebase": "sensor" if profile.has_timestamp else "host",
        }
        if args.height_m is not None:
            meta["height_m"] = args.height_m
        if args.simulate:
            meta["source"] = _simulated_source(args)
        return meta


def _simulated_source(args: argparse.Namespace) -> dict:
    """The ``source`` metadata of a simulated recording (recordings/FORMAT.md)."""
    return {"generator": f"hinge {args.command} --simulate", "body_model_seed": args.seed,
            "speed": args.speed}


def _pair_status(legs: list[_Leg], show):
    """Each recorder's ``on_status``: `show` gets {site: StreamStats} of every sensor."""
    def on_status(_stats) -> None:
        show({leg.site: leg.recorder.stats for leg in legs if leg.recorder is not None})
    return on_status


def _pair_line(stats_by_site: dict) -> str:
    """The status line of a two-sensor recording: both sensors, side by side."""
    first = next(iter(stats_by_site.values()))
    parts = [f"{first.elapsed_s:6.1f} s"]
    for site, st in stats_by_site.items():
        rate = "-" if st.rate_hz != st.rate_hz else f"{st.rate_hz:.1f} Hz"
        parts.append(f"{site}: {rate} {st.samples} samples, lost {st.lost_packets}, reconnects {st.reconnects}")
    return "  |  ".join(parts)


async def _record(args: argparse.Namespace, path: Path, live=None) -> int:
    import asyncio

    from bleak.exc import BleakError

    from hinge.recordings import CALIBRATION_ANNOTATION, SessionWriter

    from hinge.imu.scan import find_sensor
    from hinge.imu.stream import StreamError, StreamRecorder, StreamSettings

    pair = args.upper_profile is not None or args.upper_device is not None
    sensors, scanner_backend, client_backend = [], None, None
    if args.simulate:
        sensors, scanner_backend, client_backend = (_pair_simulation(args) if pair else
                                                    _simulation(args, (args.profile or "hinge_open",)))
    legs = [_Leg(args.placement, args.device, args.profile, sensors[0] if sensors else None)]
    if pair:
        legs.append(_Leg(args.upper_placement, args.upper_device, args.upper_profile,
                         sensors[1] if sensors else None))
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
        for leg in legs:
            try:
                wanted = leg.device or (leg.simulated.address if leg.simulated is not None else None)
                leg.found = await _until_stopped(find_sensor(wanted, leg.profile, args.timeout,
                                                             backend=scanner_backend, adapter=args.adapter), stop)
            except (BleakError, OSError) as e:
                raise HingeInputError(_bluetooth_error(e)) from None
            if leg.found is None:
                print("hinge: stopped before a sensor was found; nothing was recorded", file=sys.stderr)
                return EXIT_STOPPED
        if pair and legs[0].found.address.upper() == legs[1].found.address.upper():
            raise HingeInputError(f"--device and --upper-device name the same sensor ({legs[0].found.address}); "
                                  "name two sensors")
        for leg in legs:
            # --rate-hz configures the lower sensor, and a second one of the same profile; a
            # second sensor of another profile runs at its profile's default rate.
            same = leg.found.profile.key == legs[0].found.profile.key
            leg.rate = float(args.rate_hz if args.rate_hz and same else leg.found.profile.default_rate_hz)
        session = None
        if pair:
            from hinge.recordings.pair import PairWriter

            shared = {k: v for k, v in (("participant", args.participant), ("height_m", args.height_m)) if v is not None}
            if args.simulate:
                shared["source"] = _simulated_source(args)
            session = PairWriter.create(path, shared, [(leg.site, leg.metadata(args)) for leg in legs])
            for leg in legs:
                leg.writer = session.writers[leg.site]
        else:
            legs[0].writer = SessionWriter.create(path, legs[0].metadata(args))
        tty = sys.stderr.isatty()

        def terminal_status(stats) -> None:
            if tty:
                line = _pair_line(stats) if isinstance(stats, dict) else stats.status_line()
                print(f"\r{line}  (Ctrl-C stops)", end="", file=sys.stderr, flush=True)

        if args.duration is not None:
            loop.call_later(args.duration, stop.set)
        for leg in legs:
            print(f"recording {leg.found.name or '?'} {leg.found.address} ({leg.found.profile.key}"
                  f"{', ' + leg.site if pair else ''}) to {path}", flush=True)
        show = live.status if live is not None else terminal_status
        status = _pair_status(legs, show) if pair else show
        for i, leg in enumerate(legs):
            sink = leg.writer
            if i == 0:  # the live analysis and the end of the simulated set follow the lower sensor
                if live is not None:
                    sink = live.wrap(leg.writer) if not pair else live.wrap(leg.writer, session)
                if args.simulate and args.duration is None:
                    sink = _StopAtSensorTime(sink, _simulated_set_s(args), stop)
            elif live is not None:
                sink = live.wrap_upper(leg.writer)
            settings = StreamSettings(rate_hz=leg.rate, bluez_adapter=args.adapter,
                                      scan_timeout_s=args.timeout,
                                      # a simulated sensor run fast "drifts" by its speed
                                      max_drift_ppm=None if args.simulate and args.speed != 1 else 2000.0)
            leg.recorder = StreamRecorder(leg.found.device, leg.found.profile, sink, settings,
                                          backend=(scanner_backend, client_backend) if args.simulate else None,
                                          on_status=status if i == 0 else None)
        if live is not None and pair:
            live.clocks = {"lower": legs[0].recorder, "upper": legs[1].recorder}  # their current clock fits

        async def run(leg: _Leg):
            # Each sensor has its own recorder (timeline, raw log, reconnect loop): one's
            # dropout never stops the other; only an error it cannot go on from stops both.
            try:
                return await leg.recorder.run(stop)
            except BaseException as e:
                leg.error = e
                stop.set()
                raise

        t0 = time.monotonic()
        error = None
        try:
            await asyncio.gather(*(run(leg) for leg in legs), return_exceptions=True)
            unexpected = [leg.error for leg in legs if leg.error is not None and not isinstance(leg.error, StreamError)]
            if unexpected:
                raise unexpected[0]
            error = next((leg.error for leg in legs if leg.error is not None), None)
        finally:
            if tty:
                print(file=sys.stderr)
            for leg in legs:
                rec, writer = leg.recorder, leg.writer
                # counts, host-clock rate, clock_fit: host_s = host_offset_s + scale * t_s (recordings/FORMAT.md)
                writer.metadata["acquisition"] = rec.summary()
                if rec.rate_hz:
                    writer.metadata["nominal_rate_hz"] = rec.rate_hz
                if rec.clock_hz and leg.found.profile.decode_info is not None:  # a clock the device declared
                    writer.metadata["device_clock_hz"] = rec.clock_hz
            if live is not None:
                live.finish(legs[0].writer)  # never raises: the session is closed below regardless
                if session is not None:
                    session.metadata["live"] = legs[0].writer.metadata.get("live")
                    _shared_calibration(session, live, CALIBRATION_ANNOTATION)
            try:
                (session or legs[0].writer).close()
            except OSError as close_error:
                error = error or close_error
                raise HingeWriteError(f"{path}: could not finish writing the session ({_why(error)}); what was "
                                      f"written is kept: free space, then run `hinge recover {path}`") from None
        if error is not None:
            kind = HingeWriteError if isinstance(error, OSError) else HingeInputError
            raise kind(f"{_why(error)} (session so far kept in {path}; `hinge recover {path}` "
                       "repairs it if it was cut short)")
        elapsed = time.monotonic() - t0
        for leg in legs:
            stats = leg.recorder.stats
            print(f"wrote {path if not pair else path / leg.site}: {stats.samples} samples in {elapsed:.1f} s, "
                  f"{stats.lost_packets} lost packets, {stats.malformed} malformed, {stats.reconnects} reconnects")
        return 0
    finally:
        for stop_signal in handled:
            loop.remove_signal_handler(stop_signal)
        if sensors:
            from hinge.imu import simulated as sim

            for sensor in sensors:
                sim.unregister(sensor)


def _shared_calibration(session, live, description: str) -> None:
    """The guided calibration (annotated in the lower sensor's folder by the live view) also in
    the session's shared annotations; both are on the lower sensor's clock, the shared base."""
    window = getattr(getattr(live, "analyser", None), "calibration_window_s", None)
    if window is None:
        return
    try:
        session.annotate(window[0], window[1], description)
    except (OSError, ValueError):
        pass  # the lower sensor's own annotation still holds it


def _check_profile(option: str, key: str | None, args: argparse.Namespace) -> None:
    """A sensor's profile option (--profile, --upper-profile): a known profile and, with
    --simulate, one the simulator speaks, at --speed 1 if it has no clock."""
    if key is None:
        return
    if key not in PROFILE_KEYS:
        raise HingeInputError(f"{option} {key}: unknown; choose one of {', '.join(PROFILE_KEYS)}")
    if args.simulate:
        from hinge.imu.simulated import SIMULATED_PROFILES

        if key not in SIMULATED_PROFILES:
            raise HingeInputError(f"{option} {key}: no simulated sensor for it (accelerometer only); "
                                  f"simulated: {', '.join(SIMULATED_PROFILES)}")
        if key == "witmotion" and args.speed != 1.0:
            # No device clock: times come from arrival, so a faster-than-real-time sensor would be misdated.
            raise HingeInputError(f"--speed {args.speed:g}: the simulated witmotion sensor has no clock (times come "
                                  "from arrival), so it runs in real time; leave --speed at 1")


def _check_upper(args: argparse.Namespace) -> None:
    """The second sensor's options: one line for each mistake."""
    args.upper_device, args.upper_profile = getattr(args, "upper_device", None), getattr(args, "upper_profile", None)
    _check_profile("--upper-profile", args.upper_profile, args)
    if args.simulate:
        if args.upper_device is not None:
            raise HingeInputError("--upper-device: not with --simulate (the simulated second sensor is chosen by "
                                  "--upper-profile)")
    elif args.upper_device is not None and args.device is None:
        raise HingeInputError("--upper-device needs --device too: with two sensors in range, name each")


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
