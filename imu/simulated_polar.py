"""A simulated Polar Verity Sense speaking PMD: control point, separate acc and gyro streams, delta-compressed frames.

Firmware behaviour modelled (`hinge.firmware_protocol.polar_pmd` has the sources):

- control point (read: feature bits; write + indicate): GET SETTINGS answers the rates,
  resolution, ranges and channels on offer; START checks each setting (sample rate 52 Hz
  only, unless SDK mode is on: 26-416 Hz; status 8 "invalid sample rate", 9 "invalid
  range", 6 "already in state") and answers with the FACTOR that scales its compressed
  samples (acc 1.0 mG, gyro 2000/32768 deg/s per count); STOP and SDK mode start/stop.
- acc and gyro stream as two independent PMD streams sampled on one clock: each frame
  is delta-compressed (ACC type 1 in mG, GYRO type 0 in counts of the factor), filled
  until the next sample would not fit the ATT payload (MTU - 3 bytes), sent when that
  next sample exists, and stamped with the u64 ns device time of its last sample. The
  device clock counts ns since 2000-01-01 from a default of 2019-01-01 (never set), as
  an unsynchronised Verity does.

``sent_indices()`` are the samples whose acc *and* gyro went out (what a 6-axis session
can hold); ``sent_indices("acc")`` / ``("gyro")`` are each stream's own.
"""
from __future__ import annotations

import time
from typing import Callable, Iterator

import numpy as np

from hinge.firmware_protocol import ProtocolError, polar_pmd
from hinge.firmware_protocol.samples import DEG_TO_RAD, STANDARD_GRAVITY_MPS2

from .simulated_base import BATTERY_SERVICE, MotionSource, Packet, SimulatedSensor

__all__ = ["SimulatedVeritySense", "GATT_LAYOUT", "GYRO_FACTOR_DPS"]

HEART_RATE_SERVICE_UUID = "0000180d-0000-1000-8000-00805f9b34fb"
GATT_LAYOUT = {polar_pmd.SERVICE_UUID: [(polar_pmd.CONTROL_UUID, ["read", "write", "indicate"]),
                                        (polar_pmd.DATA_UUID, ["notify"])],
               **BATTERY_SERVICE}
GYRO_FACTOR_DPS = 2000.0 / 32768.0   # exact in float32
ACC_RANGES_G = (2, 4, 8, 16)
GYR_RANGES_DPS = (250, 500, 1000, 2000)
CLOCK_DEFAULT_S = 599_616_000        # 2019-01-01T00:00Z in s since 2000-01-01: the clock was never set
BLOCK_SIZE = 32                      # deltas per compressed block
_MG = STANDARD_GRAVITY_MPS2 / 1000.0
_FEATURES = polar_pmd.encode_features(("ppg", "acc", "ppi", "gyro", "mag", "sdk_mode"))


