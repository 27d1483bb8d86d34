"""Movesense sensors over the GATT SensorData Protocol (GSP): IMU6 / IMU9 / Acc / Gyro streams.

Facts and sources (research notes §4, re-checked):
- GSP spec GD-77 v1.0, movesense.com/docs/esw/gatt_sensordata_protocol: service
  ``34802252-7185-4d5d-b431-630e7050e8f0``, write ``34800001-…``, notify ``34800002-…``;
  one root UUID; responses are notifications, so "delivery of responses is not
  guaranteed"; a client-chosen 8-bit reference code ties a command to its responses.
- Commands ``<cmd u8> <ref u8> <args>``: 0 HELLO, 1 SUBSCRIBE (args = UTF-8 resource path,
  e.g. ``01 63 "/Meas/Acc/13"``), 2 UNSUBSCRIBE (``02 63``). Official bleak sample
  ``movesense-device-lib/samples/gatt_sensordata_app`` (copies in the code index) writes
  exactly these bytes.
- Responses ``<type u8> <ref u8> <payload>``: 1 command result, 2 DATA, 3 DATA_PART2,
  4 DATA_PART3. A DATA_PART2 (then a DATA_PART3) continues the pending DATA of the same
  ref: append its bytes after the 2-byte header (IMU9 @ 104 Hz needs two notifications,
  higher rates at a small MTU three).
- Command result: ``01 <ref> <status u16 big-endian>``, an HTTP-like status (200 OK); the
  firmware sends 507 as ``01 63 01 FB``.
- ``/Meas/*`` payload: u32 timestamp in ms of the sensor clock for the **first** sample,
  then whole arrays, not interleaved: acc N × 3 float32 (m/s²), gyro N × 3 float32 (°/s),
  [magn N × 3 float32 (µT)]. Sample i is at ts + i·1000/f_s ms (official sample; .NET model
  docs: "local timestamp of first measurement"). N is derived from the length.
- Rates 13, 26, 52, 104, 208, 416, 833, 1666 Hz; paths ``/Meas/IMU6/{rate}``,
  ``/Meas/IMU9/{rate}``, ``/Meas/Acc/{rate}``, ``/Meas/Gyro/{rate}``.
- Advertised name ``Movesense <serial>`` (e.g. "Movesense 204730000081").

No sequence counter: gaps show as timestamp steps ≠ N/f_s. Float32 values that are not
finite or exceed twice the largest full scale (±16 g, ±2000 °/s) are treated as corrupted.
Only facts carry over from the sample client; this code is our own.
"""
from __future__ import annotations

import struct
from dataclasses import dataclass

import numpy as np

from .errors import ProtocolError
from .samples import DEG_TO_RAD, STANDARD_GRAVITY_MPS2, ImuSamples

__all__ = [
    "SERVICE_UUID", "WRITE_UUID", "NOTIFY_UUID", "RATES_HZ", "ARRAYS", "GspResponse",
    "command_hello", "command_subscribe", "command_unsubscribe", "imu_path", "decode_response", "decode_command",
    "parse_path",
    "decode_imu_body", "decode_movesense", "encode_movesense", "encode_command_result", "MovesenseReassembler",
]

DEVICE = "movesense"
SERVICE_UUID = "34802252-7185-4d5d-b431-630e7050e8f0"
WRITE_UUID = "34800001-7185-4d5d-b431-630e7050e8f0"
NOTIFY_UUID = "34800002-7185-4d5d-b431-630e7050e8f0"
RATES_HZ = (13.0, 26.0, 52.0, 104.0, 208.0, 416.0, 833.0, 1666.0)
ARRAYS = {"IMU6": 2, "IMU9": 3, "Acc": 1, "Gyro": 1}
CMD_HELLO, CMD_SUBSCRIBE, CMD_UNSUBSCRIBE = 0, 1, 2
RESP_RESULT, RESP_DATA, RESP_DATA_PART2, RESP_DATA_PART3 = 1, 2, 3, 4
MAX_PAYLOAD = 512
MAX_RESPONSE = 3 * MAX_PAYLOAD
_ACC_LIMIT_MPS2 = 2 * 16 * STANDARD_GRAVITY_MPS2
_GYR_LIMIT_DPS = 2 * 2000.0
DEFAULT_REF = 99


