"""The streaming pipeline behind `hinge live`: blocks of samples in, a verdict per bend
as soon as the bend is back to upright standing.

The same steps as `pipeline.analyse`, one block at a time and with bounded memory:

    raw samples -> StreamingResampler (the offline grid, point for point)
      -> GuidedCalibration ("stand still 3 s, then one slow hinge"; its stretch is the
         start of the analysis, as `analyse(calibration_window_s=...)` does offline)
      -> still detection (only samples whose neighbourhood is complete)
      -> StreamingOrientation (Fusion, state carried across blocks)
      -> segmentation of each movement between upright-still stretches
      -> bend_verdict.judge_candidate (the offline per-bend code)

Two verdicts per bend. A PROVISIONAL one at the return to upright itself (the first
sample after a peak of at least `min_bend_deg` at which the pitch is back within the
onset level, 10 % of the excursion, of the stance before it): the same per-bend code on
the window up to that sample, with the return sample standing in for the still end
anchor the translation needs (the hips may still be moving, so it can differ). The
FINAL one, unchanged and equal to offline, once the sensor has settled (`settle_s`
later) and replaces it.

Every decision depends only on samples near it: a settled sample on the 0.35 s before
it, a quiet-standing sample on its 0.25 s neighbourhood, a movement on the 3 s of
standing before it and on its first settled upright sample after the return (so a
bend is judged the moment that sample arrives), a bend on its own window. So the live
verdicts equal the offline ones on the same recording. Memory holds the current
movement (at most `max_movement_s`, 120 s, beyond which a movement is dropped unjudged,
offline too) plus a few seconds.
"""
from __future__ import annotations

from collections import namedtuple
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .bend_verdict import judge_candidate
from .calibration import MountingCalibration, segment_signals
from .guided_calibration import CalibrationProgress, GuidedCalibration
from .inverse_model import pose_grid
from .orientation import StreamingOrientation
from .params import AnalysisParams, params_for_placement
from .bend_table import BEND_COLUMNS
from .pipeline import CALIBRATION_HINGE
from .resampling import GAP_FACTOR, estimate_sample_rate
from .segmentation import rest_posture, segment_with_params
from .stillness import lookahead_samples, runs, settle_history_samples, settled_mask, still_candidate

__all__ = ["LiveEvent", "StreamingAnalyser", "StreamingResampler"]

# Raw samples used to estimate the sample rate before the grid starts, s.
RATE_ESTIMATE_S = 2.0
# The provisional verdict uses the translation with the return sample as its end anchor.
# Measured on the benchmark's 6 sessions (benchmarks/live_latency.py) against pitch only:
# same class as the final verdict 96 % both, mean |score difference| 3.1 vs 4.5 points,
# and pitch only withdrew 3 provisional rounded-back bends as "too small".
PROVISIONAL_TRANSLATION = True
# The pitch of the last this many seconds is kept for a live plot (`pitch_trace`), s.
PITCH_TRACE_S = 30.0


