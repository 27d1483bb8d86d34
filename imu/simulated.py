"""The simulated sensor: a hinge-open device driven by the body model, plus an in-process bleak backend.

`SimulatedHingeSensor` is the firmware logic of a hinge open profile sensor
(``firmware_protocol/PROTOCOL.md``): info value, CONFIGURE/START/STOP with indicated
responses, data notifications of ``max_samples_per_packet(mtu)`` samples each with a
16-bit sequence and a 32 768 Hz device clock, sent in real time (or ``speed`` times
faster) from body-model sessions. It knows nothing about the transport: a transport
calls `attach(notify)`, `read`, `write` and `link_lost`.

`SimulatedScanner` / `SimulatedClient` are a bleak backend (``backend=`` of
`BleakScanner` / `BleakClient`) that serves the registered simulated sensors inside
the process, so ``hinge record --simulate`` goes through bleak's public API, the same
notification callback, decoder and writer as a real sensor, without Bluetooth and
without any test-only dependency. The tests serve the same sensor through real BlueZ
D-Bus (bluezoo) too.
"""
from __future__ import annotations

import asyncio
import math
import random
import time
from typing import Any, Callable, Protocol

import numpy as np
from bleak.backends.characteristic import BleakGATTCharacteristic
from bleak.backends.client import BaseBleakClient
from bleak.backends.scanner import AdvertisementData, BaseBleakScanner
from bleak.backends.service import BleakGATTService, BleakGATTServiceCollection
from bleak.exc import BleakError

from hinge.firmware_protocol import ProtocolError, hinge_open

__all__ = ["MotionSource", "SimulatedHingeSensor", "SimulatedScanner", "SimulatedClient", "register", "unregister",
           "registered", "GATT_LAYOUT"]

GATT_LAYOUT = {
    hinge_open.SERVICE_UUID: [
        (hinge_open.CONTROL_UUID, ["write", "indicate"]),
        (hinge_open.INFO_UUID, ["read"]),
        (hinge_open.DATA_UUID, ["notify"]),
    ]
}

_STATUS = {"unknown opcode": 1, "invalid length": 2, "unsupported rate": 3, "unsupported range": 4}


class MotionSource(Protocol):
    """Where a simulated sensor's samples come from (e.g. `hinge.analysis.body_model.BodyModelStream`)."""

    def get(self, k0: int, n: int) -> tuple[np.ndarray, np.ndarray]:
        """Specific force (n, 3) m/s^2 and angular rate (n, 3) rad/s of samples k0 .. k0+n-1."""


