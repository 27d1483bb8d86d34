"""Polar Measurement Data (PMD): Verity Sense (accelerometer + gyroscope) and H10 (accelerometer only).

Facts and sources (research notes §2, re-checked in the stored public sources):
- GATT: PMD service ``fb005c80-02e7-f387-1cad-8acd2d8df0c8``; control point (CP)
  ``fb005c81-…`` (read/write/indicate); data ``fb005c82-…`` (notify). Subscribe to CP
  *and* data before writing; ATT_MTU ≥ 232 (polar-ble-sdk issues #281, #287, #222).
- CP commands: ``01 <type>`` get settings, ``02 <type> <settings TLV>`` start,
  ``03 <type>`` stop; types 2 ACC, 5 GYRO, 9 SDK mode. Settings TLV ``<id> <count>
  <values LE>`` with field sizes sample rate 2, resolution 2, range 2, range-milliunit 4
  (signed: a minimum and a maximum), channels 1, factor 4 (float32 bits; device output
  only, never sent), security 16 — `polarofficial/polar-ble-sdk` ``PmdSetting.kt``,
  ``PmdSettingTest.kt``. Send every setting the device lists (#124); Verity firmware takes
  a 1-byte CHANNELS field (`fsmeraldi/bleakheart#10`).
  Vectors: H10 ACC 200 Hz ±8 g ``02 02 00 01 C8 00 01 01 10 00 02 01 08 00`` (#360);
  Verity ACC 52 Hz ``02 02 00 01 34 00 01 01 10 00 02 01 08 00 04 01 03`` → ``F0 02 02 00 00`` (#443, #331).
- CP response ``F0 <op> <type> <status> [<more> <parameters…>]``; status 0 success,
  1 invalid op code, 2 invalid measurement type, 3 not supported, 4 invalid length,
  5 invalid parameter, 6 already in state, 7 invalid resolution, 8 invalid sample rate,
  9 invalid range, 10 invalid MTU, 11 invalid number of channels, 12 invalid state,
  13 device in charger, 14 disk full (``PmdControlPointResponse.kt``); an error answer
  has no "more" flag and no parameters. A start response may carry a FACTOR setting that
  scales compressed samples. ``01 <types>`` on the CP (the device stopped streams on its
  own, ``BlePmdClientTest.kt``) is no answer and is refused; a stream that stops is
  caught by the recorder's stall timeout.
- Data frame: byte 0 measurement type; bytes 1–8 u64 timestamp, ns since
  2000-01-01T00:00, of the **last** sample; byte 9 frame type (bit 7 = delta-compressed,
  bits 0–6 = type); payload from byte 10 (``PmdDataFrame.kt``; #700, #189).
  Raw ACC types 0/1/2 = int8/int16/int24 x,y,z in mG (H10 uses type 1). Compressed: a
  reference sample (channels × ceil(resolution/8) signed LE bytes) then blocks
  ``<delta bits> <count>`` + count·channels·bits bits, read LSB-first, two's complement,
  cumulatively summed (issue #187 answer by Polar; ``AccData.kt``, ``GyrData.kt``).
  ACC compressed type 1 → mG (× factor when ≠ 1); type 0 → G × factor × 1000 mG. GYRO
  compressed type 0 → int16 × factor = °/s; type 1: a 32-bit reference and deltas on the
  float32 bit patterns, added modulo 2^32 and read as floats (× factor) = °/s
  (``GyrData.kt``; vector from the SDK's ``GyrDataTest``).
- Per-sample time (``PmdTimeStampUtils.kt``): last sample = frame timestamp; with a
  previous frame of the same stream, Δ = (t − t_prev)/n and sample i = t_prev + (i+1)·Δ;
  for the first frame Δ = 1/f_s and sample i = t − (n−1−i)·Δ.
- Rates (``SdkModeExplained.md``, ``PolarVeritySense.md``, ``PolarH10.md``): Verity
  normal mode ACC 52 Hz ±8 g, GYRO 52 Hz ±2000 °/s; SDK mode 26/52/104/208/416 Hz;
  H10 ACC 25/50/100/200 Hz ±2/4/8 g, no gyro.
- Real frame (issue #443, 2024-02-23): ``02 00 41 6F C4 12 45 93 0A 81 EE 02 1F FE 82 FF
  08 0A …`` — the issue states 227 bytes, which matches 10 + 6 + (2 + 30) + (2 + 177)
  for blocks of 10 × 8-bit and 47 × 10-bit deltas; the stored copy holds 188 of them,
  so the tests use its first 48 bytes (a complete frame: reference + first block) and
  check that the 188-byte copy is rejected as truncated.

Test vectors (``vectors/polar_pmd.json``): the issue threads above and the Polar SDK's own
unit-test frames (``AccDataTest``, ``GyrDataTest``, ``BlePmdClientParsersTest``,
``PmdTimeStampUtilsTest``, ``PmdSettingTest``, ``BlePmdClientControlPointResponseTest``), each
with its source; frames of measurements hinge never requests are kept as refusals.

Only facts carry over from the Polar SDK (its licence covers its code); this decoder is
written from the description above, vectorised with numpy.
"""
from __future__ import annotations

