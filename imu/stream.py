"""Streaming client: connect, configure, stream, decode, write; reconnect and mark gaps.

Shape (STYLE.md item 8), all in one event loop:

- a **synchronous** notification callback per characteristic that only stamps
  ``time.monotonic_ns()`` and calls ``queue.put_nowait``;
- a **decoder/writer task** that drains the queue: logs every value raw
  (``append_raw``, link records included), hands it to a `timeline.SampleTimeline`
  (the profile's `firmware_protocol` decoder; malformed packets counted and skipped;
  duplicates dropped, reordered packets put back in order, late ones counted; times
  from the device clock, else arrival timing; ``BAD_gap``, ``BAD_gap_uncertain``,
  ``BAD_reconnect``, ``BAD_clock_jump``) and appends the samples it releases in
  blocks, flushing at least twice a second. `hinge recover` feeds raw.log to the same
  `SampleTimeline`, so it rebuilds exactly what was written here;
- a **supervisor** (`StreamRecorder.run`) that connects with a `BLEDevice`, logs a
  ``link`` "connected" record, subscribes, configures, reads the info value and starts;
  it waits for ``disconnected_callback`` (an `asyncio.Event`), for a stall (no data for
  ``stall_timeout_s`` while connected: a sensor that stops sending without
  disconnecting is dropped and reconnected within ~2 s) or for the stop event. After
  a loss it backs off (``backoff_s``, between failed connection attempts only), then
  scans until the sensor advertises again (scans of ``scan_timeout_s`` back to back,
  each ending as soon as it is seen) and only then connects, re-configures and
  re-subscribes; the outage is marked ``BAD_reconnect`` (from the last sample before
  it to the first sample after it, on the device clock). bleak-retry-connector is not
  used: it serves BlueZ's connection quirks for Home Assistant, while this loop needs
  the fake backend, a stop event and an explicit "not seen" outcome; the retry and
  backoff it would add are the few lines of `run`.

Sample times follow the session format (recordings/FORMAT.md, "Time"): the sensor's clock
in seconds where packets carry one (hinge open, Polar, Movesense), which keeps exact
spacing and measures outages on the device clock. The drift of that clock against the
host is fitted every 5 s and over the whole recording at the end (`timebase.fit_clock`,
``StreamRecorder.clock_fit``, ``stats.drift_ppm``); ``stats.rate_hz`` (the status line)
and ``summary()["rate_hz"]`` (session.json) are the drift-corrected sample rate on the
host clock, and ``clock_fit`` maps ``t_s`` to host time (`Session.host_t_s`).

Host time is read from ``clock_ns`` (default `time.monotonic_ns`, the clock asyncio's
event loop runs on); a test may pass a virtual clock that its event loop also runs on,
so that minutes of streaming take a second.
"""
from __future__ import annotations

import asyncio
import collections
import contextlib
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Protocol

import numpy as np
from bleak import BleakClient, BleakScanner
from bleak.backends.device import BLEDevice
from bleak.exc import BleakError

from hinge.firmware_protocol import DeviceProfile, ProtocolError
from hinge.firmware_protocol.battery import BATTERY_LEVEL_UUID, decode_battery_level

from . import timebase
from .timeline import LINK_CHARACTERISTIC, SampleTimeline, link_payload

__all__ = ["StreamSettings", "StreamStats", "StreamRecorder", "StreamError", "SessionSink", "record_stream", "stall_timeout_s"]


class StreamError(RuntimeError):
    """The stream cannot go on: one line naming the sensor and the reason."""


class SessionSink(Protocol):
    """What the recorder writes to (`hinge.recordings.SessionWriter` has this shape)."""

    def append_raw(self, host_ns: int, characteristic: str, payload: bytes, kind: str = "notify") -> Any: ...
    def append_samples(self, t_s, acc_mps2, gyr_rad_s) -> Any: ...
    def annotate(self, onset_s: float, duration_s: float, description: str) -> Any: ...


