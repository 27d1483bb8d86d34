"""Simulated sensors driven by the body model, plus an in-process bleak backend.

One simulated sensor per supported device protocol, all on `simulated_base.SimulatedSensor`
(device clock, ``speed``, transport side, packet scheduler): `SimulatedHingeSensor` here,
`simulated_witmotion.SimulatedWitMotion`, `simulated_polar.SimulatedVeritySense` and
`simulated_movesense.SimulatedMovesense`; `make_simulated_sensor(profile, motion=...)`
builds one by profile key (`SIMULATED_PROFILES`).

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
import random
import time
from typing import Any, Callable

from bleak.backends.characteristic import BleakGATTCharacteristic
from bleak.backends.client import BaseBleakClient
from bleak.backends.scanner import AdvertisementData, BaseBleakScanner
from bleak.backends.service import BleakGATTService, BleakGATTServiceCollection
from bleak.exc import BleakError

from hinge.firmware_protocol import ProtocolError, hinge_open

from .simulated_base import BATTERY_SERVICE, MotionSource, SimulatedSensor, chunks

__all__ = ["MotionSource", "SimulatedSensor", "SimulatedHingeSensor", "SimulatedScanner", "SimulatedClient", "register", "unregister",
           "registered", "GATT_LAYOUT", "SIMULATED_PROFILES", "make_simulated_sensor"]

GATT_LAYOUT = {
    hinge_open.SERVICE_UUID: [
        (hinge_open.CONTROL_UUID, ["write", "indicate"]),
        (hinge_open.INFO_UUID, ["read"]),
        (hinge_open.DATA_UUID, ["notify"]),
    ],
    **BATTERY_SERVICE,
}

_STATUS = {"unknown opcode": 1, "invalid length": 2, "unsupported rate": 3, "unsupported range": 4}


class SimulatedHingeSensor(SimulatedSensor):
    """A hinge open profile sensor fed by a motion source (the body model in practice).

    ``motion``: called with the configured sample rate, Hz, returns a `MotionSource`;
    ``speed``: device time runs this many times faster than the host clock;
    ``clock_ppm``: the device clock's error (positive = fast), as real crystals have;
    ``mtu``: ATT_MTU of the link (23 = one sample per notification, as BlueZ without
    an exchange); ``clock_start_ticks`` and ``first_sequence`` start the u32 clock and
    the u16 sequence anywhere (e.g. just before they wrap). Test hooks: ``paused`` (stop sending, keep the link), `inject`
    (send arbitrary bytes on the data characteristic), `sent_indices` (the sample indices
    sent, in order).
    """

    gatt = GATT_LAYOUT
    advertised_uuids = (hinge_open.SERVICE_UUID,)
    data_uuid = hinge_open.DATA_UUID
    profile_key = "hinge_open"

    def __init__(self, name: str = "hinge-51M0", address: str = "F0:0D:51:40:00:01", *,
                 motion: Callable[[float], MotionSource], speed: float = 1.0, clock_ppm: float = 30.0, mtu: int = 23,
                 clock_hz: int = 32768, rssi_dbm: int = -58, clock_start_ticks: int = 0, first_sequence: int = 0,
                 clock_ns: Callable[[], int] = time.monotonic_ns):
        super().__init__(name, address, motion=motion, speed=speed, clock_ppm=clock_ppm, mtu=mtu, rssi_dbm=rssi_dbm,
                         rate_hz=100.0, clock_ns=clock_ns)
        self.clock_hz = clock_hz
        self.acc_range_g, self.gyr_range_dps, self.gyro, self.max_samples = 16.0, 2000.0, True, 0
        self.clock_start_ticks = int(clock_start_ticks)
        self.sequence = int(first_sequence) & 0xFFFF

    @property
    def samples_per_packet(self) -> int:
        fit = hinge_open.max_samples_per_packet(self.mtu, self.gyro)
        return min(fit, self.max_samples) if self.max_samples else fit

    def info(self) -> bytes:
        return hinge_open.encode_info(hinge_open.HingeInfo(
            1, (1, 0, 0), self.clock_hz, int(self.rate_hz), self.acc_range_g, self.gyr_range_dps, self.gyro,
            self.streaming, True, self.samples_per_packet))

    # ------------------------------------------------------------------ transport side
    def read(self, uuid: str) -> bytes:
        if uuid.lower() == hinge_open.INFO_UUID:
            return self.info()
        return super().read(uuid)

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
        self.send(hinge_open.CONTROL_UUID, hinge_open.encode_control_response(op, status))

    def _execute(self, cmd: dict) -> int:
        if cmd["op"] == "configure":
            if self.streaming:
                return 5
            if float(cmd["rate_hz"]) not in hinge_open.RATES_HZ:
                return 3
            self.set_rate(cmd["rate_hz"])
            self.acc_range_g, self.gyr_range_dps = cmd["acc_range_g"], cmd["gyr_range_dps"]
            self.gyro, self.max_samples = cmd["gyro"], cmd["max_samples_per_packet"]
            return 0
        if cmd["op"] == "start":
            self.start_streaming()
            return 0
        self.stop_streaming()
        return 0

    # ------------------------------------------------------------------ streaming
    def packet(self, k0: int, n: int) -> bytes:
        acc, gyr = self.samples(k0, n)
        ticks = self.clock_start_ticks + int(round(k0 * self.clock_hz / self.rate_hz))
        payload = hinge_open.encode_data(acc, gyr if self.gyro else None, sequence=self.sequence,
                                         t_first_ticks=ticks, acc_range_g=self.acc_range_g,
                                         gyr_range_dps=self.gyr_range_dps)
        self.sequence = (self.sequence + 1) & 0xFFFF
        return payload

    def _streams(self, k0: int):
        return [chunks(k0, self.samples_per_packet, hinge_open.DATA_UUID, self.packet)]


def _sensor_classes() -> dict[str, type]:
    from .simulated_movesense import SimulatedMovesense
    from .simulated_polar import SimulatedVeritySense
    from .simulated_witmotion import SimulatedWitMotion

    return {"hinge_open": SimulatedHingeSensor, "witmotion": SimulatedWitMotion,
            "polar_verity": SimulatedVeritySense, "movesense": SimulatedMovesense}


# Profiles with a simulated sensor (the Polar H10 has no gyroscope, which the analysis needs).
SIMULATED_PROFILES = ("hinge_open", "witmotion", "polar_verity", "movesense")


def make_simulated_sensor(profile: str, *, motion: Callable[[float], MotionSource], name: str | None = None,
                          address: str | None = None, **kwargs: Any) -> SimulatedSensor:
    """A simulated sensor speaking ``profile``'s protocol (default name and address per profile).

    ``kwargs`` go to the sensor (``speed``, ``clock_ppm``, ``mtu``, ...). Raises KeyError
    for a profile without a simulated sensor.
    """
    classes = _sensor_classes()
    if profile not in classes:
        raise KeyError(f"no simulated sensor for profile {profile!r}; simulated: {', '.join(SIMULATED_PROFILES)}")
    named = {k: v for k, v in (("name", name), ("address", address)) if v is not None}
    return classes[profile](motion=motion, **named, **kwargs)


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
                uuids = getattr(s, "advertised_uuids", None)
                uuids = list(getattr(s, "gatt", GATT_LAYOUT) if uuids is None else uuids)
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
        sensor = self._require()
        self._callbacks[characteristic.uuid] = callback
        if hasattr(sensor, "subscribed"):
            sensor.subscribed(characteristic.uuid, True)

    async def stop_notify(self, characteristic: BleakGATTCharacteristic) -> None:
        self._callbacks.pop(characteristic.uuid, None)
        if self._sensor is not None and hasattr(self._sensor, "subscribed"):
            self._sensor.subscribed(characteristic.uuid, False)