class StreamingResampler:
    """`resampling.resample_uniform` one block at a time.

    The grid starts at the first sample and runs at `fs_hz`; each grid point is
    interpolated from the two samples around it exactly as offline, and grid points
    inside gaps longer than `max_interp_gap_s` are marked.
    """

    def __init__(self, fs_hz: float, max_interp_gap_s: float = 0.1):
        self.fs_hz, self.max_gap_s = float(fs_hz), max_interp_gap_s
        self.t0: float | None = None
        self.next_k = 0  # index of the next grid point
        self._last_t = None
        self._last_v = None
        self._n_full = 0

    def push(self, t_s: np.ndarray, values: np.ndarray) -> tuple[int, np.ndarray, np.ndarray, np.ndarray]:
        """Add (K,) times (s, increasing) and (K, C) values.

        Returns:
            (index of the first new grid point, grid times (G,), values (G, C), gap mask (G,)).
        """
        t_s = np.asarray(t_s, float)
        values = np.asarray(values, float).reshape(len(t_s), -1)
        k0 = self.next_k
        if len(t_s) == 0:
            return k0, np.empty(0), np.empty((0, values.shape[1])), np.zeros(0, bool)
        if self._last_t is not None:
            t_s = np.concatenate(([self._last_t], t_s))
            values = np.vstack([self._last_v, values])
        if self.t0 is None:
            self.t0 = float(t_s[0])
        fs = self.fs_hz
        self._n_full = int(np.floor((t_s[-1] - self.t0) * fs + 1e-6)) + 1  # the offline grid if it ended here
        grid = self.t0 + np.arange(k0, self._n_full) / fs
        # A grid point at (or rounding-close to) the last sample waits for the next one: a gap
        # that follows it would mark it offline.
        grid = grid[grid < t_s[-1]] if len(t_s) > 1 else grid
        n_grid = k0 + len(grid)
        out = np.empty((len(grid), values.shape[1]))
        for c in range(values.shape[1]):
            out[:, c] = np.interp(grid, t_s, values[:, c])
        gap = np.zeros(len(grid), bool)
        dt = np.diff(t_s)
        for j in np.flatnonzero((dt > GAP_FACTOR / fs) & (dt > self.max_gap_s)):
            first = np.searchsorted(grid, t_s[j], side="right")
            stop = np.searchsorted(grid, t_s[j] + dt[j], side="left")
            gap[first:stop] = True
        self.next_k = n_grid
        self._last_t, self._last_v = float(t_s[-1]), values[-1].copy()
        return k0, grid, out, gap

    def flush(self) -> tuple[int, np.ndarray, np.ndarray, np.ndarray]:
        """The recording has ended: the grid points held back at its last sample (as `push`)."""
        k0 = self.next_k
        if self._last_t is None:
            return k0, np.empty(0), np.empty((0, 0)), np.zeros(0, bool)
        n = max(self._n_full - k0, 0)
        self.next_k = k0 + n
        return k0, self.t0 + np.arange(k0, k0 + n) / self.fs_hz, np.tile(self._last_v, (n, 1)), np.zeros(n, bool)


@dataclass(frozen=True)
class LiveEvent:
    """Something the live view shows.

    kind: "calibration" (progress of the guided calibration, `progress`), "bend" (a
    final verdict, `bend`: the offline bend-table fields plus `bend_id`), "provisional"
    (a verdict at the return to upright, `bend`, same fields, `bend_id` the number its
    final verdict is expected to get), "withdrawn" (a provisional verdict, `bend`, that
    no final bend replaced: the movement was dropped or split otherwise), "dropped" (a
    movement that is not a bend, `dropped`: (start_s, end_s, reason)).
    detectable_t_s: sensor time of the newest sample when the event was decided, s.
    replaces: for a final "bend", the provisional verdict of the same bend (its peak
        lies inside the final bend), else None.
    """

    kind: str
    detectable_t_s: float
    progress: CalibrationProgress | None = None
    bend: dict | None = None
    dropped: tuple | None = None
    replaces: dict | None = None


class _Buffer:
    """Named (K, ...) arrays that grow at the end and are trimmed at the front."""

    def __init__(self):
        self.base = 0  # absolute grid index of row 0
        self.arrays: dict[str, np.ndarray] = {}
        self.n = 0

    @property
    def stop(self) -> int:
        return self.base + self.n

    def append(self, **columns: np.ndarray) -> None:
        k = len(next(iter(columns.values())))
        for name, col in columns.items():
            arr = self.arrays.get(name)
            if arr is None:
                arr = np.empty((max(1024, 2 * k),) + col.shape[1:], col.dtype)
            elif len(arr) < self.n + k:
                bigger = np.empty((max(2 * len(arr), self.n + k),) + arr.shape[1:], arr.dtype)
                bigger[:self.n] = arr[:self.n]
                arr = bigger
            arr[self.n:self.n + k] = col
            self.arrays[name] = arr
        self.n += k

    def set(self, name: str, start: int, values: np.ndarray) -> None:
        """Write `values` at absolute index `start` of an existing column."""
        self.arrays[name][start - self.base:start - self.base + len(values)] = values

    def get(self, name: str, start: int, stop: int) -> np.ndarray:
        return self.arrays[name][start - self.base:stop - self.base]

    def trim(self, keep_from: int) -> None:
        k = keep_from - self.base
        if k <= 0:
            return
        for arr in self.arrays.values():
            arr[:self.n - k] = arr[k:self.n].copy()
        self.base, self.n = keep_from, self.n - k


