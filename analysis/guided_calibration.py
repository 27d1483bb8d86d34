"""Guided mounting calibration: "stand still 3 s, then do one slow hinge".

`calibrate_window` finds the mounting from that stretch alone (the offline pipeline
calls it on a recording's annotated ``calibration`` stretch, the streaming pipeline on
the stretch it has just watched, so both get the same mounting). `GuidedCalibration`
watches a live stream for the protocol, reports progress, and says in one line why a
calibration failed (kept moving, no hinge, a movement that is not a forward bend about
one horizontal axis). Any mounting works, upside down included: "up" comes from gravity
in the still phase and the flexion axis from the hinge.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from .calibration import CalibrationError, MountingCalibration, calibrate_mounting
from .grid_signals import ArrayWindows
from .params import AnalysisParams
from .sensor_correction import estimate_correction
from .stillness import runs, still_mask

# The protocol, s and deg.
STILL_S = 3.0
STILL_TIMEOUT_S = 20.0
HINGE_TIMEOUT_S = 20.0
MIN_HINGE_DEG = 20.0
# Still standing after the hinge that closes the calibration stretch, s (more than the
# 0.4 s a still stretch needs, so the hinge's return is a still stretch of its own).
SETTLE_S = 0.6
# A calibrated hinge must be this planar and this clearly forward (else: not on the back).
MIN_PLANARITY = 0.8
MIN_SIGN_MARGIN = 0.5


class GuidedCalibrationError(CalibrationError):
    """The guided calibration failed; the message says why and what to do, in one line."""


class HingeTooSmall(GuidedCalibrationError):
    """The movement was too small or too slow to be the calibration hinge (live: keep waiting)."""


def calibrate_window(acc_mps2: np.ndarray, gyr_rad_s: np.ndarray, gap_mask: np.ndarray, fs_hz: float,
                     params: AnalysisParams) -> MountingCalibration:
    """Mounting (and sensor corrections) from one calibration stretch, using nothing outside it.

    Args:
        acc_mps2, gyr_rad_s: (M, 3) raw grid samples of the stretch in sensor axes (m/s^2, rad/s).
        gap_mask: (M,) bool, samples inside long gaps.

    Raises:
        GuidedCalibrationError: no still standing or no hinge in the stretch, or a
            movement that is not a forward bend about one horizontal axis.
    """
    correction = estimate_correction(ArrayWindows(acc_mps2, gyr_rad_s), fs_hz, exclude=gap_mask)
    acc_mps2, gyr_rad_s = correction.apply(acc_mps2, gyr_rad_s)
    still = still_mask(acc_mps2, gyr_rad_s, fs_hz, params.still_gyro_rad_s, params.still_acc_tolerance_mps2,
                       params.still_min_s) & ~gap_mask
    try:
        cal = replace(calibrate_mounting(ArrayWindows(acc_mps2, gyr_rad_s), fs_hz, still, params.upright_tolerance_deg),
                      correction=correction)
    except CalibrationError as e:
        if "no bends found" in str(e):
            raise HingeTooSmall(f"the movement was too small or too slow for the hinge: bend forward at least "
                                f"{MIN_HINGE_DEG:.0f} deg, taking about 2 s down and 2 s up") from None
        raise GuidedCalibrationError(str(e)) from None
    if cal.sagittal_share < MIN_PLANARITY:
        raise GuidedCalibrationError(
            f"the hinge was not a rotation about one horizontal axis ({100 * cal.sagittal_share:.0f}% of it, "
            f"need >= {100 * MIN_PLANARITY:.0f}%): is the sensor on the lower back, and was it a forward bend?")
    if cal.sign_margin < MIN_SIGN_MARGIN:
        raise GuidedCalibrationError(
            "the movement went backwards as far as forwards: bend forward only, once, slowly")
    pitch = hinge_excursion_deg(acc_mps2, gyr_rad_s, fs_hz, cal)
    if pitch < MIN_HINGE_DEG:
        raise HingeTooSmall(
            f"the hinge tilted the sensor by only {pitch:.0f} deg (need >= {MIN_HINGE_DEG:.0f} deg): "
            "bend further forward from the hips")
    return cal


def hinge_excursion_deg(acc_mps2: np.ndarray, gyr_rad_s: np.ndarray, fs_hz: float, cal: MountingCalibration) -> float:
    """Largest forward pitch reached in the stretch, deg (gyro integration from its start; raw samples)."""
    _, gyr_rad_s = cal.correction.apply(acc_mps2, gyr_rad_s)
    rate = (gyr_rad_s - cal.gyro_bias_rad_s) @ cal.segment_from_sensor[1]
    return float(np.degrees(np.max(np.cumsum(rate) / fs_hz))) if len(rate) else 0.0


def _unit(v: np.ndarray) -> np.ndarray:
    return v / np.linalg.norm(v)


@dataclass(frozen=True)
class CalibrationProgress:
    """What the guided calibration is doing: `phase` ("still", "hinge", "done", "failed"),
    `fraction` 0-1 of the phase, a one-line `message`, and on success the grid
    window [start, stop) and the calibration."""

    phase: str
    fraction: float
    message: str
    window: tuple[int, int] | None = None
    calibration: MountingCalibration | None = None


class GuidedCalibration:
    """Watch grid samples for "stand still 3 s, then one slow hinge" and calibrate from them.

    Feed it the grid samples in order (`update`, any block size). It keeps only the
    samples since the start of the current attempt (at most STILL_TIMEOUT_S +
    HINGE_TIMEOUT_S plus the hinge). After a failure the next attempt starts at once.
    """

    def __init__(self, fs_hz: float, params: AnalysisParams):
        self.fs_hz, self.params = fs_hz, params
        self._margin = max(1, int(round(0.3 * fs_hz)))
        self._start = 0  # grid index of the attempt's first sample
        self._acc: list[np.ndarray] = []
        self._gyr: list[np.ndarray] = []
        self._gap: list[np.ndarray] = []
        self._sat: list[np.ndarray] = []
        self._n = 0
        self.kept = None
        self._attempt = 0  # grid index where the current attempt began (for the timeouts)
        self._stance_at: int | None = None  # grid index where the 3 s of standing were complete
        self._too_small: str | None = None  # why the last movement was not the hinge
        self.progress = CalibrationProgress("still", 0.0, f"stand still for {STILL_S:.0f} s")

    def _arrays(self):
        acc, gyr, gap = np.concatenate(self._acc), np.concatenate(self._gyr), np.concatenate(self._gap)
        sat = np.concatenate(self._sat)
        self._acc, self._gyr, self._gap, self._sat = [acc], [gyr], [gap], [sat]
        return acc, gyr, gap, sat

    def _drop_before(self, at: int) -> None:
        """Forget samples before grid index `at` (absolute)."""
        acc, gyr, gap, sat = self._arrays()
        k = at - self._start
        self._acc, self._gyr, self._gap, self._sat = [acc[k:]], [gyr[k:]], [gap[k:]], [sat[k:]]
        self._start, self._n = at, len(acc) - k

    def _fail(self, at: int, message: str) -> CalibrationProgress:
        """End the attempt with `message`; the next one begins at grid index `at`."""
        self._drop_before(at)
        self._attempt, self._stance_at, self._too_small = at, None, None
        self.progress = CalibrationProgress("failed", 0.0, message)
        return self.progress

    def update(self, acc_mps2: np.ndarray, gyr_rad_s: np.ndarray, gap_mask: np.ndarray,
               saturated: np.ndarray | None = None) -> CalibrationProgress:
        """Add (K, 3), (K, 3), (K,) grid samples (and (K,) saturated, carried along for the
        analysis); returns the progress (phase "done" once)."""
        if self.progress.phase == "done":
            return self.progress
        self._acc.append(acc_mps2)
        self._gyr.append(gyr_rad_s)
        self._gap.append(gap_mask)
        self._sat.append(np.zeros(len(gap_mask), bool) if saturated is None else saturated)
        self._n += len(acc_mps2)
        if self._n < 2 * self._margin:
            return self.progress
        acc, gyr, gap, sat = self._arrays()
        fs, p = self.fs_hz, self.params
        # Only the samples whose stillness no longer depends on samples yet to come; the
        # sensor's own errors (a gyro offset above the still threshold) estimated so far.
        known = self._n - self._margin
        corrected = estimate_correction(ArrayWindows(acc, gyr), fs, exclude=gap).apply(acc, gyr)
        still = (still_mask(*corrected, fs, p.still_gyro_rad_s, p.still_acc_tolerance_mps2, p.still_min_s)
                 & ~gap)[:known]
        still_runs = runs(still)
        need = int(round(STILL_S * fs))
        long_runs = still_runs[still_runs[:, 1] - still_runs[:, 0] >= need]
        if len(long_runs) == 0:
            # Still phase: keep only the current still run (and a margin) while waiting.
            current = still_runs[-1, 1] - still_runs[-1, 0] if len(still_runs) and still_runs[-1, 1] == known else 0
            if self._start + known - self._attempt >= STILL_TIMEOUT_S * fs:
                return self._fail(self._start + known,
                                  f"the sensor kept moving: no {STILL_S:.0f} s of standing still in "
                                  f"{STILL_TIMEOUT_S:.0f} s; stand still, then do one slow hinge")
            if current == 0 and known > 2 * self._margin:
                self._drop_before(self._start + known - self._margin)
            self.progress = CalibrationProgress("still", min(1.0, current / need),
                                                f"stand still: {current / fs:.1f} of {STILL_S:.0f} s")
            return self.progress
        a = int(long_runs[0, 0])
        stance_end = int(long_runs[0, 1])
        if stance_end == known and stance_end - a > 2 * need:
            a = stance_end - need  # still standing: keep the last STILL_S of it
        if self._stance_at is None:
            self._stance_at = self._start + int(long_runs[0, 0]) + need
        if a > 0:
            self._drop_before(self._start + a)
            return self.update(np.empty((0, 3)), np.empty((0, 3)), np.empty(0, bool), np.empty(0, bool))
        # Hinge phase: a movement after the still run, then still standing again for SETTLE_S.
        later = still_runs[still_runs[:, 0] > stance_end]
        waited_s = (self._start + known - self._stance_at) / fs
        settle = int(round(SETTLE_S * fs))
        stance_up = _unit(acc[a:stance_end].mean(axis=0)) if a < stance_end else _unit(acc[0])
        for s0, s1 in later:
            if s1 - s0 < settle:
                continue
            if _unit(acc[s0:s0 + settle].mean(axis=0)) @ stance_up < np.cos(np.radians(p.upright_tolerance_deg)):
                continue  # a held pose in the hinge, not standing again
            stop = int(s0) + settle
            try:
                cal = calibrate_window(acc[:stop], gyr[:stop], gap[:stop], fs, p)
            except GuidedCalibrationError as e:
                if isinstance(e, HingeTooSmall):
                    self._too_small = str(e)
                    continue  # a fidget, not the hinge yet: keep waiting (until the timeout below)
                return self._fail(self._start + known, str(e))
            window = (self._start, self._start + stop)
            self._acc = self._gyr = self._gap = self._sat = []
            self.kept = (acc, gyr, gap, sat)  # the samples from the window's start on, for the analysis
            self.progress = CalibrationProgress(
                "done", 1.0, f"calibrated: sensor tilted {cal.as_dict()['sensor_tilt_from_upright_deg']:.0f} deg "
                             f"from upright, hinge {hinge_excursion_deg(acc[:stop], gyr[:stop], fs, cal):.0f} deg",
                window, cal)
            return self.progress
        if waited_s >= HINGE_TIMEOUT_S:
            if self._too_small:
                return self._fail(self._start + known, f"no hinge within {HINGE_TIMEOUT_S:.0f} s: {self._too_small}")
            return self._fail(
                self._start + known, f"no hinge within {HINGE_TIMEOUT_S:.0f} s after standing still: bend forward "
                                     f"slowly (at least {MIN_HINGE_DEG:.0f} deg) and stand up again; "
                                     "is the sensor on your back?")
        moving = known > stance_end
        self.progress = CalibrationProgress(
            "hinge", 0.5 if moving else 0.0,
            "now stand up again and hold still" if moving else "now do one slow hinge: bend forward from the hips")
        return self.progress
