"""hinge open profile v1: a GATT protocol for DIY IMU firmware (nRF52840, ESP32 + any 6-axis IMU).

Why our own profile: no Bluetooth SIG service streams raw accelerometer + gyroscope (the
GATT Specification Supplement only has single-sample characteristics such as Acceleration
– 3D 0x2C1D and Precise Acceleration – 3D 0x2C1E, without timestamp or sequence), and the
hobby sketches in the wild use per-axis float characteristics, squatted 16-bit UUIDs or
ASCII (research notes §6, §8). Commodity devices lack what gap detection needs: WitMotion
has neither counter nor clock. This profile adds both, and doubles as the wire format of
the simulated sensor.

The full specification, with byte tables, is ``PROTOCOL.md`` next to this file; the
portable C encoder for firmware is ``c/hinge_protocol.h``; shared vectors are
``vectors/hinge_open_v1.json`` (the tests check that Python and C produce and read the
same bytes).

Design facts relied on (sources):
- ATT_MTU default 23 → 20-byte notification payload; the largest attribute value is 512
  bytes (Bluetooth Core Spec v5.x, Vol 3 Part F §3.2.9 and §3.4.2; bleak docs on
  ``max_write_without_response_size`` and MTU on BlueZ/Windows, `hbldh/bleak#1497`).
  An 8-byte header + one 12-byte sample fills exactly 20 bytes; MTU 247 (the usual
  nRF52/ESP32 maximum with data length extension) gives 19 samples per notification.
- BLE link-layer packets carry a CRC-24 and are acknowledged/retransmitted, so a payload
  checksum is not added; what *is* lost is whole notifications (BlueZ under load,
  `hbldh/bleak#1343`), which the 16-bit sequence number exposes.

Nothing here is copied from other code; layout and numbers are our own design.
"""
from __future__ import annotations

import struct
from dataclasses import dataclass

import numpy as np

from .errors import ProtocolError
from .samples import DEG_TO_RAD, STANDARD_GRAVITY_MPS2, ImuSamples

__all__ = [
    "SERVICE_UUID", "CONTROL_UUID", "INFO_UUID", "DATA_UUID", "PROTOCOL_VERSION",
    "ACC_RANGES_G", "GYR_RANGES_DPS", "RATES_HZ", "HEADER_SIZE", "MAX_PAYLOAD",
    "HingeInfo", "ControlResponse", "CONTROL_STATUS",
    "decode_data", "decode_data_raw", "full_scale_samples", "encode_data", "encode_data_raw", "max_samples_per_packet",
    "decode_info", "encode_info", "command_start", "command_stop", "command_configure",
    "decode_command", "decode_control_response", "encode_control_response", "config_byte",
    "HingeStreamDecoder",
]

DEVICE = "hinge_open"
_BASE = "-eead-43c0-8098-a706cd7ed5fc"
SERVICE_UUID = "ac670001" + _BASE
CONTROL_UUID = "ac670002" + _BASE  # write (with response) + indicate
INFO_UUID = "ac670003" + _BASE     # read
DATA_UUID = "ac670004" + _BASE     # notify

PROTOCOL_VERSION = 1
HEADER_SIZE = 8
MAX_PAYLOAD = 512  # largest ATT attribute value
ACC_RANGES_G = (2.0, 4.0, 8.0, 16.0)                     # code 0..3
GYR_RANGES_DPS = (125.0, 250.0, 500.0, 1000.0, 2000.0)   # code 0..4
RATES_HZ = (25.0, 50.0, 100.0, 200.0, 400.0)

_ACC_SCALE = tuple(r / 32768.0 * STANDARD_GRAVITY_MPS2 for r in ACC_RANGES_G)
_GYR_SCALE = tuple(r / 32768.0 * DEG_TO_RAD for r in GYR_RANGES_DPS)
_HDR = struct.Struct("<BBHI")
_INFO = struct.Struct("<BBBBIHBBBBH")
INFO_SIZE = _INFO.size  # 16

OP_START, OP_STOP, OP_CONFIGURE = 0x01, 0x02, 0x03
RESPONSE_CODE = 0x80
CONTROL_STATUS = {0: "success", 1: "unknown opcode", 2: "invalid length", 3: "unsupported rate",
                  4: "unsupported range", 5: "invalid state"}


def _err(reason: str) -> ProtocolError:
    return ProtocolError(DEVICE, reason)


# --------------------------------------------------------------------------- data

