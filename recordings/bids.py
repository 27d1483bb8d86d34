"""BIDS-Motion: write and read one IMU's entry in a BIDS dataset (the `motion` datatype).

Follows the BIDS specification 1.11.1 (modality-specific-files/motion.md and the schema
rules files/raw/motion.yaml, sidecars/motion.yaml, tabular_data/motion.yaml), the
version whose schema bids-validator 3.0.2 bundles and checks. One recording is one tracking
system (``tracksys``, REQUIRED in the file name)::

    dataset_description.json  participants.tsv  participants.json  README
    sub-<S>/[ses-<E>/]sub-<S>[_ses-<E>]_scans.tsv
    sub-<S>/[ses-<E>/]motion/sub-<S>[_ses-<E>]_task-<T>_tracksys-<K>_motion.tsv
                                                   ..._motion.json  ..._channels.tsv
                                                   ..._channels.json  ..._events.tsv
                                                   ..._events.json

Time. ``_motion.tsv`` has no header and one row per sample period on a uniform grid at
the recording's effective rate (``SamplingFrequencyEffective``; ``SamplingFrequency`` is
the nominal rate the device was set to). Samples the device lost are rows of ``n/a``
(``MissingValues``), so row i is always about i / rate seconds after the first sample.
The exact time of every sample, from the device clock, is in the ``LATENCY`` channel (s
from the first sample, ``s.000000``), which the spec provides for uneven sampling; the
reader uses it when present, else row / rate. Event onsets are seconds from the first
sample.

Writing takes plain arrays, metadata and an events table from the caller (the analysis
lives above this layer); reading returns arrays in s, m/s^2 and rad/s. Every problem is a
one-line HingeInputError naming the file.
"""
from __future__ import annotations

import csv
import json
import math
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from hinge.errors import HingeInputError

__all__ = ["BIDS_VERSION", "MotionEntry", "BidsMotion", "write_motion_entry", "read_motion", "entry_name",
           "entry_paths", "channels_table", "uniform_rows", "ACC_UNITS_TO_MPS2", "GYR_UNITS_TO_RAD_S"]

BIDS_VERSION = "1.11.1"
DATATYPE = "motion"
NA = "n/a"
GRAVITY_MPS2 = 9.80665
# Unit spellings accepted on reading, as factors to SI; the writer uses the spec's own
# example spellings, "m/s^2" and "rad/s".
ACC_UNITS_TO_MPS2 = {"m/s^2": 1.0, "m/s2": 1.0, "m/s²": 1.0, "m*s^-2": 1.0, "g": GRAVITY_MPS2}
GYR_UNITS_TO_RAD_S = {"rad/s": 1.0, "deg/s": math.pi / 180.0, "°/s": math.pi / 180.0}
CHANNEL_COLUMNS = ("name", "component", "type", "tracked_point", "units")
_LABEL = re.compile(r"^[A-Za-z0-9]+$")
# float32 samples (the session format) need 9 significant digits to come back exactly.
_VALUE_FORMAT = "%.9g"


def _fail(path, problem: str) -> HingeInputError:
    return HingeInputError(f"{path}: {problem}")


def check_label(label: str, what: str) -> str:
    """A BIDS label (letters and digits only) or a one-line error naming the option."""
    if not isinstance(label, str) or not _LABEL.match(label):
        raise HingeInputError(f"--{what} {label!r}: a BIDS label may hold only letters and digits "
                              "(no '-', '_', spaces); e.g. P01")
    return label


def entry_name(subject: str, session: str | None, task: str, tracksys: str) -> str:
    """File-name stem in the spec's entity order: sub-<S>[_ses-<E>]_task-<T>_tracksys-<K>."""
    parts = [f"sub-{subject}"] + ([f"ses-{session}"] if session else []) + [f"task-{task}", f"tracksys-{tracksys}"]
    return "_".join(parts)


def _subject_dir(root: Path, subject: str, session: str | None) -> Path:
    return root / f"sub-{subject}" / (f"ses-{session}" if session else "")


