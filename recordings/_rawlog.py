"""``raw.log``: every BLE value as it arrived (host time, characteristic, bytes).

Body of a ``b"hraw"`` record (little-endian)::

    offset  size  field
    0       8     host_ns         u64, host monotonic clock at arrival (time.monotonic_ns), ns
    8       1     kind            0 = notification/indication, 1 = read, 2 = write (host -> device)
    9       1     char_len        C, 1-255
    10      C     characteristic  UTF-8, the characteristic UUID in lower case (or a short name)
    10+C    rest  payload         the value, 0-65535 bytes
"""
from __future__ import annotations

import os
import struct
from dataclasses import dataclass
from pathlib import Path

from ._framing import FrameScan, frame, resync_records, scan_records

__all__ = ["RAW_SIGNATURE", "RAW_MAGIC", "KINDS", "RawRecord", "encode_raw_record", "scan_raw_log", "resync_raw_log",
           "iter_raw_records", "RawRecordIterator"]

RAW_SIGNATURE = b"HINGRAW1"
RAW_MAGIC = b"hraw"
KINDS = ("notify", "read", "write")
MAX_PAYLOAD_BYTES = 65535
_FIXED = struct.Struct("<QBB")
MAX_BODY = _FIXED.size + 255 + MAX_PAYLOAD_BYTES


@dataclass(frozen=True)
class RawRecord:
    """One logged BLE value.

    offset: byte offset of the record in raw.log.
    host_ns: host monotonic time at arrival, ns.
    characteristic: characteristic UUID (lower case) or short name.
    payload: the value's bytes.
    kind: "notify", "read" or "write".
    """

    offset: int
    host_ns: int
    characteristic: str
    payload: bytes
    kind: str = "notify"


def encode_raw_record(host_ns: int, characteristic: str, payload: bytes, kind: str = "notify") -> bytes:
    """Bytes of one framed raw record (see the module docstring)."""
    name = characteristic.encode("utf-8")
    if not 1 <= len(name) <= 255:
        raise ValueError(f"characteristic name of {len(name)} bytes (expected 1-255)")
    if len(payload) > MAX_PAYLOAD_BYTES:
        raise ValueError(f"payload of {len(payload)} bytes (max {MAX_PAYLOAD_BYTES})")
    if not 0 <= host_ns < 1 << 64:
        raise ValueError(f"host_ns {host_ns} does not fit u64")
    body = _FIXED.pack(host_ns, KINDS.index(kind), len(name)) + name + bytes(payload)
    return frame(RAW_MAGIC, body)


def _body_ok(body: bytes) -> str | None:
    if len(body) < _FIXED.size + 1:
        return f"body of {len(body)} bytes is shorter than its {_FIXED.size + 1}-byte minimum"
    _, kind, name_len = _FIXED.unpack_from(body)
    if kind >= len(KINDS):
        return f"unknown kind {kind}"
    if name_len == 0 or _FIXED.size + name_len > len(body):
        return f"characteristic length {name_len} does not fit the body"
    return None


def _decode_body(offset: int, body: bytes) -> RawRecord:
    host_ns, kind, name_len = _FIXED.unpack_from(body)
    name = body[_FIXED.size:_FIXED.size + name_len].decode("utf-8", errors="replace")
    return RawRecord(offset, host_ns, name, body[_FIXED.size + name_len:], KINDS[kind])


def resync_raw_log(data: bytes) -> tuple[list[RawRecord], bytes]:
    """Every valid record of a damaged raw.log (damaged bytes skipped), and the file they make."""
    frames = resync_records(data, RAW_MAGIC, MAX_BODY, _body_ok)
    clean = RAW_SIGNATURE + b"".join(frame(RAW_MAGIC, f.body) for f in frames)
    return [_decode_body(f.offset, f.body) for f in frames], clean


def scan_raw_log(data: bytes) -> tuple[list[RawRecord], FrameScan]:
    """Valid records of a raw.log held in memory, and the scan (trusted prefix, problem)."""
    scan = scan_records(data, RAW_SIGNATURE, RAW_MAGIC, MAX_BODY, _body_ok)
    return [_decode_body(f.offset, f.body) for f in scan.frames], scan


class RawRecordIterator:
    """Iterates the valid records of a raw.log; after the loop, says where it stopped.

    Attributes (set once iteration has finished):
        valid_bytes: length of the trusted prefix, bytes.
        file_bytes: file size, bytes.
        problem: None if the whole file is valid, else one line (e.g. "CRC mismatch in
            record at byte 5120"); records from that byte on are not returned.
    """

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        self.valid_bytes: int | None = None
        self.file_bytes: int | None = None
        self.problem: str | None = None

    def __iter__(self):
        records, scan = scan_raw_log(self.path.read_bytes())
        self.valid_bytes, self.file_bytes, self.problem = scan.valid_bytes, scan.file_bytes, scan.problem
        return iter(records)

    @property
    def damaged(self) -> bool:
        return self.problem is not None


def iter_raw_records(path: str | os.PathLike) -> RawRecordIterator:
    """Records of ``path`` (a raw.log) in order, stopping before a damaged or truncated tail.

    >>> it = iter_raw_records("session/raw.log")
    >>> for record in it: ...
    >>> it.problem, it.valid_bytes   # None, file size -- or where and why it stopped
    """
    return RawRecordIterator(path)