class SimulatedVeritySense(SimulatedSensor):
    """Polar Verity Sense PMD firmware fed by a `MotionSource` (see the module docstring)."""

    gatt = GATT_LAYOUT
    advertised_uuids = (HEART_RATE_SERVICE_UUID,)  # a Verity advertises heart rate, not PMD
    data_uuid = polar_pmd.DATA_UUID
    profile_key = "polar_verity"

    def __init__(self, name: str = "Polar Sense B5A1D2C3", address: str = "F0:0D:51:40:00:31", *,
                 motion: Callable[[float], MotionSource], speed: float = 1.0, clock_ppm: float = 30.0,
                 mtu: int = polar_pmd.MIN_MTU, rssi_dbm: int = -70, clock_origin_s: float = CLOCK_DEFAULT_S,
                 clock_ns: Callable[[], int] = time.monotonic_ns):
        super().__init__(name, address, motion=motion, speed=speed, clock_ppm=clock_ppm, mtu=mtu, rssi_dbm=rssi_dbm,
                         rate_hz=52.0, clock_ns=clock_ns)
        self.clock_origin_ns = int(round(clock_origin_s * 1e9))
        self.sdk_mode = False
        self.ranges = {"acc": 8, "gyro": 2000}
        self.active: set[str] = set()

    def link_lost(self) -> None:
        """Streams stop and SDK mode ends with the connection."""
        super().link_lost()
        self.active.clear()
        self.sdk_mode = False

    def rates_on_offer(self) -> tuple[float, ...]:
        return polar_pmd.VERITY_RATES_HZ if self.sdk_mode else (52.0,)

    # ------------------------------------------------------------------ control point
    def read(self, uuid: str) -> bytes:
        return _FEATURES if uuid.lower() == polar_pmd.CONTROL_UUID else super().read(uuid)

    def write(self, uuid: str, value: bytes) -> None:
        if uuid.lower() != polar_pmd.CONTROL_UUID:
            return
        value = bytes(value)
        op = value[0] if value else 0
        mtype = value[1] if len(value) > 1 else 0
        try:
            cmd = polar_pmd.decode_command(value)
        except ProtocolError as e:
            status = 1 if "op code" in str(e) else 2 if "measurement type" in str(e) else 4
            self.send(polar_pmd.CONTROL_UUID, polar_pmd.encode_control_response(op, mtype, status))
            return
        status, settings = self._execute(cmd)
        self.send(polar_pmd.CONTROL_UUID, polar_pmd.encode_control_response(op, mtype, status, settings))

    def _execute(self, cmd: dict) -> tuple[int, dict | None]:
        kind, op = cmd["kind"], cmd["op"]
        if kind == "sdk_mode":
            if op == "get_settings":
                return 3, None
            if self.active:
                return 12, None  # invalid state: stop the streams first
            self.sdk_mode = op == "start"
            return 0, None
        if kind not in ("acc", "gyro"):
            return 3, None
        ranges = ACC_RANGES_G if kind == "acc" else GYR_RANGES_DPS
        if op == "get_settings":
            return 0, {"sample_rate": tuple(int(r) for r in self.rates_on_offer()), "resolution": (16,),
                       "range": ranges, "channels": (3,)}
        if op == "stop":
            self.active.discard(kind)
            self.remove_stream(kind)
            return 0, None
        s = cmd["settings"]
        if kind in self.active:
            return 6, None
        rate = float(s.get("sample_rate", (0,))[0])
        if rate not in self.rates_on_offer():
            return 8, None
        if s.get("range", (ranges[-1],))[0] not in ranges:
            return 9, None
        if s.get("resolution", (16,))[0] != 16:
            return 7, None
        if self.active and rate != self.rate_hz:
            return 8, None  # both streams run on one rate
        self.set_rate(rate)
        self.ranges[kind] = int(s.get("range", (ranges[-1],))[0])
        self.active.add(kind)
        self.add_stream(self._frames(kind, self.sample_now()))
        return 0, {"factor": (1.0 if kind == "acc" else GYRO_FACTOR_DPS,)}

    # ------------------------------------------------------------------ streaming
    def device_units(self, kind: str, k: int, n: int) -> np.ndarray:
        """Samples k .. k+n-1 as the integers the device compresses: acc in mG, gyro in factor counts."""
        acc, gyr = self.samples(k, n)
        if kind == "acc":
            lim = self.ranges["acc"] * 1000
            return np.clip(np.rint(acc / _MG), -lim, lim).astype(np.int64)
        lim = min(int(self.ranges["gyro"] / GYRO_FACTOR_DPS), 32767)
        return np.clip(np.rint(gyr / DEG_TO_RAD / GYRO_FACTOR_DPS), -lim, lim).astype(np.int64)

    def timestamp_ns(self, k: int) -> int:
        return self.clock_origin_ns + int(round(k * 1e9 / self.rate_hz))

    def _frames(self, kind: str, k0: int) -> Iterator[Packet]:
        k, max_bytes = k0, self.mtu - 3
        while True:
            values = self.device_units(kind, k, polar_pmd.MAX_FRAME_SAMPLES)
            n = polar_pmd.compressed_samples_that_fit(values, max_bytes, BLOCK_SIZE)

            def build(values=values[:n], k=k, n=n) -> bytes:
                return polar_pmd.encode_pmd_frame(values, kind=kind, timestamp_ns=self.timestamp_ns(k + n - 1),
                                                  block_size=BLOCK_SIZE)

            # The frame goes out when the sample that no longer fits exists.
            yield Packet(k + n, polar_pmd.DATA_UUID, build, np.arange(k, k + n), kind)
            k += n

    def sent_indices(self, stream: str | None = None) -> np.ndarray:
        if stream is not None:
            return super().sent_indices(stream)
        return np.intersect1d(super().sent_indices("acc"), super().sent_indices("gyro"))
