"""Any simulated sensor served through BlueZ D-Bus (bluezoo) for end-to-end tests.

A BlueZ GATT server application + LE advertisement written with dbus-fast (a bleak
dependency), registered on the second bluezoo adapter (hci1); bleak's real BlueZ backend
uses hci0 as the central. The GATT layout, advertised name and service UUIDs, firmware
logic and bytes are the simulated sensor's (`hinge.imu.simulated`: hinge open, WitMotion,
Polar Verity Sense, Movesense), the same the in-process simulated backend serves.
"""

import asyncio
import contextlib
import os
import shutil
import subprocess
import sys
import time
from functools import partial
from pathlib import Path

from dbus_fast import BusType, Variant
from dbus_fast.aio import MessageBus
from dbus_fast.constants import PropertyAccess
from dbus_fast.service import ServiceInterface, dbus_property, method

from hinge.analysis.body_model import BodyModelStream
from hinge.imu.simulated import make_simulated_sensor

HERE = Path(__file__).resolve().parent
CENTRAL, PERIPHERAL = "00:11:22:33:44:55", "66:77:88:99:AA:BB"
APP = "/com/hinge/app"
ADV = "/com/hinge/adv0"
DBUS_CONF = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path={sock}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/> <allow own="*"/>
    <allow send_type="method_call"/> <allow send_type="signal"/>
    <allow send_type="method_return"/> <allow send_type="error"/>
    <allow receive_type="method_call"/> <allow receive_type="signal"/>
    <allow receive_type="method_return"/> <allow receive_type="error"/>
  </policy>