class SimulatedHingeSensor:
    """A hinge open profile sensor fed by a motion source (the body model in practice).

    ``motion``: called with the configured sample rate, Hz, returns a `MotionSource`;

    ``speed``: device time runs this many times faster than the host clock;
    ``clock_ppm``: the device clock's error (positive = fast), as real crystals have;
    ``mtu``: ATT_MTU of the link (23 = one sample per notification, as BlueZ without
    an exchange); ``clock_start_ticks`` and ``first_sequence`` start the u32 clock and
    the u16 sequence anywhere (e.g. just before they wrap). Test hooks: ``paused`` (stop sending, keep the link), `inject`
    (send arbitrary bytes on the data characteristic), ``sent`` (the sample indices
    sent, in order, one array per notification).
    """

    def __init__(self, name: str = "hinge-51M0", address: str = "F0:0D:51:40:00:01", *,
                 motion: Callable[[float], MotionSource], speed: float = 1.0, clock_ppm: float = 30.0, mtu: int = 23,
                 clock_hz: int = 32768, rssi_dbm: int = -58, clock_start_ticks: int = 0, first_sequence: int = 0):
        self.name, self.address = name, address.upper()
        self.speed, self.clock_ppm, self.mtu, self.clock_hz, self.rssi_dbm = speed, clock_ppm, mtu, clock_hz, rssi_dbm
        self.rate_hz, self.acc_range_g, self.gyr_range_dps, self.gyro, self.max_samples = 100, 16.0, 2000.0, True, 0
        # Built per sample rate; the acquisition layer does not know where motion comes from.
        self._motion = motion
        self._source = motion(self.rate_hz)
        self._power_on = time.monotonic()
        self._notify: Callable[[str, bytes], None] | None = None
        self._task: asyncio.Task | None = None
        self.streaming = False
        self.paused = False
        self.clock_start_ticks = int(clock_start_ticks)
        self.sequence = int(first_sequence) & 0xFFFF
        self.sent: list[np.ndarray] = []
        self.connections = 0

    # ------------------------------------------------------------------ clock
    def _device_s(self, host_s: float) -> float:
        return (host_s - self._power_on) * self.speed * (1.0 + self.clock_ppm * 1e-6)

    def _host_s(self, device_s: float) -> float:
        return self._power_on + device_s / (self.speed * (1.0 + self.clock_ppm * 1e-6))

    @property
    def samples_per_packet(self) -> int:
        fit = hinge_open.max_samples_per_packet(self.mtu, self.gyro)
        return min(fit, self.max_samples) if self.max_samples else fit

    def info(self) -> bytes:
        return hinge_open.encode_info(hinge_open.HingeInfo(
            1, (1, 0, 0), self.clock_hz, int(self.rate_hz), self.acc_range_g, self.gyr_range_dps, self.gyro,
            self.streaming, True, self.samples_per_packet))

    # ------------------------------------------------------------------ transport side
    def attach(self, notify: Callable[[str, bytes], None], drop: Callable[[], None] | None = None) -> None:
        """A central connected; ``notify(uuid, value)`` sends a notification or indication,
        ``drop()`` (optional) breaks the link from the transport's side."""
        self.connections += 1
        self._notify = notify
        self._drop = drop

    def drop_link(self) -> None:
        """Break the link as a supervision timeout would (both sides learn of it)."""
        drop = getattr(self, "_drop", None)
        if drop is not None:
            self._drop = None
            drop()
        else:
            self.link_lost()

    def link_lost(self) -> None:
        """The link dropped: like the firmware, stop streaming and forget the central."""
        self._notify = None
        self._stop_stream()

    def read(self, uuid: str) -> bytes:
        if uuid.lower() == hinge_open.INFO_UUID:
            return self.info()
        return b""

    def write(self, uuid: str, value: bytes) -> None:
        if uuid.lower() != hinge_open.CONTROL_UUID:
            return
        value = bytes(value)
        op = value[0] if value else 0
        try:
            cmd = hinge_open.decode_command(value)
            status = self._execute(cmd)
        except ProtocolError as e:
            text = str(e)
            status = next((code for key, code in _STATUS.items() if key in text), 2)
        if self._notify is not None:
            self._notify(hinge_open.CONTROL_UUID, hinge_open.encode_control_response(op, status))

    def _execute(self, cmd: dict) -> int:
        if cmd["op"] == "configure":
            if self.streaming:
                return 5
            if float(cmd["rate_hz"]) not in hinge_open.RATES_HZ:
                return 3
            if cmd["rate_hz"] != self.rate_hz:
                self._source = self._motion(cmd["rate_hz"])
            self.rate_hz, self.acc_range_g, self.gyr_range_dps = cmd["rate_hz"], cmd["acc_range_g"], cmd["gyr_range_dps"]
            self.gyro, self.max_samples = cmd["gyro"], cmd["max_samples_per_packet"]
            return 0
        if cmd["op"] == "start":
            if not self.streaming:
                self.streaming = True
                self._task = asyncio.get_running_loop().create_task(self._stream())
            return 0
        self._stop_stream()
        return 0

    def _stop_stream(self) -> None:
        self.streaming = False
        if self._task is not None:
            self._task.cancel()
            self._task = None

    def inject(self, value: bytes) -> None:
        """Send raw bytes on the data characteristic (malformed-packet tests)."""
        if self._notify is not None:
            self._notify(hinge_open.DATA_UUID, bytes(value))

    # ------------------------------------------------------------------ streaming
    def packet(self, k0: int, n: int) -> bytes:
        acc, gyr = self._source.get(k0, n)
        ticks = self.clock_start_ticks + int(round(k0 * self.clock_hz / self.rate_hz))
        payload = hinge_open.encode_data(acc, gyr if self.gyro else None, sequence=self.sequence,
                                         t_first_ticks=ticks, acc_range_g=self.acc_range_g,
                                         gyr_range_dps=self.gyr_range_dps)
        self.sequence = (self.sequence + 1) & 0xFFFF
        return payload

    async def _stream(self) -> None:
        """Sends each packet when its last sample exists on the device clock."""
        n = self.samples_per_packet
        k = int(math.ceil(self._device_s(time.monotonic()) * self.rate_hz))
        burst = 0
        while self.streaming:
            due = self._host_s((k + n - 1) / self.rate_hz)
            delay = due - time.monotonic()
            if delay > 0:
                burst = 0
                await asyncio.sleep(delay)
            else:
                burst += 1
                if burst % 20 == 0:
                    await asyncio.sleep(0)
            if not self.streaming or self._notify is None:
                break
            if self.paused:
                k += n  # the device keeps sampling; nothing goes out
                continue
            value = self.packet(k, n)
            self.sent.append(np.arange(k, k + n))
            self._notify(hinge_open.DATA_UUID, value)
            k += n

    def sent_indices(self) -> np.ndarray:
        return np.concatenate(self.sent) if self.sent else np.zeros(0, dtype=np.int64)


# ---------------------------------------------------------------------- in-process bleak backend

_REGISTRY: dict[str, SimulatedHingeSensor] = {}


def register(sensor: SimulatedHingeSensor) -> SimulatedHingeSensor:
    """Make ``sensor`` visible to `SimulatedScanner` and connectable by `SimulatedClient`."""
    _REGISTRY[sensor.address] = sensor
    return sensor