def _err(reason: str) -> ProtocolError:
    return ProtocolError(DEVICE, reason)


def imu_path(rate_hz: float = 104.0, kind: str = "IMU6") -> str:
    if float(rate_hz) not in RATES_HZ:
        raise ValueError(f"Movesense rate {rate_hz} Hz not in {RATES_HZ}")
    if kind not in ARRAYS:
        raise ValueError(f"Movesense stream {kind!r} not in {sorted(ARRAYS)}")
    return f"/Meas/{kind}/{int(rate_hz)}"


def command_hello(ref: int = 0) -> bytes:
    return bytes([CMD_HELLO, ref])


def command_subscribe(path: str, ref: int = DEFAULT_REF) -> bytes:
    return bytes([CMD_SUBSCRIBE, ref]) + path.encode("utf-8")


def command_unsubscribe(ref: int = DEFAULT_REF) -> bytes:
    return bytes([CMD_UNSUBSCRIBE, ref])


def decode_command(payload: bytes) -> dict:
    """Parse a client write (used by the simulated sensor): ``{"cmd", "ref", ["path"]}``."""
    if len(payload) < 2:
        raise _err(f"command of {len(payload)} bytes is truncated (needs cmd and ref)")
    cmd, ref = payload[0], payload[1]
    if cmd == CMD_SUBSCRIBE:
        try:
            path = bytes(payload[2:]).decode("utf-8")
        except UnicodeDecodeError:
            raise _err("SUBSCRIBE path is not UTF-8") from None
        if not path.startswith("/"):
            raise _err(f"SUBSCRIBE path {path[:40]!r} does not start with '/'")
        return {"cmd": cmd, "ref": ref, "path": path}
    if cmd in (CMD_HELLO, CMD_UNSUBSCRIBE):
        if len(payload) != 2:
            raise _err(f"command {cmd} takes no arguments, got {len(payload) - 2} bytes")
        return {"cmd": cmd, "ref": ref}
    raise _err(f"command code {cmd} not supported (0 hello, 1 subscribe, 2 unsubscribe)")


def parse_path(path: str) -> tuple[str, float]:
    """``/Meas/IMU6/104`` → ``("IMU6", 104.0)``; raises `ProtocolError` for other paths."""
    parts = path.strip("/").split("/")
    if len(parts) != 3 or parts[0] != "Meas" or parts[1] not in ARRAYS or not parts[2].isdigit():
        raise _err(f"path {path[:40]!r} is not /Meas/<IMU6|IMU9|Acc|Gyro>/<rate>")
    return parts[1], float(parts[2])


@dataclass(frozen=True)
class GspResponse:
    kind: str          # "result", "data", "data_part2", "data_part3"
    ref: int
    body: bytes
    status: int | None = None  # command result only: HTTP-like, big-endian on the wire


def decode_response(payload: bytes) -> GspResponse:
    """Split a notification into type, reference and body."""
    n = len(payload)
    if n < 2:
        raise _err(f"notification of {n} bytes is truncated (needs type and ref)")
    if n > MAX_PAYLOAD:
        raise _err(f"notification of {n} bytes is oversize (max {MAX_PAYLOAD})")
    rtype, ref = payload[0], payload[1]
    body = bytes(payload[2:])
    if rtype == RESP_RESULT:
        status = int.from_bytes(body[:2], "big") if len(body) >= 2 else None
        return GspResponse("result", ref, body, status)
    if rtype == RESP_DATA:
        return GspResponse("data", ref, body)
    if rtype == RESP_DATA_PART2:
        return GspResponse("data_part2", ref, body)
    if rtype == RESP_DATA_PART3:
        return GspResponse("data_part3", ref, body)
    raise _err(f"response type {rtype} unknown (expected 1 result, 2 data, 3 data part 2, 4 data part 3)")


