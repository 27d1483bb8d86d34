"""Raw BLE values -> samples on the session timebase; shared by the recorder and recovery.

`RawSampleDecoder` is a thin wrapper of `hinge.imu.timeline.SampleTimeline`, the same
object the live recorder feeds, so `hinge recover` rebuilds from raw.log exactly the
samples, times and annotations the recorder wrote (FORMAT.md, "Time"): device-clock
times (u32 tick counters unwrapped) where packets carry a clock, arrival-timed samples
otherwise; duplicates dropped, reordered packets put back in order, clock jumps and
reconnections annotated. Nothing is invented; every decoded sample is either returned or
counted in ``dropped_samples``.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hinge.firmware_protocol import get_profile
from hinge.imu.timeline import Block, SampleTimeline

from ._rawlog import RawRecord

__all__ = ["RawSampleDecoder", "DecodedBlock", "decode_raw_records"]

_GAPS = ("BAD_gap", "BAD_gap_uncertain")


@dataclass(frozen=True)
class DecodedBlock:
    """Samples from one raw record.

    t_s (n,) s; acc_mps2 (n, 3) m/s^2; gyr_rad_s (n, 3) rad/s.
    gap: (onset_s, duration_s) of missing samples just before these (onset where the first
        missing sample belongs, duration up to the first sample here), else None.
    lost_packets: notifications the sequence number says are missing before this one.
    notes: every annotation (onset_s, duration_s, description) these samples bring:
        BAD_gap, BAD_gap_uncertain, BAD_reconnect, BAD_clock_jump.
    saturated: (n,) bool, a channel at full scale (hinge open: raw int16 at -32768 or
        32767), or None where the profile's packets do not tell.
    """

    t_s: np.ndarray
    acc_mps2: np.ndarray
    gyr_rad_s: np.ndarray
    gap: tuple[float, float] | None = None
    lost_packets: int = 0
    saturated: np.ndarray | None = None
    notes: tuple = ()

    def saturation_runs(self) -> list[tuple[float, float]]:
        """(onset_s, duration_s) of each run of saturated samples, for BAD_saturation."""
        if self.saturated is None or not self.saturated.any():
            return []
        edges = np.diff(np.concatenate(([0], self.saturated.astype(np.int8), [0])))
        starts, stops = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1) - 1
        return [(float(self.t_s[a]), float(self.t_s[b] - self.t_s[a])) for a, b in zip(starts, stops)]


class RawSampleDecoder:
    """Stateful: feed raw records in order, get `DecodedBlock`s; call `finish` after the last.

    Parameters
    ----------
    profile_key
        Key of a `hinge.firmware_protocol` profile ("hinge_open", "witmotion", ...).
    nominal_rate_hz
        Output data rate, Hz; the profile default when None. A link record or a
        hinge-open Info read in the raw log overrides it (the Info read also sets the
        device clock).
    device_clock_hz
        Tick rate of the hinge-open packet clock, Hz (default 32768, or the info read).

    Counters: ``bad_packets`` (ProtocolError), ``dropped_samples`` (duplicates, packets
    too late to put back in order, samples not after the previous one),
    ``skipped_frames`` (frames without accelerometer data, e.g. Polar gyro frames);
    ``timeline.counts`` has the rest. ``annotations``: every annotation so far.
    """

    def __init__(self, profile_key: str, nominal_rate_hz: float | None = None,
                 device_clock_hz: float | None = None):
        self.profile = get_profile(profile_key)
        self.timeline = SampleTimeline(self.profile, nominal_rate_hz, device_clock_hz)
        self.annotations: list[tuple[float, float, str]] = []

    @property
    def rate_hz(self) -> float:
        return self.timeline.rate_hz

    @property
    def clock_hz(self) -> float:
        return self.timeline.clock_hz

    @property
    def last_t_s(self) -> float | None:
        return self.timeline.last_t

    @property
    def bad_packets(self) -> int:
        return self.timeline.counts.malformed

    @property
    def dropped_samples(self) -> int:
        return self.timeline.counts.dropped_samples

    @property
    def skipped_frames(self) -> int:
        return self.timeline.counts.skipped_frames

    def _blocks(self, blocks: list[Block]) -> list[DecodedBlock]:
        out = []
        for b in blocks:
            gap = next(((o, d) for o, d, desc in b.notes if desc in _GAPS), None)
            self.annotations += b.notes
            out.append(DecodedBlock(b.t_s, b.acc_mps2, b.gyr_rad_s, gap, b.lost_packets, b.saturated, b.notes))
        return out

    def feed(self, record: RawRecord) -> list[DecodedBlock]:
        """Decode one raw record (most records release their own samples at once; a packet
        after a missing one may wait for it, see `SampleTimeline`)."""
        return self._blocks(self.timeline.feed(record.host_ns, record.characteristic, record.payload, record.kind))

    def finish(self) -> list[DecodedBlock]:
        """The samples still held for reordering (call after the last record)."""
        return self._blocks(self.timeline.flush())


def decode_raw_records(records, profile_key: str, nominal_rate_hz: float | None = None,
                       device_clock_hz: float | None = None):
    """Decode a whole raw log: (t_s (N,), acc (N, 3), gyr (N, 3), gaps [(onset_s, duration_s)], decoder).

    ``gaps`` are the missing-sample annotations (BAD_gap, BAD_gap_uncertain);
    ``decoder.annotations`` holds all of them with their descriptions.
    """
    decoder = RawSampleDecoder(profile_key, nominal_rate_hz, device_clock_hz)
    ts, accs, gyrs, gaps = [np.empty(0)], [np.empty((0, 3))], [np.empty((0, 3))], []
    for blocks in (*(decoder.feed(r) for r in records), decoder.finish()):
        for block in blocks:
            ts.append(block.t_s)
            accs.append(block.acc_mps2)
            gyrs.append(block.gyr_rad_s)
            gaps += [(o, d) for o, d, desc in block.notes if desc in _GAPS]
    return np.concatenate(ts), np.concatenate(accs), np.concatenate(gyrs), gaps, decoder
