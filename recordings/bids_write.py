"""Write one IMU recording as a BIDS-Motion entry and keep the dataset-level files current."""
from __future__ import annotations

import io
import json
import os
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

from .bids_layout import (BIDS_VERSION, CHANNEL_COLUMNS, HEIGHT_COLUMN, HEIGHT_DESCRIPTION, NA, check_label,
                          entry_paths, fail, read_table, subject_dir)
from .schema import load_json
from .wording import count

# float32 samples (the session format) need 9 significant digits to come back exactly.
_VALUE_FORMAT = "%.9g"


def uniform_rows(t_s: np.ndarray, fs_hz: float) -> np.ndarray:
    """(N,) int row of each sample on a uniform grid at ``fs_hz``, first sample row 0.

    Each step advances by its interval in periods, rounded, and at least one row, so rows
    always increase and a lost stretch leaves empty rows; rounding errors do not pile up
    into collisions when the device's rate differs slightly from ``fs_hz``.
    """
    steps = np.maximum(1, np.rint(np.diff(t_s) * fs_hz).astype(np.int64))
    return np.concatenate(([0], np.cumsum(steps)))


@dataclass(frozen=True)
class MotionEntry:
    """One IMU recording to write.

    t_s: (N,) strictly increasing sample times, s (any origin: written relative to t_s[0]).
    acc_mps2, gyr_rad_s: (N, 3) sensor axes, m/s^2 and rad/s.
    nominal_fs_hz: the rate the device was set to, Hz (None: the effective rate).
    tracked_point: label of the sensor (e.g. "LowerBack"); placement: the skin site.
    sidecar: extra `_motion.json` fields (device, task description, ...).
    events: DataFrame with onset_s (on the t_s time base), duration_s (s), trial_type and
        any further columns; event_columns: their `_events.json` descriptions.
    onset_s: the recording onset on the t_s time base, s: LATENCY and event onsets are
        seconds from it (None: the first sample). Two tracking systems recorded together
        share one onset, so that their LATENCY channels share one time base.
    """

    t_s: np.ndarray
    acc_mps2: np.ndarray
    gyr_rad_s: np.ndarray
    nominal_fs_hz: float | None
    tracked_point: str
    placement: str
    sidecar: dict = field(default_factory=dict)
    events: pd.DataFrame | None = None
    event_columns: dict = field(default_factory=dict)
    onset_s: float | None = None


def effective_rate_hz(t_s: np.ndarray) -> float:
    """Samples per second of clock time, counting lost ones: median-interval periods, Hz."""
    dt = np.diff(t_s)
    period = float(np.median(dt))
    # Refine with the whole span so that slow drift between device and nominal rate counts.
    rows = np.rint(dt / period).clip(min=1).sum()
    return float(rows / (t_s[-1] - t_s[0]))


def channels_table(tracked_point: str, placement: str) -> pd.DataFrame:
    """The `_channels.tsv` rows hinge writes: acc x/y/z, gyro x/y/z, latency."""
    rows = [(f"acc_{c}", c, "ACCEL", tracked_point, "m/s^2") for c in "xyz"]
    rows += [(f"gyr_{c}", c, "GYRO", tracked_point, "rad/s") for c in "xyz"]
    rows += [("latency", NA, "LATENCY", NA, "s")]
    table = pd.DataFrame(rows, columns=list(CHANNEL_COLUMNS))
    table["placement"] = [placement] * 6 + [NA]
    table["reference_frame"] = ["sensor"] * 6 + [NA]
    return table