def decode_imu_body(body: bytes, *, arrays: int = 2, sample_rate_hz: float) -> ImuSamples:
    """``u32 ms`` + arrays of N × 3 float32 → `ImuSamples` (acc, then gyro when arrays ≥ 2)."""
    n_bytes = len(body)
    block = 12 * arrays
    if n_bytes < 4 + block:
        raise _err(f"data body of {n_bytes} bytes is truncated (needs 4 + {block} for one sample)")
    if (n_bytes - 4) % block:
        raise _err(f"data body of {n_bytes} bytes is not 4 + N x {block} ({arrays} arrays of 3 float32)")
    n = (n_bytes - 4) // block
    ts_ms = int.from_bytes(body[:4], "little")
    f32 = np.frombuffer(body, dtype="<f4", offset=4)
    if not np.isfinite(f32).all():
        raise _err("data body holds non-finite float32 values (corrupted)")
    f = f32.astype(np.float64).reshape(arrays, n, 3)
    acc = f[0]
    if np.abs(acc).max() > _ACC_LIMIT_MPS2:
        raise _err(f"acceleration {np.abs(acc).max():.3g} m/s² exceeds twice the ±16 g full scale (corrupted)")
    gyr = None
    if arrays >= 2:
        if np.abs(f[1]).max() > _GYR_LIMIT_DPS:
            raise _err(f"angular rate {np.abs(f[1]).max():.3g} °/s exceeds twice the ±2000 °/s full scale (corrupted)")
        gyr = f[1] * DEG_TO_RAD
    t0 = ts_ms / 1000.0
    return ImuSamples(acc_mps2=acc, gyr_rad_s=gyr, timestamp_s=t0 + np.arange(n) / sample_rate_hz, packet_time_s=t0)


def decode_movesense(payload: bytes, *, arrays: int = 2, sample_rate_hz: float) -> ImuSamples:
    """One complete DATA notification (type 2) → samples. Split responses go through `MovesenseReassembler`."""
    r = decode_response(payload)
    if r.kind != "data":
        raise _err(f"notification is a {r.kind.replace('_', ' ')}, not DATA")
    return decode_imu_body(r.body, arrays=arrays, sample_rate_hz=sample_rate_hz)


def encode_movesense(acc_mps2, gyr_rad_s=None, *, timestamp_ms: int, ref: int = DEFAULT_REF,
                     magn_ut=None, max_payload: int | None = None) -> list[bytes]:
    """DATA notification(s) for N samples; split into DATA + DATA_PART2 (+ DATA_PART3) when
    over ``max_payload``."""
    parts = [np.asarray(acc_mps2, dtype=float)]
    if gyr_rad_s is not None:
        parts.append(np.asarray(gyr_rad_s, dtype=float) / DEG_TO_RAD)
    if magn_ut is not None:
        parts.append(np.asarray(magn_ut, dtype=float))
    body = struct.pack("<I", timestamp_ms & 0xFFFFFFFF) + np.vstack(parts).astype("<f4").tobytes()
    whole = bytes([RESP_DATA, ref]) + body
    max_payload = MAX_PAYLOAD if max_payload is None else min(max_payload, MAX_PAYLOAD)
    out, rest = [whole[:max_payload]], whole[max_payload:]
    for part in (RESP_DATA_PART2, RESP_DATA_PART3):
        if not rest:
            break
        out.append(bytes([part, ref]) + rest[:max_payload - 2])
        rest = rest[max_payload - 2:]
    if rest:
        raise ValueError(f"{len(whole)} bytes need more than three notifications of {max_payload}")
    return out


def encode_command_result(ref: int, status: int = 200) -> bytes:
    return bytes([RESP_RESULT, ref]) + struct.pack(">H", status)