import struct
from dataclasses import dataclass

import numpy as np

from .errors import ProtocolError
from .samples import DEG_TO_RAD, STANDARD_GRAVITY_MPS2, ImuSamples

__all__ = [
    "SERVICE_UUID", "CONTROL_UUID", "DATA_UUID", "MIN_MTU", "MEASUREMENT", "STATUS", "PmdFrame", "PmdResponse",
    "decode_pmd_frame", "decode_pmd", "encode_pmd_frame", "compressed_samples_that_fit", "sample_times_ns", "decode_settings", "encode_settings",
    "decode_control_response", "encode_control_response", "decode_features", "encode_features", "decode_command", "command_get_settings",
    "command_start", "command_stop", "command_sdk_mode", "verity_start_commands", "verity_stop_commands",
    "h10_start_commands", "h10_stop_commands", "PmdStreamDecoder", "POLAR_EPOCH_UNIX_S",
]

DEVICE = "polar_pmd"
SERVICE_UUID = "fb005c80-02e7-f387-1cad-8acd2d8df0c8"
CONTROL_UUID = "fb005c81-02e7-f387-1cad-8acd2d8df0c8"
DATA_UUID = "fb005c82-02e7-f387-1cad-8acd2d8df0c8"
MIN_MTU = 232
#: Most samples one delta-compressed frame carries, as hinge counts them: a still sensor's
#: deltas need few bits, so a frame filled to the MTU holds far more samples than a moving
#: one's (the Polar SDK's own test frames hold up to 140); 256 bounds it.
MAX_FRAME_SAMPLES = 256
MAX_FRAME = 512
POLAR_EPOCH_UNIX_S = 946684800  # 2000-01-01T00:00:00Z

MEASUREMENT = {"ecg": 0, "ppg": 1, "acc": 2, "ppi": 3, "gyro": 5, "mag": 6, "sdk_mode": 9}
_KIND = {2: "acc", 5: "gyro"}
# Setting 6 (SECURITY) is a 16-byte opaque value some firmware lists in its settings reply;
# it is kept as bytes, so that the rest of the reply is not lost with it.
SETTING_IDS = {"sample_rate": 0, "resolution": 1, "range": 2, "range_milliunit": 3, "channels": 4, "factor": 5,
               "security": 6}
_SETTING_NAMES = {v: k for k, v in SETTING_IDS.items()}
_SETTING_SIZE = {0: 2, 1: 2, 2: 2, 3: 4, 4: 1, 5: 4, 6: 16}
# RANGE_MILLIUNIT lists a minimum and a maximum (the iOS SDK's PolarSensorSetting: "range with
# min and max allowed values"), so it is a signed int32: the Android SDK reads it so, and its
# PmdSettingTest expects FF FF FF FF -> -1. The other integer settings are unsigned sizes/rates.
_SIGNED_SETTINGS = {3}
# FACTOR is the device's answer (in a start response); the SDK never sends it (PmdSetting.kt,
# serializeSelected), so a start command leaves it out.
_RESPONSE_ONLY_SETTINGS = {"factor"}
STATUS = {0: "success", 1: "invalid op code", 2: "invalid measurement type", 3: "not supported", 4: "invalid length",
          5: "invalid parameter", 6: "already in state", 7: "invalid resolution", 8: "invalid sample rate",
          9: "invalid range", 10: "invalid MTU", 11: "invalid number of channels", 12: "invalid state",
          13: "device in charger", 14: "disk full"}
FEATURES = {"ecg": (1, 0), "ppg": (1, 1), "acc": (1, 2), "ppi": (1, 3), "gyro": (1, 5), "mag": (1, 6),
            "skin_temp": (1, 7), "sdk_mode": (2, 1)}

