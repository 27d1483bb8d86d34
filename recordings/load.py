"""`load_recording`: any recording hinge reads, checked the same way, ready for the analysis.

Formats: the CSV interchange format of one sensor or two (a file, or "-" for standard
input, a pipe, a FIFO; `csv_read`), a session directory (FORMAT.md; `reader`), one BIDS-Motion ``*_motion.tsv``
with its companion files (`bids_read`). Whatever the format, the samples pass the same
checks (`validation`): enough of them, a plausible rate, units that agree with gravity,
a known placement, samples missing one stream analysed as gaps. Every problem is one line
naming the file (`HingeInputError`).

What is read with the samples comes with them, read once: the metadata, the annotations
(a session's annotations.tsv, a BIDS entry's events) and the guided calibration's stretch
that `hinge live` annotated, so that the offline analysis starts where the live one did.
"""
from __future__ import annotations

import hashlib
import math
import os
from dataclasses import replace
from pathlib import Path

import pandas as pd

from hinge.errors import HingeInputError

from ._annotations import (BAD_PREFIX, CALIBRATION_ANNOTATION, COLUMNS, SATURATION_PREFIX, empty_annotations,
                           stretch_mask)
from ._files import METADATA, SAMPLES
from .bids_layout import MOTION_SUFFIX, NA, is_motion_file
from . import units
from .csv_read import read_csv_sensors, read_stream
from .placements import UPPER_PLACEMENTS
from .recording import ImuRecording, LoadedRecording
from .validation import (GRAVITY_MPS2, MAX_ACC_MPS2, MAX_RATE_RAD_S, MIN_SAMPLES, beyond_full_scale,
                         check_declared_rate, check_timing, check_units, incomplete_samples, resolve_placement)
from .wording import count

__all__ = ["load_recording", "bids_annotations", "calibration_window"]

# How a BIDS channels file declares each unit the data may look like instead.
BIDS_UNIT_FIXES = {"g": "set the ACCEL units to g", "m/s^2": "set the ACCEL units to m/s^2",
                   "deg/s": "set the GYRO units to deg/s", "rad/s": "set the GYRO units to rad/s"}


def load_recording(path: str | os.PathLike, acc_unit: str = "m/s2", gyro_unit: str = "rad/s",
                   placement: str | None = None) -> LoadedRecording:
    """Read and check the recording at ``path``.

    Args:
        path: CSV file ("-": standard input; a pipe or FIFO is read once, into memory),
            session directory, or BIDS-Motion ``*_motion.tsv`` (whose units and time come
            from its ``_channels.tsv`` and ``_motion.json``).
        acc_unit, gyro_unit: units of a CSV's columns, any spelling of `units` ("m/s^2",
            "g", "dps", ...); a session and a BIDS entry declare their own, so anything but
            m/s^2 and rad/s is an error for them.
        placement: the sensor site, overriding the recording's metadata; None takes the
            metadata's, else `placements.DEFAULT_PLACEMENT`.

    Raises:
        HingeInputError: one line naming the file and the problem.
    """
    path = Path(path)
    acc_unit, gyro_unit = units.acc_unit(acc_unit), units.gyro_unit(gyro_unit)
    default_units = (acc_unit, gyro_unit) == (units.DEFAULT_ACC_UNIT, units.DEFAULT_GYRO_UNIT)
    if is_motion_file(path):
        if not default_units:
            raise HingeInputError(f"{path}: a BIDS recording declares its units in the _channels.tsv; "
                                  "drop --acc-unit/--gyro-unit")
        return _load_bids(path, placement)
    if path.is_dir() and not (path / METADATA).exists() and any(path.rglob("*" + MOTION_SUFFIX)):
        found = sorted(p.name for p in path.rglob("*" + MOTION_SUFFIX))
        raise HingeInputError(f"{path}: is a BIDS folder, not a session; pass one *{MOTION_SUFFIX} file "
                              f"(found {len(found)}: {', '.join(found[:3])}{', ...' if len(found) > 3 else ''})")
    if path.is_dir():
        if not default_units:
            raise HingeInputError(f"{path}: a session is stored in m/s^2 and rad/s; drop --acc-unit/--gyro-unit")
        return _load_session(path, placement)
    return _load_csv(path, acc_unit, gyro_unit, placement)


def _load_csv(path: Path, acc_unit: str, gyro_unit: str, placement: str | None) -> LoadedRecording:
    name = str(path)
    data = read_stream(path, name)
    sensors = read_csv_sensors(path, acc_unit=acc_unit, gyro_unit=gyro_unit, data=data)
    digest = hashlib.sha256(data).hexdigest() if data is not None else _file_sha256(path)
    return LoadedRecording(path, "csv", sensors.lower, resolve_placement(placement, None, name, "the CSV"), digest,
                           annotations=empty_annotations(), upper=sensors.upper,
                           upper_placement=sensors.upper_placement)


