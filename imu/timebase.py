"""Sample times from device counters and clocks, clock drift against the host, losses.

Pure numpy, no I/O. Three situations (see `DeviceProfile.has_counter/has_timestamp`):

1. The device sends a packet sequence number and a clock value per packet (hinge open):
   `unwrap_counter` makes both monotonic, `packet_losses` finds missing packets, and
   `sample_times` gives every sample its device time (``t_first + i / rate``), with the
   rate refined from consecutive packets (`estimate_rate_hz`).
2. Device time against host arrival: `fit_clock` is a robust straight-line fit of host
   arrival time on device time. Arrival = device time × scale + offset + a positive,
   bursty latency, so the fit uses the lower envelope (the earliest arrivals), trimmed
   iteratively; ``drift_ppm`` is how much faster the device clock runs than the host's,
   and `ClockFit.to_host` corrects device times onto the host clock.
3. No counter and no clock (WitMotion): `arrival_sample_times` / `ArrivalClock` place
   samples at the nominal period and detect losses only from arrival timing, telling a
   loss from a burst of late deliveries by waiting up to 0.25 s; such gaps are
   *uncertain* (how many samples are missing is an estimate) and are flagged as such.

Never invents samples: every function returns one time per received sample.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hinge.firmware_protocol.samples import unwrap_counter

__all__ = ["unwrap_counter", "packet_losses", "sample_times", "estimate_rate_hz", "ClockFit", "fit_clock",
           "ArrivalTiming", "ArrivalClock", "arrival_sample_times", "Gap", "Unwrapper"]


@dataclass(frozen=True)
class Gap:
    """A stretch with missing samples: ``onset_s`` (where the first missing sample
    belongs: one period after the last good one), ``duration_s`` (from there to the first
    good sample after), ``n_missing`` (exact when the device counts, an estimate when
    ``uncertain``)."""

    onset_s: float
    duration_s: float
    n_missing: int
    uncertain: bool = False


def packet_losses(sequence, bits: int = 16) -> tuple[np.ndarray, np.ndarray]:
    """Unwrapped sequence numbers and, per packet, how many packets were lost just before it.

    A step of 0 or backwards (a device reset or a duplicate) counts as no loss; the
    caller sees it as a non-positive step in the unwrapped sequence.
    """
    seq = unwrap_counter(sequence, bits)
    lost = np.zeros(seq.shape, dtype=np.int64)
    if seq.size > 1:
        lost[1:] = np.maximum(np.diff(seq) - 1, 0)
    return seq, lost


def estimate_rate_hz(t_first_s, n_samples, nominal_rate_hz: float, tolerance: float = 0.05) -> float:
    """Sample rate on the device clock from consecutive packets: Δt_first / n.

    Uses only packet pairs whose implied rate is within ``tolerance`` of the nominal
    (pairs across a loss or a reset are skipped) and returns the pooled estimate
    (total samples / total time); the nominal rate when there is nothing to pool.
    """
    t = np.asarray(t_first_s, dtype=float)
    n = np.asarray(n_samples, dtype=float)
    if t.size < 2:
        return float(nominal_rate_hz)
    dt, dn = np.diff(t), n[:-1]
    with np.errstate(divide="ignore", invalid="ignore"):
        r = dn / dt
    ok = (dt > 0) & (np.abs(r / nominal_rate_hz - 1.0) <= tolerance)
    if not ok.any():
        return float(nominal_rate_hz)
    return float(dn[ok].sum() / dt[ok].sum())


def sample_times(t_first_ticks, n_samples, clock_hz: float, rate_hz: float, tick_bits: int = 32) -> np.ndarray:
    """Device time (s) of every sample: the packet's unwrapped clock + i / rate.

    ``t_first_ticks``: per-packet clock value of the first sample (wrapping u32);
    ``n_samples``: samples per packet. Returns a flat array, one time per sample,
    relative to the device clock's own epoch (the first packet's unwrapped ticks).
    """
    ticks = unwrap_counter(t_first_ticks, tick_bits)
    n = np.asarray(n_samples, dtype=np.int64)
    if ticks.size == 0:
        return np.zeros(0)
    t0 = ticks / float(clock_hz)
    starts = np.repeat(t0, n)
    offsets = np.arange(int(n.sum())) - np.repeat(np.cumsum(n) - n, n)
    return starts + offsets / float(rate_hz)


class Unwrapper:
    """Online `unwrap_counter`: feed wrapping values one at a time, get monotonic int64."""

    def __init__(self, bits: int):
        self.span = 1 << bits
        self.last: int | None = None

    def __call__(self, value: int) -> int:
        value = int(value)
        if self.last is None:
            self.last = value
        else:
            half = self.span >> 1
            self.last += (value - self.last + half) % self.span - half
        return self.last


@dataclass(frozen=True)
class ClockFit:
    """``host_s ≈ offset_s + scale × device_s`` (device clock in s, host clock in s).

    ``drift_ppm`` > 0: the device clock runs fast against the host (it counts more
    than a second per host second). ``latency_s`` is the median arrival delay above the fitted lower envelope,
    ``n_used`` the points kept by the trimming.
    """

    offset_s: float
    scale: float
    n_used: int
    latency_s: float

    @property
    def drift_ppm(self) -> float:
        return (1.0 / self.scale - 1.0) * 1e6

    def to_host(self, device_s) -> np.ndarray:
        return self.offset_s + self.scale * np.asarray(device_s, dtype=float)

    def rate_hz(self, device_rate_hz: float) -> float:
        """The device's sample rate measured on the host clock."""
        return float(device_rate_hz) / self.scale