_MG = STANDARD_GRAVITY_MPS2 / 1000.0
_HDR = struct.Struct("<BQB")


def _err(reason: str) -> ProtocolError:
    return ProtocolError(DEVICE, reason)


@dataclass(frozen=True, eq=False)
class PmdFrame:
    """One PMD data frame in the device's units (ACC mG, GYRO °/s)."""

    kind: str               # "acc" or "gyro"
    timestamp_ns: int       # last sample, ns since 2000-01-01 (sensor clock)
    compressed: bool
    frame_type: int         # bits 0-6 of byte 9
    values: np.ndarray      # (n, 3) float64, device units (mG or °/s)


# ------------------------------------------------------------------ delta decoding

def _decode_deltas(content: bytes, channels: int, ref_bytes: int) -> np.ndarray:
    """Reference + delta blocks → (n, channels) int64 (pure, vectorised per block)."""
    n_content = len(content)
    ref_len = channels * ref_bytes
    if n_content < ref_len:
        raise _err(f"compressed payload of {n_content} bytes is shorter than the {ref_len}-byte reference sample")
    ref = np.array([int.from_bytes(content[i * ref_bytes:(i + 1) * ref_bytes], "little", signed=True)
                    for i in range(channels)], dtype=np.int64)
    pieces = [ref[None, :]]
    pos = ref_len
    while pos < n_content:
        if pos + 2 > n_content:
            raise _err(f"delta block header at byte {pos + 10} is truncated")
        width, count = content[pos], content[pos + 1]
        if not 1 <= width <= 32:
            raise _err(f"delta width {width} bits at byte {pos + 10} out of range 1-32")
        if count == 0:
            raise _err(f"delta block at byte {pos + 10} has zero samples")
        n_bits = width * count * channels
        n_bytes = (n_bits + 7) // 8
        start = pos + 2
        if start + n_bytes > n_content:
            raise _err(f"delta block at byte {pos + 10} needs {n_bytes} bytes, {n_content - start} left (truncated)")
        bits = np.unpackbits(np.frombuffer(content, dtype=np.uint8, count=n_bytes, offset=start),
                             bitorder="little")[:n_bits].reshape(-1, width).astype(np.int64)
        vals = bits @ (np.int64(1) << np.arange(width, dtype=np.int64))
        vals -= (vals >> (width - 1)) << width  # two's complement sign extension
        pieces.append(vals.reshape(count, channels))
        pos = start + n_bytes
    return np.cumsum(np.vstack(pieces), axis=0)


def _encode_deltas(raw: np.ndarray, ref_bytes: int, block_size: int) -> bytes:
    raw = np.asarray(raw, dtype=np.int64)
    out = bytearray()
    for v in raw[0]:
        out += int(v).to_bytes(ref_bytes, "little", signed=True)
    deltas = np.diff(raw, axis=0)
    for i in range(0, len(deltas), block_size):
        block = deltas[i:i + block_size]
        width = max(1, max(int(v).bit_length() + 1 if v >= 0 else (~int(v)).bit_length() + 1 for v in block.ravel()))
        if width > 32:
            raise ValueError("delta needs more than 32 bits")
        u = block.ravel() & ((1 << width) - 1)
        bits = ((u[:, None] >> np.arange(width)) & 1).astype(np.uint8).ravel()
        out += bytes([width, len(block)]) + np.packbits(bits, bitorder="little").tobytes()
    return bytes(out)


def _delta_width(d: np.ndarray) -> np.ndarray:
    """Bits per sample (the widest of its channels) for two's-complement deltas (n, channels)."""
    a = np.where(d < 0, ~d, d).max(axis=1)
    return np.where(a > 0, np.floor(np.log2(np.maximum(a, 1))).astype(np.int64) + 2, 1)


def compressed_samples_that_fit(values, max_bytes: int, block_size: int = 64) -> int:
    """How many leading samples of ``values`` (n, 3) device units fit one compressed frame of ``max_bytes``.

    Mirrors `encode_pmd_frame` (16-bit reference, blocks of at most ``block_size``
    deltas at the narrowest width that fits); a device that fills frames to the MTU
    (the Verity Sense) sends a frame when the next sample would not fit.
    """
    raw = np.rint(np.asarray(values, dtype=float)).astype(np.int64)
    if raw.shape[0] == 0 or 10 + 6 > max_bytes:
        return 0
    widths = _delta_width(np.diff(raw, axis=0))
    size, fit = 16, 1
    for b0 in range(0, len(widths), block_size):
        w = np.maximum.accumulate(widths[b0:b0 + block_size])
        cost = size + 2 + (np.arange(1, len(w) + 1) * 3 * w + 7) // 8
        ok = np.flatnonzero(cost <= max_bytes)
        if ok.size == 0:
            return fit
        if ok[-1] < len(w) - 1:
            return fit + int(ok[-1]) + 1
        fit += len(w)
        size = int(cost[-1])
    return fit