def unregister(sensor: SimulatedHingeSensor) -> None:
    """Switch the sensor off: it stops advertising and its link drops."""
    _REGISTRY.pop(sensor.address, None)
    if hasattr(sensor, "drop_link"):
        sensor.drop_link()
    else:
        sensor.link_lost()


def registered() -> list[SimulatedHingeSensor]:
    return list(_REGISTRY.values())


class SimulatedScanner(BaseBleakScanner):
    """Advertises every registered simulated sensor every 100 ms (RSSI with ±3 dB jitter)."""

    def __init__(self, detection_callback=None, service_uuids=None, scanning_mode="active", **kwargs: Any):
        super().__init__(detection_callback, service_uuids)
        self._task: asyncio.Task | None = None

    async def start(self) -> None:
        self.seen_devices = {}
        self._task = asyncio.get_running_loop().create_task(self._advertise())

    async def _advertise(self) -> None:
        while True:
            for s in list(_REGISTRY.values()):
                uuids = list(getattr(s, "gatt", GATT_LAYOUT))
                if not self.is_allowed_uuid(uuids):
                    continue
                adv = AdvertisementData(s.name, {}, {}, uuids, None, s.rssi_dbm + random.randint(-3, 3), ())
                dev = self.create_or_update_device(s.address, s.address, s.name, s, adv)
                self.call_detection_callbacks(dev, adv)
            await asyncio.sleep(0.1)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            self._task = None


class SimulatedClient(BaseBleakClient):
    """A bleak client backend connected to a registered `SimulatedHingeSensor` (MTU from the sensor).

    Any object with the sensor's transport side (``name``, ``address``, ``mtu``,
    ``rssi_dbm``, `attach`, `read`, `write`, `link_lost`, and optionally a ``gatt``
    layout ``{service_uuid: [(char_uuid, [properties])]}``) can be registered, so tests
    can serve other device profiles the same way.
    """

    def __init__(self, address_or_ble_device, **kwargs: Any):
        super().__init__(address_or_ble_device, disconnected_callback=kwargs.get("disconnected_callback"),
                         timeout=kwargs.get("timeout", 10.0))
        self._sensor: SimulatedHingeSensor | None = None
        self._callbacks: dict[str, Callable[[bytearray], None]] = {}

    @property
    def name(self) -> str:
        return self._sensor.name if self._sensor else self.address

    @property
    def mtu_size(self) -> int:
        return self._sensor.mtu if self._sensor else 23

    @property
    def is_connected(self) -> bool:
        return self._sensor is not None

    async def connect(self, pair: bool = False, **kwargs: Any) -> None:
        sensor = _REGISTRY.get(self.address.upper())
        if sensor is None:
            raise BleakError(f"Device with address {self.address} was not found.")
        await asyncio.sleep(0.005)
        services, handle = BleakGATTServiceCollection(), 0
        for s_uuid, chars in getattr(sensor, "gatt", GATT_LAYOUT).items():
            handle += 1
            svc = BleakGATTService(None, handle, s_uuid)
            services.add_service(svc)
            for c_uuid, props in chars:
                handle += 2
                services.add_characteristic(BleakGATTCharacteristic(None, handle, c_uuid, props,
                                                                    lambda: sensor.mtu - 3, svc))
        self.services, self._sensor = services, sensor
        sensor.attach(self._deliver, self.drop_link)

    def _deliver(self, uuid: str, value: bytes) -> None:
        cb = self._callbacks.get(uuid)
        if cb is not None:
            cb(bytearray(value))

    def drop_link(self) -> None:
        """Simulate a link loss (supervision timeout): both sides learn of it."""
        if self._sensor is not None:
            self._sensor.link_lost()
            self._sensor = None
            self._callbacks.clear()
            if self._disconnected_callback is not None:
                asyncio.get_running_loop().call_soon(self._disconnected_callback)

    async def disconnect(self) -> None:
        self.drop_link()

    async def pair(self, *args: Any, **kwargs: Any) -> None:
        pass

    async def unpair(self) -> None:
        pass

    def _require(self) -> SimulatedHingeSensor:
        if self._sensor is None:
            raise BleakError("Not connected")
        return self._sensor

    async def read_gatt_char(self, characteristic: BleakGATTCharacteristic, **kwargs: Any) -> bytearray:
        return bytearray(self._require().read(characteristic.uuid))

    async def read_gatt_descriptor(self, descriptor, **kwargs: Any) -> bytearray:
        return bytearray()

    async def write_gatt_char(self, characteristic: BleakGATTCharacteristic, data, response: bool) -> None:
        self._require().write(characteristic.uuid, bytes(data))

    async def write_gatt_descriptor(self, descriptor, data) -> None:
        pass

    async def start_notify(self, characteristic: BleakGATTCharacteristic, callback, **kwargs: Any) -> None:
        self._require()
        self._callbacks[characteristic.uuid] = callback

    async def stop_notify(self, characteristic: BleakGATTCharacteristic) -> None:
        self._callbacks.pop(characteristic.uuid, None)