@dataclass(frozen=True)
class StreamSettings:
    """Settings of one recording. Times in s.

    ``rate_hz`` None = the profile's default. ``backoff_s``: waits before reconnect
    attempts (the last repeats). ``max_failures``: failed connection attempts in a
    row before giving up while no data has arrived yet (a wrong or absent sensor);
    None = keep trying. Once data have flowed, a lost sensor is sought until stopped
    (someone walked out of range), or until it has been gone ``max_outage_s``.
    ``stall_timeout_s``: a connected sensor that sends no data this long is treated
    as lost (disconnected and reconnected); longer where the profile's fullest
    notification takes longer (`StreamRecorder.stall_timeout_s`). ``scan_timeout_s``: one scan for a lost
    sensor (it ends as soon as the sensor advertises; scans repeat back to back, and a
    connection is only attempted once the sensor was seen, so a sensor that comes back
    is reconnected within about one advertising interval plus the connection set-up).
    ``max_drift_ppm``: a fitted clock drift beyond this is not believed (None: any;
    a simulated sensor run ``speed`` times faster needs None).
    """

    rate_hz: float | None = None
    connect_timeout_s: float = 10.0
    scan_timeout_s: float = 10.0
    command_timeout_s: float = 3.0
    stall_timeout_s: float = 2.0
    backoff_s: tuple[float, ...] = (0.2, 0.5, 1.0, 2.0, 5.0)
    max_failures: int | None = 5
    max_outage_s: float | None = None
    flush_interval_s: float = 0.5
    bluez_adapter: str | None = None
    max_drift_ppm: float | None = 2000.0


@dataclass
class StreamStats:
    """Live counters (the status line and the tests read them)."""

    packets: int = 0
    samples: int = 0
    malformed: int = 0
    lost_packets: int = 0
    dropped_samples: int = 0
    duplicates: int = 0
    reordered: int = 0
    late_packets: int = 0
    clock_jumps: int = 0
    clock_restarts: int = 0
    time_shifts: int = 0
    gaps: int = 0
    connections: int = 0
    stalls: int = 0
    failed_attempts: int = 0
    last_error: str = ""
    started_ns: int = field(default_factory=time.monotonic_ns)
    clock_ns: Callable[[], int] = field(default=time.monotonic_ns, repr=False, compare=False)
    last_t_s: float = 0.0
    rate_hz: float = float("nan")
    drift_ppm: float = float("nan")
    battery_pct: int | None = None
    malformed_reasons: list[str] = field(default_factory=list)

    @property
    def elapsed_s(self) -> float:
        return (self.clock_ns() - self.started_ns) / 1e9

    @property
    def reconnects(self) -> int:
        return max(self.connections - 1, 0)

    def status_line(self) -> str:
        rate = "-" if np.isnan(self.rate_hz) else f"{self.rate_hz:.2f} Hz"
        line = (f"{self.elapsed_s:7.1f} s  rate {rate}  samples {self.samples}  lost packets {self.lost_packets}  "
                f"malformed {self.malformed}  reconnects {self.reconnects}")
        extra = [f"{name} {n}" for name, n in (("duplicates", self.duplicates), ("late", self.late_packets),
                                                ("clock jumps", self.clock_jumps)) if n]
        if self.battery_pct is not None:
            extra.append(f"battery {self.battery_pct} %")
        return "  ".join([line, *extra])


def _one_line(error: BaseException) -> str:
    text = " ".join(str(error).split())
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


def stall_timeout_s(profile: DeviceProfile, rate_hz: float, setting_s: float) -> float:
    """How long a connected sensor may send nothing before it counts as stalled, s: the
    setting, or two of the profile's fullest notifications at ``rate_hz`` if longer."""
    return max(setting_s, 2.0 * profile.max_samples_per_notification / rate_hz)