# ------------------------------------------------------------------ frames

def decode_pmd_frame(payload: bytes, *, factor: float = 1.0) -> PmdFrame:
    """Decode one data notification into device units. Raises `ProtocolError` on bad bytes."""
    n = len(payload)
    if n < 10:
        raise _err(f"data frame of {n} bytes is truncated (header needs 10)")
    if n > MAX_FRAME:
        raise _err(f"data frame of {n} bytes is oversize (max {MAX_FRAME})")
    mtype, ts_ns, ftype_byte = _HDR.unpack_from(payload)
    kind = _KIND.get(mtype & 0x3F)
    if kind is None:
        raise _err(f"measurement type {mtype & 0x3F} is not ACC (2) or GYRO (5)")
    compressed = bool(ftype_byte & 0x80)
    ftype = ftype_byte & 0x7F
    content = payload[10:]
    if not compressed:
        if kind != "acc" or ftype > 2:
            raise _err(f"raw {kind} frame type {ftype} is not supported (ACC raw types 0-2 only)")
        width = ftype + 1
        if not content or len(content) % (3 * width):
            raise _err(f"raw ACC type {ftype} payload of {len(content)} bytes is not a positive multiple of {3 * width}")
        if width == 2:
            values = np.frombuffer(content, dtype="<i2").reshape(-1, 3).astype(np.float64)
        elif width == 1:
            values = np.frombuffer(content, dtype="i1").reshape(-1, 3).astype(np.float64)
        else:
            b = np.frombuffer(content, dtype=np.uint8).reshape(-1, 3).astype(np.int32)
            v = b[:, 0] | (b[:, 1] << 8) | (b[:, 2] << 16)
            values = (v - ((v & 0x800000) << 1)).reshape(-1, 3).astype(np.float64)
        return PmdFrame(kind, ts_ns, False, ftype, values)
    if ftype > 1:
        raise _err(f"compressed {kind} frame type {ftype} is not supported")
    if kind == "gyro" and ftype == 1:
        # float32 samples: 32-bit reference and deltas on the IEEE 754 bit patterns, added
        # modulo 2^32, then read as floats (GyrData.kt, dataFromCompressedType1).
        bits = (_decode_deltas(content, 3, 4) & 0xFFFFFFFF).astype(np.uint32)
        values = bits.view(np.float32).astype(np.float64) * factor
        if not np.isfinite(values).all():
            raise _err("compressed GYRO type 1 frame decodes to non-finite floats")
        return PmdFrame(kind, ts_ns, True, ftype, values)
    raw = _decode_deltas(content, 3, 2)
    if kind == "acc":
        scale = factor * 1000.0 if ftype == 0 else factor
    else:
        scale = factor
    return PmdFrame(kind, ts_ns, True, ftype, raw * scale)


def sample_times_ns(timestamp_ns: int, n: int, sample_rate_hz: float, previous_timestamp_ns: int | None = None) -> np.ndarray:
    """Per-sample sensor times (n,) float64 ns by the Polar SDK rule: last = frame time.

    The SDK spreads a frame's samples evenly back to the previous frame's time; when
    that spacing is over 1.5 nominal periods a frame was lost in between, and spreading
    would hide the gap and stretch the samples, so the nominal spacing is used instead.
    ``sample_rate_hz`` 0 means "not known" (as in the SDK): the spacing then comes from
    the previous frame's time alone, which must be given and earlier. Unlike the SDK,
    times are not rounded to whole ns, and times before the epoch are kept (the SDK's
    unsigned times cannot go below 0, so it refuses such a frame).
    """
    if sample_rate_hz <= 0:
        if previous_timestamp_ns is None or previous_timestamp_ns >= timestamp_ns:
            raise ValueError("sample rate unknown (0 Hz) and no earlier frame time: the samples cannot be timed")
        return previous_timestamp_ns + (timestamp_ns - previous_timestamp_ns) / n * np.arange(1, n + 1)
    delta = 1e9 / sample_rate_hz
    if previous_timestamp_ns is not None and previous_timestamp_ns < timestamp_ns \
            and (timestamp_ns - previous_timestamp_ns) / n <= 1.5 * delta:
        delta = (timestamp_ns - previous_timestamp_ns) / n
        return previous_timestamp_ns + delta * np.arange(1, n + 1)
    return timestamp_ns - delta * np.arange(n - 1, -1, -1)


