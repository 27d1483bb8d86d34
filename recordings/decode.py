"""Raw BLE values -> samples on the session timebase; shared by the recorder and recovery.

The recorder and `recover_session` both turn raw.log records into samples with
`RawSampleDecoder`, so a rebuilt samples.bin matches what the recorder wrote.

Timebase (FORMAT.md, "Time"): where the profile's packets carry a device clock
(hinge open, Movesense, Polar), ``t_s`` is that clock in seconds, with a wrapping u32 tick
counter unwrapped; otherwise (WitMotion) it is the host monotonic arrival time in s, the
last sample of a notification at its arrival and earlier ones spaced by the nominal
period. Samples that do not come after the previous one (duplicates, a clock step back)
are dropped and counted.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hinge.firmware_protocol import ProtocolError, get_profile
from hinge.firmware_protocol import hinge_open

from ._rawlog import RawRecord

__all__ = ["RawSampleDecoder", "DecodedBlock", "decode_raw_records"]

# Devices whose packet clock is a wrapping u32 tick counter: key -> default clock, Hz.
_U32_CLOCKS_HZ = {"hinge_open": None, "movesense": 1000.0}
_GAP_FACTOR = 1.5  # a step longer than 1.5 nominal periods is a gap


@dataclass(frozen=True)
class DecodedBlock:
    """Samples from one raw record.

    t_s (n,) s; acc_mps2 (n, 3) m/s^2; gyr_rad_s (n, 3) rad/s.
    gap: (onset_s, duration_s) of missing time before these samples, else None.
    lost_packets: notifications the sequence number says are missing before this one.
    saturated: (n,) bool, a channel at full scale (hinge open: raw int16 at -32768 or
        32767), or None where the profile's packets do not tell.
    """

    t_s: np.ndarray
    acc_mps2: np.ndarray
    gyr_rad_s: np.ndarray
    gap: tuple[float, float] | None = None
    lost_packets: int = 0
    saturated: np.ndarray | None = None

    def saturation_runs(self) -> list[tuple[float, float]]:
        """(onset_s, duration_s) of each run of saturated samples, for BAD_saturation."""
        if self.saturated is None or not self.saturated.any():
            return []
        edges = np.diff(np.concatenate(([0], self.saturated.astype(np.int8), [0])))
        starts, stops = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1) - 1
        return [(float(self.t_s[a]), float(self.t_s[b] - self.t_s[a])) for a, b in zip(starts, stops)]


class RawSampleDecoder:
    """Stateful: feed raw records in order, get `DecodedBlock`s.

    Parameters
    ----------
    profile_key
        Key of a `hinge.firmware_protocol` profile ("hinge_open", "witmotion", ...).
    nominal_rate_hz
        Output data rate, Hz; the profile default when None. A hinge-open info read in
        the raw log overrides it (and the device clock).
    device_clock_hz
        Tick rate of the hinge-open packet clock, Hz (default 32768, or the info read).

    Counters: ``bad_packets`` (ProtocolError), ``dropped_samples`` (not after the
    previous sample), ``skipped_frames`` (frames without both acc and gyro, e.g. Polar's
    separate acc/gyro frames, which this decoder does not merge).
    """

    def __init__(self, profile_key: str, nominal_rate_hz: float | None = None,
                 device_clock_hz: float | None = None):
        self.profile = get_profile(profile_key)
        self.rate_hz = float(nominal_rate_hz or self.profile.default_rate_hz)
        self.clock_hz = float(device_clock_hz or self.profile.timestamp_clock_hz or 32768.0)
        self._decoder = self._make_decoder()
        self._wrap_s = (2.0 ** 32 / self.clock_hz) if self.profile.key in _U32_CLOCKS_HZ else None
        self._offset_s = 0.0
        self._last_packet_s: float | None = None
        self._last_seq: int | None = None
        self.last_t_s: float | None = None
        self.bad_packets = 0
        self.dropped_samples = 0
        self.skipped_frames = 0

    def _make_decoder(self):
        if self.profile.key == "hinge_open":
            return hinge_open.HingeStreamDecoder(self.rate_hz, self.clock_hz)
        return self.profile.make_decoder()

    def _take_info(self, payload: bytes) -> None:
        try:
            info = hinge_open.decode_info(payload)
        except ProtocolError:
            self.bad_packets += 1
            return
        self.rate_hz, self.clock_hz = float(info.rate_hz), float(info.clock_hz)
        self._wrap_s = 2.0 ** 32 / self.clock_hz
        self._decoder = self._make_decoder()

    def feed(self, record: RawRecord) -> list[DecodedBlock]:
        """Decode one raw record (records for other characteristics give [])."""
        char = record.characteristic.lower()
        if self.profile.key == "hinge_open" and char == hinge_open.INFO_UUID and record.kind == "read":
            self._take_info(record.payload)
            return []
        if record.kind != "notify" or char != self.profile.data_uuid.lower():
            return []
        try:
            frames = self._decoder.feed(record.payload)
        except ProtocolError:
            self.bad_packets += 1
            return []
        saturated = None
        if self.profile.key == "hinge_open" and len(frames) == 1:
            raw = hinge_open.decode_data_raw(record.payload)["raw"]
            saturated = ((raw == -32768) | (raw == 32767)).any(axis=1)
        return [b for b in (self._block(f, record.host_ns, saturated) for f in frames) if b is not None]

    def _block(self, frame, host_ns: int, saturated: np.ndarray | None = None) -> DecodedBlock | None:
        if frame.acc_mps2 is None or frame.gyr_rad_s is None or frame.n == 0:
            self.skipped_frames += 1
            return None
        lost = 0
        if frame.sequence is not None:
            if self._last_seq is not None:
                lost = (frame.sequence - self._last_seq - 1) % 65536
            self._last_seq = frame.sequence
        n = frame.n
        if frame.timestamp_s is not None:
            t = np.asarray(frame.timestamp_s, float)
            if self._wrap_s is not None and frame.packet_time_s is not None:
                packet_s = float(frame.packet_time_s)
                if self._last_packet_s is not None and packet_s + self._offset_s < self._last_packet_s - self._wrap_s / 2:
                    self._offset_s += self._wrap_s
                self._last_packet_s = packet_s + self._offset_s
            t = t + self._offset_s
        else:
            t = host_ns / 1e9 - (n - 1 - np.arange(n)) / self.rate_hz
        acc, gyr = np.asarray(frame.acc_mps2, float), np.asarray(frame.gyr_rad_s, float)
        sat = saturated
        if self.last_t_s is not None:
            keep = t > self.last_t_s
            if not keep.all():
                self.dropped_samples += int((~keep).sum())
                t, acc, gyr = t[keep], acc[keep], gyr[keep]
                sat = None if sat is None else sat[keep]
        if len(t) > 1 and np.any(np.diff(t) <= 0):  # malformed spacing inside one frame
            keep = np.concatenate(([True], np.diff(t) > 0))
            self.dropped_samples += int((~keep).sum())
            t, acc, gyr = t[keep], acc[keep], gyr[keep]
            sat = None if sat is None else sat[keep]
        if len(t) == 0:
            return None
        gap = None
        period_s = 1.0 / self.rate_hz
        if self.last_t_s is not None and (t[0] - self.last_t_s > _GAP_FACTOR * period_s or lost or frame.overflow):
            onset_s = self.last_t_s + period_s
            gap = (onset_s, max(0.0, float(t[0]) - onset_s))
        self.last_t_s = float(t[-1])
        return DecodedBlock(t, acc, gyr, gap, lost, sat)


def decode_raw_records(records, profile_key: str, nominal_rate_hz: float | None = None,
                       device_clock_hz: float | None = None):
    """Decode a whole raw log: (t_s (N,), acc (N, 3), gyr (N, 3), gaps [(onset_s, duration_s)], decoder)."""
    decoder = RawSampleDecoder(profile_key, nominal_rate_hz, device_clock_hz)
    ts, accs, gyrs, gaps = [np.empty(0)], [np.empty((0, 3))], [np.empty((0, 3))], []
    for record in records:
        for block in decoder.feed(record):
            ts.append(block.t_s)
            accs.append(block.acc_mps2)
            gyrs.append(block.gyr_rad_s)
            if block.gap is not None:
                gaps.append(block.gap)
    return np.concatenate(ts), np.concatenate(accs), np.concatenate(gyrs), gaps, decoder
