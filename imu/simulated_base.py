"""What every simulated sensor shares: a device clock, the transport side and a packet scheduler.

A simulated sensor is the firmware logic of one device family fed by a `MotionSource`
(the body model in practice). Subclasses say what they send (`_streams`: one or more
packet streams, e.g. Polar's separate acc and gyro frames) and how they answer writes;
this base sends each packet when its samples exist on the device clock, in real time or
``speed`` times faster, and records what went out (``sent``) so that tests can check
that every sample sent reached the session exactly once.

Transport side (used by `SimulatedClient` in-process and by the BlueZ fake peripheral in
the tests): ``name``, ``address``, ``mtu``, ``rssi_dbm``, ``gatt``, ``advertised_uuids``,
`attach`, `read`, `write`, `link_lost`, `drop_link`.
"""
from __future__ import annotations

import asyncio
import math
import time
from dataclasses import dataclass
from typing import Callable, Iterator, Protocol

import numpy as np

from hinge.firmware_protocol.battery import BATTERY_LEVEL_UUID, BATTERY_SERVICE_UUID, encode_battery_level

__all__ = ["MotionSource", "Packet", "SimulatedSensor"]

# The standard Battery Service as a simulated sensor serves it (read-only level).
BATTERY_SERVICE = {BATTERY_SERVICE_UUID: [(BATTERY_LEVEL_UUID, ["read"])]}


class MotionSource(Protocol):
    """Where a simulated sensor's samples come from (e.g. `hinge.analysis.body_model.BodyModelStream`)."""

    def get(self, k0: int, n: int) -> tuple[np.ndarray, np.ndarray]:
        """Specific force (n, 3) m/s^2 and angular rate (n, 3) rad/s of samples k0 .. k0+n-1."""


@dataclass(frozen=True)
class Packet:
    """One notification a sensor will send.

    ``due_k``: the sample index whose existence on the device clock releases it (the
    last sample it carries, or the first that no longer fits for devices that fill
    frames); ``build()`` makes the bytes (or a list of notifications) at sending time (so a paused sensor does not
    advance its sequence number); ``indices``: the sample indices it carries.
    """

    due_k: int
    uuid: str
    build: Callable[[], bytes]
    indices: np.ndarray
    stream: str = "data"