</busconfig>
"""


# The advertisement counter rides in service data under this UUID when the sensor advertises
# no service (Movesense); it is in no profile, so it never decides the profile match.
_COUNTER_UUID = "0000fff0-0000-1000-8000-00805f9b34fb"


class _Advertisement(ServiceInterface):
    def __init__(self, name: str, uuids: list[str]):
        super().__init__("org.bluez.LEAdvertisement1")
        self.local_name = name  # not .name: ServiceInterface keeps the interface name there
        self.uuids = list(uuids)
        self.counter = 0

    def bump(self) -> None:
        """bluezoo re-reports a known device only when its advertised data change."""
        self.counter = (self.counter + 1) & 0xFF
        self.emit_properties_changed({"ServiceData": self.ServiceData})

    @dbus_property(access=PropertyAccess.READ)
    def ServiceData(self) -> "a{sv}":  # noqa: F821
        return {(self.uuids or [_COUNTER_UUID])[0]: Variant("ay", bytes([self.counter]))}

    @method()
    def Release(self):
        pass

    @dbus_property(access=PropertyAccess.READ)
    def Type(self) -> "s":  # noqa: F821
        return "peripheral"

    @dbus_property(access=PropertyAccess.READ)
    def ServiceUUIDs(self) -> "as":  # noqa: F821
        return self.uuids

    @dbus_property(access=PropertyAccess.READ)
    def LocalName(self) -> "s":  # noqa: F821
        return self.local_name

    @dbus_property(access=PropertyAccess.READ)
    def Discoverable(self) -> "b":  # noqa: F821
        return True


class _Service(ServiceInterface):
    def __init__(self, uuid: str):
        super().__init__("org.bluez.GattService1")
        self._uuid = uuid

    @dbus_property(access=PropertyAccess.READ)
    def UUID(self) -> "s":  # noqa: F821
        return self._uuid

    @dbus_property(access=PropertyAccess.READ)
    def Primary(self) -> "b":  # noqa: F821
        return True


class _Characteristic(ServiceInterface):
    def __init__(self, owner, uuid: str, service_path: str, flags: list[str]):
        super().__init__("org.bluez.GattCharacteristic1")
        self.owner, self._uuid, self._service, self._flags = owner, uuid, service_path, flags
        self._value = b""
        self.notifying = False

    @method()
    def ReadValue(self, options: "a{sv}") -> "ay":  # noqa: F821
        return self.owner.sensor.read(self._uuid)

    @method()
    def WriteValue(self, value: "ay", options: "a{sv}"):  # noqa: F821
        self.owner.sensor.write(self._uuid, bytes(value))

    @method()
    def StartNotify(self):
        self.notifying = True
        self.owner.sensor.subscribed(self._uuid, True)  # WitMotion streams once notifications are on

    @method()
    def StopNotify(self):
        self.notifying = False
        self.owner.sensor.subscribed(self._uuid, False)
        if self._uuid == self.owner.sensor.data_uuid:
            self.owner.sensor.link_lost()  # the patched bluezoo calls this on disconnect
            self.owner.sensor.attach(self.owner.notify)

    @method()
    def Confirm(self):  # bluezoo calls it after every forwarded notification
        pass

    @dbus_property(access=PropertyAccess.READ)
    def UUID(self) -> "s":  # noqa: F821
        return self._uuid

    @dbus_property(access=PropertyAccess.READ)
    def Service(self) -> "o":  # noqa: F821
        return self._service

    @dbus_property(access=PropertyAccess.READ)
    def Flags(self) -> "as":  # noqa: F821
        return self._flags

    @dbus_property(access=PropertyAccess.READ)
    def Value(self) -> "ay":  # noqa: F821
        return self._value

    def notify(self, value: bytes) -> None:
        self._value = value
        self.emit_properties_changed({"Value": value})


class FakePeripheral:
    """A simulated sensor (`hinge.imu.simulated_base.SimulatedSensor`) behind a BlueZ GATT application on ``adapter``."""

    def __init__(self, sensor, adapter: str = "hci1"):
        self.sensor = sensor
        self.adapter = f"/org/bluez/{adapter}"
        self.bus = None
        self.chars: dict[str, _Characteristic] = {}

    def notify(self, uuid: str, value: bytes) -> None:
        char = self.chars.get(uuid)
        if char is not None and char.notifying:
            char.notify(value)

    async def start(self) -> "FakePeripheral":
        self.bus = await MessageBus(bus_type=BusType.SYSTEM).connect()
        self.adv = _Advertisement(self.sensor.name, self.sensor.advertised_uuids)
        self.bus.export(ADV, self.adv)
        for i, (s_uuid, chars) in enumerate(self.sensor.gatt.items()):
            s_path = f"{APP}/service{i}"
            self.bus.export(s_path, _Service(s_uuid))
            for j, (c_uuid, flags) in enumerate(chars):
                char = _Characteristic(self, c_uuid, s_path, flags)
                self.chars[c_uuid] = char
                self.bus.export(f"{s_path}/char{j}", char)
        intro = await self.bus.introspect("org.bluez", self.adapter)
        obj = self.bus.get_proxy_object("org.bluez", self.adapter, intro)
        await obj.get_interface("org.bluez.GattManager1").call_register_application(APP, {})
        await obj.get_interface("org.bluez.LEAdvertisingManager1").call_register_advertisement(ADV, {})
        self.sensor.attach(self.notify)
        self._adv_task = asyncio.get_running_loop().create_task(self._advertise())
        return self

    async def _advertise(self, period_s: float = 0.05) -> None:
        while True:
            await asyncio.sleep(period_s)
            self.adv.bump()

    async def drop_link(self, central: str = "hci0") -> None:
        """A link loss as the central sees it: Device1.Disconnect on the central's device object."""
        intro = await self.bus.introspect("org.bluez", self.adapter)
        addr = await self.bus.get_proxy_object("org.bluez", self.adapter, intro).get_interface(
            "org.bluez.Adapter1").get_address()
        dev = f"/org/bluez/{central}/dev_" + addr.replace(":", "_")
        intro = await self.bus.introspect("org.bluez", dev)
        await self.bus.get_proxy_object("org.bluez", dev, intro).get_interface("org.bluez.Device1").call_disconnect()

    async def stop(self) -> None:
        self.sensor.link_lost()
        self._adv_task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._adv_task
        if self.bus is not None:
            self.bus.disconnect()


async def _has_owner(name: str) -> bool:
    bus = await MessageBus(bus_type=BusType.SYSTEM).connect()
    try:
        intro = await bus.introspect("org.freedesktop.DBus", "/org/freedesktop/DBus")
        obj = bus.get_proxy_object("org.freedesktop.DBus", "/org/freedesktop/DBus", intro)
        return await obj.get_interface("org.freedesktop.DBus").call_name_has_owner(name)
    finally:
        bus.disconnect()


