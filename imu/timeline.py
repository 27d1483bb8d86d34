"""`SampleTimeline`: raw BLE values, in arrival order, to samples on the session timebase.

The one place where packets become timed samples. The live recorder
(`hinge.imu.stream`) and `hinge recover` (`hinge.recordings.RawSampleDecoder`) both feed
it the records of raw.log in order, so a session rebuilt from raw.log has exactly the
samples, times and annotations the recorder wrote. Pure apart from its own state: no
I/O, no clocks; it only sees the host arrival times logged with each value.

Input records are ``(host_ns, characteristic, payload, kind)`` as in raw.log:

- ``link`` records (characteristic ``"link"``, payload ``b"connected rate_hz=100"``)
  that the recorder logs when a connection is up, before subscribing: what follows is a
  new connection (sequence numbers start over; the device clock may have restarted);
- the read of the profile's info value (``info_uuid``: rate and clock of the data that
  follow, hinge open);
- control notifications (Polar's factors);
- data notifications, decoded with the profile's `firmware_protocol` decoder.

Time (recordings/FORMAT.md, "Time"): devices with a clock (hinge open, Movesense,
Polar) get their **device clock** in s (tick counters narrower than 64 bits unwrapped), shifted only where
the clock jumped (``BAD_clock_jump``) or restarted across a reconnection, so that
``t_s`` stays one continuous device-clock axis. Devices without one (WitMotion) get
host arrival time placed at the device's period (`timebase.ArrivalClock`: nominal at
first, then the real rate fitted on the earliest arrivals and kept across reconnections;
losses marked ``BAD_gap_uncertain``). Faults:

- **duplicates** (the same sequence number, or the same device time, seen again on this
  connection) are dropped and counted (``duplicates``);
- **reordering**: packets that arrive ahead of a missing one wait in a small buffer (at
  most ``reorder_packets`` packets or ``reorder_hold_s`` of later arrivals) for it and
  are released in order (``reordered`` counts packets put back in order); a packet that
  comes after its place was given up is dropped and counted (``late_packets``), and the
  gap it left stays annotated ``BAD_gap``;
- **bursts** (many packets at once after a radio hiccup) change nothing: times come from
  the device clock, never from arrival;
- **time collisions** (without a clock, the first arrival after a reconnection is not
  after the last sample written): the continuation starts one period after it instead,
  and ``time_shifts`` counts it; the arrival clock then converges back on host time;
- **clock jumps** (the device clock steps while the sequence runs on, or steps by more
  than the host clock did): the packet is placed where the sequence says (or the host
  clock, without a sequence), later samples follow on the new clock shifted by the
  jump, ``BAD_clock_jump`` marks it and ``clock_jumps`` counts it.

Nothing is invented: every output time belongs to a received sample; every received
sample is either written or counted in ``dropped_samples``.
"""
from __future__ import annotations

import collections
from dataclasses import dataclass, field

import numpy as np

from hinge.firmware_protocol import DeviceProfile, ProtocolError
from hinge.firmware_protocol.samples import GAP_FACTOR

from . import timebase

__all__ = ["SampleTimeline", "Block", "LINK_CHARACTERISTIC", "link_payload", "parse_link_payload"]

LINK_CHARACTERISTIC = "link"
_JUMP_PERIODS = 2.0      # with a sequence: the clock may differ from the expected time by < 2 periods
# Without a sequence (and across reconnections) the host clock is the only check, and a
# loose one: latency (Polar: ~1 s) and simulated sensors run `speed` times fast. The device
# clock "jumped" when it went back by more than a reorder window could explain, or on by
# more than 10 x the host's step + 10 s.
_BACK_S = 2.0


def _clock_disagrees(dev_step_s: float, host_step_s: float) -> bool:
    return dev_step_s <= 0 or dev_step_s > 10.0 * max(host_step_s, 0.0) + 10.0


def link_payload(event: str, rate_hz: float | None = None, mtu: int | None = None) -> bytes:
    """Payload of a raw.log link record, e.g. ``b"connected rate_hz=100 mtu=247"``."""
    words = [event] + ([f"rate_hz={float(rate_hz):g}"] if rate_hz is not None else []) \
        + ([f"mtu={int(mtu)}"] if mtu else [])
    return " ".join(words).encode("ascii")


