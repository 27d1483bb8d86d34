"""A simulated Movesense sensor speaking the GATT SensorData Protocol (GSP): HELLO, SUBSCRIBE /Meas/IMU6|IMU9/<rate>.

Firmware behaviour modelled (`hinge.firmware_protocol.movesense` has the sources):
every command is answered with a command-result notification (status 200, or 404 for
an unknown path); a subscription streams DATA notifications of a firmware-chosen
number of samples (8 at 104 Hz, more at higher rates), each with the u32 millisecond
device time of its first sample; a response that does not fit the MTU is split into
DATA + DATA_PART2. UNSUBSCRIBE (or the link dropping) stops the stream.
"""
from __future__ import annotations

import time
from typing import Callable

from hinge.firmware_protocol import ProtocolError, movesense

from .simulated_base import MotionSource, SimulatedSensor, chunks

__all__ = ["SimulatedMovesense", "GATT_LAYOUT"]

GATT_LAYOUT = {movesense.SERVICE_UUID: [(movesense.WRITE_UUID, ["write", "write-without-response"]),
                                        (movesense.NOTIFY_UUID, ["notify"])]}


class SimulatedMovesense(SimulatedSensor):
    """Movesense firmware fed by a `MotionSource` (``sent_indices()``: sample indices sent)."""

    gatt = GATT_LAYOUT
    advertised_uuids = ()  # GSP is not advertised: the name is "Movesense <serial>"
    data_uuid = movesense.NOTIFY_UUID
    profile_key = "movesense"

    def __init__(self, name: str = "Movesense 204730000081", address: str = "F0:0D:51:40:00:41", *,
                 motion: Callable[[float], MotionSource], speed: float = 1.0, clock_ppm: float = 30.0,
                 mtu: int = 247, rssi_dbm: int = -72, clock_start_ms: int = 0,
                 clock_ns: Callable[[], int] = time.monotonic_ns):
        super().__init__(name, address, motion=motion, speed=speed, clock_ppm=clock_ppm, mtu=mtu, rssi_dbm=rssi_dbm,
                         rate_hz=104.0, clock_ns=clock_ns)
        self.clock_start_ms = int(clock_start_ms)
        self.kind, self.ref = "IMU6", movesense.DEFAULT_REF

    @property
    def samples_per_notification(self) -> int:
        """8 at 104 Hz and below, proportionally more above; at most what two notifications hold."""
        block = 12 * movesense.ARRAYS[self.kind]
        fit = (2 * (self.mtu - 3) - 2 * 2 - 4) // block
        return max(1, min(8 * max(1, int(self.rate_hz // 104)), fit))

    def write(self, uuid: str, value: bytes) -> None:
        if uuid.lower() != movesense.WRITE_UUID:
            return
        try:
            cmd = movesense.decode_command(bytes(value))
        except ProtocolError:
            return  # GSP has no way to answer a command it cannot parse
        status = 200
        if cmd["cmd"] == movesense.CMD_SUBSCRIBE:
            try:
                kind, rate = movesense.parse_path(cmd["path"])
                if rate not in movesense.RATES_HZ or kind == "Gyro":  # Gyro alone is not simulated
                    raise ProtocolError("movesense", f"{kind} at {rate:g} Hz")
            except ProtocolError:
                status = 404
            else:
                self.stop_streaming()
                self.kind, self.ref = kind, cmd["ref"]
                self.set_rate(rate)
                self.start_streaming()
        elif cmd["cmd"] == movesense.CMD_UNSUBSCRIBE:
            self.stop_streaming()
        self.send(movesense.NOTIFY_UUID, movesense.encode_command_result(cmd["ref"], status))

    def packet(self, k: int, n: int) -> list[bytes]:
        acc, gyr = self.samples(k, n)
        ts_ms = self.clock_start_ms + int(round(k * 1000.0 / self.rate_hz))
        magn = None if self.kind != "IMU9" else 0.0 * acc + (20.0, 0.0, -40.0)
        return movesense.encode_movesense(acc, gyr if self.kind != "Acc" else None, timestamp_ms=ts_ms,
                                          ref=self.ref, magn_ut=magn, max_payload=self.mtu - 3)

    def _streams(self, k0: int):
        return [chunks(k0, self.samples_per_notification, movesense.NOTIFY_UUID, self.packet)]
