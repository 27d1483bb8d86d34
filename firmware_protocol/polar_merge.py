"""Polar Verity Sense: acc and gyro PMD streams merged into 6-axis samples on the acc time base.

The Verity sends acc and gyro as separate PMD streams, each frame filled to the MTU and
stamped with the device time of its last sample, so the two streams' frames neither
start nor end together. Both come from one IMU chip sampled on one clock at the same
configured rate, so every acc sample has a gyro sample taken at the same instant.

Rule (pure, `gyro_on_acc_times`): each acc sample takes the gyro sample **nearest** in
device time if it lies within half an acc period, else NaN. Nearest rather than
interpolation because the instants coincide: interpolation would only smooth the gyro
(a low-pass between neighbours) and would make up values across a lost gyro frame,
while nearest passes the device's values through unchanged. Every acc sample is kept
and no sample is made at a gyro-only time.

Streaming (`VerityStreamDecoder`): an acc sample is emitted once the gyro stream has
reached it (its partner arrived, or gyro samples later than half a period after it did,
i.e. that gyro frame was lost: NaN gyro). The two streams are started by separate
commands and stop with the link, so their first and last frames never line up: acc
samples taken before the gyro stream's first sample, and acc samples still waiting for
their gyro partner when the stream restarts or ends, are dropped and counted in
``unpaired_acc``. They lie at the very start of a connection or next to its end (inside
the reconnection mark); writing them with NaN gyro would make the whole session
unusable for the analysis, which needs both. The recorder and recovery (`hinge.recordings.decode`) use this same decoder, so
both give the same samples.
"""
from __future__ import annotations

from dataclasses import replace

import numpy as np

from .polar_pmd import PmdResponse, PmdStreamDecoder
from .samples import ImuSamples

__all__ = ["gyro_on_acc_times", "VerityStreamDecoder"]

_ACC, _GYRO = 2, 5
MAX_WAIT_S = 10.0  # acc samples waiting longer than this for gyro are emitted with NaN gyro (no gyro stream)


def gyro_on_acc_times(acc_t_s, gyr_t_s, gyr, period_s: float) -> np.ndarray:
    """Gyro values (n, 3) for acc sample times ``acc_t_s`` (n,): nearest within ``period_s / 2``, else NaN.

    ``gyr_t_s`` (m,) increasing device times, s; ``gyr`` (m, 3) any unit. Pure.
    """
    a = np.asarray(acc_t_s, dtype=float)
    g_t = np.asarray(gyr_t_s, dtype=float)
    g = np.asarray(gyr, dtype=float).reshape(-1, 3)
    out = np.full((a.size, 3), np.nan)
    if a.size == 0 or g_t.size == 0:
        return out
    j = np.clip(np.searchsorted(g_t, a), 1, max(g_t.size - 1, 1))
    if g_t.size == 1:
        j = np.zeros(a.size, dtype=np.int64)
    else:
        left_nearer = np.abs(a - g_t[j - 1]) <= np.abs(g_t[j] - a)
        j = np.where(left_nearer, j - 1, j)
    ok = np.abs(g_t[j] - a) <= period_s / 2
    out[ok] = g[j[ok]]
    return out


class VerityStreamDecoder(PmdStreamDecoder):
    """`PmdStreamDecoder` whose `feed` returns merged 6-axis samples (see the module docstring).

    Counters: ``unpaired_acc`` (acc samples dropped at a stream restart while their
    gyro partner had not come), ``acc_without_gyro`` (acc samples emitted with NaN
    gyro because gyro samples near them never came).
    """

    def __init__(self, sample_rate_hz: float = 52.0, factors: dict[str, float] | None = None):
        super().__init__(sample_rate_hz, factors)
        self._acc_t, self._acc = np.zeros(0), np.zeros((0, 3))
        self._gyr_t, self._gyr = np.zeros(0), np.zeros((0, 3))
        self._gyr_first: float | None = None  # device time of the first gyro sample since the gyro stream (re)started
        self.unpaired_acc = 0
        self.acc_without_gyro = 0

    def feed_control(self, payload: bytes) -> PmdResponse:
        r = super().feed_control(payload)
        if r.ok and r.opcode == 2 and r.measurement == _ACC:   # acc (re)started: earlier state is stale
            self.unpaired_acc += self._acc_t.size
            self._acc_t, self._acc = np.zeros(0), np.zeros((0, 3))
            self._gyr_t, self._gyr, self._gyr_first = np.zeros(0), np.zeros((0, 3)), None
        elif r.ok and r.opcode == 2 and r.measurement == _GYRO:
            self._gyr_t, self._gyr, self._gyr_first = np.zeros(0), np.zeros((0, 3)), None
        return r

    def feed(self, payload: bytes) -> list[ImuSamples]:
        out: list[ImuSamples] = []
        newest = -np.inf
        for s in super().feed(payload):
            t = np.asarray(s.timestamp_s, dtype=float)
            if t.size:
                newest = max(newest, float(t[-1]))
            if s.acc_mps2 is not None:
                self._acc_t = np.concatenate((self._acc_t, t))
                self._acc = np.vstack((self._acc, s.acc_mps2))
            else:
                if self._gyr_first is None and t.size:
                    self._gyr_first = float(t[0])
                keep = t > self._gyr_t[-1] if self._gyr_t.size else np.ones(t.size, bool)
                self._gyr_t = np.concatenate((self._gyr_t, t[keep]))
                self._gyr = np.vstack((self._gyr, s.gyr_rad_s[keep]))
            out += self._emit()
        # The frame went out when the sample after its last one existed (it was full), and
        # its samples may be newer than the merged ones handed over (acc waits for gyro):
        # the host arrival belongs to that time (the clock fit's earliest arrivals).
        sent_s = newest + 1.0 / self.sample_rate_hz["acc"]
        return [replace(o, sent_time_s=max(sent_s, float(o.timestamp_s[-1]))) for o in out]

    def _emit(self) -> list[ImuSamples]:
        if self._acc_t.size == 0:
            return []
        period = 1.0 / self.sample_rate_hz["acc"]
        gyr = gyro_on_acc_times(self._acc_t, self._gyr_t, self._gyr, period)
        if self._gyr_first is not None and self._acc_t[0] < self._gyr_first - period / 2:
            early = self._acc_t < self._gyr_first - period / 2  # before the gyro stream began: never paired
            self.unpaired_acc += int(early.sum())
            self._acc_t, self._acc, gyr = self._acc_t[~early], self._acc[~early], gyr[~early]
            if self._acc_t.size == 0:
                return []
        matched = np.isfinite(gyr).all(axis=1)
        g_last = self._gyr_t[-1] if self._gyr_t.size else -np.inf
        waited_out = self._acc_t[-1] - self._acc_t > MAX_WAIT_S
        ready = matched | (self._acc_t + period / 2 < g_last) | waited_out
        n = int(np.argmin(ready)) if not ready.all() else ready.size
        if n == 0:
            return []
        t, acc, g = self._acc_t[:n], self._acc[:n], gyr[:n]
        self.acc_without_gyro += int((~matched[:n]).sum())
        self._acc_t, self._acc = self._acc_t[n:], self._acc[n:]
        keep = self._gyr_t >= t[-1] - period  # gyro older than the emitted acc is no longer needed
        self._gyr_t, self._gyr = self._gyr_t[keep], self._gyr[keep]
        return [ImuSamples(acc_mps2=acc, gyr_rad_s=g, timestamp_s=t, packet_time_s=float(t[-1]))]
