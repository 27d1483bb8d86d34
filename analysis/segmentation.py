"""Bend segmentation: onset, peak and return of every forward excursion of pitch.

Movements are the stretches between settled upright standing (`stillness.settled_mask`:
still for the last `settle_s`, 0.3 s, judged looking back only). A movement whose pitch
has risen into a bend ends at the first settled upright sample after its return, so its
verdict needs nothing after that sample; others end after 0.3 s of quiet standing
(`movements`). Within each, every pitch peak higher than `min_peak_deg` is a bend
candidate; candidates sharing one movement (repeated bends without a pause) are split
at the pitch minimum between them. Movements without such a peak go to the drop log
with the reason.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .peaks import find_peaks
from .shortcuts import median_of
from .stillness import runs


def rest_posture(pitch_deg: np.ndarray, upright_pitch_deg: float) -> np.ndarray:
    """(N,) bool: postures a still body may rest in between bends: not flexed forward by
    `upright_pitch_deg` or more from standing. Backward tilts count (a pelvis tilted back
    on a chair, a lean back): a forward bend from there is measured from there, and a
    held forward bend never counts as rest.
    """
    return np.asarray(pitch_deg) < upright_pitch_deg


CANDIDATE_COLUMNS = [
    "window_start", "window_stop", "start", "peak", "end", "peak_pitch_deg",
    "anchored_before", "anchored_after", "movement_start", "movement_stop", "window_pitch_deg",
    "start_pitch_deg", "end_pitch_deg",
]
DROP_COLUMNS = ["start", "end", "peak_pitch_deg", "reason"]


def segment_bends(
    pitch_deg: np.ndarray,
    upright_still: np.ndarray,
    fs_hz: float,
    min_peak_deg: float = 3.0,
    onset_fraction: float = 0.1,
    anchor_s: float = 0.3,
    min_movement_deg: float = 1.5,
    baseline_max_s: float = 3.0,
    max_movement_s: float = 120.0,
    quiet: np.ndarray | None = None,
    fast_end_deg: float = 10.0,
    onset_lag_s: float = 0.35,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Find bend candidates.

    Args:
        pitch_deg: (N,) segment pitch, deg, flexion > 0 (0 = standing pose).
        upright_still: (N,) bool, settled upright standing; True at a sample means the
            samples just before it were still too (`stillness.settled_mask`), so the first
            True sample after a movement is that movement's end anchor.
        fs_hz: uniform sample rate, Hz.
        min_peak_deg: smallest pitch excursion of a candidate, deg; candidates are
            judged bends or not later, from pitch *and* translation (a rounded back can
            tilt the pelvis by only 5 deg while the hips move 10 cm back).
        onset_fraction: onset/return are where pitch crosses this fraction of the peak.
        anchor_s: still time included before a window for drift correction, s; after it,
            the window takes the first settled sample, which closes the settled stretch.
        min_movement_deg: movements smaller than this are postural sway, not logged.
        baseline_max_s: the stance pitch before a movement is the median over at most
            this much of the still stretch before it, s (bounded, so that the streaming
            pipeline needs no more history than this).
        max_movement_s: movements longer than this without upright standing are not
            judged (logged as dropped), s; this bounds the streaming pipeline's memory.
        quiet: (N,) bool, quiet upright standing (still stretches of `still_min_s`); see
            `movements`. None: the same as `upright_still`.
        fast_end_deg: a movement whose pitch rose this far ends at its first settled
            sample; others end after `anchor_s` of quiet standing (`movements`), deg.
        onset_lag_s: how late `upright_still` can see a movement begin, s (the trailing
            window of `stillness.settled_mask`); the still anchor before a bend is taken
            before the end of quiet standing within this much before the movement.

    Returns:
        (candidates, dropped). Candidates: sample indices `window_start`/`window_stop`
        ([start, stop), including the still anchor before and the first settled sample
        after), `start`, `peak`, `end` (onset, peak,
        return), `peak_pitch_deg` above the preceding stance, and whether a still anchor
        exists before/after, and `movement_start`/`movement_stop`, the movement holding the
        candidate (what else the person did around it may be read there), and
        `window_pitch_deg`, the pitch at the window's first sample above the stance before
        the movement (non-zero where a bend follows an extension or another bend without
        standing in between: the bend is measured from the stance, not from there), and
        `start_pitch_deg`/`end_pitch_deg` the pitch above that stance at onset and return
        (a bend starts and ends near it; a bump on a tilted posture does not). Dropped: `start`, `end` (samples), `peak_pitch_deg`, `reason`.
    """
    n = len(pitch_deg)
    anchor = max(1, int(round(anchor_s * fs_hz)))
    rows, dropped = [], []
    quiet_mask = np.asarray(upright_still if quiet is None else quiet, bool)
    lag = int(round(onset_lag_s * fs_hz))
    for a, b, baseline in movements(pitch_deg, upright_still, quiet_mask, fs_hz, fast_end_deg, anchor_s,
                                    baseline_max_s):
        if b - a > max_movement_s * fs_hz:
            dropped.append((a, b, float("nan"), f"no quiet upright standing for {(b - a) / fs_hz:.0f} s "
                                                f"(> {max_movement_s:.0f} s): movement not judged"))
            continue
        rel = pitch_deg[a:b] - baseline
        # Prominence only separates repeated bends; the height decides candidacy.
        peaks = find_peaks(rel, height=min_peak_deg, prominence=0.5 * min_peak_deg)
        top = float(rel.max()) if len(rel) else 0.0
        if len(peaks) == 0:
            if top >= min_peak_deg:
                # High enough, but the pitch does not come back down inside the movement: a change
                # of posture (or a bend whose top is its very first or last sample), not a bend.
                dropped.append((a, b, top, f"no bend shape: pitch rose {top:.1f} deg without a forward-and-back "
                                           "peak (a change of posture)"))
            elif top >= min_movement_deg:
                dropped.append((a, b, top, f"too small to be a bend: pitch {top:.1f} deg < {min_peak_deg:.1f} deg"))
            continue
        cuts = [0] + [int(p + np.argmin(rel[p:q])) for p, q in zip(peaks[:-1], peaks[1:])] + [b - a]
        for i, peak in enumerate(peaks):
            lo, hi = cuts[i], cuts[i + 1]
            height = rel[peak]
            level = onset_fraction * height
            below_before = np.flatnonzero(rel[lo:peak] < level)
            below_after = np.flatnonzero(rel[peak:hi] < level)
            start = lo + (below_before[-1] if len(below_before) else 0)
            end = peak + (below_after[0] if len(below_after) else hi - 1 - peak)
            first, last = i == 0, i == len(peaks) - 1
            # The settled test looks back, so it sees a movement begin up to `onset_lag_s`
            # late; quiet standing (centred windows) ends where the body starts to move,
            # and the still anchor before the bend must end there.
            anchored_before = False
            if first:
                quiet_before = np.flatnonzero(quiet_mask[max(0, a - lag):a])
                qa = max(0, a - lag) + int(quiet_before[-1]) + 1 if len(quiet_before) else -1
                anchored_before = (qa >= anchor and bool(quiet_mask[qa - anchor:qa].all())
                                   and bool(upright_still[qa - anchor:a].all()))
            anchored_after = last and b < n and bool(upright_still[b])
            rows.append((
                qa - anchor if anchored_before else a + lo,
                a + hi + (1 if anchored_after else 0),
                a + start, a + peak, a + end, float(height),
                bool(anchored_before), bool(anchored_after), a, b,
                0.0 if anchored_before else float(rel[lo]), float(rel[start]), float(rel[end]),
            ))
    candidates = pd.DataFrame(rows, columns=CANDIDATE_COLUMNS)
    return candidates, pd.DataFrame(dropped, columns=DROP_COLUMNS)


