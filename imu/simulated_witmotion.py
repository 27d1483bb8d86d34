"""A simulated WitMotion BLE 5.0 sensor (WT901BLECL5.0 family): 20-byte 0x61 frames, no counter, no clock.

Firmware behaviour modelled (`hinge.firmware_protocol.witmotion` has the sources):
streaming starts when the central enables notifications on FFE4 and stops when it
disables them; one sample per notification at the rate in register 0x03 (the rate the
unit was left at, ``rate_hz``; a rate write takes effect at once); ``FF AA 27 <reg> 00``
is answered with a ``55 71`` register reply. The frame carries acc, gyro and the
sensor's own Euler angles (here roll and pitch from gravity, yaw 0); nothing tells the
host when a sample was taken or that one was lost.
"""
from __future__ import annotations

import math
import time
from typing import Callable

import numpy as np

from hinge.firmware_protocol import witmotion

from .simulated_base import MotionSource, SimulatedSensor, chunks

__all__ = ["SimulatedWitMotion", "GATT_LAYOUT"]

GATT_LAYOUT = {witmotion.SERVICE_UUID: [(witmotion.NOTIFY_UUID, ["notify"]),
                                        (witmotion.WRITE_UUID, ["write-without-response", "write"])]}
_CODE_RATE = {code: rate for rate, code in witmotion.RATE_CODES.items()}


class SimulatedWitMotion(SimulatedSensor):
    """WitMotion BLE 5.0 firmware fed by a `MotionSource` (``sent_indices()``: sample indices sent)."""

    gatt = GATT_LAYOUT
    advertised_uuids = (witmotion.SERVICE_UUID,)
    data_uuid = witmotion.NOTIFY_UUID
    profile_key = "witmotion"

    def __init__(self, name: str = "WT901BLE67", address: str = "F0:0D:51:40:00:21", *,
                 motion: Callable[[float], MotionSource], speed: float = 1.0, clock_ppm: float = 30.0,
                 rssi_dbm: int = -66, rate_hz: float = 100.0,
                 clock_ns: Callable[[], int] = time.monotonic_ns):
        super().__init__(name, address, motion=motion, speed=speed, clock_ppm=clock_ppm, mtu=23, rssi_dbm=rssi_dbm,
                         rate_hz=rate_hz, clock_ns=clock_ns)
        self.unlocked = False
        self.registers = {witmotion.REG_RATE: witmotion.RATE_CODES[self.rate_hz]}
        self.writes: list[bytes] = []

    def subscribed(self, uuid: str, enabled: bool) -> None:
        if uuid.lower() != witmotion.NOTIFY_UUID:
            return
        if enabled:
            self.start_streaming()
        else:
            self.stop_streaming()

    def write(self, uuid: str, value: bytes) -> None:
        if uuid.lower() != witmotion.WRITE_UUID:
            return
        value = bytes(value)
        self.writes.append(value)
        if len(value) != 5 or value[:2] != b"\xff\xaa":
            return  # the firmware ignores what it does not understand
        reg, lo, hi = value[2], value[3], value[4]
        if reg == 0x69:
            self.unlocked = (lo, hi) == (0x88, 0xB5)
        elif reg == 0x27:
            vals = [self.registers.get(lo + i, 0) for i in range(8)]
            self.send(witmotion.NOTIFY_UUID, witmotion.encode_register_reply(lo, vals))
        elif reg == witmotion.REG_RATE and self.unlocked and lo in _CODE_RATE:
            self.registers[reg] = lo
            rate = _CODE_RATE[lo]
            if rate != self.rate_hz:
                streaming = self.streaming
                self.stop_streaming()
                self.set_rate(rate)
                if streaming:
                    self.start_streaming()

    def frame(self, k: int, n: int = 1) -> bytes:
        acc, gyr = self.samples(k, 1)
        a = acc[0]
        angles = (math.degrees(math.atan2(a[1], a[2])), math.degrees(math.atan2(-a[0], math.hypot(a[1], a[2]))), 0.0)
        return witmotion.encode_witmotion(a, gyr[0], angles)

    def _streams(self, k0: int):
        return [chunks(k0, 1, witmotion.NOTIFY_UUID, self.frame)]

    def sent_values(self) -> tuple[np.ndarray, np.ndarray]:
        """Acc (n, 3) m/s^2 and gyro (n, 3) rad/s of the samples sent, as the frames quantised them."""
        k = self.sent_indices()
        acc, gyr = self.samples(0, int(k.max()) + 1) if k.size else (np.zeros((0, 3)), np.zeros((0, 3)))
        dec = witmotion.decode_witmotion_many([witmotion.encode_witmotion(a, g) for a, g in zip(acc[k], gyr[k])])
        return dec.acc_mps2, dec.gyr_rad_s