def parse_link_payload(payload: bytes) -> tuple[str, dict[str, float]]:
    """(event, {key: value}) of a link record; unknown or malformed fields are ignored."""
    words = bytes(payload).decode("ascii", errors="replace").split()
    fields = {}
    for word in words[1:]:
        key, _, value = word.partition("=")
        try:
            fields[key] = float(value)
        except ValueError:
            pass
    return (words[0] if words else ""), fields


@dataclass(frozen=True)
class Block:
    """Samples released by one `SampleTimeline.feed` step, in time order.

    t_s (n,) s; acc_mps2 (n, 3) m/s^2; gyr_rad_s (n, 3) rad/s (NaN where the device sent
    none); saturated (n,) bool or None (a raw value at full scale, where the profile
    declares ``full_scale_flags``);
    notes: annotations (onset_s, duration_s, description) about the time before these
    samples (a gap, a reconnection, a clock jump); lost_packets: notifications the
    sequence says are missing just before.
    """

    t_s: np.ndarray
    acc_mps2: np.ndarray
    gyr_rad_s: np.ndarray
    saturated: np.ndarray | None = None
    notes: tuple[tuple[float, float, str], ...] = ()
    lost_packets: int = 0


@dataclass
class _Packet:
    key: float                 # order: unwrapped sequence, else device time of the first sample
    host_s: float
    dev_s: np.ndarray          # device time of each sample, s (unwrapped, unshifted)
    acc: np.ndarray
    gyr: np.ndarray
    sat: np.ndarray | None
    sequence: int | None
    overflow: bool
    out_of_order: bool = False
    sent_dev_s: float | None = None  # device time the notification was sent at, unshifted (`ImuSamples.sent_time_s`)


@dataclass
class TimelineCounts:
    """Counters (all since the start): notifications decoded (``packets``), undecodable
    (``malformed``), missing by sequence (``lost_packets``), seen twice (``duplicates``),
    put back in order (``reordered``), too late to be put back (``late_packets``), clock
    steps (``clock_jumps``), clock restarts across a reconnection (``clock_restarts``),
    annotated gaps (``gaps``), samples written (``samples``) and decoded but not written
    (``dropped_samples``), frames without accelerometer data (``skipped_frames``),
    arrival-timed continuations moved later to stay after earlier samples (``time_shifts``)."""

    packets: int = 0
    malformed: int = 0
    lost_packets: int = 0
    duplicates: int = 0
    reordered: int = 0
    late_packets: int = 0
    clock_jumps: int = 0
    clock_restarts: int = 0
    gaps: int = 0
    samples: int = 0
    dropped_samples: int = 0
    skipped_frames: int = 0
    time_shifts: int = 0
    malformed_reasons: list = field(default_factory=list)


