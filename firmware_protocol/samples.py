"""`ImuSamples`: what every decoder returns, in SI units with names that carry them.

Conventions (STYLE.md §2): acceleration in m/s² (1 g = 9.80665 m/s², the standard
gravity of ISO 80000-3 / CGPM 1901), angular rate in rad/s, time in seconds of the
*sensor's* clock (its epoch is the device's, not the host's; the acquisition layer maps
it to host time). Fields a device does not provide are ``None``, never zeros.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

__all__ = ["ImuSamples", "STANDARD_GRAVITY_MPS2", "DEG_TO_RAD", "GAP_FACTOR", "unwrap_counter"]

STANDARD_GRAVITY_MPS2 = 9.80665
DEG_TO_RAD = math.pi / 180.0
#: A step between consecutive samples longer than this many sample periods is a gap
#: (samples missing; one lost sample makes 2): the recorder's timeline, the readers' rate
#: estimate and the analysis' gap finder all use it.
GAP_FACTOR = 1.5


@dataclass(frozen=True, eq=False)
class ImuSamples:
    """Samples decoded from one packet (or one reassembled response).

    Attributes
    ----------
    acc_mps2
        (n, 3) float64 acceleration in m/s², sensor axes; ``None`` only for packets that
        carry no accelerometer data (a Polar gyroscope frame).
    gyr_rad_s
        (n, 3) float64 angular rate in rad/s, or ``None`` when the packet has no gyro.
    timestamp_s
        (n,) float64 sensor-clock time of each sample in seconds, or ``None`` when the
        device sends no clock (WitMotion). Where the packet carries one exact time
        (first sample: hinge open, Movesense; last sample: Polar), the others are spaced
        by the nominal period; see ``packet_time_s``.
    sample_counter
        (n,) int64 per-sample counter, or ``None`` (no supported device sends one yet).
    sequence
        Packet-level sequence number (hinge open: u16, wraps at 65536), else ``None``.
    packet_time_s
        The exact sensor time carried in the packet (seconds), else ``None``.
    overflow
        True when the device reports that it dropped samples before this packet.
    sent_time_s
        Sensor time at which the device sent the notification, when that is later than
        the last sample returned, else ``None``: the Verity merger hands over older samples
        than the frame that just arrived, and a Verity sends a frame once it is full, i.e.
        when the sample that no longer fits exists, one period after the frame's stamp.
        The recorder's clock fit pairs the arrival with it.
    """

    acc_mps2: np.ndarray | None
    gyr_rad_s: np.ndarray | None = None
    timestamp_s: np.ndarray | None = None
    sample_counter: np.ndarray | None = None
    sequence: int | None = None
    packet_time_s: float | None = None
    overflow: bool = False
    sent_time_s: float | None = None

    @property
    def n(self) -> int:
        """Number of samples."""
        arr = self.acc_mps2 if self.acc_mps2 is not None else self.gyr_rad_s
        return 0 if arr is None else int(arr.shape[0])

    def __repr__(self) -> str:  # short: arrays can be long
        parts = [f"n={self.n}", f"acc={'yes' if self.acc_mps2 is not None else 'no'}",
                 f"gyr={'yes' if self.gyr_rad_s is not None else 'no'}"]
        if self.timestamp_s is not None and self.n:
            parts.append(f"t0={self.timestamp_s[0]:.6f}s")
        if self.sequence is not None:
            parts.append(f"seq={self.sequence}")
        return f"ImuSamples({', '.join(parts)})"


def unwrap_counter(values, bits: int) -> np.ndarray:
    """Unwrap a wrapping unsigned counter (u16 sequence, u32 ticks) into monotonic int64.

    Each step is taken modulo 2**bits, so a wrap from 65535 to 0 counts as +1; a step of
    more than half the range is read as going backwards (a reset or reordering), which the
    caller can detect as a negative difference. Pure; for the acquisition layer.
    """
    v = np.asarray(values, dtype=np.int64)
    if v.size == 0:
        return v.copy()
    span = np.int64(1) << bits
    half = span >> 1
    steps = (np.diff(v) + half) % span - half
    return np.concatenate(([v[0]], v[0] + np.cumsum(steps)))
