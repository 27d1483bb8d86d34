"""WitMotion BLE 5.0 IMUs (WT901BLECL5.0, BWT901BLECL5.0, WT9011DCL-BT50): 0x55 0x61 frames.

Facts (research notes §1; checked against the sources named there):
- GATT service ``0000ffe5-0000-1000-8000-00805f9a34fb``, notify ``0000ffe4-…``, write
  ``0000ffe9-…``. Note the **non-standard base** ``…-00805f9a34fb`` (the SIG base is
  ``…-00805f9b34fb``): match UUIDs exactly, never by 16-bit alias. Sources:
  `WITMOTION/WitBluetooth_BWT901BLE5_0` (Python SDK ``device_model.py``; Android
  ``BleUUID.java``).
- Default frame: 20 bytes ``55 61`` + nine int16 LE: acc x,y,z, gyro x,y,z, angle
  roll,pitch,yaw. acc[g] = raw/32768·16, gyro[°/s] = raw/32768·2000, angle[°] =
  raw/32768·180. No checksum. Some models (with RTC) append 8 bytes
  ``YY MM DD hh mm ss msL msH``: 28 bytes ("maximum 28 bytes per upload"). [VERIFY] the
  trailer layout is inferred from that sentence plus the serial 0x50 time packet and the
  chip-time registers 0x30-0x33 (YYMM low byte = year, esphome ``witmotion`` header);
  no 28-byte capture was found. Sources:
  WitMotion "Bluetooth 5.0 communication protocol"
  (wit-motion.gitbook.io/witmotion-sdk/ble-5.0-protocol/bluetooth-5.0-communication-protocol);
  WT901BLECL datasheet; an Arduino reader in the code index using the same scale formulas.
- Register read: write ``FF AA 27 <reg> 00``, reply ``55 71 <regL> <regH>`` + 8 int16.
  Datasheet vector ``55 71 3A 00 68 01 69 00 7A 00 …`` → Hx,Hy,Hz = 360, 105, 122.
- Register write ``FF AA <reg> <lo> <hi>``; unlock ``FF AA 69 88 B5``; save ``FF AA 00 00 00``.
  Rate register 0x03: 0x01..0x09 = 0.1, 0.5, 1, 2, 5, 10 (default), 20, 50, 100 Hz. Codes
  above 0x09 conflict between documents (0x0A = 200 Hz in the BLE 5.0 text, 125 Hz in the
  serial table), so this module only offers up to 100 Hz.
- **No sequence counter and no device timestamp** in 0x61 frames: the acquisition layer
  must stamp arrival time and reconstruct from the nominal rate, flagging uncertainty
  (`ctroncozo/witmotion_ble` ``time_handler.py`` does the same and shows the drift).
- Start = enable notifications on FFE4 (no command); stop = disable them.

Nothing here is copied from the vendor SDK; only byte layouts and constants carry over.
"""
from __future__ import annotations

import calendar
import struct
from dataclasses import dataclass

import numpy as np

from .errors import ProtocolError
from .samples import DEG_TO_RAD, STANDARD_GRAVITY_MPS2, ImuSamples

__all__ = [
    "SERVICE_UUID", "NOTIFY_UUID", "WRITE_UUID", "RATE_CODES", "WitMotionFrame", "RegisterReply",
    "decode_witmotion", "decode_witmotion_frame", "decode_witmotion_many", "encode_witmotion",
    "decode_register_reply", "encode_register_reply", "command_unlock", "command_save", "command_set_rate",
    "command_read_register", "configure_commands", "frame_kind", "WitMotionStreamDecoder",
]

DEVICE = "witmotion"
SERVICE_UUID = "0000ffe5-0000-1000-8000-00805f9a34fb"
NOTIFY_UUID = "0000ffe4-0000-1000-8000-00805f9a34fb"
WRITE_UUID = "0000ffe9-0000-1000-8000-00805f9a34fb"