def start_bluez(tmp_path: Path, monkeypatch, peripherals: int = 1):
    """Private D-Bus 'system' bus + bluezoo (hci0 = central, hci1.. = ``peripherals`` fake peripherals).

    ``monkeypatch``: pytest's, to point DBUS_SYSTEM_BUS_ADDRESS at the private bus for the
    test only; None (a benchmark, its own process) sets it in ``os.environ``.
    Returns a stop function. The caller skips first when ``dbus-daemon`` is missing."""
    sock = tmp_path / "bus.sock"
    (tmp_path / "bus.conf").write_text(DBUS_CONF.format(sock=sock))
    daemon = subprocess.Popen([shutil.which("dbus-daemon"), f"--config-file={tmp_path / 'bus.conf'}", "--nofork"],
                              stderr=subprocess.DEVNULL)
    procs = [daemon]
    log = open(tmp_path / "bluezoo.log", "w")

    def stop():
        for p in reversed(procs):
            p.terminate()
        for p in reversed(procs):
            try:
                p.wait(5)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(5)
        log.close()

    try:
        deadline = time.monotonic() + 10
        while not sock.exists():
            assert daemon.poll() is None, "dbus-daemon died"
            assert time.monotonic() < deadline, "dbus-daemon did not start"
            time.sleep(0.01)
        if monkeypatch is None:
            os.environ["DBUS_SYSTEM_BUS_ADDRESS"] = f"unix:path={sock}"
        else:
            monkeypatch.setenv("DBUS_SYSTEM_BUS_ADDRESS", f"unix:path={sock}")
        addresses = [PERIPHERAL[:-2] + f"{0xBB + i:02X}" for i in range(peripherals)]
        zoo = subprocess.Popen([sys.executable, str(HERE / "bluezoo_launcher.py"), "--scan-interval", "0.2",
                                CENTRAL, *addresses], stdout=log, stderr=subprocess.STDOUT)
        procs.append(zoo)
        while not asyncio.run(_has_owner("org.bluez")):
            assert zoo.poll() is None, (tmp_path / "bluezoo.log").read_text()
            assert time.monotonic() < deadline, "bluezoo did not start"
            time.sleep(0.05)
        time.sleep(0.15)  # adapters are exported right after the name is taken
    except BaseException:
        stop()
        raise
    return stop


FakeHingePeripheral = FakePeripheral  # the name the hinge-open tests use


async def _serve(name: str, speed: float, profile: str = "hinge_open", adapter: str = "hci1",
                 guided_calibration: bool = False) -> None:
    motion = partial(BodyModelStream, guided_calibration=guided_calibration)
    sensor = make_simulated_sensor(profile, motion=motion, name=name, speed=speed)
    periph = await FakePeripheral(sensor, adapter).start()
    print("ready", flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        await periph.stop()


async def _serve_pair(names: tuple[str, str], speed: float, profile: str = "hinge_open",
                      adapters: tuple[str, str] = ("hci1", "hci2"), seed: int = 0,
                      guided_calibration: bool = False) -> None:
    """Two sensors worn by one simulated person (`SharedMotion`: sacrum and T12, one movement
    plan), each on its own adapter and drifting clock (+100 / -100 ppm). Each starts its
    motion when the central connects, as `hinge record --simulate` does. On exit prints one
    line per sensor: ``sent SITE N_SAMPLES N_UNIQUE FIRST LAST`` (sample indices)."""
    from hinge.imu.simulated_pair import SharedMotion

    person = partial(BodyModelStream, seed=seed, guided_calibration=guided_calibration)
    sites = ("sacrum", "T12")
    shared = SharedMotion({site: partial(person, placement=site) for site in sites}, reference=sites[0], speed=speed)
    sensors = [shared.bind(site, make_simulated_sensor(profile, motion=shared.motion(site), name=name, speed=speed,
                                                       clock_ppm=ppm))
               for site, name, ppm in zip(sites, names, (100.0, -100.0))]
    periphs = []
    try:
        for sensor, adapter in zip(sensors, adapters):
            sensor.power_on_at_connect = True
            periphs.append(await FakePeripheral(sensor, adapter).start())
        print("ready", flush=True)
        await asyncio.Event().wait()
    finally:
        for periph in periphs:
            await periph.stop()
        for site, sensor in zip(sites, sensors):
            k = sensor.sent_indices()
            first, last = (int(k[0]), int(k[-1])) if k.size else (-1, -1)
            print(f"sent {site} {k.size} {len(set(k.tolist()))} {first} {last}", flush=True)


if __name__ == "__main__":
    # python fake_peripheral.py NAME SPEED [PROFILE] [--adapter hci1] [--guided-calibration]: serve until terminated
    # --upper NAME2: a pair (sacrum NAME on --adapter, T12 NAME2 on --upper-adapter), one simulated person
    import argparse
    import signal

    parser = argparse.ArgumentParser()
    parser.add_argument("name")
    parser.add_argument("speed", type=float)
    parser.add_argument("profile", nargs="?", default="hinge_open")
    parser.add_argument("--adapter", default="hci1")
    parser.add_argument("--guided-calibration", action="store_true",
                        help="the body model starts with `hinge live`'s guided calibration")
    parser.add_argument("--upper", metavar="NAME2", help="also serve a T12 sensor worn by the same simulated person")
    parser.add_argument("--upper-adapter", default="hci2")
    parser.add_argument("--seed", type=int, default=0, help="body-model seed of the pair")
    a = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    if a.upper:
        asyncio.run(_serve_pair((a.name, a.upper), a.speed, a.profile, (a.adapter, a.upper_adapter), a.seed,
                                a.guided_calibration))
    else:
        asyncio.run(_serve(a.name, a.speed, a.profile, a.adapter, a.guided_calibration))
