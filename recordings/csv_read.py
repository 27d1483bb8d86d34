"""Read the plain CSV interchange format and check it before any analysis.

Format: one header row ``time_s,acc_x,acc_y,acc_z,gyr_x,gyr_y,gyr_z`` (any order, extra
columns ignored with a warning), then one row per sample: time in seconds on the
sensor's own clock (any origin), specific force in m/s^2 and angular rate in rad/s, both
in sensor axes. ``acc_unit="g"`` and ``gyro_unit="deg/s"`` convert other units.

Two sensors: the lower sensor's columns as above plus the upper sensor's, prefixed by its
site in lower case (``t12_acc_x,...,t12_gyr_z``; `UPPER_PREFIXES`), on the same
``time_s`` rows (one time base for both) and in the same units. A row holds a sample of
either sensor or both: a sensor without a sample at that time has its six cells empty
(so sensors at different rates, or one that dropped out, share one file). Every check of
the lower sensor's columns applies to the upper's too, each message naming its columns.

Parsing lives here; the limits the values are held to (rows, rate, units, full scale,
clipping) are `validation`'s, shared with every other format. Every problem is a one-line
HingeInputError naming the file, the problem and the fix.
"""
from __future__ import annotations

import difflib
import io
import os
import select
import stat
import sys
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from hinge.errors import HingeInputError

from . import units
from .placements import UPPER_PLACEMENTS
from .recording import ImuRecording
from .validation import (ACC_UNITS_TO_MPS2, GYR_UNITS_TO_RAD_S, MAX_ACC_MPS2, MAX_RATE_RAD_S, MIN_DURATION_S,
                         MIN_SAMPLES, check_timing, check_units, clipped_plateaus, impossible_samples,
                         is_number_text)
from .wording import count

__all__ = ["TIME_COLUMN", "ACC_COLUMNS", "GYR_COLUMNS", "CHANNEL_COLUMNS", "REQUIRED_COLUMNS", "EXPECTED_HEADER",
           "UPPER_PREFIXES", "upper_columns", "pair_header", "CsvSensors", "read_stream", "read_imu_csv",
           "read_csv_sensors"]

TIME_COLUMN = "time_s"
ACC_COLUMNS = ("acc_x", "acc_y", "acc_z")
GYR_COLUMNS = ("gyr_x", "gyr_y", "gyr_z")
CHANNEL_COLUMNS = (*ACC_COLUMNS, *GYR_COLUMNS)
REQUIRED_COLUMNS = (TIME_COLUMN, *CHANNEL_COLUMNS)
EXPECTED_HEADER = ",".join(REQUIRED_COLUMNS)
#: Column prefix of the upper sensor at each upper site: the site in lower case ("t12_").
UPPER_PREFIXES: dict[str, str] = {site: f"{site.lower()}_" for site in UPPER_PLACEMENTS}


def upper_columns(site: str) -> tuple[str, ...]:
    """The upper sensor's six columns at ``site`` (one of UPPER_PLACEMENTS): t12_acc_x .. t12_gyr_z."""
    return tuple(UPPER_PREFIXES[site] + column for column in CHANNEL_COLUMNS)


def pair_header(site: str) -> str:
    """The two-sensor header: EXPECTED_HEADER, then the upper sensor's columns at ``site``."""
    return ",".join((*REQUIRED_COLUMNS, *upper_columns(site)))

SNIFF_BYTES = 4096
# A FIFO is read once something writes to it; nothing within this long is an error.
FIFO_WAIT_S = 30.0
# How the command line declares each unit the data may look like instead.
UNIT_FIXES = {"g": "pass --acc-unit g", "m/s^2": "pass --acc-unit m/s2",
              "deg/s": "pass --gyro-unit deg/s", "rad/s": "pass --gyro-unit rad/s"}


def _fail(name: str, problem: str) -> HingeInputError:
    return HingeInputError(f"{name}: {problem}")


