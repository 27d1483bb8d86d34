"""Checksummed record framing shared by ``raw.log`` and ``samples.bin`` (pure, no I/O).

A framed file is an 8-byte ASCII signature followed by records::

    offset  size  field
    0       4     magic       record kind, 4 ASCII bytes (b"hraw" or b"hsmp")
    4       4     length      u32 little-endian, L = size of the body in bytes
    8       L     body        kind-specific
    8+L     4     crc32       u32 little-endian, zlib/IEEE CRC-32 of bytes 0 .. 8+L

`scan_records` walks a byte buffer and stops at the first record that is truncated, has
a wrong magic, an impossible length or a CRC mismatch; everything before it is trusted,
nothing after it is read (a damaged tail is cut, never misread).
"""
from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass

__all__ = ["SIGNATURE_SIZE", "HEADER_SIZE", "TRAILER_SIZE", "frame", "Frame", "FrameScan", "scan_records",
           "resync_records"]

SIGNATURE_SIZE = 8
HEADER_SIZE = 8
TRAILER_SIZE = 4
_HEAD = struct.Struct("<4sI")
_CRC = struct.Struct("<I")


def frame(magic: bytes, body: bytes) -> bytes:
    """One record: magic, u32 length, body, CRC-32 over all of it."""
    head = _HEAD.pack(magic, len(body))
    crc = zlib.crc32(body, zlib.crc32(head))
    return head + body + _CRC.pack(crc)


@dataclass(frozen=True)
class Frame:
    """A valid record: its byte offset in the file and its body."""

    offset: int
    body: bytes


@dataclass(frozen=True)
class FrameScan:
    """Outcome of `scan_records`.

    frames: the valid records, in file order.
    valid_bytes: length of the trusted prefix (signature + valid records), bytes.
    file_bytes: total length of the buffer, bytes.
    problem: None when the whole buffer is valid, else one line saying what is wrong at
        byte ``valid_bytes`` (truncated record, bad magic, bad length, CRC mismatch).
    """

    frames: list[Frame]
    valid_bytes: int
    file_bytes: int
    problem: str | None

    @property
    def damaged_bytes(self) -> int:
        """Bytes after the trusted prefix."""
        return self.file_bytes - self.valid_bytes


def scan_records(data: bytes, signature: bytes, magic: bytes, max_body: int,
                 body_ok=None) -> FrameScan:
    """Split ``data`` (a whole framed file) into valid records, stopping at the first bad one.

    ``body_ok(body) -> str | None`` may reject a body whose CRC is fine but whose layout
    is impossible (returns the reason). A missing or wrong signature makes the whole
    file invalid (``valid_bytes`` 0).
    """
    view = memoryview(data)
    n = len(data)
    if n < SIGNATURE_SIZE:
        return FrameScan([], 0, n, f"file of {n} bytes is shorter than its {SIGNATURE_SIZE}-byte signature")
    if bytes(view[:SIGNATURE_SIZE]) != signature:
        found = bytes(view[:SIGNATURE_SIZE])
        return FrameScan([], 0, n, f"signature {found!r} is not {signature!r}")
    frames: list[Frame] = []
    pos = SIGNATURE_SIZE
    problem = None
    while pos < n:
        if n - pos < HEADER_SIZE:
            problem = f"truncated record header at byte {pos} ({n - pos} of {HEADER_SIZE} bytes)"
            break
        got_magic, length = _HEAD.unpack_from(view, pos)
        if got_magic != magic:
            problem = f"bad record magic {got_magic!r} at byte {pos} (expected {magic!r})"
            break
        if length > max_body:
            problem = f"record at byte {pos} claims {length} bytes (max {max_body})"
            break
        end = pos + HEADER_SIZE + length + TRAILER_SIZE
        if end > n:
            problem = f"truncated record at byte {pos} ({n - pos} of {end - pos} bytes)"
            break
        (crc,) = _CRC.unpack_from(view, end - TRAILER_SIZE)
        if zlib.crc32(view[pos:end - TRAILER_SIZE]) != crc:
            problem = f"CRC mismatch in record at byte {pos}"
            break
        body = bytes(view[pos + HEADER_SIZE:end - TRAILER_SIZE])
        reason = body_ok(body) if body_ok is not None else None
        if reason is not None:
            problem = f"record at byte {pos}: {reason}"
            break
        frames.append(Frame(pos, body))
        pos = end
    return FrameScan(frames, pos, n, problem)


def resync_records(data: bytes, magic: bytes, max_body: int, body_ok=None) -> list[Frame]:
    """Every valid record of ``data`` after its signature, skipping damaged bytes.

    Where `scan_records` stops at the first bad byte (a flipped bit in the signature, a
    torn record), this looks for the next position where a record begins: the magic, a
    plausible length and a matching CRC (a false match needs 2^-32 luck on top of the magic).
    """
    view = memoryview(data)
    n = len(data)
    frames: list[Frame] = []
    pos = SIGNATURE_SIZE
    while pos + HEADER_SIZE + TRAILER_SIZE <= n:
        at = data.find(magic, pos)
        if at < 0 or at + HEADER_SIZE + TRAILER_SIZE > n:
            break
        _, length = _HEAD.unpack_from(view, at)
        end = at + HEADER_SIZE + length + TRAILER_SIZE
        if length <= max_body and end <= n:
            (crc,) = _CRC.unpack_from(view, end - TRAILER_SIZE)
            body = bytes(view[at + HEADER_SIZE:end - TRAILER_SIZE])
            if zlib.crc32(view[at:end - TRAILER_SIZE]) == crc and (body_ok is None or body_ok(body) is None):
                frames.append(Frame(at, body))
                pos = end
                continue
        pos = at + 1
    return frames