def segment_with_params(pitch_deg: np.ndarray, settled: np.ndarray, quiet: np.ndarray, fs_hz: float,
                        params) -> tuple[pd.DataFrame, pd.DataFrame]:
    """`segment_bends` with every setting from `params.AnalysisParams` (the offline and the
    live pipeline both call this, so they cannot drift apart)."""
    return segment_bends(pitch_deg, settled, fs_hz, min_peak_deg=params.candidate_min_deg,
                         onset_fraction=params.onset_fraction, anchor_s=params.quiet_end_s,
                         baseline_max_s=params.baseline_max_s, max_movement_s=params.max_movement_s,
                         quiet=quiet, fast_end_deg=params.min_bend_deg, onset_lag_s=params.settle_s + 0.05)


def movements(
    pitch_deg: np.ndarray,
    settled: np.ndarray,
    quiet: np.ndarray,
    fs_hz: float,
    fast_end_deg: float = 10.0,
    quiet_end_s: float = 0.3,
    baseline_max_s: float = 3.0,
) -> list[tuple[int, int, float]]:
    """Split a recording into movements: [(start, stop, stance pitch deg)], samples [start, stop).

    A movement starts at the first sample that is not settled upright. Once its pitch
    has risen `fast_end_deg` above the stance before it, it ends at the first settled
    upright sample (a bend back to upright: judged at once). Otherwise it ends only at a
    settled sample that closes `quiet_end_s` of quiet standing: a brief pause in a slow
    onset does not cut a bend in two, and a bend with little pelvic tilt (a rounded back,
    judged by how far the hips move) gets the long still anchor after it that its
    translation needs (the hips often still move when the pelvis has come to rest). The
    stance pitch is the median over at most `baseline_max_s` of the settled stretch
    before the movement.

    Args:
        pitch_deg: (N,) segment pitch, deg.
        settled: (N,) bool, settled upright (`stillness.settled_mask`, pitch near stance).
        quiet: (N,) bool, quiet upright standing (`stillness.still_mask`, pitch near stance).
    """
    settled = np.asarray(settled, bool)
    n = len(pitch_deg)
    baseline_n = max(1, int(round(baseline_max_s * fs_hz)))
    quiet_long = quiet_closing(quiet, fs_hz, quiet_end_s)
    moving, still = runs(~settled), runs(settled)
    # Runs are sorted and alternate: the still run ending at a movement's start, or starting
    # at its stop, is found by bisection (not by scanning all still runs per movement).
    still_starts, still_stops = still[:, 0], still[:, 1]
    out = []
    k = 0
    while k < len(moving):
        a, b = (int(x) for x in moving[k])
        j = int(np.searchsorted(still_stops, a))
        before = j < len(still) and still_stops[j] == a
        baseline = (float(median_of(pitch_deg[max(int(still_starts[j]), a - baseline_n):a])) if before
                    else float(pitch_deg[a]))
        fast = float(np.max(pitch_deg[a:b])) - baseline >= fast_end_deg
        while b < n and not fast and not quiet_long[b]:
            # Settled, but neither a bend back up nor long quiet standing: look along the stretch.
            stop = int(still_stops[np.searchsorted(still_starts, b)])
            risen = np.maximum.accumulate(pitch_deg[b:stop] - baseline) >= fast_end_deg
            hits = np.flatnonzero(quiet_long[b:stop] | np.concatenate(([False], risen[:-1])))
            if len(hits):
                b += int(hits[0])
                break
            k += 1
            if k == len(moving):
                b = stop
                break
            b = int(moving[k][1])
            fast = fast or bool(risen[-1]) or float(np.max(pitch_deg[stop:b])) - baseline >= fast_end_deg
        out.append((a, b, baseline))
        k += 1
    return out


def quiet_closing(quiet: np.ndarray, fs_hz: float, quiet_end_s: float = 0.3) -> np.ndarray:
    """(N,) bool: the sample and the `quiet_end_s` before it are all quiet standing."""
    m = int(round(quiet_end_s * fs_hz))
    out = np.zeros(len(quiet), bool)
    for start, stop in runs(quiet):
        out[start + m:stop] = True
    return out