def _write_text(path: Path, text: str) -> None:
    """Write via a temporary file and rename, so a crash never leaves half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8", newline="\n")
    os.replace(tmp, path)


def _write_json(path: Path, document: dict) -> None:
    _write_text(path, json.dumps(document, indent=2, ensure_ascii=False) + "\n")


def _tsv(frame: pd.DataFrame) -> str:
    frame = frame.astype(object).where(frame.notna(), NA)
    return frame.to_csv(sep="\t", index=False, lineterminator="\n")


def _latency_cells(latency_s: np.ndarray) -> list[str]:
    """Each time as the shortest decimal that reads back as the same float64 (Python's repr).

    A fixed format would not do: rounded to the microsecond, the intervals of a 1/1024-s
    device clock (e.g. 0.010009765625 s) read back as 0.010009 or 0.010010 s, the median
    interval moves, and with it the estimated rate (99.9024 -> 99.9001 Hz), the analysis grid
    and the bends' scores (by up to 0.5 points in tests/test_bids.py's round trip).
    """
    return [repr(v) if np.isfinite(v) else NA for v in latency_s.tolist()]


def _motion_text(t_s: np.ndarray, acc: np.ndarray, gyr: np.ndarray, rows: np.ndarray, onset_s: float) -> str:
    values = np.full((int(rows[-1]) + 1, 6), np.nan)
    values[rows] = np.column_stack([acc, gyr])
    latency = np.full(len(values), np.nan)
    latency[rows] = t_s - onset_s
    buffer = io.StringIO()
    np.savetxt(buffer, values, fmt=_VALUE_FORMAT, delimiter="\t", newline="\n")
    # printf writes NaN as "nan", and no number contains those letters.
    lines = buffer.getvalue().replace("nan", NA).split("\n")[:-1]
    return "".join(f"{line}\t{time}\n" for line, time in zip(lines, _latency_cells(latency)))


def _update_participants(root: Path, subject: str, height_m: float | None = None) -> None:
    """Add ``sub-<subject>`` to participants.tsv, keeping every other row and column; with
    ``height_m``, the subject's body height goes in the ``height`` column (m, described in
    participants.json), so an analysis of the dataset scales the body model as the source did."""
    path = root / "participants.tsv"
    participant = f"sub-{subject}"
    if path.is_file():
        table = read_table(path)
        if "participant_id" not in table.columns:
            raise fail(path, "has no participant_id column; fix it before adding participants")
        if participant not in set(table["participant_id"]):
            row = {c: NA for c in table.columns} | {"participant_id": participant}
            table = pd.concat([table, pd.DataFrame([row])], ignore_index=True)
        elif height_m is None:
            return
    else:
        table = pd.DataFrame({"participant_id": [participant]})
    if height_m is not None:
        if HEIGHT_COLUMN not in table.columns:
            table[HEIGHT_COLUMN] = NA
        table.loc[table["participant_id"] == participant, HEIGHT_COLUMN] = f"{height_m:.3f}"
    table = table.sort_values("participant_id", kind="stable")
    _write_text(path, _tsv(table))
    sidecar = root / "participants.json"
    document = load_json(sidecar, "participants description") if sidecar.exists() else {}
    wanted = {"participant_id": {"Description": "Participant label (sub-<label>)."}}
    if height_m is not None:
        wanted[HEIGHT_COLUMN] = HEIGHT_DESCRIPTION
    if any(key not in document for key in wanted):
        _write_json(sidecar, {**wanted, **document})


def _update_scans(root: Path, subject: str, session: str | None, motion_path: Path, acq_time: str | None) -> None:
    """Add or replace the motion file's row in the subject's (session's) scans.tsv."""
    folder = subject_dir(root, subject, session)
    stem = f"sub-{subject}" + (f"_ses-{session}" if session else "")
    path = folder / f"{stem}_scans.tsv"
    filename = motion_path.relative_to(folder).as_posix()
    row = {"filename": filename, "acq_time": acq_time or NA}
    if path.is_file():
        table = read_table(path)
        if "filename" not in table.columns:
            raise fail(path, "has no filename column; fix it before adding recordings")
        table = table[table["filename"] != filename]
        for column in table.columns:
            row.setdefault(column, NA)
        table = pd.concat([table, pd.DataFrame([row])], ignore_index=True)
        if "acq_time" not in table.columns:
            table["acq_time"] = NA
    else:
        table = pd.DataFrame([row])
    _write_text(path, _tsv(table.sort_values("filename", kind="stable")))


def _ensure_dataset(root: Path, name: str, generated_by: dict) -> None:
    """Create dataset_description.json and README, or add this generator to an existing one."""
    path = root / "dataset_description.json"
    if path.is_file():
        document = load_json(path, "dataset description")
        if "BIDSVersion" not in document:
            raise fail(path, "has no BIDSVersion; not a BIDS dataset description")
        if document.get("DatasetType", "raw") != "raw":
            raise fail(path, f"DatasetType is {document['DatasetType']!r}; motion recordings go into a raw dataset")
        listed = document.setdefault("GeneratedBy", [])
        if not isinstance(listed, list):
            raise fail(path, f"GeneratedBy is {type(listed).__name__}, not a list of objects (BIDS); fix or remove it")
        if generated_by not in listed:
            listed.append(generated_by)
            _write_json(path, document)
    else:
        root.mkdir(parents=True, exist_ok=True)
        _write_json(path, {"Name": name, "BIDSVersion": BIDS_VERSION, "DatasetType": "raw",
                           "GeneratedBy": [generated_by]})
    readme = root / "README"
    if not any((root / n).exists() for n in ("README", "README.md", "README.txt", "README.rst")):
        _write_text(readme, f"{name}\n\nLower-back IMU recordings in BIDS-Motion, one tracking system per "
                            "recording (tracksys), with one event per forward bend.\n")


def _refuse_existing(motion_path: Path, force: bool) -> None:
    """An entry is never overwritten unless ``force``: HingeInputError when ``motion_path`` exists."""
    if motion_path.exists() and not force:
        raise fail(motion_path, "already exists; choose another --subject/--session/--task, "
                                "or pass --force to replace this entry")


def write_motion_entry(root: str | os.PathLike, entry: MotionEntry, subject: str, session: str | None,
                       task: str, tracksys: str = "imu", acq_time: str | None = None,
                       dataset_name: str = "hinge recordings", generated_by: dict | None = None,
                       force: bool = False, height_m: float | None = None) -> dict[str, Path]:
    """Write one recording as a BIDS-Motion entry; update the dataset-level files.

    An existing entry with the same subject, session, task and tracking system is never
    overwritten unless ``force``; other entries, participants and scans rows are kept.
    ``height_m``: the participant's body height, m, written to participants.tsv (None:
    the row keeps what it has). Returns the entry's paths (see `entry_paths`).

    Raises:
        HingeInputError: a bad label, an existing entry, a damaged dataset file.
    """
    root = Path(root)
    for label, what in ((subject, "subject"), (task, "task"), (tracksys, "tracksys")):
        check_label(label, what)
    if session is not None:
        check_label(session, "session")
    if root.exists() and not root.is_dir():
        raise fail(root, "exists and is not a directory; choose a BIDS dataset folder")
    if root.is_dir() and not (root / "dataset_description.json").exists() and any(root.iterdir()):
        # Never scatter BIDS files into an unrelated folder.
        raise fail(root, "is a folder with files but no dataset_description.json, so not a BIDS dataset; "
                         "choose a new or empty folder, or an existing BIDS dataset")
    paths = entry_paths(root, subject, session, task, tracksys)
    _refuse_existing(paths["motion"], force)
    t_s = np.asarray(entry.t_s, float)
    onset_s = float(t_s[0]) if entry.onset_s is None else float(entry.onset_s)
    fs_eff = effective_rate_hz(t_s)
    rows = uniform_rows(t_s, fs_eff)
    n_lost = int(rows[-1] + 1 - len(t_s))

    _ensure_dataset(root, dataset_name, generated_by or {"Name": "hinge"})
    _write_text(paths["motion"], _motion_text(t_s, entry.acc_mps2, entry.gyr_rad_s, rows, onset_s))
    channels = channels_table(entry.tracked_point, entry.placement)
    _write_text(paths["channels"], _tsv(channels))
    _write_json(paths["channels_json"], {
        "reference_frame": {
            "Description": "Frame in which the channel's x, y, z axes are given.",
            "Levels": {"sensor": {"Description": "The sensor's own axes as the device reports them; their "
                                                 "orientation on the body is not assumed (the mounting is "
                                                 "estimated from the data)."}},
        },
        "placement": {"Description": "Skin site of the sensor on the back: sacrum (S1-S2 midline), "
                                     "L5, L4 or L3 (spinous process) for the lower-back sensor; T12 (spinous "
                                     "process, the thoracolumbar junction) for a second, upper sensor."},
    })
    sidecar = {
        "TaskName": task,
        "SamplingFrequency": float(entry.nominal_fs_hz or round(fs_eff, 6)),
        "SamplingFrequencyEffective": round(fs_eff, 6),
        "TrackingSystemName": entry.sidecar.get("TrackingSystemName", tracksys),
        "RecordingDuration": round(float(t_s[-1] - t_s[0]), 6),
        "MotionChannelCount": len(channels),
        "ACCELChannelCount": 3,
        "GYROChannelCount": 3,
        "LATENCYChannelCount": 1,
        # RECOMMENDED even when zero: says "no such channels" rather than "unknown".
        **{f"{kind}ChannelCount": 0 for kind in ("ANGACCEL", "JNTANG", "MAGN", "MISC", "ORNT", "POS", "VEL")},
        "TrackedPointsCount": 1,
        "MissingValues": NA,
        "SubjectArtefactDescription": (f"{count(n_lost, 'sample period')} without data (lost samples), "
                                       "written as n/a rows" if n_lost else "n/a"),
    } | {k: v for k, v in entry.sidecar.items() if v is not None}
    _write_json(paths["motion_json"], sidecar)

    _write_events(paths, entry, onset_s)
    _update_participants(root, subject, height_m)
    _update_scans(root, subject, session, paths["motion"], acq_time)
    return paths


def _write_events(paths: dict[str, Path], entry: MotionEntry, onset_s: float) -> None:
    events = entry.events if entry.events is not None else pd.DataFrame(columns=["onset_s", "duration_s", "trial_type"])
    # + 0.0: an onset a hair before the first sample rounds to -0.0, written "-0.0".
    table = pd.DataFrame({"onset": (events["onset_s"].astype(float) - onset_s).round(6) + 0.0,
                          "duration": events["duration_s"].astype(float).round(6)})
    for column in events.columns:
        if column not in ("onset_s", "duration_s"):
            table[column] = events[column].to_numpy()
    table = table.sort_values("onset", kind="stable")
    _write_text(paths["events"], _tsv(table))
    descriptions = {"onset": {"Description": "Start of the event, from the first sample of the recording.",
                              "Units": "s"},
                    "duration": {"Description": "Duration of the event.", "Units": "s"}}
    _write_json(paths["events_json"], descriptions | entry.event_columns)


def write_motion_pair(root: str | os.PathLike, lower: MotionEntry, upper: MotionEntry, subject: str,
                      session: str | None, task: str, tracksys: str, upper_tracksys: str,
                      acq_time: str | None = None, force: bool = False, **options) -> dict[str, dict[str, Path]]:
    """Write two sensors recorded together as two tracking systems of one recording.

    BIDS-Motion defines a tracking system as channels sharing one recording device and one
    number of samples; two Bluetooth sensors with their own clocks are two, so each gets
    its own ``*_tracksys-<label>_motion.tsv`` with its own tracked point. They share one
    recording onset (the earlier first sample, written as the same ``acq_time`` in
    scans.tsv): both LATENCY channels are seconds from it, so the shared time base comes
    back exactly. The bends go with ``lower`` (BIDS: designate one tracking system to the
    events); ``upper``'s events file holds only its own events (its BAD_ stretches), often
    none. ``lower``/``upper``: entries on one time base (their onset_s is set here). ``options``: as `write_motion_entry` (dataset_name,
    generated_by). Returns {"lower": paths, "upper": paths}.

    Raises:
        HingeInputError: as `write_motion_entry`; neither entry is written when either exists.
    """
    if tracksys == upper_tracksys:
        raise fail(Path(root), f"both sensors would be tracking system {tracksys!r}; give each its own label")
    for label, what in ((subject, "subject"), (task, "task"), (tracksys, "tracksys"), (upper_tracksys, "tracksys")):
        check_label(label, what)
    for label in (tracksys, upper_tracksys):
        _refuse_existing(entry_paths(root, subject, session, task, label)["motion"], force)
    onset_s = min(float(lower.t_s[0]), float(upper.t_s[0]))
    lower, upper = replace(lower, onset_s=onset_s), replace(upper, onset_s=onset_s)
    written = {"lower": write_motion_entry(root, lower, subject, session, task, tracksys, acq_time, force=force,
                                           **options)}
    written["upper"] = write_motion_entry(root, upper, subject, session, task, upper_tracksys, acq_time,
                                          force=force, **options)
    return written