ACC_FULL_SCALE_G = 16.0
GYR_FULL_SCALE_DPS = 2000.0
ANGLE_FULL_SCALE_DEG = 180.0
_ACC_SCALE = ACC_FULL_SCALE_G / 32768.0 * STANDARD_GRAVITY_MPS2
_GYR_SCALE = GYR_FULL_SCALE_DPS / 32768.0 * DEG_TO_RAD
_ANG_SCALE = ANGLE_FULL_SCALE_DEG / 32768.0
RATE_CODES = {0.1: 0x01, 0.5: 0x02, 1.0: 0x03, 2.0: 0x04, 5.0: 0x05, 10.0: 0x06, 20.0: 0x07,
              50.0: 0x08, 100.0: 0x09}
REG_RATE = 0x03
FRAME_SIZES = (20, 28)
_NINE = struct.Struct("<9h")
_TIME = struct.Struct("<6BH")
_DT_61 = np.dtype([("head", "u1", 2), ("v", "<i2", 9)])


def _err(reason: str) -> ProtocolError:
    return ProtocolError(DEVICE, reason)


@dataclass(frozen=True)
class WitMotionFrame:
    """One 0x61 frame in SI units; ``chip_time_s`` only on 28-byte (RTC) frames."""

    acc_mps2: np.ndarray      # (3,)
    gyr_rad_s: np.ndarray     # (3,)
    angle_deg: np.ndarray     # (3,) roll, pitch, yaw from the sensor's own filter
    chip_time_s: float | None  # seconds since 2000-01-01 of the sensor RTC, if sent


def frame_kind(payload: bytes) -> int | None:
    """Flag byte (0x61 data, 0x71 register reply) or None when the header is not 0x55."""
    if len(payload) >= 2 and payload[0] == 0x55:
        return payload[1]
    return None


def _check_61(payload: bytes) -> None:
    n = len(payload)
    if n < 20:
        raise _err(f"notification of {n} bytes is truncated (expected 20 or 28)")
    if n not in FRAME_SIZES:
        raise _err(f"notification of {n} bytes has no 0x61 layout (expected 20 or 28)")
    if payload[0] != 0x55 or payload[1] != 0x61:
        raise _err(f"header {payload[0]:02X} {payload[1]:02X} is not 55 61")


def _chip_time(payload: bytes) -> float:
    yy, mo, dd, hh, mi, ss, ms = _TIME.unpack_from(payload, 20)
    if not (1 <= mo <= 12 and 1 <= dd <= 31 and hh < 24 and mi < 60 and ss < 60 and ms < 1000):
        raise _err(f"chip time {yy:02d}-{mo:02d}-{dd:02d} {hh:02d}:{mi:02d}:{ss:02d}.{ms:03d} is invalid")
    epoch_2000 = 946684800
    return calendar.timegm((2000 + yy, mo, dd, hh, mi, ss, 0, 0, 0)) - epoch_2000 + ms / 1000.0


def decode_witmotion_frame(payload: bytes) -> WitMotionFrame:
    """Decode one 0x61 notification (20 or 28 bytes) including angles and chip time."""
    _check_61(payload)
    v = _NINE.unpack_from(payload, 2)
    return WitMotionFrame(np.array(v[0:3]) * _ACC_SCALE, np.array(v[3:6]) * _GYR_SCALE,
                          np.array(v[6:9]) * _ANG_SCALE, _chip_time(payload) if len(payload) == 28 else None)


def decode_witmotion(payload: bytes) -> ImuSamples:
    """One 0x61 notification → one sample. No counter, no device clock: both stay None."""
    _check_61(payload)
    if len(payload) == 28:
        _chip_time(payload)  # validate the optional time block, so corruption there is caught
    raw = np.frombuffer(payload, dtype="<i2", count=6, offset=2).reshape(1, 6)
    return ImuSamples(acc_mps2=raw[:, :3] * _ACC_SCALE, gyr_rad_s=raw[:, 3:] * _GYR_SCALE)


