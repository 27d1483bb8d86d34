"""A BIDS-Motion recording (`*_motion.tsv`) as the analysis input, checked like a CSV."""
from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numpy as np

from hinge.analysis.params import PLACEMENTS
from hinge.analysis.resampling import estimate_sample_rate
from hinge.errors import HingeInputError
from hinge.inputs import (GRAVITY_MPS2, GRAVITY_TOLERANCE, MAX_FS_HZ, MAX_GYRO_RAD_S, MIN_DURATION_S, MIN_FS_HZ,
                          MIN_PEAK_GYRO_DEG_S, MIN_ROWS, ImuRecording)

__all__ = ["bids_recording", "is_bids_motion", "bids_calibration_window"]


def is_bids_motion(path: str | os.PathLike) -> bool:
    """True for a path named like a BIDS motion data file (``*_motion.tsv``)."""
    return Path(path).name.endswith("_motion.tsv")


def _check_units(acc_mps2: np.ndarray, gyr_rad_s: np.ndarray, units: dict, name: str) -> None:
    """The data must agree with the units the channels file declares (a mislabeled file fails)."""
    median = float(np.median(np.linalg.norm(acc_mps2, axis=1)))
    if abs(median - GRAVITY_MPS2) > GRAVITY_TOLERANCE * GRAVITY_MPS2:
        raw = median / (GRAVITY_MPS2 if units["acc"] == "g" else 1.0)
        if units["acc"] != "g" and abs(raw - 1.0) <= GRAVITY_TOLERANCE:
            hint = f"looks like g, but the channels file says {units['acc']}: set the ACCEL units to g"
        elif units["acc"] == "g" and abs(raw - GRAVITY_MPS2) <= GRAVITY_TOLERANCE * GRAVITY_MPS2:
            hint = "looks like m/s^2, but the channels file says g: set the ACCEL units to m/s^2"
        else:
            hint = "far from gravity: not an accelerometer in the declared unit"
        raise HingeInputError(f"{name}: accelerometer median |acc| is {raw:.3g} {units['acc']}, which {hint}")
    peak = float(np.linalg.norm(gyr_rad_s, axis=1).max())
    if peak > MAX_GYRO_RAD_S:
        raise HingeInputError(f"{name}: gyroscope peak |gyr| is {peak:.4g} rad/s after converting from "
                              f"{units['gyr']}, beyond {MAX_GYRO_RAD_S:.0f} rad/s (2000 deg/s): looks like deg/s; "
                              "set the GYRO units to deg/s")
    if units["gyr"] != "rad/s" and np.degrees(peak) < MIN_PEAK_GYRO_DEG_S:
        raise HingeInputError(f"{name}: gyroscope peak |gyr| is only {np.degrees(peak):.3g} deg/s, too slow for "
                              "any bend: looks like rad/s; set the GYRO units to rad/s")


def bids_recording(path: str | os.PathLike) -> tuple[ImuRecording, str | None, str, dict]:
    """(recording, placement from the channels file or None, sha256 of the motion file, sidecar).

    Time is seconds from the first sample. Raises HingeInputError (one line) for a missing
    companion file, mislabeled or unknown units, too few samples or an implausible rate.
    """
    from hinge.recordings.bids import read_motion  # here: a CSV's `is_bids_motion` check stays light

    path = Path(path)
    name = str(path)
    motion = read_motion(path)
    n = len(motion.t_s)
    duration_s = float(motion.t_s[-1] - motion.t_s[0]) if n else 0.0
    if n < MIN_ROWS or duration_s < MIN_DURATION_S:
        raise HingeInputError(f"{name}: too few samples: {n} samples, {duration_s:.2f} s "
                              f"(need >= {MIN_ROWS} samples and >= {MIN_DURATION_S:.0f} s)")
    fs_hz = float(estimate_sample_rate(motion.t_s))
    if not MIN_FS_HZ <= fs_hz <= MAX_FS_HZ:
        raise HingeInputError(f"{name}: sample rate {fs_hz:.4g} Hz is outside {MIN_FS_HZ:.0f}-{MAX_FS_HZ:.0f} Hz; "
                              "check SamplingFrequency in the _motion.json and the LATENCY channel")
    if abs(fs_hz - motion.fs_hz) > 0.02 * motion.fs_hz:
        raise HingeInputError(f"{name}: the samples come at {fs_hz:.4g} Hz but the _motion.json says "
                              f"{motion.fs_hz:.4g} Hz; fix SamplingFrequency(Effective)")
    _check_units(motion.acc_mps2, motion.gyr_rad_s, motion.units, name)
    notes = list(motion.warnings)
    placement = motion.placement
    if placement is not None and placement not in PLACEMENTS:
        notes.append(f"{name}: placement '{placement}' in the channels file is not one of "
                     f"{', '.join(PLACEMENTS)}; analysed as sacrum unless --placement says otherwise")
        placement = None
    events = motion.events
    kinds = events["trial_type"].astype(str) if "trial_type" in events.columns else None
    saturated = np.zeros(n, bool)
    if kinds is not None:
        bad = events[kinds.str.startswith("BAD_")]
        if len(bad):
            try:
                onset = np.asarray(bad["onset"], float)
                duration = np.asarray(bad["duration"].replace("n/a", "0"), float)
            except ValueError:
                raise HingeInputError(f"{name}: an onset or duration of a BAD_ event in the _events.tsv is not "
                                      "a number") from None
            notes.append(f"{name}: {len(bad)} BAD_ event(s) ({', '.join(sorted(set(bad['trial_type'])))}), "
                         f"{duration.sum():.2f} s in all")
            for start, length, kind in zip(onset, duration, bad["trial_type"]):
                if kind.startswith("BAD_saturation"):
                    saturated |= (motion.t_s >= start) & (motion.t_s <= start + length)
    recording = ImuRecording(t_s=motion.t_s, acc_mps2=motion.acc_mps2, gyr_rad_s=motion.gyr_rad_s,
                             saturated=saturated, fs_hz=fs_hz, warnings=tuple(notes), source=name)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    return recording, placement, digest, motion.sidecar


def bids_calibration_window(path: str | os.PathLike) -> tuple[float, float] | None:
    """(onset_s, duration_s) of the last guided-calibration event of a `*_motion.tsv`, or None.

    A `hinge live` session exported to BIDS keeps its calibration as an event, so that the
    BIDS recording is analysed from the same stretch as the session.
    """
    from hinge.live_session import CALIBRATION_ANNOTATION
    from hinge.recordings.bids import read_motion_events

    events = read_motion_events(Path(path))
    if "trial_type" not in events.columns:
        return None
    rows = events[events["trial_type"].astype(str) == CALIBRATION_ANNOTATION]
    if not len(rows):
        return None
    try:
        return float(rows["onset"].iloc[-1]), float(rows["duration"].iloc[-1])
    except ValueError:
        raise HingeInputError(f"{path}: the calibration event's onset or duration in the _events.tsv is not "
                              "a number") from None
