"""The two-sensor verdict live: buffered samples of both sensors, one final sacral bend at a time.

`hinge live` runs the one-sensor `streaming.StreamingAnalyser` on the lower sensor; this
keeps the last samples of both sensors (on the shared time base), calibrates each from
the guided-calibration stretch once both have it (`calibrate_sensor`, the stretch alone,
as `analyse_pair` does offline with the same window), and judges each final sacral bend
with `pair_bend_verdict` as soon as both sensors have sent PAD_S past its end. The
verdict reads only the bend's own window, so it equals the offline one.
"""
from __future__ import annotations

import numpy as np

from ..calibration import CalibrationError, MountingCalibration
from ..params import AnalysisParams, params_for_placement
from ._bend import PAD_S, PairBend, PairedSensor, pair_bend_verdict
from ._sensor import calibrate_sensor

# Samples kept per sensor beyond what pending bends need, s (a bend plus its pads fits).
KEEP_S = 60.0


class _Samples:
    """Appended (K,) times and (K, 3) acc/gyr blocks of one sensor, trimmed from the front.

    Blocks are joined only when read (`arrays`), not on every push: a 400 Hz stream pushed
    in blocks of a few samples would otherwise copy the whole buffer each time.
    """

    def __init__(self):
        self.t_s, self.acc, self.gyr = np.empty(0), np.empty((0, 3)), np.empty((0, 3))
        self.sat = np.empty(0, bool)  # (K,) a clipped channel, per kept sample
        self._blocks: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []
        self._last_s = float("-inf")

    def append(self, t_s, acc_mps2, gyr_rad_s, saturated=None) -> None:
        t_s = np.asarray(t_s, float)
        saturated = np.zeros(t_s.shape, bool) if saturated is None else np.asarray(saturated, bool)
        acc_mps2, gyr_rad_s = np.asarray(acc_mps2, float), np.asarray(gyr_rad_s, float)
        keep = np.isfinite(t_s) & np.isfinite(acc_mps2).all(axis=1) & np.isfinite(gyr_rad_s).all(axis=1)
        # A repeated or late sample is not a new one: times stay strictly increasing.
        keep &= t_s > np.maximum.accumulate(np.concatenate([[self._last_s], t_s]))[:-1]
        if keep.any():
            self._blocks.append((t_s[keep], acc_mps2[keep], gyr_rad_s[keep], saturated[keep]))
            self._last_s = float(t_s[keep][-1])

    def arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        if self._blocks:
            self.t_s = np.concatenate([self.t_s] + [b[0] for b in self._blocks])
            self.acc = np.vstack([self.acc] + [b[1] for b in self._blocks])
            self.gyr = np.vstack([self.gyr] + [b[2] for b in self._blocks])
            self.sat = np.concatenate([self.sat] + [b[3] for b in self._blocks])
            self._blocks = []
        return self.t_s, self.acc, self.gyr

    def trim_before(self, t_s: float) -> None:
        self.arrays()
        first = int(np.searchsorted(self.t_s, t_s))
        self.t_s, self.acc, self.gyr, self.sat = self.t_s[first:], self.acc[first:], self.gyr[first:], self.sat[first:]

    def last_s(self) -> float:
        return self._last_s