def config_byte(acc_code: int, gyr_code: int, has_gyro: bool, overflow: bool = False) -> int:
    """Byte 1 of a data notification (and byte 10 of the info value)."""
    if not 0 <= acc_code < len(ACC_RANGES_G) or not 0 <= gyr_code < len(GYR_RANGES_DPS):
        raise ValueError(f"range codes acc={acc_code}, gyr={gyr_code} out of table")
    return acc_code | (gyr_code << 2) | (0x20 if has_gyro else 0) | (0x40 if overflow else 0)


def _parse_config(config: int) -> tuple[int, int, bool, bool]:
    if config & 0x80:
        raise _err(f"config byte 0x{config:02X} has reserved bit 7 set")
    gyr_code = (config >> 2) & 0x07
    if gyr_code >= len(GYR_RANGES_DPS):
        raise _err(f"gyro range code {gyr_code} in config byte 0x{config:02X} is reserved (expected 0-4)")
    return config & 0x03, gyr_code, bool(config & 0x20), bool(config & 0x40)


def _parse_header(payload: bytes):
    n_bytes = len(payload)
    if n_bytes < HEADER_SIZE:
        raise _err(f"notification of {n_bytes} bytes is truncated (header needs {HEADER_SIZE})")
    if n_bytes > MAX_PAYLOAD:
        raise _err(f"notification of {n_bytes} bytes is oversize (max {MAX_PAYLOAD})")
    version, config, seq, t_first = _HDR.unpack_from(payload)
    if version != PROTOCOL_VERSION:
        raise _err(f"version byte {version} is not {PROTOCOL_VERSION}")
    acc_code, gyr_code, has_gyro, overflow = _parse_config(config)
    stride = 12 if has_gyro else 6
    body = n_bytes - HEADER_SIZE
    if body == 0 or body % stride:
        raise _err(f"body of {body} bytes is not a positive multiple of the {stride}-byte sample")
    return acc_code, gyr_code, has_gyro, overflow, seq, t_first, stride