def decode_witmotion_many(payloads: list[bytes]) -> ImuSamples:
    """Vectorised decode of many 20-byte frames (e.g. a queue drained at once)."""
    for p in payloads:
        if len(p) != 20 or p[0] != 0x55 or p[1] != 0x61:
            _check_61(p)
            raise _err("decode_witmotion_many takes 20-byte frames only; decode 28-byte frames singly")
    if not payloads:
        return ImuSamples(acc_mps2=np.empty((0, 3)), gyr_rad_s=np.empty((0, 3)))
    rec = np.frombuffer(b"".join(payloads), dtype=_DT_61)
    v = rec["v"]
    return ImuSamples(acc_mps2=v[:, 0:3] * _ACC_SCALE, gyr_rad_s=v[:, 3:6] * _GYR_SCALE)


def _q(x, scale) -> list[int]:
    return [int(i) for i in np.clip(np.rint(np.asarray(x, dtype=float) / scale), -32768, 32767)]


def encode_witmotion(acc_mps2, gyr_rad_s, angle_deg=(0.0, 0.0, 0.0), chip_time: tuple | None = None) -> bytes:
    """One 0x61 notification (20 bytes; 28 with ``chip_time=(yy, mo, dd, hh, mi, ss, ms)``).

    Values saturate at full scale (±16 g, ±2000 °/s, ±180°) as the sensor does.
    """
    body = _NINE.pack(*_q(acc_mps2, _ACC_SCALE), *_q(gyr_rad_s, _GYR_SCALE), *_q(angle_deg, _ANG_SCALE))
    out = b"\x55\x61" + body
    if chip_time is not None:
        out += _TIME.pack(*chip_time)
    return out


@dataclass(frozen=True)
class RegisterReply:
    start_register: int
    values: tuple[int, ...]  # 8 signed 16-bit registers from start_register on


def decode_register_reply(payload: bytes) -> RegisterReply:
    """``55 71 <regL> <regH>`` + 8 int16: the reply to `command_read_register`."""
    if len(payload) != 20:
        raise _err(f"register reply of {len(payload)} bytes (expected 20)")
    if payload[0] != 0x55 or payload[1] != 0x71:
        raise _err(f"header {payload[0]:02X} {payload[1]:02X} is not 55 71")
    reg = payload[2] | payload[3] << 8
    if reg > 0xFF:
        raise _err(f"register 0x{reg:04X} out of range (max 0xFF)")
    return RegisterReply(reg, struct.unpack_from("<8h", payload, 4))


def encode_register_reply(start_register: int, values) -> bytes:
    vals = list(values) + [0] * (8 - len(values))
    return struct.pack("<BBH8h", 0x55, 0x71, start_register, *vals)


def command_unlock() -> bytes:
    return bytes([0xFF, 0xAA, 0x69, 0x88, 0xB5])


def command_save() -> bytes:
    """Persist registers to flash. Avoid per session (flash wear); rate is re-applied each connect."""
    return bytes([0xFF, 0xAA, 0x00, 0x00, 0x00])


def command_set_rate(rate_hz: float) -> bytes:
    try:
        code = RATE_CODES[float(rate_hz)]
    except KeyError:
        raise ValueError(f"WitMotion rate {rate_hz} Hz not in {sorted(RATE_CODES)}") from None
    return bytes([0xFF, 0xAA, REG_RATE, code, 0x00])


def command_read_register(register: int) -> bytes:
    if not 0 <= register <= 0xFF:
        raise ValueError(f"register {register} must be 0-255")
    return bytes([0xFF, 0xAA, 0x27, register, 0x00])


def configure_commands(rate_hz: float = 50.0) -> list[bytes]:
    """Unlock, set rate, read the rate back. Leave ≥100 ms between writes (vendor SDKs do)."""
    return [command_unlock(), command_set_rate(rate_hz), command_read_register(REG_RATE)]


class WitMotionStreamDecoder:
    """`feed` → list of `ImuSamples`; register replies are kept in ``last_register_reply``."""

    def __init__(self):
        self.last_register_reply: RegisterReply | None = None

    def feed(self, payload: bytes) -> list[ImuSamples]:
        if frame_kind(payload) == 0x71:
            self.last_register_reply = decode_register_reply(payload)
            return []
        return [decode_witmotion(payload)]

    def flush(self) -> list[ImuSamples]:
        return []