class PairLiveJudge:
    """Two-sensor verdicts of the final sacral bends of a live recording.

    Usage: `push_lower` / `push_upper` sample blocks as they arrive (times on the shared
    base, s); `set_calibration_window` with `StreamingAnalyser.calibration_window_s` once it
    is known; `add_bend` for each final sacral bend (a bend-table row as a mapping);
    `ready()` returns the verdicts that both sensors' samples now allow.

    Args:
        fs_hz: the analysis rate, Hz (the lower analyser's).
        placement: the lower sensor's site.
    """

    def __init__(self, fs_hz: float, placement: str = "sacrum", params: AnalysisParams | None = None):
        self.fs_hz, self.placement = float(fs_hz), placement
        self.params = params or params_for_placement(placement)
        self.lower, self.upper = _Samples(), _Samples()
        self.window_s: tuple[float, float] | None = None
        self.calibrations: tuple[MountingCalibration, MountingCalibration] | None = None
        self.calibration_error: str | None = None
        self.pending: list[tuple[int, dict]] = []

    def push_lower(self, t_s, acc_mps2, gyr_rad_s) -> None:
        self.lower.append(t_s, acc_mps2, gyr_rad_s)

    def push_upper(self, t_s, acc_mps2, gyr_rad_s, saturated=None) -> None:
        """Add an upper-sensor block; `saturated` (K,) bool marks samples with a clipped
        channel (their bends get `PairBend.upper_saturated`, as offline)."""
        self.upper.append(t_s, acc_mps2, gyr_rad_s, saturated)

    def set_calibration_window(self, window_s: tuple[float, float]) -> None:
        self.window_s = (float(window_s[0]), float(window_s[1]))

    def add_bend(self, bend_id: int, bend) -> None:
        self.pending.append((int(bend_id), dict(bend)))

    def _calibrate(self) -> bool:
        if self.calibrations is not None:
            return True
        if self.window_s is None or self.calibration_error is not None:
            return False
        end_s = self.window_s[0] + self.window_s[1]
        if min(self.lower.last_s(), self.upper.last_s()) < end_s:
            return False
        try:
            self.calibrations = tuple(
                calibrate_sensor(*s.arrays(), self.fs_hz, self.params, self.window_s)
                for s in (self.lower, self.upper))
        except CalibrationError as error:
            self.calibration_error = str(error)
            return False
        return True

    def ready(self) -> list[tuple[int, PairBend]]:
        """(bend_id, verdict) of each pending bend both sensors now cover past PAD_S."""
        if not self._calibrate():
            if self.calibration_error is not None:  # no verdicts will come: keep little
                for samples in (self.lower, self.upper):
                    samples.trim_before(samples.last_s() - KEEP_S)
            return []
        covered = min(self.lower.last_s(), self.upper.last_s())
        out, waiting = [], []
        for bend_id, bend in self.pending:
            if float(bend["end_s"]) + PAD_S > covered:
                waiting.append((bend_id, bend))
                continue
            lower = PairedSensor(*self.lower.arrays(), self.calibrations[0])
            upper = PairedSensor(*self.upper.arrays(), self.calibrations[1], self.upper.sat)
            out.append((bend_id, pair_bend_verdict(bend, lower, upper, self.fs_hz, self.params, self.placement)))
        self.pending = waiting
        if not out and self.lower.t_s.size and self.lower.t_s[0] > covered - 2 * KEEP_S:
            return out  # nothing to trim yet: leave the blocks unjoined
        keep_from = min([float(b["start_s"]) - PAD_S for _, b in waiting] + [covered - KEEP_S])
        self.lower.trim_before(keep_from)
        self.upper.trim_before(keep_from)
        return out


class PairFollower:
    """The two-sensor verdicts beside a running one-sensor `streaming.StreamingAnalyser`.

    The glue every live consumer needs (`hinge live`, the tests, the benchmarks): samples of
    both sensors are kept until the lower analyser knows its rate, then a `PairLiveJudge`
    is made with that rate and the analyser's parameters; each block of the analyser's
    events hands it the calibration window and the final bends.

    Usage: `push_lower` the same blocks the analyser was pushed, `push_upper` the upper
    sensor's blocks (times on the shared base, s), and `take(events)` with the events the
    analyser returned; it gives the (bend_id, `PairBend`) verdicts now ready.
    """

    def __init__(self, analyser):
        self.analyser = analyser
        self.judge: PairLiveJudge | None = None
        self._waiting: dict[str, list[tuple]] = {"lower": [], "upper": []}

    def push_lower(self, t_s, acc_mps2, gyr_rad_s) -> None:
        self._push("lower", (t_s, acc_mps2, gyr_rad_s))

    def push_upper(self, t_s, acc_mps2, gyr_rad_s, saturated=None) -> None:
        """An upper-sensor block; `saturated` (K,) bool as `PairLiveJudge.push_upper`."""
        self._push("upper", (t_s, acc_mps2, gyr_rad_s, saturated))

    def _push(self, site: str, block: tuple) -> None:
        self._waiting[site].append(block)
        if self.judge is None:
            if self.analyser.fs_hz is None:
                return  # the rate is not known yet (the first seconds): the blocks wait
            self.judge = PairLiveJudge(self.analyser.fs_hz, self.analyser.params.placement, self.analyser.params)
        push = self.judge.push_lower if site == "lower" else self.judge.push_upper
        for waiting in self._waiting[site]:
            push(*waiting)
        self._waiting[site] = []

    def take(self, events) -> list[tuple[int, PairBend]]:
        """Hand the analyser's latest events (calibration, final bends) to the judge; the
        verdicts ready now."""
        if self.judge is None:
            return []
        window_s = self.analyser.calibration_window_s
        if window_s is not None and self.judge.window_s is None:
            self.judge.set_calibration_window(window_s)
        for event in events:
            if event.kind == "bend":
                self.judge.add_bend(event.bend["bend_id"], event.bend)
        return self.judge.ready()
