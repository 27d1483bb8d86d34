"""Read one BIDS-Motion recording (`*_motion.tsv` with its channels and sidecar) in SI units."""
from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from hinge.errors import HingeInputError

from .bids_layout import CHANNEL_COLUMNS, NA, companion, fail, is_motion_file, read_table
from .schema import MAX_TIME_S, is_finite_number, load_json
from .validation import ACC_UNITS_TO_MPS2, GYR_UNITS_TO_RAD_S, MAX_RATE_MISMATCH, is_number_text
from .wording import count


@dataclass(frozen=True)
class BidsMotion:
    """One IMU read from a BIDS-Motion entry, in SI units.

    t_s: (N,) sample times, s from the first sample (LATENCY channel, else row / rate).
    acc_mps2, gyr_rad_s: (N, 3) sensor axes; rows of n/a (lost samples) are left out, a
        row with only some channels n/a keeps NaN there (`validation.incomplete_samples`
        decides, as for a session).
    fs_hz: the sidecar's SamplingFrequencyEffective, else SamplingFrequency, Hz.
    placement: the channels' placement, or None when absent.
    tracked_point: the ACCEL/GYRO channels' tracked point.
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
    tracked_point: str | None = None


def _read_sidecar(path: Path) -> dict:
    if not path.is_file():
        raise fail(path, "file not found; a BIDS motion recording needs its _motion.json (SamplingFrequency)")
    return load_json(path, "BIDS sidecar")


def _check_rate_without_latency(sidecar: dict, path: Path, n_rows: int, fs_hz: float) -> None:
    """Without a LATENCY channel the times are row / rate: refuse a rate the sidecar itself
    contradicts (RecordingDuration, or SamplingFrequency vs SamplingFrequencyEffective more
    than MAX_RATE_MISMATCH apart), instead of reading the data at the wrong speed."""
    duration = sidecar.get("RecordingDuration")
    if (is_finite_number(duration) and duration > 0
            and abs(n_rows / fs_hz - duration) > max(MAX_RATE_MISMATCH * duration, 2.0 / fs_hz)):
        raise fail(path, f"{n_rows} rows at {fs_hz:g} Hz last {n_rows / fs_hz:.2f} s but RecordingDuration says "
                         f"{duration:g} s, and there is no LATENCY channel to tell which is right; "
                         "fix SamplingFrequency(Effective) or RecordingDuration")
    nominal, effective = sidecar.get("SamplingFrequency"), sidecar.get("SamplingFrequencyEffective")
    if (all(is_finite_number(v) and v > 0 for v in (nominal, effective))
            and abs(effective - nominal) > MAX_RATE_MISMATCH * nominal):
        raise fail(path, f"SamplingFrequency {nominal:g} Hz and SamplingFrequencyEffective {effective:g} Hz "
                         f"differ by more than {MAX_RATE_MISMATCH:.0%} and there is no LATENCY channel to tell "
                         "which is right; fix the one that is wrong")


def _rate(sidecar: dict, path: Path) -> float:
    for key in ("SamplingFrequencyEffective", "SamplingFrequency"):
        value = sidecar.get(key)
        if is_finite_number(value) and value > 0:
            return float(value)
        if key == "SamplingFrequency":
            raise fail(path, f"SamplingFrequency is {value!r}; need the sample rate in Hz (a positive number)")
    raise AssertionError  # unreachable


def _pick_channels(channels: pd.DataFrame, path: Path) -> tuple[list[int], list[int], int | None, str | None]:
    """Rows of acc x/y/z, gyro x/y/z, latency (or None) and the placement (its channels' one
    placement, else None)."""
    missing = [c for c in CHANNEL_COLUMNS if c not in channels.columns]
    if missing:
        raise fail(path, f"column(s) {', '.join(missing)} missing (found: {', '.join(channels.columns)}); "
                          f"required: {', '.join(CHANNEL_COLUMNS)}")
    kinds = channels["type"].str.strip()
    imu = channels[kinds.isin(["ACCEL", "GYRO"])]
    points = sorted(set(imu["tracked_point"]))
    if len(points) > 1:
        raise fail(path, f"ACCEL/GYRO channels of {len(points)} tracked points ({', '.join(points)}) in one "
                          "tracking system; hinge reads one sensor per tracking system (each has its own clock): "
                          "split them into one *_tracksys-<label>_motion.tsv per sensor")
    picked: dict[str, list[int]] = {}
    for kind in ("ACCEL", "GYRO"):
        rows = []
        for axis in "xyz":
            hits = np.flatnonzero((kinds == kind).to_numpy() & (channels["component"].str.strip() == axis).to_numpy())
            if hits.size != 1:
                found = "none" if hits.size == 0 else f"{hits.size}"
                raise fail(path, f"need one {kind} channel with component {axis} (found {found}); "
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
        raise fail(path, f"channel {channels['name'].iloc[row]!r}: unit {unit!r} is not one hinge reads "
                          f"for {channels['type'].iloc[row]} (known: {', '.join(table)})")
    return table[unit]


def _read_values(path: Path, n_columns: int) -> np.ndarray:
    """The headerless `_motion.tsv` as an (N, n_columns) float array, n/a as NaN."""
    if not path.is_file():
        raise fail(path, "file not found; check the path")
    try:
        with open(path, encoding="utf-8") as handle:
            first = handle.readline()
    except UnicodeDecodeError:
        raise fail(path, "is not UTF-8 text; a _motion.tsv holds tab-separated numbers") from None
    cells = first.rstrip("\n").split("\t")
    if not first.strip():
        raise fail(path, "is empty; expected tab-separated numbers, one column per channel")
    if len(cells) != n_columns:
        raise fail(path, f"has {count(len(cells), 'column')} but the _channels.tsv lists {count(n_columns, 'channel')}; "
                          "they must match")
    if any(c.strip() != NA and not is_number_text(c) for c in cells):
        raise fail(path, "first line is not numbers; a BIDS _motion.tsv has no header row")
    try:
        frame = pd.read_csv(path, sep="\t", header=None, na_values=[NA], keep_default_na=False, dtype=float,
                            engine="c")
    except (ValueError, pd.errors.ParserError):
        raise _first_bad_line(path, n_columns) from None
    if frame.shape[1] != n_columns:
        raise _first_bad_line(path, n_columns)
    return frame.to_numpy(dtype=float)


def _first_bad_line(path: Path, n_columns: int) -> HingeInputError:
    """The error for the first line that is short, long, not UTF-8, or holds a non-number (slow path)."""
    # Bytes that are not UTF-8 are read as lone surrogates, which do not encode back.
    with open(path, encoding="utf-8", errors="surrogateescape") as handle:
        for number, line in enumerate(handle, 1):
            try:
                line.encode("utf-8")
            except UnicodeEncodeError:
                return fail(path, f"line {number} is not UTF-8 text; a _motion.tsv holds tab-separated numbers")
            cells = line.rstrip("\n").split("\t")
            if len(cells) != n_columns:
                return fail(path, f"line {number} has {count(len(cells), 'cell')}, expected {n_columns} (one per "
                                   "channel); the file is truncated or damaged")
            bad = [c for c in cells if c != NA and not is_number_text(c)]
            if bad:
                return fail(path, f"line {number}: {bad[0]!r} is neither a number nor n/a")
    return fail(path, "cannot be read as tab-separated numbers")


def read_motion_events(path: Path) -> pd.DataFrame:
    """The `_events.tsv` next to a `*_motion.tsv` as text cells (empty table when absent)."""
    events_path = companion(Path(path), "_events.tsv")
    events = read_table(events_path) if events_path.is_file() else pd.DataFrame(columns=["onset", "duration"])
    for column in ("onset", "duration"):
        if column not in events.columns:
            raise fail(events_path, f"column '{column}' is missing; BIDS events need onset and duration")
        for row, cell in enumerate(events[column].astype(str), start=2):
            if column == "duration" and cell == NA:
                continue
            try:
                value = float(cell)
            except ValueError:
                value = math.nan
            if not abs(value) <= MAX_TIME_S or (column == "duration" and value < 0):
                raise fail(events_path, f"line {row}: {column} '{cell}' is not a time in s within "
                                        f"+-{MAX_TIME_S:g}{' (n/a allowed)' if column == 'duration' else ''}")
    return events


def read_motion(path: str | os.PathLike) -> BidsMotion:
    """Read a ``*_motion.tsv`` with its ``_channels.tsv``, ``_motion.json`` (and ``_events.tsv``).

    Units come from the channels file (m/s^2 or g, rad/s or deg/s); time from the LATENCY
    channel when there is one, else from the row number and the sampling frequency. Rows
    without data (n/a) are left out, so lost samples stay lost, as in the source; rows with
    some channels n/a are kept, with NaN there.

    Raises:
        HingeInputError: one line naming the file and the problem.
    """
    path = Path(path)
    if not is_motion_file(path):
        raise fail(path, "is not a BIDS motion data file (name ending in _motion.tsv)")
    channels_path = companion(path, "_channels.tsv")
    channels = read_table(channels_path)
    if len(channels) == 0:
        raise fail(channels_path, "lists no channels")
    acc_rows, gyr_rows, latency_row, placement = _pick_channels(channels, channels_path)
    acc_factors = [_unit_factor(channels, r, ACC_UNITS_TO_MPS2, channels_path) for r in acc_rows]
    gyr_factors = [_unit_factor(channels, r, GYR_UNITS_TO_RAD_S, channels_path) for r in gyr_rows]
    sidecar_path = companion(path, "_motion.json")
    sidecar = _read_sidecar(sidecar_path)
    fs_hz = _rate(sidecar, sidecar_path)
    values = _read_values(path, len(channels))
    notes: list[str] = []

    acc = values[:, acc_rows] * acc_factors
    gyr = values[:, gyr_rows] * gyr_factors
    has_data = np.isfinite(acc).any(axis=1) | np.isfinite(gyr).any(axis=1)
    if latency_row is not None:
        unit = channels["units"].iloc[latency_row].strip()
        if unit not in ("s", NA):
            raise fail(channels_path, f"LATENCY channel unit is {unit!r}; the spec defines it in s")
        t_s = values[:, latency_row]
        missing_time = has_data & ~np.isfinite(t_s)
        if missing_time.any():
            row = int(np.flatnonzero(missing_time)[0])
            raise fail(path, f"line {row + 1}: samples without a LATENCY value; fill it or write the row as n/a")
    else:
        t_s = np.arange(len(values)) / fs_hz
        _check_rate_without_latency(sidecar, sidecar_path, len(values), fs_hz)
    n_missing = int((~has_data).sum())
    if n_missing:
        notes.append(f"{path}: {n_missing} of {len(values)} rows have no data (n/a: samples the device lost)")
    t_s, acc, gyr = t_s[has_data], acc[has_data], gyr[has_data]
    if len(t_s) > 1:
        bad = np.flatnonzero(~(np.diff(t_s) > 0))
        if bad.size:
            i = int(bad[0]) + 1
            raise fail(path, f"LATENCY does not increase at data row {i + 1} "
                              f"({t_s[i - 1]:.6f} s then {t_s[i]:.6f} s)")

    events = read_motion_events(path)
    return BidsMotion(path=path, t_s=np.ascontiguousarray(t_s), acc_mps2=np.ascontiguousarray(acc),
                      gyr_rad_s=np.ascontiguousarray(gyr), fs_hz=fs_hz, placement=placement, sidecar=sidecar,
                      events=events, warnings=tuple(notes), tracked_point=str(channels["tracked_point"].iloc[acc_rows[0]]),
                      units={"acc": channels["units"].iloc[acc_rows[0]].strip(),
                             "gyr": channels["units"].iloc[gyr_rows[0]].strip()})