def _load_session(path: Path, placement: str | None) -> LoadedRecording:
    name = str(path)
    # The session and BIDS readers load only when needed.
    from .reader import is_pair_session, read_metadata, read_session

    if is_pair_session(read_metadata(path)):
        return _load_pair(path, placement)
    session = read_session(path)
    recording = _checked_sensor(session, session.t_s, name)
    placement = resolve_placement(placement, session.placement, name, METADATA)
    digest = hashlib.sha256((path / SAMPLES).read_bytes()).hexdigest()
    return LoadedRecording(path, "session", recording, placement, digest, session.metadata,
                           annotations=session.annotations,
                           calibration_window_s=calibration_window(session.annotations, name),
                           height_m=session.metadata.get("height_m"))


def _checked_sensor(session, t_s, name: str) -> ImuRecording:
    """A session's samples (one sensor's of a two-sensor session), checked, at times ``t_s``
    (s: its own ``t_s``, or a second sensor's on the shared time base)."""
    fs_hz = check_timing(t_s, name)
    drop, notes = incomplete_samples(session.acc_mps2, session.gyr_rad_s, name)
    keep = ~drop
    return ImuRecording(t_s=t_s[keep], acc_mps2=session.acc_mps2[keep], gyr_rad_s=session.gyr_rad_s[keep],
                        saturated=session.saturated()[keep], fs_hz=fs_hz,
                        warnings=(*session.warnings, *notes,
                                  *_bad_stretches(session.annotations, name, "annotation")),
                        source=name)


def _load_pair(path: Path, placement: str | None) -> LoadedRecording:
    """A two-sensor session (`pair.read_pair`): the lower sensor as ``recording``, the
    upper as ``upper``, both on the shared time base with the annotations."""
    from .pair import read_pair

    pair = read_pair(path)
    lower_name, upper_name = str(path / pair.lower.path.name), str(path / pair.upper.path.name)
    placement = resolve_placement(placement, pair.lower_site, lower_name, METADATA)
    lower = _checked_sensor(pair.lower, pair.lower_t_s, lower_name)
    upper = _checked_sensor(pair.upper, pair.upper_t_s, upper_name)
    digest = hashlib.sha256()
    for session in (pair.lower, pair.upper):
        digest.update((session.path / SAMPLES).read_bytes())
    # The lower sensor's device, profile and acquisition, under the session's own keys.
    metadata = {**pair.lower.metadata, **pair.metadata}
    return LoadedRecording(path, "session", lower, placement, digest.hexdigest(), metadata,
                           annotations=pair.annotations,
                           calibration_window_s=calibration_window(pair.annotations, str(path)),
                           height_m=pair.metadata.get("height_m", pair.lower.metadata.get("height_m")),
                           upper=upper, upper_placement=pair.upper_site)


def _load_bids(path: Path, placement: str | None) -> LoadedRecording:
    name = str(path)
    from .bids_pair import lower_sibling, onset_offset_s, upper_sibling
    from .bids_read import read_motion

    motion = read_motion(path)
    lower = lower_sibling(path) if motion.placement in UPPER_PLACEMENTS and placement is None else None
    if lower is not None:
        raise HingeInputError(f"{name}: is the upper sensor ({motion.placement}) of a two-sensor recording; "
                              f"pass the {lower.name} (the upper sensor is read with it)")
    t_s, acc_mps2, gyr_rad_s, fs_hz, notes = _checked_motion(motion, name)
    placement = resolve_placement(placement, motion.placement, name, "the _channels.tsv")
    annotations = bids_annotations(motion.events)
    recording = ImuRecording(
        t_s=t_s, acc_mps2=acc_mps2, gyr_rad_s=gyr_rad_s,
        saturated=stretch_mask(t_s, annotations, SATURATION_PREFIX), fs_hz=fs_hz,
        warnings=(*motion.warnings, *notes, *_bad_stretches(annotations, name, "event")), source=name)
    digest = hashlib.sha256(path.read_bytes())
    upper, upper_placement = None, None
    upper_path = upper_sibling(path)
    if upper_path is not None:
        upper_motion = read_motion(upper_path)
        if upper_motion.tracked_point == motion.tracked_point:
            raise HingeInputError(f"{upper_path}: tracked_point {upper_motion.tracked_point!r} is also the "
                                  f"{motion.placement or 'lower'} sensor's ({path.name}), but the sensors sit on "
                                  "different segments; give the upper sensor's channels their own tracked_point")
        offset_s, offset_notes = onset_offset_s(path, upper_path)
        upper_name = str(upper_path)
        u_t_s, u_acc, u_gyr, u_fs_hz, u_notes = _checked_motion(upper_motion, upper_name)
        u_t_s = u_t_s + offset_s
        u_annotations = bids_annotations(upper_motion.events)
        u_annotations["onset_s"] = u_annotations["onset_s"] + offset_s
        upper = ImuRecording(
            t_s=u_t_s, acc_mps2=u_acc, gyr_rad_s=u_gyr,
            saturated=stretch_mask(u_t_s, u_annotations, SATURATION_PREFIX), fs_hz=u_fs_hz,
            warnings=(*upper_motion.warnings, *u_notes, *offset_notes), source=upper_name)
        upper_placement = upper_motion.placement
        digest.update(upper_path.read_bytes())  # the hash of both files' bytes, one after the other
    from .recording_context import bids_participant_height_m

    height_m, height_note = bids_participant_height_m(path)
    if height_note is not None:
        recording = replace(recording, warnings=(*recording.warnings, height_note))
    return LoadedRecording(path, "bids", recording, placement, digest.hexdigest(), motion.sidecar,
                           annotations=annotations, calibration_window_s=calibration_window(annotations, name),
                           upper=upper, upper_placement=upper_placement, height_m=height_m)


