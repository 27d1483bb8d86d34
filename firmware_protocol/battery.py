"""The Bluetooth SIG Battery Service (0x180F): one byte, the battery level in percent.

Polar sensors and many DIY boards (and the simulated hinge open sensor) expose it beside
their own service; it is read once per connection and, where the characteristic
notifies, followed as it changes. Devices without it simply show no battery.
"""
from __future__ import annotations

from .errors import ProtocolError

__all__ = ["BATTERY_SERVICE_UUID", "BATTERY_LEVEL_UUID", "decode_battery_level", "encode_battery_level"]

BATTERY_SERVICE_UUID = "0000180f-0000-1000-8000-00805f9b34fb"
BATTERY_LEVEL_UUID = "00002a19-0000-1000-8000-00805f9b34fb"


def decode_battery_level(payload: bytes) -> int:
    """Battery level, % (0-100). Raises ProtocolError on a wrong length or a value > 100."""
    if len(payload) != 1:
        raise ProtocolError("battery", f"level: expected 1 byte, got {len(payload)}")
    if payload[0] > 100:
        raise ProtocolError("battery", f"level: {payload[0]} % is above 100 %")
    return payload[0]


def encode_battery_level(percent: int) -> bytes:
    """One byte, for simulated sensors and DIY firmware tests."""
    if not 0 <= int(percent) <= 100:
        raise ProtocolError("battery", f"level: {percent} % is outside 0-100 %")
    return bytes([int(percent)])