class SimulatedSensor:
    """Base of the simulated sensors (see the module docstring).

    ``motion``: called with the configured sample rate, Hz, returns a `MotionSource`;
    ``speed``: device time runs this many times faster than the host clock;
    ``clock_ppm``: the device clock's error (positive = fast), as real crystals have;
    ``mtu``: ATT_MTU of the link; ``clock_ns``: the host clock, ns, which the sensor's
    clock is derived from and the packets are scheduled on (a test may pass a virtual
    clock that its event loop also runs on). Test hooks: ``paused`` (stop sending, keep the link
    and keep sampling), `inject` (send arbitrary bytes on the data characteristic),
    ``sent`` (per stream, the sample indices sent, one array per notification).
    """

    gatt: dict[str, list[tuple[str, list[str]]]] = {}
    # Battery level, % (served when ``gatt`` includes BATTERY_SERVICE, as real Polar sensors do).
    battery_pct: int = 87
    advertised_uuids: tuple[str, ...] = ()
    data_uuid: str = ""
    profile_key: str = ""

    def __init__(self, name: str, address: str, *, motion: Callable[[float], MotionSource], speed: float = 1.0,
                 clock_ppm: float = 30.0, mtu: int = 23, rssi_dbm: int = -60, rate_hz: float = 100.0,
                 clock_ns: Callable[[], int] = time.monotonic_ns):
        self.name, self.address = name, address.upper()
        self._clock_ns = clock_ns
        self.speed, self.clock_ppm, self.mtu, self.rssi_dbm = speed, clock_ppm, mtu, rssi_dbm
        self.rate_hz = float(rate_hz)
        self._motion = motion  # built per sample rate; the acquisition layer does not know where motion comes from
        self._source = motion(self.rate_hz)
        self._power_on = self._now_s()
        self._notify: Callable[[str, bytes], None] | None = None
        self._drop: Callable[[], None] | None = None
        self._task: asyncio.Task | None = None
        self._heads: dict[str, tuple[Packet, Iterator[Packet]]] = {}
        self.streaming = False
        self.paused = False
        self.sent: dict[str, list[np.ndarray]] = {}
        self.connections = 0
        # The person starts moving when the first central connects (`hinge record --simulate`
        # records a whole set whatever the time the scan and connection took); otherwise
        # the device clock and the motion run from construction, as a real sensor's do.
        self.power_on_at_connect = False

    # ------------------------------------------------------------------ clock
    def _now_s(self) -> float:
        """Host time, s."""
        return self._clock_ns() / 1e9

    def _device_s(self, host_s: float) -> float:
        return (host_s - self._power_on) * self.speed * (1.0 + self.clock_ppm * 1e-6)

    def _host_s(self, device_s: float) -> float:
        return self._power_on + device_s / (self.speed * (1.0 + self.clock_ppm * 1e-6))

    def sample_host_s(self, k) -> np.ndarray:
        """Host time, s, at which sample(s) ``k`` exist on this sensor's device clock."""
        return self._host_s(np.asarray(k, dtype=float) / self.rate_hz)

    def power_on(self) -> None:
        """Switch the sensor on now: its clock (and the motion source's sample 0) starts here."""
        self.stop_streaming()
        self._power_on = self._now_s()

    def set_rate(self, rate_hz: float) -> None:
        if float(rate_hz) != self.rate_hz:
            self.rate_hz = float(rate_hz)
            self._source = self._motion(self.rate_hz)

    def samples(self, k0: int, n: int) -> tuple[np.ndarray, np.ndarray]:
        """The motion source's samples k0 .. k0+n-1 at the current rate: acc (n, 3) m/s^2, gyr (n, 3) rad/s."""
        return self._source.get(k0, n)

    # ------------------------------------------------------------------ transport side
    def attach(self, notify: Callable[[str, bytes], None], drop: Callable[[], None] | None = None) -> None:
        """A central connected; ``notify(uuid, value)`` sends a notification or indication,
        ``drop()`` (optional) breaks the link from the transport's side."""
        if self.connections == 0 and self.power_on_at_connect:
            self.power_on()
        self.connections += 1
        self._notify = notify
        self._drop = drop

    def drop_link(self) -> None:
        """Break the link as a supervision timeout would (both sides learn of it)."""
        drop = self._drop
        if drop is not None:
            self._drop = None
            drop()
        else:
            self.link_lost()

    def link_lost(self) -> None:
        """The link dropped: like the firmware, stop streaming and forget the central."""
        self._notify = None
        self.stop_streaming()

    def read(self, uuid: str) -> bytes:
        if uuid.lower() == BATTERY_LEVEL_UUID:
            return encode_battery_level(self.battery_pct)
        return b""

    def write(self, uuid: str, value: bytes) -> None:
        pass

    def subscribed(self, uuid: str, enabled: bool) -> None:
        """The central enabled or disabled notifications on ``uuid`` (WitMotion streams on this)."""

    def send(self, uuid: str, value: bytes) -> None:
        if self._notify is not None:
            self._notify(uuid, bytes(value))

    def inject(self, value: bytes) -> None:
        """Send raw bytes on the data characteristic (malformed-packet tests)."""
        self.send(self.data_uuid, value)

    # ------------------------------------------------------------------ streaming
    def sample_now(self) -> int:
        """Index of the next sample on the device clock."""
        return int(math.ceil(self._device_s(self._now_s()) * self.rate_hz))

    def start_streaming(self) -> None:
        """Start every stream of `_streams` from the current sample on."""
        if not self.streaming:
            for s in self._streams(self.sample_now()):
                self.add_stream(s)

    def add_stream(self, stream: Iterator[Packet]) -> None:
        """Start sending one packet stream (keyed by its packets' ``stream`` name) alongside the others."""
        first = next(stream)
        self._heads[first.stream] = (first, stream)
        self.streaming = True
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._stream())

    def remove_stream(self, name: str) -> None:
        self._heads.pop(name, None)
        if not self._heads:
            self.stop_streaming()

    def stop_streaming(self) -> None:
        self.streaming = False
        self._heads.clear()
        if self._task is not None:
            self._task.cancel()
            self._task = None

    def _streams(self, k0: int) -> list[Iterator[Packet]]:
        """Packet streams starting at sample ``k0``, each in order of ``due_k``."""
        raise NotImplementedError

    async def _stream(self) -> None:
        """Sends each packet when its due sample exists on the device clock; streams interleave by due time."""
        burst = 0
        while self.streaming and self._heads:
            name = min(self._heads, key=lambda j: self._heads[j][0].due_k)
            p = self._heads[name][0]
            delay = self._host_s(p.due_k / self.rate_hz) - self._now_s()
            if delay > 0:
                burst = 0
                await asyncio.sleep(delay)
            else:
                burst += 1
                if burst % 20 == 0:
                    await asyncio.sleep(0)
            if not self.streaming or self._notify is None:
                break
            if self._heads.get(name, (None,))[0] is not p:
                continue  # the stream was stopped or restarted while waiting
            self._heads[name] = (next(self._heads[name][1]), self._heads[name][1])
            if self.paused:
                continue  # the device keeps sampling; nothing goes out
            value = p.build()
            self.sent.setdefault(p.stream, []).append(p.indices)
            for v in (value if isinstance(value, list) else [value]):
                self._notify(p.uuid, v)

    def sent_indices(self, stream: str | None = None) -> np.ndarray:
        """Sample indices sent, in order (``stream`` None: the sensor's only or main stream)."""
        parts = self.sent.get(stream or next(iter(self.sent), "data"), [])
        return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)


def chunks(k0: int, n: int, uuid: str, build: Callable[[int, int], bytes], stream: str = "data") -> Iterator[Packet]:
    """Fixed-size packets of ``n`` samples from ``k0`` on, each due when its last sample exists."""
    k = k0
    while True:
        yield Packet(k + n - 1, uuid, (lambda k=k: build(k, n)), np.arange(k, k + n), stream)
        k += n