class MovesenseReassembler:
    """Joins DATA + DATA_PART2 (+ DATA_PART3) per reference and decodes complete responses.

    ``streams`` maps each subscription ref to ``(kind, rate_hz)``, e.g. ``{99: ("IMU6", 104)}``
    (default: IMU6 at ``sample_rate_hz`` on the default ref). ``max_payload`` (ATT_MTU − 3)
    lets a part that does not fill the MTU be emitted at once; one that fills it may be
    continued and waits for the next notification (or `flush`). Without ``max_payload``
    every DATA waits for the next notification: a body that happens to be a whole number
    of samples at an unusual MTU proves nothing. Lost parts are reported as
    `ProtocolError` by `feed`/`flush` and dropped.
    """

    def __init__(self, streams: dict[int, tuple[str, float]] | None = None, max_payload: int | None = None,
                 sample_rate_hz: float = 104.0):
        self.streams = dict(streams or {DEFAULT_REF: ("IMU6", float(sample_rate_hz))})
        self.max_payload = max_payload
        self._pending: dict[int, bytes] = {}
        self._parts: dict[int, int] = {}  # parts received of the pending response, per ref
        self.last_result: GspResponse | None = None
        self.dropped_partial = 0  # DATA whose DATA_PART2 never came

    def _decode(self, ref: int, body: bytes) -> ImuSamples:
        kind, rate = self.streams[ref]
        return decode_imu_body(body, arrays=ARRAYS[kind], sample_rate_hz=rate)

    def _complete(self, ref: int, body: bytes) -> bool:
        block = 12 * ARRAYS[self.streams[ref][0]]
        return len(body) >= 4 + block and (len(body) - 4) % block == 0

    def feed(self, payload: bytes) -> list[ImuSamples]:
        r = decode_response(payload)
        if r.kind == "result":
            self.last_result = r
            return []
        if r.ref not in self.streams:
            raise _err(f"data for unknown reference {r.ref} (subscribed: {sorted(self.streams)})")
        out: list[ImuSamples] = []
        if r.kind in ("data_part2", "data_part3"):
            first = self._pending.pop(r.ref, None)
            received = self._parts.pop(r.ref, 0)
            wanted = 1 if r.kind == "data_part2" else 2
            if first is None or received != wanted:
                if first is not None:
                    self.dropped_partial += 1
                raise _err(f"{r.kind.upper()} for reference {r.ref} without a pending DATA"
                           f"{'' if wanted == 1 else ' and DATA_PART2'} (an earlier part lost)")
            body = first + r.body
            if len(body) > MAX_RESPONSE:
                raise _err(f"reassembled response of {len(body)} bytes is oversize")
            may_go_on = r.kind == "data_part2" and (self.max_payload is None or len(payload) >= self.max_payload)
            if may_go_on or not self._complete(r.ref, body):
                self._pending[r.ref], self._parts[r.ref] = body, wanted + 1  # a DATA_PART3 may follow
                return []
            return [self._decode(r.ref, body)]
        stale = self._pending.pop(r.ref, None)
        self._parts.pop(r.ref, None)
        error = None
        if stale is not None:
            try:
                out.append(self._decode(r.ref, stale))
            except ProtocolError as exc:  # its second half was lost
                error = exc
                self.dropped_partial += 1
        full = self.max_payload is None or len(payload) >= self.max_payload
        if self._complete(r.ref, r.body) and not full:
            out.append(self._decode(r.ref, r.body))
        else:
            self._pending[r.ref], self._parts[r.ref] = r.body, 1
        if error is not None and not out:
            raise _err(f"DATA for reference {r.ref} dropped: its DATA_PART2 never came ({error.reason})")
        return out

    def flush(self) -> list[ImuSamples]:
        """Emit pending DATA that is complete on its own; drop (and report) the rest."""
        out, bad = [], []
        for ref, body in list(self._pending.items()):
            del self._pending[ref]
            self._parts.pop(ref, None)
            try:
                out.append(self._decode(ref, body))
            except ProtocolError:
                bad.append(ref)
                self.dropped_partial += 1
        if bad and not out:
            raise _err(f"pending DATA for references {bad} incomplete at flush (DATA_PART2 lost)")
        return out