def decode_pmd(payload: bytes, *, sample_rate_hz: float, factor: float = 1.0,
               previous_timestamp_ns: int | None = None) -> ImuSamples:
    """One data frame → `ImuSamples` in SI (ACC frames fill ``acc_mps2``, GYRO frames ``gyr_rad_s``).

    ``timestamp_s`` is seconds since 2000-01-01 on the sensor clock (Polar's epoch; the
    clock defaults to 2017/2019 until set, so map it to host time with an offset).
    ``packet_time_s`` is the exact frame time of the last sample.
    """
    f = decode_pmd_frame(payload, factor=factor)
    n = f.values.shape[0]
    t = sample_times_ns(f.timestamp_ns, n, sample_rate_hz, previous_timestamp_ns) * 1e-9
    if f.kind == "acc":
        return ImuSamples(acc_mps2=f.values * _MG, timestamp_s=t, packet_time_s=f.timestamp_ns * 1e-9)
    return ImuSamples(acc_mps2=None, gyr_rad_s=f.values * DEG_TO_RAD, timestamp_s=t,
                      packet_time_s=f.timestamp_ns * 1e-9)


def encode_pmd_frame(values, *, kind: str = "acc", timestamp_ns: int, compressed: bool = True, frame_type: int = 1,
                     block_size: int = 64) -> bytes:
    """Build a data frame from integer device-unit samples (ACC mG, GYRO °/s with factor 1).

    ``compressed=False, frame_type=1`` is the H10 raw int16 layout; ``compressed=True`` is
    the Verity delta layout (ACC type 1 / GYRO type 0, 16-bit reference, blocks of at
    most ``block_size`` deltas with the narrowest width that fits).
    """
    raw = np.rint(np.asarray(values, dtype=float)).astype(np.int64)
    if raw.ndim != 2 or raw.shape[1] != 3 or raw.shape[0] < 1:
        raise ValueError(f"values must be (n>=1, 3), got {raw.shape}")
    mtype = MEASUREMENT[kind]
    if compressed:
        if kind == "gyro":
            frame_type = 0
        if np.abs(raw[0]).max() > 32767:
            raise ValueError("reference sample must fit int16")
        body = _encode_deltas(raw, 2, min(block_size, 255))
    else:
        width = frame_type + 1
        lim = 1 << (8 * width - 1)
        if raw.min() < -lim or raw.max() >= lim:
            raise ValueError(f"values do not fit int{8 * width}")
        body = b"".join(int(v).to_bytes(width, "little", signed=True) for v in raw.ravel())
    if 10 + len(body) > MAX_FRAME:
        raise ValueError(f"frame of {10 + len(body)} bytes exceeds {MAX_FRAME}; send fewer samples per frame")
    return _HDR.pack(mtype, timestamp_ns, (0x80 if compressed else 0) | frame_type) + body


# ------------------------------------------------------------------ control point

def decode_settings(tlv: bytes) -> dict[str, tuple]:
    """Settings TLV → ``{"sample_rate": (26, 52, …), "factor": (0.0005,), …}``."""
    out: dict[str, tuple] = {}
    pos, n = 0, len(tlv)
    while pos < n:
        if pos + 2 > n:
            raise _err(f"settings entry at byte {pos} is truncated")
        sid, count = tlv[pos], tlv[pos + 1]
        size = _SETTING_SIZE.get(sid)
        if size is None:
            raise _err(f"unknown setting id {sid} at byte {pos}")
        pos += 2
        if pos + size * count > n:
            raise _err(f"setting {_SETTING_NAMES[sid]} needs {size * count} bytes, {n - pos} left")
        vals = []
        for _ in range(count):
            chunk = tlv[pos:pos + size]
            vals.append(struct.unpack("<f", chunk)[0] if sid == 5 else bytes(chunk) if sid == 6
                        else int.from_bytes(chunk, "little", signed=sid in _SIGNED_SETTINGS))
            pos += size
        out[_SETTING_NAMES[sid]] = tuple(vals)
    return out