def fit_clock(device_s, host_s, *, max_drift_ppm: float | None = 2000.0, n_bins: int = 50) -> ClockFit:
    """Robust line host = offset + scale × device through the earliest arrivals.

    Arrival delays are positive and heavy-tailed (connection events, OS scheduling,
    queued notifications), so an ordinary least-squares fit is biased by bursts. The
    data are cut into ``n_bins`` stretches of device time; the point of each with the
    smallest residual above the current line (first host − device) is a lower-envelope
    point; a line through those is refitted with points more than 3 MADs above it
    dropped; then the bin points are picked again against that line and refitted (so
    a clock far from 1 s/s, e.g. a simulated sensor run fast, is fitted as well). Needs ≥ 2 points; with a
    span under 1 s the scale is fixed to 1.
    """
    d = np.asarray(device_s, dtype=float)
    h = np.asarray(host_s, dtype=float)
    if d.shape != h.shape or d.size < 2:
        raise ValueError(f"fit_clock needs two equal-length arrays of ≥ 2 points, got {d.shape} and {h.shape}")
    span = d.max() - d.min()
    resid0 = h - d
    if span < 1.0:
        off = float(resid0.min())
        return ClockFit(off, 1.0, int(d.size), float(np.median(resid0 - off)))
    edges = np.linspace(d.min(), d.max(), n_bins + 1)
    idx = np.clip(np.searchsorted(edges, d, side="right") - 1, 0, n_bins - 1)
    order = np.argsort(idx, kind="stable")
    starts = np.searchsorted(idx[order], np.arange(n_bins))
    ends = np.r_[starts[1:], d.size]
    scale, off = 1.0, 0.0
    # Twice: the earliest arrival of each bin is judged against the line fitted so far, so
    # a clock far from 1 s/s (a simulated sensor run fast) does not bias which one it is.
    for _ in range(2):
        resid = h - (off + scale * d)
        pick = [order[a0 + np.argmin(resid[order[a0:a1]])] for a0, a1 in zip(starts, ends) if a1 > a0]
        x, y = d[pick], h[pick]
        keep = np.ones(x.size, dtype=bool)
        for _ in range(3):
            if keep.sum() < 2:
                break
            scale, off = np.polyfit(x[keep], y[keep], 1)
            r = y - (off + scale * x)
            mad = np.median(np.abs(r[keep] - np.median(r[keep]))) + 1e-9
            keep = r <= np.median(r[keep]) + 3.0 * 1.4826 * mad
    if max_drift_ppm is not None and abs(1.0 / scale - 1.0) * 1e6 > max_drift_ppm:
        raise ValueError(f"fit_clock: drift {(1.0 / scale - 1) * 1e6:.0f} ppm exceeds {max_drift_ppm:g} ppm; "
                         "device clock or rate is wrong")
    # Put the line on the lower envelope of all points, not of the bin minima only.
    off = float(off + np.min(h - (off + scale * d)))
    latency = float(np.median(h - (off + scale * d)))
    return ClockFit(off, float(scale), int(keep.sum()), latency)


@dataclass(frozen=True)
class ArrivalTiming:
    """Times for a device without counter or clock: ``t_s`` one per received sample,
    ``uncertain`` per sample (True for the first sample after a suspected loss),
    ``gaps`` the suspected losses, ``rate_hz`` the estimated real sample rate (Hz, host clock)."""

    t_s: np.ndarray
    uncertain: np.ndarray
    gaps: list[Gap]
    rate_hz: float = float("nan")