class SampleTimeline:
    """Stateful: `feed` raw records in arrival order, get `Block`s; `finish` at the end.

    ``rate_hz``: configured output data rate, Hz (the profile default when None; a link
    record or the profile's info read overrides it). ``clock_hz``: tick rate of the
    packet clock, Hz (the profile's; else 32768 until an info read says).
    ``reorder_packets`` / ``reorder_hold_s``: how long a packet after a missing one
    waits for it (packets; s of host arrival time).
    """

    def __init__(self, profile: DeviceProfile, rate_hz: float | None = None, clock_hz: float | None = None, *,
                 reorder_packets: int = 8, reorder_hold_s: float = 0.25):
        self.profile = profile
        self.rate_hz = float(rate_hz or profile.default_rate_hz)
        self.clock_hz = float(clock_hz or profile.timestamp_clock_hz or 32768.0)
        self.reorder_packets, self.reorder_hold_s = int(reorder_packets), float(reorder_hold_s)
        self.counts = TimelineCounts()
        self.mtu: int | None = None         # ATT MTU of the connection, when the link record says
        self._decoder = self._make_decoder()
        bits = profile.device_clock_bits
        # a counter narrower than 64 bits wraps during a recording (u32 ms: 50 days; u32 at 32768 Hz: 36 h)
        self._tick_unwrap = timebase.Unwrapper(bits) if bits is not None and bits < 64 else None
        self.shift_s = 0.0                  # t_s = device s + shift_s
        self.last_t: float | None = None    # t_s of the last sample released
        self.last_host_s: float | None = None
        self.last_feed_host_s: float | None = None  # host arrival of the last data notification
        self._last_dev_end: float | None = None
        self._last_n = 0
        self.fit_points: list[tuple[float, float]] = []   # (t_s of a packet's last sample, host arrival s)
        self._rate_dn = 0.0                 # pooled samples / device seconds between consecutive packets
        self._rate_dt = 0.0
        self._prev_first: tuple[float, int] | None = None
        self._arrival: timebase.ArrivalClock | None = None
        self._arrival_period_s: float | None = None   # last estimate of the real period (kept across reconnections)
        self._arrival_rate_hz: float | None = None     # ... for this configured rate
        self._arrival_rows: collections.deque = collections.deque()
        self._new_connection()

    # ------------------------------------------------------------------ setup
    def _make_decoder(self):
        options = {"sample_rate_hz": self.rate_hz, "clock_hz": self.clock_hz,
                   "max_payload": None if self.mtu is None else self.mtu - 3}
        return self.profile.make_decoder(**{k: options[k] for k in self.profile.decoder_takes
                                            if options[k] is not None})

    def _new_connection(self) -> None:
        self._fresh = True                  # the next packet released is the first of a connection
        self._seq_unwrap = timebase.Unwrapper(16)
        self._last_key: float | None = None
        self._max_key: float | None = None
        self._seen: collections.OrderedDict = collections.OrderedDict()
        self._held: dict[float, _Packet] = {}
        self._prev_first = None
        self._recent: collections.deque = collections.deque()   # digests of the last 64 data values
        self._recent_set: set = set()

    @property
    def timebase(self) -> str:
        """"sensor" when packets carry a device clock, else "host"."""
        return "sensor" if self.profile.has_timestamp else "host"

    # ------------------------------------------------------------------ input
    def feed(self, host_ns: int, characteristic: str, payload: bytes, kind: str = "notify") -> list[Block]:
        """One raw record; returns the samples it releases (possibly none)."""
        char = characteristic.lower()
        host_s = host_ns / 1e9
        if char == LINK_CHARACTERISTIC:
            event, fields = parse_link_payload(payload)
            if event != "connected":
                return []
            out = self.flush()
            if fields.get("rate_hz", 0) > 0:
                self.rate_hz = fields["rate_hz"]
            self.mtu = int(fields["mtu"]) if fields.get("mtu", 0) >= 23 else None
            self._decoder = self._make_decoder()
            self._new_connection()
            return out
        if self.profile.info_uuid and char == self.profile.info_uuid.lower() and kind == "read":
            try:
                info = self.profile.decode_info(bytes(payload))
            except ProtocolError:
                self.counts.malformed += 1
                return []
            self.rate_hz, self.clock_hz = float(info.rate_hz), float(info.clock_hz)
            self._decoder = self._make_decoder()
            return []
        if kind != "notify":
            return []
        if self.profile.control_uuid and char == self.profile.control_uuid.lower() \
                and hasattr(self._decoder, "feed_control"):
            try:
                self._decoder.feed_control(bytes(payload))
            except ProtocolError:
                pass
            return []
        if char != self.profile.data_uuid.lower():
            return []
        if self.profile.has_timestamp and len(payload) > 8:
            # Frames that carry a device time are unique: the same bytes again are a
            # retransmission. Dropped before decoding, since stateful decoders (Polar's
            # acc/gyro merge, Movesense's two-part responses) would be confused by it.
            # (Short values are command responses, which may repeat; data frames are longer.)
            digest = hash(bytes(payload))
            if digest in self._recent:
                self.counts.packets += 1
                self.counts.duplicates += 1
                return []
            self._recent.append(digest)
            self._recent_set.add(digest)
            if len(self._recent) > 64:
                self._recent_set.discard(self._recent.popleft())
        try:
            frames = self._decoder.feed(bytes(payload))
        except ProtocolError as e:
            self.counts.malformed += 1
            if len(self.counts.malformed_reasons) < 20:
                self.counts.malformed_reasons.append(str(e))
            return []
        self.counts.packets += 1
        self.last_feed_host_s = host_s
        sat = None
        if self.profile.full_scale_flags is not None and len(frames) == 1:  # flags are per sample of the payload
            sat = self.profile.full_scale_flags(bytes(payload))
        return self._release_frames(frames, host_s, sat, hash(bytes(payload)))

    def _release_frames(self, frames, host_s: float, sat, digest) -> list[Block]:
        out: list[Block] = []
        for i, frame in enumerate(frames):
            if frame.acc_mps2 is None or frame.n == 0:
                self.counts.skipped_frames += 1
                continue
            acc = np.asarray(frame.acc_mps2, dtype=float)
            gyr = (np.full((frame.n, 3), np.nan) if frame.gyr_rad_s is None
                   else np.asarray(frame.gyr_rad_s, dtype=float))
            if frame.timestamp_s is None:
                out += self._arrival_samples(host_s, acc, gyr)
            else:
                out += self._clocked(frame, host_s, acc, gyr, sat, (digest, i))
        return out

    def flush(self) -> list[Block]:
        """Release everything held (a response the decoder still holds for a possible next
        part, the reorder buffer, unresolved arrival losses)."""
        out = []
        if hasattr(self._decoder, "flush") and self.last_feed_host_s is not None:
            try:
                held = self._decoder.flush()
            except ProtocolError as e:
                held = []
                self.counts.malformed += 1
                if len(self.counts.malformed_reasons) < 20:
                    self.counts.malformed_reasons.append(str(e))
            if held:
                out += self._release_frames(held, self.last_feed_host_s, None, ("flush", self.counts.packets))
        out += self._pump(None, force=True)
        if self._arrival is not None:
            out += self._arrival_release(self._arrival.finish())
            self._arrival_period_s = self._arrival.period_s
            self._arrival = None
        return out

    finish = flush

    # ------------------------------------------------------------------ devices with a clock
    def _clocked(self, frame, host_s, acc, gyr, sat, digest) -> list[Block]:
        ts = np.asarray(frame.timestamp_s, dtype=float)
        sent = frame.sent_time_s
        if self._tick_unwrap is not None and frame.packet_time_s is not None:
            ticks = self._tick_unwrap(int(round(frame.packet_time_s * self.clock_hz)))
            unwrapped_by = ticks / self.clock_hz - float(frame.packet_time_s)
            ts = ts + unwrapped_by
            sent = None if sent is None else sent + unwrapped_by
        if frame.sequence is not None:
            key = float(self._seq_unwrap(frame.sequence))
        else:
            key = round(float(ts[0]), 6)
        if self._seen.get(key) == digest:  # the same packet again (a retransmission)
            self.counts.duplicates += 1
            self.counts.dropped_samples += len(ts)
            return []
        self._seen[key] = digest
        if len(self._seen) > 1024:
            self._seen.popitem(last=False)
        packet = _Packet(key, host_s, ts, acc, gyr, sat, frame.sequence, bool(frame.overflow),
                         sent_dev_s=sent)
        if self._max_key is not None and key < self._max_key:
            packet.out_of_order = True
        self._max_key = key if self._max_key is None else max(self._max_key, key)
        if self._last_key is not None and key < self._last_key and not self._is_backward_jump(packet):
            self.counts.late_packets += 1
            self.counts.dropped_samples += len(ts)
            return []
        if key in self._held:  # same sequence, other bytes: keep the first, count the other as late
            self.counts.late_packets += 1
            self.counts.dropped_samples += len(ts)
            return []
        self._held[key] = packet
        return self._pump(host_s)

    def _is_backward_jump(self, p: _Packet) -> bool:
        """Without a sequence, a packet far before the last one is a clock step back, not a late packet."""
        return p.sequence is None and self._last_dev_end is not None and \
            float(p.dev_s[0]) < self._last_dev_end - _BACK_S

    def _is_next(self, p: _Packet) -> bool:
        if self._last_key is None or self._fresh:
            return True
        if p.sequence is not None:
            return p.key == self._last_key + 1
        step = float(p.dev_s[0]) - self._last_dev_end
        return abs(step - 1.0 / self.rate_hz) <= 0.5 / self.rate_hz or self._is_backward_jump(p)

    def _pump(self, now_s: float | None, force: bool = False) -> list[Block]:
        out: list[Block] = []
        while self._held:
            key = min(self._held)
            p = self._held[key]
            waited = now_s is not None and now_s - min(q.host_s for q in self._held.values()) >= self.reorder_hold_s
            if not (force or self._is_next(p) or len(self._held) > self.reorder_packets or waited):
                break
            del self._held[key]
            block = self._release(p)
            if block is not None:
                out.append(block)
        return out

    def _release(self, p: _Packet) -> Block | None:
        period = 1.0 / self.rate_hz
        n = len(p.dev_s)
        notes: list[tuple[float, float, str]] = []
        lost = 0
        jumped = False
        fresh = self._fresh
        if p.out_of_order:
            self.counts.reordered += 1
        if not fresh and p.sequence is not None:
            lost = int(p.key - self._last_key - 1)
        t = p.dev_s + self.shift_s
        if self.last_t is not None and fresh:
            # First packet of a new connection: did the device clock run on (a real outage)?
            dev_gap, host_gap = float(t[0]) - self.last_t, p.host_s - self.last_host_s
            if _clock_disagrees(dev_gap, host_gap):
                self.counts.clock_restarts += 1
                self.shift_s += self.last_t + max(round(host_gap / period), 1) * period - float(t[0])
                t = p.dev_s + self.shift_s
        elif self.last_t is not None:
            expected = self._last_dev_end + period + lost * self._last_n * period
            dev_step, host_step = float(p.dev_s[0]) - self._last_dev_end, p.host_s - self.last_host_s
            if p.sequence is not None:
                jumped = abs(float(p.dev_s[0]) - expected) > _JUMP_PERIODS * period
            else:
                jumped = _clock_disagrees(dev_step, host_step)
            if jumped:
                if p.sequence is not None:
                    placed = self.last_t + period + lost * self._last_n * period
                else:
                    placed = self.last_t + max(round(host_step / period), 1) * period
                self.shift_s += placed - float(t[0])
                t = p.dev_s + self.shift_s
                self.counts.clock_jumps += 1
                notes.append((self.last_t, float(t[0]) - self.last_t, "BAD_clock_jump"))
        # Never write time backwards (a frame with a bad clock inside, or a step back).
        # Keep a sample only if it comes after every earlier one (strictly increasing output).
        before = np.maximum.accumulate(np.r_[-np.inf if self.last_t is None else self.last_t, t[:-1]])
        keep = t > before
        if not keep.all():
            self.counts.dropped_samples += int((~keep).sum())
        self._last_key = p.key if (self._last_key is None or jumped) else max(self._last_key, p.key)
        if p.sequence is not None and self._prev_first is not None and lost == 0 and not notes and not fresh:
            dt, dn = float(p.dev_s[0]) - self._prev_first[0], self._prev_first[1]
            if dt > 0 and abs(dn / dt * period - 1.0) <= 0.05:
                self._rate_dn += dn
                self._rate_dt += dt
        elif p.sequence is None and self._prev_first is not None and not notes and not fresh:
            dt, dn = float(p.dev_s[0]) - self._prev_first[0], self._prev_first[1]
            if dt > 0 and abs(dn / dt * period - 1.0) <= 0.05:
                self._rate_dn += dn
                self._rate_dt += dt
        self._prev_first = (float(p.dev_s[0]), n)
        self._last_dev_end = float(p.dev_s[-1])
        self._last_n = n
        if not keep.any():
            self.last_host_s = p.host_s
            self._fresh = False
            return None
        t, acc, gyr = t[keep], p.acc[keep], p.gyr[keep]
        sat = None if p.sat is None else p.sat[keep]
        if self.last_t is not None:
            onset = self.last_t + period
            if fresh:  # an event between two samples: from the last before to the first after
                notes = [(self.last_t, float(t[0]) - self.last_t, "BAD_reconnect")]
            elif not notes and (lost or p.overflow or float(t[0]) - self.last_t > GAP_FACTOR * period):
                notes.append((onset, float(t[0]) - onset, "BAD_gap"))
                self.counts.gaps += 1
        self.counts.lost_packets += lost
        self.counts.samples += len(t)
        # The arrival pairs with the time the notification was sent (a merged stream may
        # hand over older samples than the frame that just arrived).
        sent = float(t[-1]) if p.sent_dev_s is None else max(float(t[-1]), p.sent_dev_s + self.shift_s)
        self.fit_points.append((sent, p.host_s))
        if len(self.fit_points) > 20000:
            del self.fit_points[::2]
        self.last_t, self.last_host_s, self._fresh = float(t[-1]), p.host_s, False
        return Block(t, acc, gyr, sat, tuple(notes), lost)

    # ------------------------------------------------------------------ devices without a clock
    def _arrival_samples(self, host_s: float, acc: np.ndarray, gyr: np.ndarray) -> list[Block]:
        if self._arrival is None:
            # A continuation starts no earlier than one period after the last sample
            # written: a time collision moves it later (counted), it never drops samples.
            period = self._arrival_period_s if self._arrival_period_s and self._arrival_rate_hz == self.rate_hz \
                else None
            self._arrival_rate_hz = self.rate_hz
            start = None if self.last_t is None else self.last_t + (period or 1.0 / self.rate_hz)
            if start is not None and host_s < start:
                self.counts.time_shifts += 1
            self._arrival = timebase.ArrivalClock(self.rate_hz, start_period_s=period, start_s=start)
        released = []
        for i in range(len(acc)):
            self._arrival_rows.append((host_s + i * 1e-6, acc[i], gyr[i]))
            released += self._arrival.push(host_s + i * 1e-6)
        return self._arrival_release(released)

    def _arrival_release(self, released) -> list[Block]:
        out: list[Block] = []
        for t, gap in released:
            host_s, acc, gyr = self._arrival_rows.popleft()
            notes = []
            if self.last_t is not None and t <= self.last_t:   # cannot happen (start_s); counted if it did
                self.counts.dropped_samples += 1
                continue
            if self._fresh and self.last_t is not None:
                notes.append((self.last_t, t - self.last_t, "BAD_reconnect"))
            elif gap is not None:
                notes.append((gap.onset_s, gap.duration_s, "BAD_gap_uncertain"))
                self.counts.gaps += 1
            self._fresh = False
            self.last_t, self.last_host_s = t, host_s
            self.counts.samples += 1
            self.fit_points.append((t, host_s))
            if len(self.fit_points) > 20000:
                del self.fit_points[::2]
            out.append(Block(np.array([t]), acc[None, :], gyr[None, :], None, tuple(notes), 0))
        return out

    # ------------------------------------------------------------------ rate and drift
    @property
    def device_rate_hz(self) -> float:
        """Samples per second of the device clock, pooled over consecutive packets (the
        configured rate until there is something to pool). Without a clock: the arrival
        clock's estimate of the real rate (host clock)."""
        if self._arrival is not None:
            return self._arrival.rate_hz
        if self._arrival_period_s and self._arrival_rate_hz == self.rate_hz:
            return 1.0 / self._arrival_period_s
        if self._rate_dt > 1.0:
            return self._rate_dn / self._rate_dt
        return self.rate_hz

    def clock_fit(self, max_drift_ppm: float | None = 2000.0) -> timebase.ClockFit | None:
        """``host_s = offset_s + scale * t_s`` over the whole stream; None before 2 packets.

        Before 2 s and 20 packets the drift is not fitted (scale 1, the offset through the
        earliest arrival): a still Verity at 52 Hz sends a frame every few seconds, and a
        short recording of one must still be put on the host clock (100 ppm over 30 s is 3 ms).
        """
        if len(self.fit_points) < 2:
            return None
        d, h = np.asarray(self.fit_points).T
        if len(self.fit_points) < 20 or d.max() - d.min() < 2.0:
            offset_s = float(np.min(h - d))
            return timebase.ClockFit(offset_s, 1.0, int(d.size), float(np.median(h - d - offset_s)))
        try:
            return timebase.fit_clock(d, h, max_drift_ppm=max_drift_ppm)
        except ValueError:
            return None

    def host_rate_hz(self, fit: timebase.ClockFit | None) -> float:
        """The sample rate on the host clock, Hz: the device rate corrected for the clock drift."""
        return self.device_rate_hz if fit is None else fit.rate_hz(self.device_rate_hz)