def encode_settings(settings: dict) -> bytes:
    """Settings → TLV in id order (a device's reply; `command_start` leaves FACTOR out)."""
    out = bytearray()
    for name, sid in SETTING_IDS.items():
        if name not in settings:
            continue
        vals = settings[name] if isinstance(settings[name], (tuple, list)) else (settings[name],)
        out += bytes([sid, len(vals)])
        for v in vals:
            if sid == 6:
                if len(bytes(v)) != _SETTING_SIZE[sid]:
                    raise ValueError(f"security setting must be {_SETTING_SIZE[sid]} bytes")
                out += bytes(v)
            else:
                out += struct.pack("<f", v) if sid == 5 else \
                    int(v).to_bytes(_SETTING_SIZE[sid], "little", signed=sid in _SIGNED_SETTINGS)
    unknown = set(settings) - set(SETTING_IDS)
    if unknown:
        raise ValueError(f"unknown PMD settings {sorted(unknown)}")
    return bytes(out)


@dataclass(frozen=True)
class PmdResponse:
    opcode: int
    measurement: int
    status: int
    more: bool
    settings: dict

    @property
    def ok(self) -> bool:
        return self.status == 0

    @property
    def message(self) -> str:
        return STATUS.get(self.status, f"status {self.status}")


def decode_control_response(payload: bytes) -> PmdResponse:
    """CP indication ``F0 <op> <type> <status> [<more> <settings TLV>]``."""
    if payload[:1] not in (b"", b"\xf0"):
        raise _err(f"control response starts with {payload[0]:02X}, not F0")
    if len(payload) < 4:
        raise _err(f"control response of {len(payload)} bytes is truncated (needs 4)")
    op, mtype, status = payload[1], payload[2], payload[3]
    if not 1 <= op <= 3:
        raise _err(f"control response op code {op} unknown (expected 1-3)")
    if status not in STATUS:
        raise _err(f"control response status {status} unknown (expected 0-14)")
    # An error answer carries no "more" flag or parameters (PmdControlPointResponse.kt).
    more = status == 0 and len(payload) > 4 and payload[4] != 0
    settings = decode_settings(payload[5:]) if status == 0 and len(payload) > 5 else {}
    return PmdResponse(op, mtype, status, more, settings)


def encode_control_response(op: int, measurement: int, status: int = 0, settings: dict | None = None) -> bytes:
    out = bytes([0xF0, op, measurement, status])
    if status == 0:
        out += b"\x00" + (encode_settings(settings) if settings else b"")
    return out


def decode_features(payload: bytes) -> frozenset[str]:
    """CP read value ``0F <feature bytes>`` → names of the measurements the device offers."""
    if len(payload) < 2 or payload[0] != 0x0F:
        raise _err(f"feature read {payload[:4].hex(' ')} is not '0F <features>'")
    return frozenset(name for name, (byte, bit) in FEATURES.items() if byte < len(payload) and payload[byte] >> bit & 1)


def encode_features(names) -> bytes:
    """The control point's read value ``0F <feature bytes>`` offering ``names`` (inverse of `decode_features`)."""
    unknown = set(names) - set(FEATURES)
    if unknown:
        raise ValueError(f"unknown PMD features {sorted(unknown)}")
    out = bytearray([0x0F, 0, 0])
    for name in names:
        byte, bit = FEATURES[name]
        out[byte] |= 1 << bit
    return bytes(out)


_KIND_BY_ID = {v: k for k, v in MEASUREMENT.items()}


def decode_command(payload: bytes) -> dict:
    """Parse a CP write (used by the simulated sensor): ``{"op", "kind", "settings"}``."""
    if len(payload) < 2:
        raise _err(f"control write of {len(payload)} bytes is truncated (needs 2)")
    op = {1: "get_settings", 2: "start", 3: "stop"}.get(payload[0])
    if op is None:
        raise _err(f"control write op code {payload[0]} unknown (expected 1-3)")
    kind = _KIND_BY_ID.get(payload[1])
    if kind is None:
        raise _err(f"control write measurement type {payload[1]} unknown")
    if op != "start" and len(payload) != 2:
        raise _err(f"{op} takes no settings, got {len(payload) - 2} bytes")
    return {"op": op, "kind": kind, "settings": decode_settings(payload[2:]) if op == "start" else {}}