class ArrivalClock:
    """Online form of `arrival_sample_times`: `push(host_s)` -> samples released, each (t_s, gap or None).

    Sample k is put one period after sample k-1. The period starts at the nominal one
    (or ``start_period_s``) and then tracks the device's real rate, which for cheap
    modules is 1-2 % off nominal (placed at the nominal period, a 2 % fast device would
    run 12 s ahead of the host after 10 min): every ``refit_s`` a robust line
    arrival = a + b × index is fitted through the earliest arrival of each 0.5 s of
    samples over the last ``fit_window_s`` (the lower envelope, as in `fit_clock`:
    latency is positive and bursty); ``b`` is the new period and the spacing until the
    next refit also takes up the distance between the placed times and that
    line spread over 5 s (at most 2 % of a period per sample), so the times converge on the envelope
    without ever stepping back. The index counts estimated missing samples, so losses
    do not bend the line.

    Losses: a sample's residual ``arrival - placed time`` is compared with the smallest
    residual of the previous ``window_s`` (the current link latency). A residual more
    than ``max_lag_s`` above it (default: 5 periods + 60 ms of BLE burstiness) means
    samples went missing, or the radio held them back and is about to deliver them in
    a burst. The two are told apart by waiting: the sample and those after it are held
    until either one of them arrives with a normal residual again (a burst that caught
    up: nothing missing, times unchanged) or ``resolve_s`` of arrivals later the
    smallest excess residual among the held samples is still above ``max_lag_s`` (a
    loss: the held samples move later by that excess in whole periods, and the gap is
    uncertain: its size is an estimate). Early arrivals (bursts) never pull times back.

    ``start_s``: the first sample is put no earlier than this (a continuation after a
    reconnection must come after the samples already written); ``rate_hz`` is the
    current estimate of the real rate, Hz.
    """

    _BIN_S = 0.5           # one lower-envelope point per 0.5 s of samples
    _MAX_SLEW = 0.02       # phase correction: at most 2 % of a period per sample,
    _PHASE_S = 5.0         # taking up the distance to the envelope line over 5 s

    def __init__(self, nominal_rate_hz: float, *, max_lag_s: float | None = None, window_s: float = 2.0,
                 resolve_s: float = 0.25, refit_s: float = 1.0, fit_window_s: float = 120.0,
                 start_period_s: float | None = None, start_s: float | None = None):
        from collections import deque

        self.nominal_period_s = 1.0 / float(nominal_rate_hz)
        self.period_s = float(start_period_s or self.nominal_period_s)   # current estimate of the real period
        self._step_s = self.period_s                                       # spacing in use (period + phase correction)
        self.max_lag_s = 5.0 * self.nominal_period_s + 0.06 if max_lag_s is None else float(max_lag_s)
        self.window_s = float(window_s)
        self.resolve_s = float(resolve_s)
        self.start_s = start_s
        self.last_t: float | None = None      # last placed time (released or held)
        self._released_t: float | None = None
        self._window: deque = deque()         # (placed time, residual), residuals increasing
        self._held: list[tuple[float, float, int]] = []   # (tentative time, arrival, index)
        self._baseline = 0.0
        self._k = -1                          # index of the last placed sample (estimated missing ones included)
        self._bin_n = max(int(round(self._BIN_S / self.nominal_period_s)), 1)
        self._bins: deque = deque(maxlen=max(int(fit_window_s / self._BIN_S), 2))   # (index, arrival) minima
        self._bin: tuple[int, float] | None = None        # lowest point of the bin being filled
        self._bin_id = -1
        self._refit_bins = max(int(round(refit_s / self._BIN_S)), 1)
        self._bins_since_fit = 0

    @property
    def held(self) -> int:
        """Samples waiting for a decision."""
        return len(self._held)

    @property
    def rate_hz(self) -> float:
        """Estimated real sample rate on the host clock, Hz (nominal until the first refit)."""
        return 1.0 / self.period_s

    # -------------------------------------------------------------- rate tracking
    def _envelope(self, k: int, host_s: float, t: float) -> None:
        """Feed a released sample's (index, arrival) to the lower envelope; refit when due."""
        b = k // self._bin_n
        if b != self._bin_id:
            if self._bin is not None:
                self._bins.append(self._bin)
                self._bins_since_fit += 1
            self._bin_id, self._bin = b, None
            if self._bins_since_fit >= self._refit_bins and len(self._bins) >= 2:
                self._refit(k, t)
        if self._bin is None or host_s - k * self.period_s < self._bin[1] - self._bin[0] * self.period_s:
            self._bin = (k, host_s)

    def _refit(self, k_now: int, t_now: float) -> None:
        self._bins_since_fit = 0
        k, h = np.asarray(self._bins, dtype=float).T
        if k[-1] - k[0] < self._bin_n:
            return
        x = k - k[-1]
        keep = np.ones(x.size, dtype=bool)
        for _ in range(3):   # drop envelope points far above the line (a burst filled a whole bin)
            slope, icpt = np.polyfit(x[keep], h[keep], 1)
            r = h - (icpt + slope * x)
            mad = np.median(np.abs(r[keep] - np.median(r[keep]))) + 1e-9
            new = r <= np.median(r[keep]) + 3.0 * 1.4826 * mad
            if new.sum() < 2 or (new == keep).all():
                break
            keep = new
        # A rate more than 4 x off nominal is not a clock error but a wrong configuration
        # or a broken fit: stay within that.
        slope = float(np.clip(slope, self.nominal_period_s / 4.0, self.nominal_period_s * 4.0))
        self.period_s = slope
        # Distance from the line at the sample just placed, taken up over the next _PHASE_S.
        corr = (icpt + slope * (k_now - k[-1]) - t_now) * slope / self._PHASE_S
        self._step_s = slope + float(np.clip(corr, -self._MAX_SLEW * slope, self._MAX_SLEW * slope))

    # -------------------------------------------------------------- loss / burst logic
    def _remember(self, t: float, r: float) -> None:
        w = self._window
        while w and w[-1][1] >= r:
            w.pop()
        w.append((t, r))

    def push(self, host_s: float) -> list[tuple[float, Gap | None]]:
        host_s = float(host_s)
        if self.last_t is None:
            t = host_s if self.start_s is None else max(host_s, float(self.start_s))
            self.last_t = self._released_t = t
            self._k = 0
            self._remember(t, host_s - t)
            self._envelope(0, host_s, t)
            return [(t, None)]
        t = self.last_t + self._step_s
        self.last_t = t
        self._k += 1
        if self._held:
            self._held.append((t, host_s, self._k))
            excess = min(h - ti for ti, h, _ in self._held) - self._baseline
            if excess <= self.max_lag_s:
                return self._release(0.0)
            if host_s - self._held[0][1] >= self.resolve_s:
                return self._release(excess)
            return []
        w = self._window
        while len(w) > 1 and w[0][0] < t - self.window_s:
            w.popleft()
        self._baseline = w[0][1]
        if host_s - t - self._baseline > self.max_lag_s:
            self._held.append((t, host_s, self._k))
            return []
        self._remember(t, host_s - t)
        self._released_t = t
        self._envelope(self._k, host_s, t)
        return [(t, None)]

    def _release(self, excess_s: float) -> list[tuple[float, Gap | None]]:
        n_missing = int(round(excess_s / self._step_s)) if excess_s > self.max_lag_s else 0
        shift = n_missing * self._step_s
        out: list[tuple[float, Gap | None]] = []
        held, self._held = self._held, []
        for i, (t, h, k) in enumerate(held):
            t += shift
            gap = None
            if i == 0 and n_missing:
                onset = self._released_t + self._step_s
                gap = Gap(onset, t - onset, n_missing, uncertain=True)
            self._remember(t, h - t)
            self._envelope(k + n_missing, h, t)
            out.append((t, gap))
        self._k += n_missing
        self.last_t = self._released_t = out[-1][0]
        return out

    def finish(self) -> list[tuple[float, Gap | None]]:
        """Release the held samples with the best estimate so far (end of the stream)."""
        if not self._held:
            return []
        excess = min(h - t for t, h, _ in self._held) - self._baseline
        return self._release(excess)


def arrival_sample_times(host_s, nominal_rate_hz: float, *, max_lag_s: float | None = None,
                         window_s: float = 2.0) -> ArrivalTiming:
    """Times for samples that carry neither counter nor clock (one sample per arrival).

    Samples are placed at the period, nominal at first and then the device's real one
    fitted on the earliest arrivals; a loss is detected only from arrival
    timing (see `ArrivalClock`), its size is an estimate, and the first sample after
    it is flagged ``uncertain``. One time per received sample: nothing is invented.
    """
    h = np.asarray(host_s, dtype=float)
    clock = ArrivalClock(nominal_rate_hz, max_lag_s=max_lag_s, window_s=window_s)
    t = np.empty_like(h)
    uncertain = np.zeros(h.shape, dtype=bool)
    gaps: list[Gap] = []
    k = 0
    for released in [*(clock.push(float(hk)) for hk in h), clock.finish()]:
        for tk, gap in released:
            t[k] = tk
            if gap is not None:
                gaps.append(gap)
                uncertain[k] = True
            k += 1
    return ArrivalTiming(t, uncertain, gaps, clock.rate_hz)