class _Tracker:
    """Everything after the calibration: stillness, orientation, segmentation, verdicts.

    Indices are absolute grid indices; the analysis starts at `start` (the calibration
    stretch's first sample), where the offline analysis of a guided recording starts.
    """

    def __init__(self, start: int, calib_stop: int, t0: float, fs_hz: float, calibration: MountingCalibration,
                 params: AnalysisParams):
        self.start, self.calib_stop, self.t0, self.fs = start, calib_stop, t0, fs_hz
        self.cal, self.params = calibration, params
        self.buf = _Buffer()
        self.buf.base = start
        self.orientation = StreamingOrientation(fs_hz, params.ahrs_gain)
        self.model = pose_grid(params.height_m, params.placement)
        self.margin = lookahead_samples(fs_hz)
        self.min_still = int(round(params.still_min_s * fs_hz))
        self.baseline_n = max(1, int(round(params.baseline_max_s * fs_hz)))
        self.max_movement = params.max_movement_s * fs_hz
        self.history = settle_history_samples(fs_hz, params.settle_s)
        self.quiet_end = int(round(params.quiet_end_s * fs_hz))
        # The pitch for a live plot, kept apart: the analysis buffer may drop a block's
        # samples within the same push, a plot must see them all.
        self.trace = _Buffer()
        self.trace.base = start
        self.trace_n = int(round(PITCH_TRACE_S * fs_hz))
        self.F = start  # still candidates final below this
        self.S = start  # quiet standing (still_min_s runs, upright) final below this
        self.T = start  # settled upright final below this (looks back only: every sample at once)
        self.carry = 0  # length of a still run that continues at S
        self.U = start  # segmentation has scanned below this
        self.upright_start: int | None = None  # start of the current settled upright run
        self.prev_upright: int | None = None  # start of the settled upright run before the movement
        self.move_start: int | None = None
        self.baseline = 0.0  # stance pitch before the current movement, deg
        self.fast = False  # the current movement's pitch has risen min_bend_deg: it ends when settled
        self.too_long = False
        self.rise = 0.0  # highest pitch above baseline since the movement began or the last return, deg

    def push(self, acc: np.ndarray, gyr: np.ndarray, gap: np.ndarray, sat: np.ndarray, final: bool = False):
        """Add raw grid samples (sensor axes); returns [(kind, payload)] of decided bends/drops."""
        if len(acc):
            acc, gyr = self.cal.correction.apply(acc, gyr)
            acc_seg, gyr_seg = segment_signals(acc, gyr, self.cal)
            pitch = self.orientation.update(acc_seg, gyr_seg)
            self.buf.append(acc=acc, gyr=gyr, acc_seg=acc_seg, gyr_seg=gyr_seg, gap=gap, sat=sat, pitch=pitch,
                            cand=np.zeros(len(acc), bool), upright=np.zeros(len(acc), bool),
                            settled=np.zeros(len(acc), bool))
            self.trace.append(pitch=pitch)
            if self.trace.n > 2 * self.trace_n:
                self.trace.trim(self.trace.stop - self.trace_n)
        n = self.buf.stop
        p = self.params
        # 0. Settled upright (trailing windows): final as soon as a sample arrives.
        if n > self.T:
            lo = max(self.start, self.T - (self.history - 1))
            settled = settled_mask(self.buf.get("acc", lo, n), self.buf.get("gyr", lo, n), self.fs,
                                   p.still_gyro_rad_s, p.still_acc_tolerance_mps2, settle_s=p.settle_s)[self.T - lo:]
            near_stance = rest_posture(self.buf.get("pitch", self.T, n), p.upright_pitch_deg)
            settled &= ~self.buf.get("gap", self.T, n) & near_stance
            self.buf.set("settled", self.T, settled)
            self.T = n
        # 1. Still candidates whose neighbourhood is complete (or the recording has ended).
        new_f = n if final else n - self.margin
        if new_f > self.F:
            lo = max(self.start, self.F - 2 * self.margin)
            cand = still_candidate(self.buf.get("acc", lo, n), self.buf.get("gyr", lo, n), self.fs,
                                   p.still_gyro_rad_s, p.still_acc_tolerance_mps2)
            self.buf.set("cand", self.F, cand[self.F - lo:new_f - lo])
            self.F = new_f
        # 2. Still runs of at least still_min_s; upright = still, not a long gap, pitch near stance.
        if self.F > self.S:
            cand = self.buf.get("cand", self.S, self.F)
            still = np.zeros(len(cand), bool)
            new_s, carry = self.F, 0
            for s0, s1 in runs(cand):
                length = s1 - s0 + (self.carry if s0 == 0 else 0)
                if s1 == len(cand) and not final:  # a still run that may go on
                    if length >= self.min_still:
                        still[s0:s1], carry = True, length
                    else:
                        new_s = self.S + s0
                    break
                still[s0:s1] = length >= self.min_still
            self.carry = carry
            k = new_s - self.S
            upright = (still[:k] & ~self.buf.get("gap", self.S, new_s)
                       & rest_posture(self.buf.get("pitch", self.S, new_s), p.upright_pitch_deg))
            self.buf.set("upright", self.S, upright)
            self.S = new_s
        events = self._segment(final)
        self._trim()
        return events

    def _segment(self, final: bool) -> list:
        """Scan for movements (`segmentation.movements`, one sample at a time); judge each
        at its first settled upright sample after the return."""
        events = []
        base = self.buf.base
        settled, quiet, pitch = (self.buf.arrays.get(name) for name in ("settled", "upright", "pitch"))
        i = self.U
        while i < self.T:
            if settled[i - base]:
                if self.move_start is not None and self.fast and self.S <= self.move_start:
                    break  # the anchor before the bend needs quiet standing known up to its start
                if self.move_start is not None and (self.fast or i < self.S):
                    # A bend back to upright ends at once; else only quiet_end_s of quiet standing.
                    lo = i - self.quiet_end
                    if self.fast or (lo >= self.start and quiet[lo - base:i + 1 - base].all()):
                        events += self._judge(self.move_start, i, i + 1)
                        self.move_start = None
                elif self.move_start is not None:
                    break  # wait until quiet standing is known here
                if self.upright_start is None:
                    self.upright_start = i
            else:
                if self.move_start is None:
                    self.prev_upright, self.move_start, self.fast, self.too_long = self.upright_start, i, False, False
                    lo = i if self.prev_upright is None else max(self.prev_upright, i - self.baseline_n)
                    self.baseline = float(np.median(pitch[lo - base:i - base])) if lo < i else float(pitch[i - base])
                    self.rise = 0.0
                self.upright_start = None
            if self.move_start is not None:
                rel = pitch[i - base] - self.baseline
                if self.rise >= self.params.min_bend_deg and rel < self.params.onset_fraction * self.rise:
                    # Back within the onset level after a bend: the return to upright.
                    events += self._provisional(self.move_start, i)
                    self.rise = 0.0
                self.rise = max(self.rise, rel)
                self.fast = self.fast or pitch[i - base] - self.baseline >= self.params.min_bend_deg
                self.too_long = self.too_long or i - self.move_start > self.max_movement
            i += 1
        self.U = i
        if final and self.move_start is not None:
            events += self._judge(self.move_start, self.T, self.T)
            self.move_start = None
        return events

    def _judge(self, a: int, b: int, stop: int) -> list:
        """Bends of the movement [a, b), from samples [slice start, stop)."""
        fs = self.fs
        t = lambda i: self.t0 + i / fs  # noqa: E731 - the grid time of absolute index i
        if self.too_long or b - a > self.max_movement:
            return [("dropped", (t(a), t(min(b, self.buf.stop - 1)),
                                 f"no quiet upright standing for {(b - a) / fs:.0f} s "
                                 f"(> {self.params.max_movement_s:.0f} s): movement not judged"))]
        lo = a if self.prev_upright is None else max(self.prev_upright, a - self.baseline_n)
        lo = max(lo, self.buf.base)
        stop = min(stop, self.buf.stop)
        get = lambda name: self.buf.get(name, lo, stop)  # noqa: E731
        candidates, dropped = segment_with_params(get("pitch"), get("settled"), get("upright"), fs, self.params)
        t_slice = self.t0 + np.arange(lo, stop) / fs
        events = [("dropped", (float(t_slice[r.start]), float(t_slice[min(r.end, len(t_slice) - 1)]), r.reason))
                  for r in _rows(dropped) if a <= lo + r.start < b]
        for c in _rows(candidates):
            if not a <= lo + c.start < b:
                continue  # a movement that began inside the anchor: judged later
            if lo + c.end < self.calib_stop:
                events.append(("dropped", (float(t_slice[c.start]), float(t_slice[c.end]), CALIBRATION_HINGE)))
                continue
            row, drop = judge_candidate(c, t_slice, get("acc_seg"), get("gyr_seg"), get("gap"), get("sat"),
                                        fs, self.params, self.model)
            events.append(("bend", row) if row is not None else ("dropped", drop))
        return events

    def _provisional(self, a: int, i: int) -> list:
        """The provisional verdict of the bend of movement [a, ...) that returned at sample i.

        The window [anchor before, i]: sample i is taken as the first settled sample
        (the end anchor); the final verdict replaces this one when the sensor has settled.
        """
        if self.too_long or self.S <= a or i - a > self.max_movement:
            return []  # the still anchor before is not known yet (rare), or not judged at all
        lo = a if self.prev_upright is None else max(self.prev_upright, a - self.baseline_n)
        lo = max(lo, self.buf.base)
        stop = i + 1
        get = lambda name: self.buf.get(name, lo, stop)  # noqa: E731
        settled = get("settled").copy()
        settled[-1] = True
        candidates, _ = segment_with_params(get("pitch"), settled, get("upright"), self.fs, self.params)
        candidates = candidates[(candidates.start + lo >= a) & (candidates.end + lo >= self.calib_stop)]
        if candidates.empty:
            return []
        c = _rows(candidates)[-1]  # the bend that has just returned
        if not PROVISIONAL_TRANSLATION:
            c = c._replace(anchored_after=False)
        t_slice = self.t0 + np.arange(lo, stop) / self.fs
        row, _ = judge_candidate(c, t_slice, get("acc_seg"), get("gyr_seg"), get("gap"), get("sat"),
                                 self.fs, self.params, self.model, provisional=True)
        return [] if row is None else [("provisional", row)]

    def _trim(self) -> None:
        """Forget samples no later decision needs (bounded memory)."""
        if self.move_start is not None and not self.too_long:
            a = self.move_start
            first = a if self.prev_upright is None else max(self.prev_upright, a - self.baseline_n)
        elif self.move_start is not None:
            first = self.U
        elif self.upright_start is not None:
            first = max(self.upright_start, self.U - self.baseline_n)
        else:
            first = self.U
        keep = min(first, self.F - 2 * self.margin, self.S, self.U - self.quiet_end - 1, self.T - self.history)
        if keep - self.buf.base > 4 * self.baseline_n:
            self.buf.trim(keep)