class StreamRecorder:
    """Records one sensor into a `SessionSink` until ``stop`` is set (see the module doc)."""

    def __init__(self, device: BLEDevice, profile: DeviceProfile, sink: SessionSink,
                 settings: StreamSettings = StreamSettings(), *, backend: tuple[type, type] | None = None,
                 on_status: Callable[[StreamStats], None] | None = None,
                 clock_ns: Callable[[], int] = time.monotonic_ns):
        if not isinstance(device, BLEDevice):
            raise TypeError("StreamRecorder needs a BLEDevice (from a scan), not an address string")
        self.device, self.profile, self.sink, self.settings = device, profile, sink, settings
        self.scanner_backend, self.client_backend = backend if backend else (None, None)
        self.on_status = on_status
        self._clock_ns = clock_ns  # host time, ns (see the module doc)
        self.stats = StreamStats(started_ns=clock_ns(), clock_ns=clock_ns)
        self.rate_hz = float(settings.rate_hz or profile.default_rate_hz)
        self.clock_hz: float | None = profile.timestamp_clock_hz
        self._queue: asyncio.Queue = asyncio.Queue()
        self._timeline = SampleTimeline(profile, self.rate_hz, self.clock_hz)
        self._control: asyncio.Queue = asyncio.Queue()
        self._last_data_ns = 0
        self._buf_t: list[np.ndarray] = []
        self._buf_acc: list[np.ndarray] = []
        self._buf_gyr: list[np.ndarray | None] = []
        self._last_flush = self._now_s()
        self._rate_history: collections.deque = collections.deque()
        self._last_fit = 0.0
        self._fit_count = 0
        self.clock_fit: timebase.ClockFit | None = None
        self._fatal: BaseException | None = None
        self._writer_failed = asyncio.Event()

    def _now_s(self) -> float:
        """Host time, s (the clock of ``clock_ns``)."""
        return self._clock_ns() / 1e9

    # ------------------------------------------------------------- callback (sync, minimal)
    def _callback(self, uuid: str) -> Callable[[Any, bytearray], None]:
        put, clock_ns = self._queue.put_nowait, self._clock_ns

        def on_notify(_char, data: bytearray) -> None:
            put((clock_ns(), uuid, bytes(data), "notify"))

        return on_notify

    # ------------------------------------------------------------- decoder / writer task
    async def _drain(self) -> None:
        try:
            await self._drain_loop()
        except Exception as e:  # a full disk, a refused append: stop the recording, say why
            self._fatal = e
            self._writer_failed.set()

    async def _drain_loop(self) -> None:
        flush_every = self.settings.flush_interval_s
        while True:
            try:
                item = await asyncio.wait_for(self._queue.get(), flush_every)
            except asyncio.TimeoutError:
                self._flush()
                continue
            if item is None:
                self._take(self._timeline.flush())
                self._flush()
                return
            host_ns, uuid, payload, kind = item
            self.sink.append_raw(host_ns, uuid, payload, kind)
            if kind == "notify" and uuid == self.profile.data_uuid:
                self._last_data_ns = max(self._last_data_ns, host_ns)
            elif kind == "notify" and uuid == self.profile.control_uuid:
                self._on_control(payload)
            self._take(self._timeline.feed(host_ns, uuid, payload, kind))
            if self._now_s() - self._last_flush >= flush_every:
                self._flush()

    def _on_control(self, payload: bytes) -> None:
        """The indicated answer to a command, where the profile has one (the timeline gives
        other control values, e.g. Polar's factors, to the stream decoder)."""
        decode = self.profile.decode_command_response
        if decode is not None:
            try:
                self._control.put_nowait(decode(payload))
            except ProtocolError as e:
                self._control.put_nowait(e)

    def _take(self, blocks) -> None:
        """Buffer the samples the timeline released, write its annotations, mirror its counters."""
        for block in blocks:
            if block.notes:
                self._flush()
                for onset, duration, desc in block.notes:
                    self.sink.annotate(onset, duration, desc)
            self._buf_t.append(block.t_s)
            self._buf_acc.append(block.acc_mps2)
            self._buf_gyr.append(block.gyr_rad_s)
            self.stats.last_t_s = float(block.t_s[-1])
        c, st = self._timeline.counts, self.stats
        st.packets, st.samples, st.malformed, st.lost_packets = c.packets, c.samples, c.malformed, c.lost_packets
        st.dropped_samples, st.gaps, st.duplicates, st.reordered = c.dropped_samples, c.gaps, c.duplicates, c.reordered
        st.late_packets, st.clock_jumps, st.clock_restarts = c.late_packets, c.clock_jumps, c.clock_restarts
        st.time_shifts = c.time_shifts
        st.malformed_reasons = c.malformed_reasons

    def _flush(self) -> None:
        self._last_flush = self._now_s()
        if not self._buf_t:
            return
        t = np.concatenate(self._buf_t)
        acc = np.vstack(self._buf_acc)
        gyr = np.vstack(self._buf_gyr)
        self._buf_t, self._buf_acc, self._buf_gyr = [], [], []
        self.sink.append_samples(t, acc, gyr)
        flush = getattr(self.sink, "flush_if_due", None) or getattr(self.sink, "flush", None)
        if flush is not None:
            flush()
        self._update_rate()

    def _update_rate(self) -> None:
        """Sample rate on the host clock: the device-clock rate corrected by the drift fit
        (refitted every 5 s); until a fit exists, samples per host second over the last ~5 s."""
        now = self._now_s()
        hist = self._rate_history
        hist.append((now, self.stats.samples))
        while len(hist) > 2 and now - hist[1][0] >= 5.0:
            hist.popleft()
        if now - self._last_fit >= 5.0 and len(self._timeline.fit_points) != self._fit_count:
            self._last_fit, self._fit_count = now, len(self._timeline.fit_points)
            fit = self._timeline.clock_fit(self.settings.max_drift_ppm)
            if fit is not None:
                self.clock_fit = fit
                self.stats.drift_ppm = fit.drift_ppm
        if self.clock_fit is not None:
            self.stats.rate_hz = self._timeline.host_rate_hz(self.clock_fit)
        elif len(hist) >= 2 and hist[-1][0] - hist[0][0] >= 0.5:
            self.stats.rate_hz = (hist[-1][1] - hist[0][1]) / (hist[-1][0] - hist[0][0])

    def _final_clock_fit(self) -> None:
        """Drift and rate over the whole recording (t_s against host arrival), when it spans >= 2 s."""
        fit = self._timeline.clock_fit(self.settings.max_drift_ppm)
        if fit is not None:
            self.clock_fit = fit
            self.stats.drift_ppm = fit.drift_ppm
            self.stats.rate_hz = self._timeline.host_rate_hz(fit)

    def summary(self) -> dict:
        """What session.json keeps under ``acquisition`` (FORMAT.md): counts, the host-clock
        sample rate (Hz, drift-corrected), and the clock fit ``host_s = host_offset_s + scale * t_s``."""
        st = self.stats
        out = {"packets": st.packets, "samples": st.samples, "lost_packets": st.lost_packets,
               "malformed_packets": st.malformed, "duplicate_packets": st.duplicates,
               "reordered_packets": st.reordered, "late_packets": st.late_packets,
               "dropped_samples": st.dropped_samples, "gaps": st.gaps, "clock_jumps": st.clock_jumps,
               "clock_restarts": st.clock_restarts, "time_shifts": st.time_shifts, "reconnects": st.reconnects,
               "stalls": st.stalls, "device_rate_hz": round(self._timeline.device_rate_hz, 6)}
        if st.battery_pct is not None:
            out["battery_pct"] = st.battery_pct
        if not np.isnan(st.rate_hz):
            out["rate_hz"] = round(st.rate_hz, 6)
        if self.clock_fit is not None:
            out["clock_fit"] = {"device_clock_drift_ppm": round(self.clock_fit.drift_ppm, 3),
                                "host_offset_s": self.clock_fit.offset_s, "scale": self.clock_fit.scale,
                                "median_latency_s": round(self.clock_fit.latency_s, 6)}
        return out

    # ------------------------------------------------------------- supervisor
    async def run(self, stop: asyncio.Event) -> StreamStats:
        """Record until ``stop`` is set; raise `StreamError` after ``max_failures`` failed attempts in a row."""
        writer = asyncio.create_task(self._drain())
        status = asyncio.create_task(self._status_loop(stop)) if self.on_status else None
        device = self.device
        failures = 0
        self._ever_streamed, self._last_streamed = False, self._now_s()
        try:
            while not stop.is_set():
                streamed = False
                try:
                    streamed = await self._connection(device, stop)
                except (BleakError, asyncio.TimeoutError, OSError, StreamError, EOFError) as e:
                    self.stats.last_error = _one_line(e)
                if self._fatal is not None or stop.is_set():
                    break
                failures = 0 if streamed else failures + 1
                if streamed:
                    self._ever_streamed, self._last_streamed = True, self._now_s()
                else:
                    self.stats.failed_attempts += 1
                self._check_give_up(failures)
                # Back off between connection attempts only; then scan until the sensor
                # advertises again, and connect at once (never to a sensor not seen).
                backoff = self.settings.backoff_s[min(failures, len(self.settings.backoff_s) - 1)]
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(stop.wait(), backoff)
                found = None
                while found is None and not stop.is_set():
                    found = await self._find_again(stop)
                    if found is None and not stop.is_set():
                        failures += 1
                        self.stats.failed_attempts += 1
                        self._check_give_up(failures)
                device = found or device
        finally:
            self._queue.put_nowait(None)
            await writer
            self._final_clock_fit()
            if self._fatal is not None:
                raise StreamError(f"{self.device.name or self.device.address}: writing the session failed: "
                                  f"{_one_line(self._fatal)}") from self._fatal
            if status is not None:
                status.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await status
        return self.stats

    def _check_give_up(self, failures: int) -> None:
        limit, outage = self.settings.max_failures, self.settings.max_outage_s
        who = self.device.name or self.device.address
        if not self._ever_streamed and limit is not None and failures >= limit:
            raise StreamError(f"{who}: gave up after {failures} failed connection attempts "
                              f"({self.stats.last_error or 'no data'})")
        gone_s = self._now_s() - self._last_streamed
        if self._ever_streamed and outage is not None and gone_s > outage:
            raise StreamError(f"{who}: gave up after {gone_s:.0f} s without the sensor "
                              f"({self.stats.last_error or 'no data'})")

    async def _status_loop(self, stop: asyncio.Event) -> None:
        while True:
            self.on_status(self.stats)
            await asyncio.sleep(0.5)

    async def _find_again(self, stop: asyncio.Event) -> BLEDevice | None:
        address = self.device.address.upper()
        found: asyncio.Future = asyncio.get_running_loop().create_future()

        def seen(dev: BLEDevice, _adv) -> None:
            if dev.address.upper() == address and not found.done():
                found.set_result(dev)

        kwargs: dict[str, Any] = {"detection_callback": seen}  # registered before the scan starts
        if self.scanner_backend is not None:
            kwargs["backend"] = self.scanner_backend
        if self.settings.bluez_adapter:
            kwargs["bluez"] = {"adapter": self.settings.bluez_adapter}
        stopping = asyncio.ensure_future(stop.wait())
        try:
            async with BleakScanner(**kwargs):
                await asyncio.wait([found, stopping], timeout=self.settings.scan_timeout_s,
                                   return_when=asyncio.FIRST_COMPLETED)
        except (BleakError, OSError) as e:
            self.stats.last_error = _one_line(e)
            return None
        finally:
            stopping.cancel()
        if found.done():
            return found.result()
        if not stop.is_set():
            self.stats.last_error = f"not seen in a {self.settings.scan_timeout_s:g} s scan"
        return None

    async def _connection(self, device: BLEDevice, stop: asyncio.Event) -> bool:
        """One connection: returns True when data arrived on it."""
        lost = asyncio.Event()
        kwargs: dict[str, Any] = {"disconnected_callback": lambda _c: lost.set(),
                                  "timeout": self.settings.connect_timeout_s}
        if self.client_backend is not None:
            kwargs["backend"] = self.client_backend
        if self.settings.bluez_adapter:
            kwargs["bluez"] = {"adapter": self.settings.bluez_adapter}
        client = BleakClient(device, **kwargs)
        connecting = asyncio.ensure_future(client.connect())
        stopping = asyncio.ensure_future(stop.wait())
        await asyncio.wait([connecting, stopping], return_when=asyncio.FIRST_COMPLETED)
        stopping.cancel()
        if not connecting.done():  # stopped while connecting
            connecting.cancel()
            with contextlib.suppress(BaseException):
                await connecting
            with contextlib.suppress(BleakError, asyncio.TimeoutError, OSError):
                await asyncio.wait_for(client.disconnect(), 3.0)
            return False
        connecting.result()
        data_before = self.stats.packets
        try:
            await self._configure(client)
            self.stats.connections += 1
            self._last_data_ns = max(self._last_data_ns, self._clock_ns())
            stall_s = stall_timeout_s(self.profile, self.rate_hz, self.settings.stall_timeout_s)
            stall_ns = int(stall_s * 1e9)
            while not stop.is_set() and not lost.is_set() and self._fatal is None:
                waiters = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(lost.wait()),
                           asyncio.ensure_future(self._writer_failed.wait())]
                await asyncio.wait(waiters, timeout=0.1, return_when=asyncio.FIRST_COMPLETED)
                for w in waiters:
                    w.cancel()
                if (self._clock_ns() - self._last_data_ns > stall_ns and self._queue.empty()
                        and not lost.is_set()):
                    self.stats.stalls += 1
                    self.stats.last_error = f"no data for {stall_s:g} s while connected"
                    break
            return self.stats.packets > data_before or self._queue.qsize() > 0
        finally:
            if client.is_connected and not lost.is_set():
                if stop.is_set() and self.profile.control_uuid:
                    with contextlib.suppress(BleakError, asyncio.TimeoutError, OSError):
                        for cmd in self.profile.stop():
                            await asyncio.wait_for(client.write_gatt_char(
                                self.profile.control_uuid, cmd, response=self.profile.write_with_response), 1.0)
                with contextlib.suppress(BleakError, asyncio.TimeoutError, OSError):
                    await asyncio.wait_for(client.disconnect(), 3.0)
            why = "stopped" if stop.is_set() else "lost" if lost.is_set() else "dropped"
            self._queue.put_nowait((self._clock_ns(), LINK_CHARACTERISTIC, link_payload(f"disconnected:{why}"),
                                    "notify"))

    async def _command(self, client: BleakClient, cmd: bytes) -> None:
        self._queue.put_nowait((self._clock_ns(), self.profile.control_uuid, bytes(cmd), "write"))
        await asyncio.wait_for(client.write_gatt_char(self.profile.control_uuid, cmd,
                                                      response=self.profile.write_with_response),
                               self.settings.command_timeout_s)
        if self.profile.decode_command_response is None:
            await asyncio.sleep(0.1)  # no acknowledgement to wait for; vendor SDKs leave >= 100 ms between writes
            return
        try:
            resp = await asyncio.wait_for(self._control.get(), self.settings.command_timeout_s)
        except asyncio.TimeoutError:
            raise StreamError(f"{self.device.name or self.device.address}: no response to command "
                              f"{cmd[:1].hex()} within {self.settings.command_timeout_s:g} s") from None
        if isinstance(resp, Exception):
            raise StreamError(f"{self.device.name or self.device.address}: {resp}")
        if not resp.ok:
            raise StreamError(f"{self.device.name or self.device.address}: command {cmd[:1].hex()} answered "
                              f"'{resp.message}'")

    async def _configure(self, client: BleakClient):
        """Subscribe, configure, read the info value, start (checking each answer where the device gives one)."""
        p = self.profile
        info = None
        while not self._control.empty():
            self._control.get_nowait()
        # Logged in raw.log before subscribing (some devices stream on subscribe): what
        # follows is a new connection, for the recorder and for `hinge recover` alike.
        self._queue.put_nowait((self._clock_ns(), LINK_CHARACTERISTIC,
                                link_payload("connected", self.rate_hz, _mtu(client)), "notify"))
        for uuid in p.notify_uuids:
            await asyncio.wait_for(client.start_notify(uuid, self._callback(uuid)), self.settings.command_timeout_s)
        if p.control_uuid:
            for cmd in p.configure(self.rate_hz):
                await self._command(client, cmd)
        if p.info_uuid:
            raw = await asyncio.wait_for(client.read_gatt_char(p.info_uuid), self.settings.command_timeout_s)
            self._queue.put_nowait((self._clock_ns(), p.info_uuid, bytes(raw), "read"))
            try:
                info = p.decode_info(bytes(raw))
            except ProtocolError as e:
                raise StreamError(f"{self.device.name or self.device.address}: {e}") from None
            self.rate_hz, self.clock_hz = float(info.rate_hz), float(info.clock_hz)
        if p.control_uuid:
            for cmd in p.start(self.rate_hz):
                await self._command(client, cmd)
        await self._read_battery(client)
        return info

    async def _read_battery(self, client: BleakClient) -> None:
        """Battery level from the standard Battery Service, where the device has one.

        Read once per connection and logged like any read; a device without the service,
        or a bad value, leaves the battery unknown and never stops the recording.
        """
        if client.services.get_characteristic(BATTERY_LEVEL_UUID) is None:
            return
        try:
            raw = bytes(await asyncio.wait_for(client.read_gatt_char(BATTERY_LEVEL_UUID),
                                               self.settings.command_timeout_s))
        except (BleakError, asyncio.TimeoutError):
            return
        self._queue.put_nowait((self._clock_ns(), BATTERY_LEVEL_UUID, raw, "read"))
        with contextlib.suppress(ProtocolError):
            self.stats.battery_pct = decode_battery_level(raw)


async def record_stream(device: BLEDevice, profile: DeviceProfile, sink: SessionSink, stop: asyncio.Event,
                        settings: StreamSettings = StreamSettings(), **kwargs) -> StreamStats:
    """Convenience: `StreamRecorder(...).run(stop)`."""
    return await StreamRecorder(device, profile, sink, settings, **kwargs).run(stop)


def _mtu(client) -> int | None:
    """The connection's ATT MTU, or None where the backend cannot tell (then decoders that
    need it hold a notification until the next one shows whether it was continued)."""
    import warnings

    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            mtu = int(client.mtu_size)
    except Exception:  # noqa: BLE001 - any backend failure means "unknown", never a stop
        return None
    if caught:  # BlueZ without an acquired MTU: bleak warns and guesses 23
        return None
    return mtu if 23 <= mtu <= 517 else None
