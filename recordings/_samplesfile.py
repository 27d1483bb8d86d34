"""``samples.bin``: decoded samples in checksummed blocks (pure encode/decode).

Body of a ``b"hsmp"`` record (little-endian), n samples, column blocks::

    offset   size  field
    0        4     n           u32, 1-65536
    4        8n    t_s         float64, s, session timebase (sensor clock, or host time)
    4+8n     12n   acc_mps2    float32 (n, 3) row-major, m/s^2, sensor axes
    4+20n    12n   gyr_rad_s   float32 (n, 3) row-major, rad/s, sensor axes

float32 keeps 24 bits of mantissa, more than any 16-bit IMU delivers; time stays float64.
"""
from __future__ import annotations

import struct

import numpy as np

from ._framing import FrameScan, frame, scan_records

__all__ = ["SAMPLES_SIGNATURE", "SAMPLES_MAGIC", "MAX_BLOCK_SAMPLES", "encode_sample_blocks", "scan_samples"]

SAMPLES_SIGNATURE = b"HINGSMP1"
SAMPLES_MAGIC = b"hsmp"
MAX_BLOCK_SAMPLES = 65536
BYTES_PER_SAMPLE = 8 + 12 + 12
_N = struct.Struct("<I")
MAX_BODY = _N.size + BYTES_PER_SAMPLE * MAX_BLOCK_SAMPLES


def encode_sample_blocks(t_s: np.ndarray, acc_mps2: np.ndarray, gyr_rad_s: np.ndarray) -> bytes:
    """Framed blocks of at most MAX_BLOCK_SAMPLES samples each; t_s (n,), acc/gyr (n, 3)."""
    out = []
    for i in range(0, len(t_s), MAX_BLOCK_SAMPLES):
        t = np.ascontiguousarray(t_s[i:i + MAX_BLOCK_SAMPLES], dtype="<f8")
        a = np.ascontiguousarray(acc_mps2[i:i + MAX_BLOCK_SAMPLES], dtype="<f4")
        g = np.ascontiguousarray(gyr_rad_s[i:i + MAX_BLOCK_SAMPLES], dtype="<f4")
        out.append(frame(SAMPLES_MAGIC, _N.pack(len(t)) + t.tobytes() + a.tobytes() + g.tobytes()))
    return b"".join(out)


def _body_ok(body: bytes) -> str | None:
    if len(body) < _N.size:
        return "sample block shorter than its count"
    (n,) = _N.unpack_from(body)
    if n == 0 or len(body) != _N.size + BYTES_PER_SAMPLE * n:
        return f"sample block of {len(body)} bytes does not hold {n} samples"
    return None


def scan_samples(data: bytes) -> tuple[np.ndarray, np.ndarray, np.ndarray, FrameScan]:
    """(t_s (N,), acc_mps2 (N, 3), gyr_rad_s (N, 3), scan) of the valid blocks, float64."""
    scan = scan_records(data, SAMPLES_SIGNATURE, SAMPLES_MAGIC, MAX_BODY, _body_ok)
    ts, accs, gyrs = [np.empty(0)], [np.empty((0, 3))], [np.empty((0, 3))]
    for f in scan.frames:
        (n,) = _N.unpack_from(f.body)
        ts.append(np.frombuffer(f.body, "<f8", n, 4))
        accs.append(np.frombuffer(f.body, "<f4", 3 * n, 4 + 8 * n).reshape(n, 3))
        gyrs.append(np.frombuffer(f.body, "<f4", 3 * n, 4 + 20 * n).reshape(n, 3))
    return (np.concatenate(ts).astype(np.float64), np.concatenate(accs).astype(np.float64),
            np.concatenate(gyrs).astype(np.float64), scan)