def entry_paths(root: str | os.PathLike, subject: str, session: str | None, task: str,
                tracksys: str) -> dict[str, Path]:
    """Paths of one entry's files, keyed motion, motion_json, channels, channels_json, events, events_json."""
    folder = _subject_dir(Path(root), subject, session) / DATATYPE
    stem = entry_name(subject, session, task, tracksys)
    return {
        "motion": folder / f"{stem}_motion.tsv", "motion_json": folder / f"{stem}_motion.json",
        "channels": folder / f"{stem}_channels.tsv", "channels_json": folder / f"{stem}_channels.json",
        "events": folder / f"{stem}_events.tsv", "events_json": folder / f"{stem}_events.json",
    }


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


def _motion_text(t_s: np.ndarray, acc: np.ndarray, gyr: np.ndarray, rows: np.ndarray) -> str:
    n_rows = int(rows[-1]) + 1
    values = np.full((n_rows, 6), np.nan)
    values[rows] = np.column_stack([acc, gyr])
    latency = np.full(n_rows, np.nan)
    latency[rows] = t_s - t_s[0]
    lines = []
    for row, t in zip(values, latency):
        if np.isnan(t):
            lines.append("\t".join([NA] * 7))
        else:
            lines.append("\t".join([_VALUE_FORMAT % v for v in row] + [f"{t:.6f}"]))
    return "\n".join(lines) + "\n"


def _read_table(path: Path) -> pd.DataFrame:
    """A BIDS TSV with header, all cells as text (n/a kept as text)."""
    if not path.is_file():
        raise _fail(path, "file not found; the BIDS entry is incomplete")
    try:
        return pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False, na_filter=False, encoding="utf-8")
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as error:
        detail = " ".join(str(error).split())[:120]
        raise _fail(path, f"is not a readable tab-separated table ({detail})") from None


def _update_participants(root: Path, subject: str) -> None:
    """Add ``sub-<subject>`` to participants.tsv, keeping every other row and column."""
    path = root / "participants.tsv"
    participant = f"sub-{subject}"
    if path.is_file():
        table = _read_table(path)
        if "participant_id" not in table.columns:
            raise _fail(path, "has no participant_id column; fix it before adding participants")
        if participant in set(table["participant_id"]):
            return
        row = {c: NA for c in table.columns} | {"participant_id": participant}
        table = pd.concat([table, pd.DataFrame([row])], ignore_index=True)
    else:
        table = pd.DataFrame({"participant_id": [participant]})
    table = table.sort_values("participant_id", kind="stable")
    _write_text(path, _tsv(table))
    sidecar = root / "participants.json"
    if not sidecar.exists():
        _write_json(sidecar, {"participant_id": {"Description": "Participant label (sub-<label>)."}})


def _update_scans(root: Path, subject: str, session: str | None, motion_path: Path, acq_time: str | None) -> None:
    """Add or replace the motion file's row in the subject's (session's) scans.tsv."""
    folder = _subject_dir(root, subject, session)
    stem = f"sub-{subject}" + (f"_ses-{session}" if session else "")
    path = folder / f"{stem}_scans.tsv"
    filename = motion_path.relative_to(folder).as_posix()
    row = {"filename": filename, "acq_time": acq_time or NA}
    if path.is_file():
        table = _read_table(path)
        if "filename" not in table.columns:
            raise _fail(path, "has no filename column; fix it before adding recordings")
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
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise _fail(path, "is not valid JSON; fix or remove it") from None
        if not isinstance(document, dict) or "BIDSVersion" not in document:
            raise _fail(path, "has no BIDSVersion; not a BIDS dataset description")
        if document.get("DatasetType", "raw") != "raw":
            raise _fail(path, f"DatasetType is {document['DatasetType']!r}; motion recordings go into a raw dataset")
        listed = document.setdefault("GeneratedBy", [])
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