def command_get_settings(kind: str) -> bytes:
    return bytes([0x01, MEASUREMENT[kind]])


def command_start(kind: str, settings: dict | None = None) -> bytes:
    """Start write ``02 <type> <settings TLV>``; FACTOR (a device output) is not sent."""
    chosen = {k: v for k, v in (settings or {}).items() if k not in _RESPONSE_ONLY_SETTINGS}
    return bytes([0x02, MEASUREMENT[kind]]) + encode_settings(chosen)


def command_stop(kind: str) -> bytes:
    return bytes([0x03, MEASUREMENT[kind]])


def command_sdk_mode(enable: bool) -> bytes:
    """Start (enable) or stop (disable) SDK mode, measurement type 9 (as bleakheart does)."""
    return bytes([0x02 if enable else 0x03, MEASUREMENT["sdk_mode"]])


VERITY_RATES_HZ = (26.0, 52.0, 104.0, 208.0, 416.0)
H10_RATES_HZ = (25.0, 50.0, 100.0, 200.0)


def verity_start_commands(rate_hz: float = 52.0, acc_range_g: int = 8, gyr_range_dps: int = 2000) -> list[bytes]:
    """Verity Sense ACC + GYRO start writes; rates other than 52 Hz need SDK mode first.

    These are the settings the issue threads show the device accepts; query with
    ``command_get_settings`` and send every listed setting if the device answers
    "invalid parameter".
    """
    if float(rate_hz) not in VERITY_RATES_HZ:
        raise ValueError(f"Verity Sense rate {rate_hz} Hz not in {VERITY_RATES_HZ}")
    cmds = [] if rate_hz == 52 else [command_sdk_mode(True)]
    for kind, rng in (("acc", acc_range_g), ("gyro", gyr_range_dps)):
        cmds.append(command_start(kind, {"sample_rate": int(rate_hz), "resolution": 16, "range": rng, "channels": 3}))
    return cmds


def verity_stop_commands(rate_hz: float = 52.0) -> list[bytes]:
    cmds = [command_stop("acc"), command_stop("gyro")]
    return cmds if rate_hz == 52 else cmds + [command_sdk_mode(False)]


def h10_start_commands(rate_hz: float = 200.0, acc_range_g: int = 8) -> list[bytes]:
    if float(rate_hz) not in H10_RATES_HZ:
        raise ValueError(f"H10 rate {rate_hz} Hz not in {H10_RATES_HZ}")
    return [command_start("acc", {"sample_rate": int(rate_hz), "resolution": 16, "range": acc_range_g})]


def h10_stop_commands(*_args) -> list[bytes]:
    return [command_stop("acc")]


# ------------------------------------------------------------------ stream

class PmdStreamDecoder:
    """Keeps what PMD frames do not carry: previous frame time per stream, factor and rate.

    Feed it CP indications too (``feed_control``): a start response's FACTOR is applied.
    """

    def __init__(self, sample_rate_hz: float = 52.0, factors: dict[str, float] | None = None):
        self.sample_rate_hz = {"acc": float(sample_rate_hz), "gyro": float(sample_rate_hz)}
        self.factors = {"acc": 1.0, "gyro": 1.0, **(factors or {})}
        self._prev_ns: dict[str, int] = {}
        self.time_resets = 0

    def feed_control(self, payload: bytes) -> PmdResponse:
        r = decode_control_response(payload)
        kind = _KIND.get(r.measurement)
        if r.ok and kind and r.settings.get("factor"):  # a FACTOR entry may list no value
            self.factors[kind] = float(r.settings["factor"][0])
        if r.ok and kind and r.opcode == 2:
            self._prev_ns.pop(kind, None)
        return r

    def feed(self, payload: bytes) -> list[ImuSamples]:
        """One notification from the data characteristic (CP indications go to `feed_control`)."""
        kind = _KIND.get(payload[0] & 0x3F) if payload else None
        if kind is None:
            decode_pmd_frame(payload)  # raises the precise ProtocolError
        prev = self._prev_ns.get(kind)
        s = decode_pmd(payload, sample_rate_hz=self.sample_rate_hz[kind], factor=self.factors[kind],
                       previous_timestamp_ns=prev)
        ts_ns = int.from_bytes(payload[1:9], "little")
        if prev is not None and ts_ns <= prev:
            self.time_resets += 1
        self._prev_ns[kind] = ts_ns
        return [s]

    def flush(self) -> list[ImuSamples]:
        return []