def decode_data_raw(payload: bytes) -> dict:
    """Header fields and the raw int16 samples ((n, 3) or (n, 6)) of a data notification."""
    acc_code, gyr_code, has_gyro, overflow, seq, t_first, stride = _parse_header(payload)
    raw = np.frombuffer(payload, dtype="<i2", offset=HEADER_SIZE).reshape(-1, stride // 2)
    return {"acc_code": acc_code, "gyr_code": gyr_code, "has_gyro": has_gyro, "overflow": overflow,
            "sequence": seq, "t_first_ticks": t_first, "raw": raw}


def full_scale_samples(payload: bytes) -> np.ndarray:
    """(n,) bool: samples of a data notification with a raw int16 at -32768 or 32767 on any
    axis, where the sensor clips (``ProtocolError`` on bad bytes, as `decode_data_raw`)."""
    raw = decode_data_raw(payload)["raw"]
    return ((raw == -32768) | (raw == 32767)).any(axis=1)


def decode_data(payload: bytes, *, sample_rate_hz: float, clock_hz: float) -> ImuSamples:
    """Decode one data notification.

    ``sample_rate_hz`` and ``clock_hz`` come from the info characteristic
    (`decode_info`). Sample i is stamped ``t_first/clock_hz + i/sample_rate_hz``; the
    first is exact, the rest assume the nominal rate (the acquisition layer can refine
    the rate from consecutive packets). The u32 tick counter wraps; unwrap it upstream.

    Raises `ProtocolError` for truncated, oversize, wrong-version or malformed packets.
    """
    acc_code, gyr_code, has_gyro, overflow, seq, t_first, stride = _parse_header(payload)
    raw = np.frombuffer(payload, dtype="<i2", offset=HEADER_SIZE).reshape(-1, stride // 2)
    acc = raw[:, :3] * _ACC_SCALE[acc_code]
    gyr = raw[:, 3:] * _GYR_SCALE[gyr_code] if has_gyro else None
    t0 = t_first / clock_hz
    ts = t0 + np.arange(raw.shape[0]) * (1.0 / sample_rate_hz)
    return ImuSamples(acc_mps2=acc, gyr_rad_s=gyr, timestamp_s=ts, sequence=seq,
                      packet_time_s=t0, overflow=overflow)


def max_samples_per_packet(att_mtu: int, has_gyro: bool = True) -> int:
    """Samples that fit one notification at this ATT_MTU (payload = MTU − 3, at most 512)."""
    payload = min(att_mtu - 3, MAX_PAYLOAD)
    return max(0, (payload - HEADER_SIZE) // (12 if has_gyro else 6))


def encode_data_raw(raw: np.ndarray, *, sequence: int, t_first_ticks: int, acc_code: int,
                    gyr_code: int = 4, overflow: bool = False) -> bytes:
    """Bytes of one notification from raw int16 samples ((n, 6) with gyro, (n, 3) without)."""
    raw = np.asarray(raw)
    if raw.ndim != 2 or raw.shape[1] not in (3, 6) or raw.shape[0] < 1:
        raise ValueError(f"raw samples must be (n>=1, 3 or 6), got {raw.shape}")
    has_gyro = raw.shape[1] == 6
    if raw.min() < -32768 or raw.max() > 32767:
        raise ValueError("raw samples must fit int16")
    if HEADER_SIZE + raw.size * 2 > MAX_PAYLOAD:
        raise ValueError(f"{raw.shape[0]} samples exceed the {MAX_PAYLOAD}-byte maximum payload")
    head = _HDR.pack(PROTOCOL_VERSION, config_byte(acc_code, gyr_code, has_gyro, overflow),
                     sequence & 0xFFFF, t_first_ticks & 0xFFFFFFFF)
    return head + np.ascontiguousarray(raw, dtype="<i2").tobytes()


def _code_for(value: float, table: tuple[float, ...], what: str) -> int:
    try:
        return table.index(float(value))
    except ValueError:
        raise ValueError(f"{what} {value} not in {table}") from None


def encode_data(acc_mps2: np.ndarray, gyr_rad_s: np.ndarray | None = None, *, sequence: int,
                t_first_ticks: int, acc_range_g: float = 16.0, gyr_range_dps: float = 2000.0,
                overflow: bool = False) -> bytes:
    """Quantise SI samples (saturating at full scale, as a sensor does) into one notification."""
    acc_code = _code_for(acc_range_g, ACC_RANGES_G, "acc_range_g")
    gyr_code = _code_for(gyr_range_dps, GYR_RANGES_DPS, "gyr_range_dps")
    cols = [np.asarray(acc_mps2, dtype=float) / _ACC_SCALE[acc_code]]
    if gyr_rad_s is not None:
        cols.append(np.asarray(gyr_rad_s, dtype=float) / _GYR_SCALE[gyr_code])
    raw = np.clip(np.rint(np.hstack(cols)), -32768, 32767).astype("<i2")
    return encode_data_raw(raw, sequence=sequence, t_first_ticks=t_first_ticks, acc_code=acc_code,
                           gyr_code=gyr_code, overflow=overflow)


# --------------------------------------------------------------------------- info

@dataclass(frozen=True)
class HingeInfo:
    """The 16-byte value of the info characteristic."""

    protocol_version: int
    firmware_version: tuple[int, int, int]
    clock_hz: int
    rate_hz: int
    acc_range_g: float
    gyr_range_dps: float
    has_gyro: bool
    streaming: bool
    gyro_available: bool
    max_samples_per_packet: int


def decode_info(payload: bytes) -> HingeInfo:
    """Decode the info characteristic (16 bytes)."""
    if len(payload) != INFO_SIZE:
        raise _err(f"info value of {len(payload)} bytes (expected {INFO_SIZE})")
    (proto, fw_major, fw_minor, fw_patch, clock_hz, rate_hz, config, status, max_n,
     _reserved8, _reserved16) = _INFO.unpack(payload)
    if proto != PROTOCOL_VERSION:
        raise _err(f"info protocol version {proto} is not {PROTOCOL_VERSION}")
    acc_code, gyr_code, has_gyro, _ = _parse_config(config & 0x3F)
    if clock_hz == 0 or rate_hz == 0:
        raise _err(f"info clock {clock_hz} Hz / rate {rate_hz} Hz must be non-zero")
    return HingeInfo(proto, (fw_major, fw_minor, fw_patch), clock_hz, rate_hz, ACC_RANGES_G[acc_code],
                     GYR_RANGES_DPS[gyr_code], has_gyro, bool(status & 1), bool(status & 2), max_n)


def encode_info(info: HingeInfo) -> bytes:
    config = config_byte(_code_for(info.acc_range_g, ACC_RANGES_G, "acc_range_g"),
                         _code_for(info.gyr_range_dps, GYR_RANGES_DPS, "gyr_range_dps"), info.has_gyro)
    status = (1 if info.streaming else 0) | (2 if info.gyro_available else 0)
    return _INFO.pack(info.protocol_version, *info.firmware_version, info.clock_hz, info.rate_hz, config,
                      status, info.max_samples_per_packet, 0, 0)


# --------------------------------------------------------------------------- control

def command_start() -> bytes:
    return bytes([OP_START])


def command_stop() -> bytes:
    return bytes([OP_STOP])


def command_configure(rate_hz: float = 100.0, acc_range_g: float = 16.0, gyr_range_dps: float = 2000.0,
                      gyro: bool = True, max_samples_per_packet: int = 0) -> bytes:
    """CONFIGURE: ``03 <rate u16 Hz> <acc code> <gyr code> <flags: bit0 gyro> <samples/packet, 0 = fill MTU>``."""
    if float(rate_hz) != int(rate_hz) or not 1 <= rate_hz <= 0xFFFF:
        raise ValueError(f"rate_hz {rate_hz} must be an integer 1-65535")
    if not 0 <= max_samples_per_packet <= 255:
        raise ValueError(f"max_samples_per_packet {max_samples_per_packet} must be 0-255")
    return struct.pack("<BHBBBB", OP_CONFIGURE, int(rate_hz), _code_for(acc_range_g, ACC_RANGES_G, "acc_range_g"),
                       _code_for(gyr_range_dps, GYR_RANGES_DPS, "gyr_range_dps"), 1 if gyro else 0,
                       max_samples_per_packet)


def decode_command(payload: bytes) -> dict:
    """Parse a control write (used by the simulated sensor). Returns ``{"op": ..., ...}``."""
    if not payload:
        raise _err("empty control write")
    op = payload[0]
    if op in (OP_START, OP_STOP):
        if len(payload) != 1:
            raise _err(f"{'START' if op == OP_START else 'STOP'} takes no arguments, got {len(payload) - 1} bytes")
        return {"op": "start" if op == OP_START else "stop"}
    if op == OP_CONFIGURE:
        if len(payload) != 7:
            raise _err(f"CONFIGURE is 7 bytes, got {len(payload)}")
        _, rate, acc_code, gyr_code, flags, max_n = struct.unpack("<BHBBBB", payload)
        if acc_code >= len(ACC_RANGES_G) or gyr_code >= len(GYR_RANGES_DPS):
            raise _err(f"CONFIGURE range codes acc={acc_code} gyr={gyr_code} out of table")
        return {"op": "configure", "rate_hz": rate, "acc_range_g": ACC_RANGES_G[acc_code],
                "gyr_range_dps": GYR_RANGES_DPS[gyr_code], "gyro": bool(flags & 1), "max_samples_per_packet": max_n}
    raise _err(f"unknown control opcode 0x{op:02X}")


@dataclass(frozen=True)
class ControlResponse:
    opcode: int
    status: int

    @property
    def ok(self) -> bool:
        return self.status == 0

    @property
    def message(self) -> str:
        return CONTROL_STATUS.get(self.status, f"status {self.status}")


def decode_control_response(payload: bytes) -> ControlResponse:
    """Indication on the control characteristic: ``80 <opcode> <status>``."""
    if len(payload) != 3 or payload[0] != RESPONSE_CODE:
        raise _err(f"control response {payload[:8].hex(' ')} is not '80 <op> <status>'")
    if payload[2] not in CONTROL_STATUS:
        raise _err(f"control response status {payload[2]} unknown (expected 0-5)")
    return ControlResponse(payload[1], payload[2])


def encode_control_response(opcode: int, status: int) -> bytes:
    return bytes([RESPONSE_CODE, opcode & 0xFF, status & 0xFF])


# --------------------------------------------------------------------------- stream

class HingeStreamDecoder:
    """Stateless apart from the stream settings; `feed` → list of `ImuSamples`."""

    def __init__(self, sample_rate_hz: float = 100.0, clock_hz: float = 32768.0):
        self.sample_rate_hz = float(sample_rate_hz)
        self.clock_hz = float(clock_hz)

    @classmethod
    def from_info(cls, info: HingeInfo) -> HingeStreamDecoder:
        return cls(info.rate_hz, info.clock_hz)

    def feed(self, payload: bytes) -> list[ImuSamples]:
        return [decode_data(payload, sample_rate_hz=self.sample_rate_hz, clock_hz=self.clock_hz)]

    def flush(self) -> list[ImuSamples]:
        return []