def write_motion_entry(root: str | os.PathLike, entry: MotionEntry, subject: str, session: str | None,
                       task: str, tracksys: str = "imu", acq_time: str | None = None,
                       dataset_name: str = "hinge recordings", generated_by: dict | None = None,
                       force: bool = False) -> dict[str, Path]:
    """Write one recording as a BIDS-Motion entry; update the dataset-level files.

    An existing entry with the same subject, session, task and tracking system is never
    overwritten unless ``force``; other entries, participants and scans rows are kept.
    Returns the entry's paths (see `entry_paths`).

    Raises:
        HingeInputError: a bad label, an existing entry, a damaged dataset file.
    """
    root = Path(root)
    for label, what in ((subject, "subject"), (task, "task"), (tracksys, "tracksys")):
        check_label(label, what)
    if session is not None:
        check_label(session, "session")
    if root.exists() and not root.is_dir():
        raise _fail(root, "exists and is not a directory; choose a BIDS dataset folder")
    paths = entry_paths(root, subject, session, task, tracksys)
    if paths["motion"].exists() and not force:
        raise _fail(paths["motion"], "already exists; choose another --subject/--session/--task, "
                                     "or pass --force to replace this entry")
    t_s = np.asarray(entry.t_s, float)
    fs_eff = effective_rate_hz(t_s)
    rows = uniform_rows(t_s, fs_eff)
    n_lost = int(rows[-1] + 1 - len(t_s))

    _ensure_dataset(root, dataset_name, generated_by or {"Name": "hinge"})
    _write_text(paths["motion"], _motion_text(t_s, entry.acc_mps2, entry.gyr_rad_s, rows))
    channels = channels_table(entry.tracked_point, entry.placement)
    _write_text(paths["channels"], _tsv(channels))
    _write_json(paths["channels_json"], {
        "reference_frame": {
            "Description": "Frame in which the channel's x, y, z axes are given.",
            "Levels": {"sensor": {"Description": "The sensor's own axes as the device reports them; their "
                                                 "orientation on the body is not assumed (the mounting is "
                                                 "estimated from the data)."}},
        },
        "placement": {"Description": "Skin site of the sensor on the lower back: sacrum (S1-S2 midline), "
                                     "L5, L4 or L3 (spinous process)."},
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
        "SubjectArtefactDescription": (f"{n_lost} sample period(s) without data (device losses), "
                                       "written as n/a rows" if n_lost else "n/a"),
    } | {k: v for k, v in entry.sidecar.items() if v is not None}
    _write_json(paths["motion_json"], sidecar)

    events = entry.events if entry.events is not None else pd.DataFrame(columns=["onset_s", "duration_s", "trial_type"])
    table = pd.DataFrame({"onset": (events["onset_s"].astype(float) - t_s[0]).round(6),
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

    _update_participants(root, subject)
    _update_scans(root, subject, session, paths["motion"], acq_time)
    return paths


@dataclass(frozen=True)
class BidsMotion:
    """One IMU read from a BIDS-Motion entry, in SI units.

    t_s: (N,) sample times, s from the first sample (LATENCY channel, else row / rate).
    acc_mps2, gyr_rad_s: (N, 3) sensor axes; rows of n/a (lost samples) are left out.
    fs_hz: the sidecar's SamplingFrequencyEffective, else SamplingFrequency, Hz.
    placement: the channels' placement, or None when absent.
    sidecar: the `_motion.json` document; events: `_events.tsv` (empty when absent);
    units: the declared units, {"acc": ..., "gyr": ...}; warnings: one-line notes.
    """

    path: Path
    t_s: np.ndarray
    acc_mps2: np.ndarray
    gyr_rad_s: np.ndarray
    fs_hz: float
    placement: str | None
    sidecar: dict
    events: pd.DataFrame
    units: dict = field(default_factory=dict)
    warnings: tuple[str, ...] = ()


def _companion(motion_path: Path, suffix: str) -> Path:
    return motion_path.with_name(motion_path.name[: -len("_motion.tsv")] + suffix)


def _read_sidecar(path: Path) -> dict:
    if not path.is_file():
        raise _fail(path, "file not found; a BIDS motion recording needs its _motion.json (SamplingFrequency)")
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        where = f" (line {error.lineno})" if isinstance(error, json.JSONDecodeError) else ""
        raise _fail(path, f"is not valid JSON{where}") from None
    if not isinstance(document, dict):
        raise _fail(path, "is not a JSON object")
    return document


def _rate(sidecar: dict, path: Path) -> float:
    for key in ("SamplingFrequencyEffective", "SamplingFrequency"):
        value = sidecar.get(key)
        if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value) and value > 0:
            return float(value)
        if key == "SamplingFrequency":
            raise _fail(path, f"SamplingFrequency is {value!r}; need the sample rate in Hz (a positive number)")
    raise AssertionError  # unreachable


def _pick_channels(channels: pd.DataFrame, path: Path) -> tuple[list[int], list[int], int | None, str | None]:
    """Rows of acc x/y/z, gyro x/y/z, latency (or None) and the placement."""
    missing = [c for c in CHANNEL_COLUMNS if c not in channels.columns]
    if missing:
        raise _fail(path, f"column(s) {', '.join(missing)} missing (found: {', '.join(channels.columns)}); "
                          f"required: {', '.join(CHANNEL_COLUMNS)}")
    kinds = channels["type"].str.strip()
    imu = channels[kinds.isin(["ACCEL", "GYRO"])]
    points = sorted(set(imu["tracked_point"]))
    if len(points) > 1:
        raise _fail(path, f"ACCEL/GYRO channels of {len(points)} tracked points ({', '.join(points)}); "
                          "hinge analyses one sensor: split them into one entry per sensor")
    picked: dict[str, list[int]] = {}
    for kind in ("ACCEL", "GYRO"):
        rows = []
        for axis in "xyz":
            hits = np.flatnonzero((kinds == kind).to_numpy() & (channels["component"].str.strip() == axis).to_numpy())
            if hits.size != 1:
                found = "none" if hits.size == 0 else f"{hits.size}"
                raise _fail(path, f"need one {kind} channel with component {axis} (found {found}); "
                                  "hinge needs accelerometer and gyroscope x, y, z")
            rows.append(int(hits[0]))
        picked[kind] = rows
    latency = np.flatnonzero((kinds == "LATENCY").to_numpy())
    placement = None
    if "placement" in channels.columns:
        values = sorted({p.strip() for p in channels["placement"].iloc[picked["ACCEL"] + picked["GYRO"]]} - {NA, ""})
        placement = values[0] if len(values) == 1 else None
    return picked["ACCEL"], picked["GYRO"], (int(latency[0]) if latency.size else None), placement


def _unit_factor(channels: pd.DataFrame, row: int, table: dict[str, float], path: Path) -> float:
    unit = channels["units"].iloc[row].strip()
    if unit not in table:
        raise _fail(path, f"channel {channels['name'].iloc[row]!r}: unit {unit!r} is not one hinge reads "
                          f"for {channels['type'].iloc[row]} (known: {', '.join(table)})")
    return table[unit]


def _read_values(path: Path, n_columns: int) -> np.ndarray:
    """The headerless `_motion.tsv` as an (N, n_columns) float array, n/a as NaN."""
    if not path.is_file():
        raise _fail(path, "file not found; check the path")
    try:
        with open(path, encoding="utf-8") as handle:
            first = handle.readline()
    except UnicodeDecodeError:
        raise _fail(path, "is not UTF-8 text; a _motion.tsv holds tab-separated numbers") from None
    cells = first.rstrip("\n").split("\t")
    if not first.strip():
        raise _fail(path, "is empty; expected tab-separated numbers, one column per channel")
    if len(cells) != n_columns:
        raise _fail(path, f"has {len(cells)} column(s) but the _channels.tsv lists {n_columns} channel(s); "
                          "they must match")
    if any(c.strip() != NA and not _is_number(c) for c in cells):
        raise _fail(path, "first line is not numbers; a BIDS _motion.tsv has no header row")
    try:
        frame = pd.read_csv(path, sep="\t", header=None, na_values=[NA], keep_default_na=False, dtype=float,
                            engine="c")
    except (ValueError, pd.errors.ParserError):
        raise _first_bad_line(path, n_columns) from None
    if frame.shape[1] != n_columns:
        raise _first_bad_line(path, n_columns)
    return frame.to_numpy(dtype=float)


def _first_bad_line(path: Path, n_columns: int) -> HingeInputError:
    """The error for the first line that is short, long, or holds a non-number (slow path)."""
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            cells = line.rstrip("\n").split("\t")
            if len(cells) != n_columns:
                return _fail(path, f"line {number} has {len(cells)} cell(s), expected {n_columns} (one per "
                                   "channel); the file is truncated or damaged")
            bad = [c for c in cells if c != NA and not _is_number(c)]
            if bad:
                return _fail(path, f"line {number}: {bad[0]!r} is neither a number nor n/a")
    return _fail(path, "cannot be read as tab-separated numbers")


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def read_motion(path: str | os.PathLike) -> BidsMotion:
    """Read a ``*_motion.tsv`` with its ``_channels.tsv``, ``_motion.json`` (and ``_events.tsv``).

    Units come from the channels file (m/s^2 or g, rad/s or deg/s); time from the LATENCY
    channel when there is one, else from the row number and the sampling frequency. Rows
    without data (n/a) are left out, so lost samples stay lost, as in the source.

    Raises:
        HingeInputError: one line naming the file and the problem.
    """
    path = Path(path)
    if not path.name.endswith("_motion.tsv"):
        raise _fail(path, "is not a BIDS motion data file (name ending in _motion.tsv)")
    channels_path = _companion(path, "_channels.tsv")
    channels = _read_table(channels_path)
    if len(channels) == 0:
        raise _fail(channels_path, "lists no channels")
    acc_rows, gyr_rows, latency_row, placement = _pick_channels(channels, channels_path)
    acc_factors = [_unit_factor(channels, r, ACC_UNITS_TO_MPS2, channels_path) for r in acc_rows]
    gyr_factors = [_unit_factor(channels, r, GYR_UNITS_TO_RAD_S, channels_path) for r in gyr_rows]
    sidecar_path = _companion(path, "_motion.json")
    sidecar = _read_sidecar(sidecar_path)
    fs_hz = _rate(sidecar, sidecar_path)
    values = _read_values(path, len(channels))
    notes: list[str] = []

    acc = values[:, acc_rows] * acc_factors
    gyr = values[:, gyr_rows] * gyr_factors
    present = np.isfinite(acc).all(axis=1) & np.isfinite(gyr).all(axis=1)
    if latency_row is not None:
        unit = channels["units"].iloc[latency_row].strip()
        if unit not in ("s", NA):
            raise _fail(channels_path, f"LATENCY channel unit is {unit!r}; the spec defines it in s")
        t_s = values[:, latency_row]
        missing_time = present & ~np.isfinite(t_s)
        if missing_time.any():
            row = int(np.flatnonzero(missing_time)[0])
            raise _fail(path, f"line {row + 1}: samples without a LATENCY value; fill it or write the row as n/a")
    else:
        t_s = np.arange(len(values)) / fs_hz
    partial = ~present & (np.isfinite(acc).any(axis=1) | np.isfinite(gyr).any(axis=1))
    if partial.any():
        notes.append(f"{path}: {int(partial.sum())} row(s) with some channels n/a were left out")
    n_missing = int((~present).sum())
    if n_missing:
        notes.append(f"{path}: {n_missing} of {len(values)} rows have no data (n/a: samples the device lost)")
    t_s, acc, gyr = t_s[present], acc[present], gyr[present]
    if len(t_s) > 1:
        bad = np.flatnonzero(~(np.diff(t_s) > 0))
        if bad.size:
            i = int(bad[0]) + 1
            raise _fail(path, f"LATENCY does not increase at data row {i + 1} "
                              f"({t_s[i - 1]:.6f} s then {t_s[i]:.6f} s)")

    events_path = _companion(path, "_events.tsv")
    events = _read_table(events_path) if events_path.is_file() else pd.DataFrame(columns=["onset", "duration"])
    for column in ("onset", "duration"):
        if column not in events.columns:
            raise _fail(events_path, f"column '{column}' is missing; BIDS events need onset and duration")
    return BidsMotion(path=path, t_s=np.ascontiguousarray(t_s), acc_mps2=np.ascontiguousarray(acc),
                      gyr_rad_s=np.ascontiguousarray(gyr), fs_hz=fs_hz, placement=placement, sidecar=sidecar,
                      events=events, warnings=tuple(notes),
                      units={"acc": channels["units"].iloc[acc_rows[0]].strip(),
                             "gyr": channels["units"].iloc[gyr_rows[0]].strip()})
