"""Find supported sensors: a BLE scan whose results are matched against the device profiles."""
from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from bleak import BleakScanner
from bleak.backends.device import BLEDevice

from hinge.errors import HingeInputError
from hinge.firmware_protocol import DeviceProfile, get_profile, profile_for_advertisement

__all__ = ["FoundSensor", "scan", "find_sensor"]


@dataclass(frozen=True)
class FoundSensor:
    """A supported sensor seen in a scan (strongest RSSI of the scan, dBm)."""

    name: str
    address: str
    profile: DeviceProfile
    rssi_dbm: int | None
    device: BLEDevice


async def scan(timeout_s: float = 5.0, *, backend: type | None = None, adapter: str | None = None,
               until=None) -> list[FoundSensor]:
    """Scan for ``timeout_s`` and return the supported sensors, strongest first.

    The detection callback is registered before scanning starts, so the first
    advertisements are not missed. ``until(found_list) -> bool`` ends the scan early.
    """
    found: dict[str, FoundSensor] = {}
    done = asyncio.Event()

    def seen(dev: BLEDevice, adv) -> None:
        name = adv.local_name or dev.name or ""
        profile = profile_for_advertisement(name, adv.service_uuids)
        if profile is None:
            return
        old = found.get(dev.address)
        rssi = adv.rssi if old is None or old.rssi_dbm is None else max(old.rssi_dbm, adv.rssi)
        found[dev.address] = FoundSensor(name or (old.name if old else ""), dev.address, profile, rssi, dev)
        if until is not None and until(list(found.values())):
            done.set()

    kwargs: dict[str, Any] = {"detection_callback": seen}
    if backend is not None:
        kwargs["backend"] = backend
    if adapter:
        kwargs["bluez"] = {"adapter": adapter}
    async with BleakScanner(**kwargs):
        try:
            await asyncio.wait_for(done.wait(), timeout_s)
        except asyncio.TimeoutError:
            pass
    return sorted(found.values(), key=lambda f: -(f.rssi_dbm if f.rssi_dbm is not None else -999))


async def find_sensor(device: str | None = None, profile: str | None = None, timeout_s: float = 5.0, *,
                      backend: type | None = None, adapter: str | None = None) -> FoundSensor:
    """The sensor named by address or name, else the only supported sensor in range.

    Raises `HingeInputError` (one line) when it is not found, or when several are in
    range and none was named.
    """
    want = get_profile(profile) if profile else None
    key = device.upper() if device else None

    def fits(f: FoundSensor) -> bool:
        if want is not None and f.profile.key != want.key:
            return False
        return key is None or f.address.upper() == key or f.name.upper() == key

    found = await scan(timeout_s, backend=backend, adapter=adapter,
                       until=(lambda fs: any(fits(f) for f in fs)) if key else None)
    hits = [f for f in found if fits(f)]
    what = f"'{device}'" if device else "a supported sensor"
    if not hits:
        seen = ", ".join(f"{f.name or '?'} {f.address}" for f in found) or "none"
        raise HingeInputError(f"no {what} found in {timeout_s:g} s (supported sensors seen: {seen}); "
                              "switch it on and bring it closer, or check --device")
    if key is None and len(hits) > 1:
        names = ", ".join(f"{f.name or '?'} {f.address}" for f in hits)
        raise HingeInputError(f"{len(hits)} supported sensors in range ({names}); choose one with --device")
    return hits[0]