def _checked_motion(motion, name: str):
    """One tracking system's samples, checked as every format's: (t_s, acc_mps2, gyr_rad_s, fs_hz, notes)."""
    fs_hz = check_timing(motion.t_s, name, rate_fix="check SamplingFrequency in the _motion.json and the "
                                                    "LATENCY channel")
    check_declared_rate(fs_hz, motion.fs_hz, name, "the _motion.json", "fix SamplingFrequency(Effective)")
    drop, notes = incomplete_samples(motion.acc_mps2, motion.gyr_rad_s, name)
    # Numbers beyond any IMU (1e300) are transmission garbage: dropped, as from a CSV, before
    # they overflow the unit checks and the analysis.
    beyond = beyond_full_scale(motion.acc_mps2, motion.gyr_rad_s)
    keep = ~(drop | beyond)
    if beyond.any():
        notes.append(f"{name}: dropped {count(int(beyond.sum()), 'sample')} with values beyond any IMU's full scale "
                     f"(> {MAX_ACC_MPS2 / GRAVITY_MPS2:.0f} g or > {math.degrees(MAX_RATE_RAD_S):.0f} deg/s): "
                     "transmission glitches")
        if keep.sum() < MIN_SAMPLES:
            raise HingeInputError(f"{name}: only {int(keep.sum())} of {keep.size} samples are within any IMU's full "
                                  f"scale (need >= {MIN_SAMPLES}); check the channels' units")
    t_s, acc_mps2, gyr_rad_s = motion.t_s[keep], motion.acc_mps2[keep], motion.gyr_rad_s[keep]
    check_units(acc_mps2, gyr_rad_s, motion.units["acc"], motion.units["gyr"], name, BIDS_UNIT_FIXES,
                declared_in="the channels file")
    return t_s, acc_mps2, gyr_rad_s, fs_hz, notes


def bids_annotations(events: pd.DataFrame) -> pd.DataFrame:
    """A BIDS `_events.tsv` table (text cells, checked by `bids_read.read_motion_events`) as
    annotations: onset_s, duration_s (an n/a duration as NaN) and the trial_type as description."""
    kinds = events["trial_type"].astype(str) if "trial_type" in events.columns else pd.Series(NA, index=events.index)
    return pd.DataFrame({
        "onset_s": pd.to_numeric(events["onset"], errors="coerce").astype(float).to_numpy(),
        "duration_s": pd.to_numeric(events["duration"], errors="coerce").astype(float).to_numpy(),  # n/a: NaN
        "description": kinds.to_numpy(dtype=object),
    }, columns=COLUMNS)


def calibration_window(annotations: pd.DataFrame, name: str) -> tuple[float, float] | None:
    """(onset_s, duration_s) of the last guided calibration (annotation ``calibration``), or None."""
    rows = annotations[annotations["description"].astype(str) == CALIBRATION_ANNOTATION]
    if not len(rows):
        return None
    onset_s, duration_s = float(rows["onset_s"].iloc[-1]), float(rows["duration_s"].iloc[-1])
    if not (math.isfinite(onset_s) and math.isfinite(duration_s)):
        raise HingeInputError(f"{name}: the {CALIBRATION_ANNOTATION} event has no onset or duration (n/a); "
                              "give both in s, or remove the event to calibrate from the whole recording")
    return onset_s, duration_s


def _bad_stretches(annotations: pd.DataFrame, name: str, noun: str) -> list[str]:
    """One note summing up the BAD_ stretches (their kinds and total length), or none."""
    bad = annotations[annotations["description"].astype(str).str.startswith(BAD_PREFIX)]
    if not len(bad):
        return []
    return [f"{name}: {count(len(bad), BAD_PREFIX + ' ' + noun)} ({', '.join(sorted(set(bad['description'])))}), "
            f"{bad['duration_s'].sum():.2f} s in all"]


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