# Row types of `_rows`, by field names.
_ROW_TYPES: dict[tuple[str, ...], type] = {}


def _rows(frame: pd.DataFrame) -> list:
    """``list(frame.itertuples())``, the same fields and values, without building a new
    namedtuple class per call as pandas does: that took ~1 ms of the ~5 ms a deciding
    block costs (benchmarks/live_latency.py)."""
    fields = ("Index", *map(str, frame.columns))
    row = _ROW_TYPES.get(fields)
    if row is None:
        row = _ROW_TYPES[fields] = namedtuple("Pandas", fields, rename=True)
    return [row(*values) for values in zip(frame.index, *(frame[name] for name in frame.columns))]


class StreamingAnalyser:
    """Feed sample blocks (`push`), get `LiveEvent`s; `finish` at the end of the recording.

    Args:
        placement: skin site of the sensor (sacrum, L5, L4, L3).
        fs_hz: analysis rate, Hz; estimated from the first 2 s of samples when None
            (as the offline pipeline estimates it from the whole recording).
        params: settings; the placement preset when None.
    """

    def __init__(self, placement: str = "sacrum", fs_hz: float | None = None, params: AnalysisParams | None = None):
        self.params = params or params_for_placement(placement)
        self.fs_hz = fs_hz
        self._pending_t: list[np.ndarray] = []
        self._pending_v: list[np.ndarray] = []
        self.resampler: StreamingResampler | None = None
        self.calibrator: GuidedCalibration | None = None
        self.tracker: _Tracker | None = None
        self.calibration_window_s: tuple[float, float] | None = None
        self.calibration: MountingCalibration | None = None
        self.bends: list[dict] = []
        self.provisionals: list[dict] = []  # every provisional verdict given
        self.pending: list[dict] = []  # provisional verdicts still waiting for their final one
        self.dropped: list[tuple] = []
        self.last_t_s = float("nan")

    def push(self, t_s: np.ndarray, acc_mps2: np.ndarray, gyr_rad_s: np.ndarray,
             saturated: np.ndarray | None = None) -> list[LiveEvent]:
        """Add (K,) sample times (s, increasing), (K, 3) specific force (m/s^2) and rate (rad/s),
        and optionally (K,) bool samples with a clipped channel (as offline, `analyse(saturated=)`)."""
        t_s = np.asarray(t_s, float)
        if len(t_s) == 0:
            return []
        self.last_t_s = float(t_s[-1])
        sat = np.zeros(len(t_s)) if saturated is None else np.asarray(saturated, float)
        values = np.column_stack([acc_mps2, gyr_rad_s, sat])
        if self.resampler is None:
            self._pending_t.append(t_s)
            self._pending_v.append(values)
            t_all = np.concatenate(self._pending_t)
            if self.fs_hz is None and (t_all[-1] - t_all[0] < RATE_ESTIMATE_S or len(t_all) < 50):
                return []
            self.fs_hz = float(self.fs_hz or estimate_sample_rate(t_all))
            self.resampler = StreamingResampler(self.fs_hz, self.params.max_interp_gap_s)
            self.calibrator = GuidedCalibration(self.fs_hz, self.params)
            t_s, values = t_all, np.vstack(self._pending_v)
            self._pending_t = self._pending_v = []
        _, _, grid_v, gap = self.resampler.push(t_s, values)
        return self._grid(grid_v[:, :3], grid_v[:, 3:6], gap, grid_v[:, 6] > 0)

    def _grid(self, acc: np.ndarray, gyr: np.ndarray, gap: np.ndarray, sat: np.ndarray,
              final: bool = False) -> list[LiveEvent]:
        events: list[LiveEvent] = []
        if self.tracker is None:
            if final or self.calibrator is None:
                return events
            before = self.calibrator.progress
            progress = self.calibrator.update(acc, gyr, gap, sat)
            if progress != before:
                events.append(LiveEvent("calibration", self.last_t_s, progress=progress))
            if progress.phase != "done":
                return events
            w0, w1 = progress.window
            self.calibration = progress.calibration
            t0 = self.resampler.t0
            self.calibration_window_s = (t0 + w0 / self.fs_hz, (w1 - w0) / self.fs_hz)
            self.tracker = _Tracker(w0, w1, t0, self.fs_hz, progress.calibration, self.params)
            # The calibration stretch and everything since: the analysis starts there.
            acc, gyr, gap, sat = self.calibrator.kept
            self.calibrator.kept = None
        return events + self._events(self.tracker.push(acc, gyr, gap, sat, final))

    def _events(self, decided: list) -> list[LiveEvent]:
        out = []
        for kind, payload in decided:
            if kind == "provisional":
                row = {"bend_id": len(self.bends) + len(self.pending) + 1, **payload}
                self.pending.append(row)
                self.provisionals.append(row)
                out.append(LiveEvent("provisional", self.last_t_s, bend=row))
            elif kind == "bend":
                # Provisional verdicts of earlier bends that no final one took: withdrawn.
                out += self._withdraw(lambda p, s=payload["start_s"]: p["peak_s"] < s)
                match = next((p for p in self.pending if payload["start_s"] <= p["peak_s"] <= payload["end_s"]), None)
                if match is not None:
                    self.pending.remove(match)
                row = {"bend_id": len(self.bends) + 1, **payload}
                self.bends.append(row)
                out.append(LiveEvent("bend", self.last_t_s, bend=row, replaces=match))
            else:
                out += self._withdraw(lambda p, e=payload[1]: p["peak_s"] <= e)
                self.dropped.append(payload)
                out.append(LiveEvent("dropped", self.last_t_s, dropped=payload))
        return out

    def _withdraw(self, which) -> list[LiveEvent]:
        gone = [p for p in self.pending if which(p)]
        self.pending = [p for p in self.pending if not which(p)]
        return [LiveEvent("withdrawn", self.last_t_s, bend=p) for p in gone]

    def finish(self) -> list[LiveEvent]:
        """The recording has ended: decide what the last samples allow (a trailing movement)."""
        if self.resampler is None:
            return []
        _, _, grid_v, gap = self.resampler.flush()
        events = self._grid(grid_v[:, :3], grid_v[:, 3:6], gap, grid_v[:, 6] > 0) if len(gap) else []
        if self.tracker is None:
            return events
        events += self._grid(np.empty((0, 3)), np.empty((0, 3)), np.zeros(0, bool), np.zeros(0, bool), final=True)
        return events + self._withdraw(lambda p: True)

    def pitch_trace(self, since: int = 0) -> tuple[int, np.ndarray, np.ndarray]:
        """The pelvis pitch the verdicts use, for a live plot: analysed grid samples from
        index `since` on, of the last `PITCH_TRACE_S` at least (a reader calling less often
        misses the older ones).

        Returns (the index to pass next time, t_s (G,) sensor time in s, pitch_deg (G,)
        forward +, deg); empty before the calibration is done.
        """
        if self.tracker is None:
            return since, np.empty(0), np.empty(0)
        buf = self.tracker.trace
        lo, stop = max(since, buf.base), buf.stop
        if stop <= lo:
            return max(since, stop), np.empty(0), np.empty(0)
        return stop, self.tracker.t0 + np.arange(lo, stop) / self.fs_hz, buf.get("pitch", lo, stop).copy()

    def bends_table(self) -> pd.DataFrame:
        """The verdicts so far as the offline bend table (index bend_id, BEND_COLUMNS)."""
        frame = pd.DataFrame([{c: b[c] for c in BEND_COLUMNS} for b in self.bends], columns=BEND_COLUMNS)
        frame.index = pd.RangeIndex(1, len(frame) + 1, name="bend_id")
        return frame