def read_stream(path: str | os.PathLike, name: str) -> bytes | None:
    """The whole content of standard input ("-"), a pipe or a FIFO; None for a regular file
    (read by path) or a path that does not exist (reported by the reader).

    A FIFO is opened without blocking and read once a writer has written to it, for at
    most FIFO_WAIT_S: a FIFO nobody writes to is an error, never a hang.
    """
    if os.fspath(path) == "-":
        return sys.stdin.buffer.read()
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return None
    if stat.S_ISREG(mode) or stat.S_ISDIR(mode):
        return None
    if stat.S_ISCHR(mode) and os.isatty(0) and os.path.samefile(path, "/dev/stdin"):
        raise _fail(name, "is the terminal; pipe a CSV in (cat rec.csv | hinge analyse -) or name a file")
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError as error:
        raise _fail(name, f"cannot be read ({error.strerror or error}); check the file") from None
    try:
        if stat.S_ISFIFO(mode):
            poller = select.poll()
            poller.register(fd, select.POLLIN)
            if not poller.poll(int(FIFO_WAIT_S * 1000)):
                raise _fail(name, f"is a FIFO and nothing wrote to it within {FIFO_WAIT_S:.0f} s; start the writer first")
        os.set_blocking(fd, True)
        chunks = []
        while chunk := os.read(fd, 1 << 20):
            chunks.append(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


def _check_file(path: Path, name: str, data: bytes | None = None) -> list[str]:
    """Check the file (or `data`, read from a stream) is a readable text CSV; return its
    header fields, stripped of blanks and quotes."""
    if data is not None:
        head = data[:SNIFF_BYTES]
    else:
        if not path.exists():
            raise _fail(name, "file not found; check the path")
        if path.is_dir():
            raise _fail(name, "is a directory, not a CSV file; pass the recording file inside it")
        try:
            with open(path, "rb") as handle:
                head = handle.read(SNIFF_BYTES)
        except PermissionError:
            raise _fail(name, "permission denied; check the file's read permissions") from None
        except OSError as error:
            raise _fail(name, f"cannot be read ({error.strerror or error}); check the file") from None
    if not head.strip():
        raise _fail(name, f"file is empty; expected a CSV with header {EXPECTED_HEADER}")
    if b"\x00" in head:
        raise _fail(name, f"is binary, not a CSV text file; export the recording as CSV with header {EXPECTED_HEADER}")
    try:
        # A multi-byte character may be cut at the end of the sniffed block.
        text = head.decode("utf-8-sig", errors="strict") if len(head) < SNIFF_BYTES else \
            head[:-4].decode("utf-8-sig", errors="strict")
    except UnicodeDecodeError:
        raise _fail(name, f"is not UTF-8 text (binary or another encoding); export the recording as CSV with header {EXPECTED_HEADER}") from None
    stripped = text.lstrip()
    if not stripped:  # e.g. only a byte-order mark
        raise _fail(name, f"file is empty; expected a CSV with header {EXPECTED_HEADER}")
    if stripped[0] in "{[":
        raise _fail(name, f"looks like JSON, not CSV; expected a CSV with header {EXPECTED_HEADER}")
    if stripped[0] == "<":
        raise _fail(name, f"looks like XML/HTML, not CSV; expected a CSV with header {EXPECTED_HEADER}")
    first_line = stripped.splitlines()[0]
    fields = [f.strip().strip('"').strip() for f in first_line.split(",")]
    if len(fields) == 1:
        for sep, label in ((";", "semicolons"), ("\t", "tabs")):
            if sep in first_line:
                raise _fail(name, f"fields are separated by {label}, not commas; expected header {EXPECTED_HEADER}")
        raise _fail(name, f"first line has a single field, not a CSV header; expected header {EXPECTED_HEADER}")
    if all(is_number_text(f) for f in fields if f):
        raise _fail(name, f"first line is data, not a header; add the header {EXPECTED_HEADER}")
    return fields


def _check_header(fields: list[str], name: str) -> tuple[list[str], str | None]:
    """Check the required columns are there once each, and the upper sensor's all six if
    any; return (the extra column names, the upper sensor's site or None)."""
    seen: set[str] = set()
    known = set(REQUIRED_COLUMNS).union(*(upper_columns(site) for site in UPPER_PREFIXES))
    for field in fields:
        if field in seen and field in known:
            raise _fail(name, f"column '{field}' appears twice; keep one")
        seen.add(field)
    found = ", ".join(fields)
    for column in REQUIRED_COLUMNS:
        if column not in seen:
            extras = [f for f in fields if f not in REQUIRED_COLUMNS]
            close = difflib.get_close_matches(column, extras, n=1, cutoff=0.6)
            hint = f"; rename '{close[0]}' to '{column}'?" if close else ""
            raise _fail(name, f"column '{column}' is missing (found: {found}); "
                              f"expected header {EXPECTED_HEADER}{hint}")
    extras = [f for f in fields if f not in REQUIRED_COLUMNS]
    sites = []
    for site, prefix in UPPER_PREFIXES.items():
        prefixed = [f for f in extras if f.lower().startswith(prefix)]
        if not prefixed:
            continue
        wanted = upper_columns(site)
        present = [c for c in wanted if c in seen]
        if not present and not any(difflib.get_close_matches(c, prefixed, n=1, cutoff=0.8) for c in wanted):
            continue  # e.g. a t12_temperature column alone: an extra, not a sensor
        for column in wanted:
            if column not in seen:
                close = difflib.get_close_matches(column, [f for f in prefixed if f not in wanted], n=1, cutoff=0.6)
                hint = f"; rename '{close[0]}' to '{column}'?" if close else ""
                raise _fail(name, f"column '{column}' of the upper sensor ({site}) is missing (found: "
                                  f"{', '.join(prefixed)}); a second sensor needs all six columns "
                                  f"{','.join(wanted)}{hint}")
        sites.append(site)
    if len(sites) > 1:
        raise _fail(name, f"columns of {len(sites)} upper sensors ({', '.join(sites)}); hinge reads one upper "
                          "sensor: keep one site's columns")
    site = sites[0] if sites else None
    if site is not None:
        extras = [f for f in extras if f not in upper_columns(site)]
    return extras, site


def _to_numbers(frame: pd.DataFrame, name: str, columns: tuple[str, ...]) -> np.ndarray:
    """``columns`` as an (N, len(columns)) float array, empty cells NaN; a cell that is not
    a number or is infinite is an error naming its line and column."""
    for column in columns:
        series = frame[column]
        if pd.api.types.is_numeric_dtype(series.dtype):
            continue
        text = series.astype(str).str.strip()
        numbers = pd.to_numeric(text, errors="coerce")
        bad = np.flatnonzero(numbers.isna().to_numpy() & series.notna().to_numpy() & (text != "").to_numpy())
        if bad.size:
            row = int(bad[0])
            raise _fail(name, f"line {row + 2}, column '{column}': '{text.iloc[row]}' is not a number; "
                              "cells must be plain decimal numbers")
        frame[column] = numbers
    data = frame[list(columns)].to_numpy(dtype=np.float64)
    infinite = np.isinf(data)
    if infinite.any():
        row, col = np.argwhere(infinite)[0]
        raise _fail(name, f"line {row + 2}, column '{columns[col]}': infinite cell "
                          "(first of this kind); fill or remove incomplete rows")
    return data


def _empty_cell(name: str, row: int, column: str) -> HingeInputError:
    return _fail(name, f"line {row + 2}, column '{column}': empty or NaN cell "
                       "(first of this kind); fill or remove incomplete rows")


def _check_filled(data: np.ndarray, name: str, upper: tuple[str, ...] | None) -> None:
    """Every cell filled (one sensor); with two, each row holds all six values of a sensor
    or none of them, and at least one sensor. ``data``: (N, 7 or 13) as `_to_numbers` gives."""
    columns = (*REQUIRED_COLUMNS, *(upper or ()))
    empty = np.isnan(data)
    if upper is None:
        if empty.any():
            row, col = np.argwhere(empty)[0]
            raise _empty_cell(name, int(row), columns[col])
        return
    if empty[:, 0].any():
        raise _empty_cell(name, int(np.argmax(empty[:, 0])), TIME_COLUMN)
    groups = ((CHANNEL_COLUMNS, empty[:, 1:7], "the lower sensor's"), (upper, empty[:, 7:], "the upper sensor's"))
    for group, cells, whose in groups:
        partial = cells.any(axis=1) & ~cells.all(axis=1)
        if partial.any():
            row = int(np.argmax(partial))
            column = group[int(np.argmax(cells[row]))]
            raise _fail(name, f"line {row + 2}, column '{column}': empty or NaN cell while other columns of "
                              f"{whose} sample in that row have values; fill it, or leave all six "
                              f"{group[0]}..{group[-1]} empty where that sensor has no sample")
    lower_empty, upper_empty = empty[:, 1:7].all(axis=1), empty[:, 7:].all(axis=1)
    if lower_empty.all():
        raise _fail(name, f"columns {CHANNEL_COLUMNS[0]}..{CHANNEL_COLUMNS[-1]} (the lower sensor) hold no values "
                          "(every cell empty or NaN); hinge analyses the lower-back sensor, with or without an "
                          "upper one: export that sensor's samples")
    if upper_empty.all():
        raise _fail(name, f"columns {upper[0]}..{upper[-1]} (the upper sensor) hold no values (every cell empty "
                          "or NaN); remove them to analyse the lower sensor alone")
    neither = lower_empty & upper_empty
    if neither.any():
        raise _fail(name, f"line {int(np.argmax(neither)) + 2}: no values of either sensor, only a time; "
                          "remove the row")


def _drop_repeated_rows(data: np.ndarray) -> tuple[np.ndarray, np.ndarray, list[int]]:
    """Rows identical to the row before them (a packet delivered twice), removed.

    Returns (the other rows, the 0-based data-row index of each row kept, 0-based data-row
    indices of the removed ones). Empty cells (NaN) are equal to empty cells. A row that
    repeats only the time stamp, with other values, is a real conflict and stays, so that
    `_check_time_order` names it.
    """
    before, after = data[:-1], data[1:]
    same = np.flatnonzero(np.all((after == before) | (np.isnan(after) & np.isnan(before)), axis=1)) + 1
    index = np.arange(len(data))
    if not len(same):
        return data, index, []
    return np.delete(data, same, axis=0), np.delete(index, same), same.tolist()


def _check_time_order(t_s: np.ndarray, name: str) -> None:
    """time_s must increase strictly; name the first line where it does not."""
    dt_s = np.diff(t_s)
    bad = np.flatnonzero(dt_s <= 0)
    if bad.size:
        i = int(bad[0]) + 1
        what = "repeats" if dt_s[bad[0]] == 0 else "goes backwards"
        raise _fail(name, f"time {what} at line {i + 2} (time_s {t_s[i - 1]:g} then {t_s[i]:g}); "
                          "time_s must increase strictly; sort the rows and remove duplicates")


def _too_few_within_full_scale(name: str, n_kept: int, n_rows: int) -> HingeInputError:
    return _fail(name, f"only {n_kept} of {n_rows} rows are within any IMU's full scale "
                       f"(need >= {MIN_SAMPLES} rows and >= {MIN_DURATION_S:.0f} s); check the units and columns")


def _upper_unit_fixes(prefix: str, acc_unit: str, gyro_unit: str) -> dict[str, str]:
    """How to fix an upper sensor whose columns disagree with the declared units (which
    the lower sensor's columns passed): one unit option holds for both sensors."""
    acc = (f"write the {prefix}acc_* columns in {acc_unit} like acc_x..acc_z "
           "(--acc-unit sets the unit of both sensors' columns)")
    gyr = (f"write the {prefix}gyr_* columns in {gyro_unit} like gyr_x..gyr_z "
           "(--gyro-unit sets the unit of both sensors' columns)")
    return {"g": acc, "m/s^2": acc, "deg/s": gyr, "rad/s": gyr}


def _sensor(t_s: np.ndarray, values: np.ndarray, lines: np.ndarray, name: str, columns: tuple[str, ...],
            acc_unit: str, gyro_unit: str, unit_fixes: dict[str, str], notes: list[str],
            source: str) -> ImuRecording:
    """One sensor's rows, checked: rate, units, impossible samples dropped, clipping found.

    ``values``: (N, 6) its acc and gyro cells in the file's units; ``lines``: (N,) the file
    line of each row (for the messages); ``name``: the file and which sensor, as messages
    name it; ``columns``: its six column names; ``notes``: the file-level warnings to put
    first; ``source``: the file.
    """
    fs_hz = check_timing(t_s, name, what="rows", rate_fix="time_s must be in seconds")
    # Numbers beyond any IMU in either unit (1e300) stay out of the unit checks, whose squares
    # and percentiles they would overflow; they are dropped with the other impossible rows below.
    plausible = ((np.abs(values[:, 0:3]) <= MAX_ACC_MPS2).all(axis=1)
                 & (np.abs(values[:, 3:6]) <= np.degrees(MAX_RATE_RAD_S)).all(axis=1))
    if plausible.sum() < MIN_SAMPLES:
        raise _too_few_within_full_scale(name, int(plausible.sum()), plausible.size)
    with np.errstate(over="ignore", invalid="ignore"):  # those numbers: inf after conversion, then dropped
        acc_mps2 = values[:, 0:3] * ACC_UNITS_TO_MPS2[acc_unit]
        gyr_rad_s = values[:, 3:6] * GYR_UNITS_TO_RAD_S[gyro_unit]
        # Boolean indexing copies the hour's samples (9 ms); nearly every file is all plausible.
        every = plausible.all()
        check_units(acc_mps2 if every else acc_mps2[plausible], gyr_rad_s if every else gyr_rad_s[plausible],
                    acc_unit, gyro_unit, name, unit_fixes)
        bad, bad_notes = impossible_samples(acc_mps2, gyr_rad_s, name, first_line=lines)
    if bad.any():
        # Dropped rows become a gap the analysis sees as one (flagged, not bridged if long).
        keep = ~bad
        t_s, acc_mps2, gyr_rad_s = np.ascontiguousarray(t_s[keep]), acc_mps2[keep], gyr_rad_s[keep]
        if t_s.size < MIN_SAMPLES or t_s[-1] - t_s[0] < MIN_DURATION_S:
            raise _too_few_within_full_scale(name, t_s.size, keep.size)
    notes = [*notes, *bad_notes]
    # A CSV carries no saturation annotations: clipped plateaus are found in the values.
    channels = {c: acc_mps2[:, i] for i, c in enumerate(columns[:3])}
    channels |= {c: gyr_rad_s[:, i] for i, c in enumerate(columns[3:])}
    unit_names = {c: "m/s^2" for c in columns[:3]} | {c: "rad/s" for c in columns[3:]}
    saturated, saturation_warnings = clipped_plateaus(channels, t_s, unit_names, name)
    notes.extend(saturation_warnings)
    return ImuRecording(
        t_s=np.ascontiguousarray(t_s),
        acc_mps2=np.ascontiguousarray(acc_mps2),
        gyr_rad_s=np.ascontiguousarray(gyr_rad_s),
        saturated=saturated,
        fs_hz=float(fs_hz),
        warnings=tuple(notes),
        source=source,
    )


@dataclass(frozen=True)
class CsvSensors:
    """The sensors of one CSV: ``lower`` (acc_x..gyr_z), ``upper`` (the prefixed columns, or
    None) at ``upper_placement`` (one of UPPER_PLACEMENTS, or None), both on the file's time_s."""

    lower: ImuRecording
    upper: ImuRecording | None = None
    upper_placement: str | None = None


def read_imu_csv(path: str | os.PathLike, acc_unit: str = "m/s2", gyro_unit: str = "rad/s",
                 data: bytes | None = None) -> ImuRecording:
    """Read and check the (lower) sensor of a recording in the CSV interchange format.

    Args:
        path: CSV file with header time_s,acc_x,acc_y,acc_z,gyr_x,gyr_y,gyr_z.
        acc_unit: unit of acc_* in the file, "m/s2" or "g" (any spelling of
            `units.ACC_UNIT_SPELLINGS`, e.g. "m/s^2").
        gyro_unit: unit of gyr_* in the file, "rad/s" or "deg/s" (`units.GYRO_UNIT_SPELLINGS`, e.g. "dps").
        data: the file's bytes when it was read from a stream (`read_stream`: "-", a pipe,
            a FIFO); `path` is then only its name.

    Returns:
        ImuRecording in s, m/s^2 and rad/s; of a two-sensor CSV the lower sensor
        (`read_csv_sensors` gives both).

    Raises:
        HingeInputError: one line naming the file, the problem and the fix.
    """
    return read_csv_sensors(path, acc_unit, gyro_unit, data).lower


def read_csv_sensors(path: str | os.PathLike, acc_unit: str = "m/s2", gyro_unit: str = "rad/s",
                     data: bytes | None = None) -> CsvSensors:
    """Read and check a CSV recording of one sensor or two (see the module docstring).

    Arguments as `read_imu_csv`; the units hold for both sensors' columns.

    Returns:
        CsvSensors: each sensor in s, m/s^2 and rad/s, times from the shared time_s.

    Raises:
        HingeInputError: one line naming the file (and a sensor's columns), the problem and the fix.
    """
    name = str(path)
    acc_unit, gyro_unit = units.acc_unit(acc_unit), units.gyro_unit(gyro_unit)
    path = Path(path)
    fields = _check_file(path, name, data)
    extras, site = _check_header(fields, name)
    upper = upper_columns(site) if site is not None else None
    columns = (*REQUIRED_COLUMNS, *(upper or ()))
    try:
        with warnings.catch_warnings():
            # index_col=False stops pandas from silently turning a first row with an extra
            # cell into an index (shifting every column); it warns instead, and so do we.
            warnings.simplefilter("error", pd.errors.ParserWarning)
            frame = pd.read_csv(path if data is None else io.BytesIO(data), engine="c", encoding="utf-8-sig",
                                skipinitialspace=True, index_col=False)
    except pd.errors.ParserWarning:
        raise _fail(name, "malformed CSV: the first data row has more cells than the header; "
                          "every row needs one cell per header column") from None
    except pd.errors.ParserError as error:
        # pandas says e.g. "Error tokenizing data. C error: Expected 7 fields in line 5, saw 8".
        detail = str(error).strip().splitlines()[-1].split("C error: ")[-1]
        raise _fail(name, f"malformed CSV: {detail}; every row needs one cell per header column") from None
    except UnicodeDecodeError:
        raise _fail(name, "is not UTF-8 text; export the recording as CSV") from None
    except pd.errors.EmptyDataError:
        raise _fail(name, f"file is empty; expected a CSV with header {EXPECTED_HEADER}") from None
    frame.columns = [c.strip() for c in frame.columns]
    unparsed = [c for c in columns if c not in frame.columns]
    if unparsed:
        # The sniffed header strips quotes; the CSV parser reads stray ones into the name.
        found = ", ".join(repr(c) for c in frame.columns[:10])
        raise _fail(name, f"column '{unparsed[0]}' is not readable in the header (the CSV parser found {found}; "
                          f"stray quotes?); write the header plainly: {EXPECTED_HEADER}")
    if len(frame) == 0:
        raise _fail(name, f"has a header but no data rows; need >= {MIN_SAMPLES} rows and >= {MIN_DURATION_S:.0f} s")
    numbers = _to_numbers(frame, name, columns)
    _check_filled(numbers, name, upper)
    numbers, rows, repeated = _drop_repeated_rows(numbers)
    t_s = np.ascontiguousarray(numbers[:, 0])
    _check_time_order(t_s, name)
    lines = rows + 2  # the header is line 1

    notes: list[str] = []
    if repeated:
        notes.append(f"{name}: dropped {count(len(repeated), 'row')} repeating the row before them exactly "
                     f"(same time_s and values; first at line {repeated[0] + 2}): a packet sent twice")
    if extras:
        notes.append(f"{name}: ignored extra {'column' if len(extras) == 1 else 'columns'} {', '.join(repr(e) for e in extras)}")
    if upper is None:
        lower = _sensor(t_s, numbers[:, 1:7], lines, name, CHANNEL_COLUMNS, acc_unit, gyro_unit, UNIT_FIXES, notes,
                        name)
        return CsvSensors(lower)
    has_lower, has_upper = ~np.isnan(numbers[:, 1]), ~np.isnan(numbers[:, 7])
    lower = _sensor(t_s[has_lower], numbers[has_lower, 1:7], lines[has_lower],
                    f"{name} (columns {CHANNEL_COLUMNS[0]}..{CHANNEL_COLUMNS[-1]})", CHANNEL_COLUMNS, acc_unit,
                    gyro_unit, UNIT_FIXES, notes, name)
    upper_recording = _sensor(t_s[has_upper], numbers[has_upper, 7:], lines[has_upper],
                              f"{name} (columns {upper[0]}..{upper[-1]})", upper, acc_unit, gyro_unit,
                              _upper_unit_fixes(UPPER_PREFIXES[site], acc_unit, gyro_unit), [], name)
    return CsvSensors(lower, upper_recording, site)
