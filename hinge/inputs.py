"""Read the plain CSV interchange format and check it before any analysis.

Format: one header row ``time_s,acc_x,acc_y,acc_z,gyr_x,gyr_y,gyr_z`` (any order, extra
columns ignored with a warning), then one row per sample: time in seconds on the
sensor's own clock (any origin), specific force in m/s^2 and angular rate in rad/s, both
in sensor axes. ``acc_unit="g"`` and ``gyro_unit="deg/s"`` convert other units.

Every problem is a one-line HingeInputError naming the file, the problem and the fix;
after this edge the analysis core trusts its inputs.
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

from hinge.analysis.resampling import estimate_sample_rate
from hinge.errors import HingeInputError

TIME_COLUMN = "time_s"
ACC_COLUMNS = ("acc_x", "acc_y", "acc_z")
GYR_COLUMNS = ("gyr_x", "gyr_y", "gyr_z")
REQUIRED_COLUMNS = (TIME_COLUMN, *ACC_COLUMNS, *GYR_COLUMNS)
EXPECTED_HEADER = ",".join(REQUIRED_COLUMNS)

GRAVITY_MPS2 = 9.80665
ACC_UNITS = {"g": GRAVITY_MPS2, "m/s2": 1.0}
GYRO_UNITS = {"deg/s": np.pi / 180.0, "rad/s": 1.0}

MIN_ROWS = 250
MIN_DURATION_S = 10.0
MIN_FS_HZ = 25.0
MAX_FS_HZ = 1000.0
# The median |specific force| of a body-worn sensor is gravity to within ~30 %
# (most of a session is standing or slow bending).
GRAVITY_TOLERANCE = 0.3
# Consumer gyroscopes top out at 2000 deg/s = 34.9 rad/s: more than that cannot be rad/s.
MAX_GYRO_RAD_S = 35.0
# A lower-back recording with any bend turns faster than 4 deg/s; rad/s numbers
# (a few units at most) read as deg/s would stay below it.
MIN_PEAK_GYRO_DEG_S = 4.0
MIN_SATURATION_RUN = 3
# A clipped plateau lies at a sensor's full-scale range; the smallest common ranges are
# +-2 g and +-125 deg/s, so repeated extremes below these floors are quantised noise, not clipping.
MIN_SATURATION_ACC_MPS2 = 1.5 * GRAVITY_MPS2
MIN_SATURATION_GYR_RAD_S = 2.0
SNIFF_BYTES = 4096
# A FIFO is read once something writes to it; nothing within this long is an error.
FIFO_WAIT_S = 30.0
# Beyond any body-worn IMU's full scale (the largest common ranges are +-32 g and
# +-4000 deg/s): such values are transmission garbage, not motion.
MAX_ACC_MPS2 = 32 * GRAVITY_MPS2
MAX_RATE_RAD_S = np.radians(4000.0)
# A gyro sample that jumps this far from both neighbours, in the same direction, is a
# glitch: no body segment reverses 10 rad/s (573 deg/s) within two samples.
GLITCH_RAD_S = 10.0


@dataclass(frozen=True)
class ImuRecording:
    """One checked recording in SI units.

    Attributes:
        t_s: (N,) float64 strictly increasing sample times, s, on the sensor's own clock.
        acc_mps2: (N, 3) specific force in sensor axes, m/s^2.
        gyr_rad_s: (N, 3) angular rate in sensor axes, rad/s.
        saturated: (N,) bool, True where any channel sits at a clipped plateau.
        fs_hz: sample rate estimated from the median sample interval, Hz.
        warnings: one-line warnings (ignored columns, saturation).
        source: the path the recording was read from.
    """

    t_s: np.ndarray
    acc_mps2: np.ndarray
    gyr_rad_s: np.ndarray
    saturated: np.ndarray
    fs_hz: float
    warnings: tuple[str, ...]
    source: str

    @property
    def duration_s(self) -> float:
        """Time from the first to the last sample, s."""
        return float(self.t_s[-1] - self.t_s[0]) if len(self.t_s) else 0.0


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
    if all(_is_number(f) for f in fields if f):
        raise _fail(name, f"first line is data, not a header; add the header {EXPECTED_HEADER}")
    return fields


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _check_header(fields: list[str], name: str) -> list[str]:
    """Check the required columns are there once each; return the extra column names."""
    seen: set[str] = set()
    for field in fields:
        if field in seen and field in REQUIRED_COLUMNS:
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
    return [f for f in fields if f not in REQUIRED_COLUMNS]


def _to_numbers(frame: pd.DataFrame, name: str) -> np.ndarray:
    """The required columns as an (N, 7) float array; non-numeric and empty cells are errors."""
    for column in REQUIRED_COLUMNS:
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
    data = frame[list(REQUIRED_COLUMNS)].to_numpy(dtype=np.float64)
    finite = np.isfinite(data)
    if not finite.all():
        row, col = np.argwhere(~finite)[0]
        kind = "empty or NaN" if np.isnan(data[row, col]) else "infinite"
        raise _fail(name, f"line {row + 2}, column '{REQUIRED_COLUMNS[col]}': {kind} cell "
                          "(first of this kind); fill or remove incomplete rows")
    return data


def _drop_repeated_rows(data: np.ndarray) -> tuple[np.ndarray, list[int]]:
    """Rows identical to the row before them (a packet delivered twice), removed.

    Returns (the other rows, 0-based data-row indices of the removed ones). A row that
    repeats only the time stamp, with other values, is a real conflict and stays, so that
    `_check_time` names it.
    """
    same = np.flatnonzero(np.all(data[1:] == data[:-1], axis=1)) + 1
    if not len(same):
        return data, []
    return np.delete(data, same, axis=0), same.tolist()


def _check_time(t_s: np.ndarray, name: str) -> float:
    """Check times increase, there are enough of them at a plausible rate; return fs, Hz."""
    if t_s.size < MIN_ROWS:
        raise _fail(name, f"too few samples: only {t_s.size} rows (need >= {MIN_ROWS} rows and >= {MIN_DURATION_S:.0f} s)")
    dt_s = np.diff(t_s)
    bad = np.flatnonzero(dt_s <= 0)
    if bad.size:
        i = int(bad[0]) + 1
        what = "repeats" if dt_s[bad[0]] == 0 else "goes backwards"
        raise _fail(name, f"time {what} at line {i + 2} (time_s {t_s[i - 1]:g} then {t_s[i]:g}); "
                          "time_s must increase strictly; sort the rows and remove duplicates")
    fs_hz = estimate_sample_rate(t_s)
    # A relative tolerance: exactly 1000 Hz must not depend on how the time origin rounds.
    if not MIN_FS_HZ * (1 - 1e-6) <= fs_hz <= MAX_FS_HZ * (1 + 1e-6):
        hint = ""
        if MIN_FS_HZ <= fs_hz * 1e3 <= MAX_FS_HZ:
            hint = "; time looks like milliseconds: divide time_s by 1000"
        elif MIN_FS_HZ <= fs_hz * 1e6 <= MAX_FS_HZ:
            hint = "; time looks like microseconds: divide time_s by 1e6"
        raise _fail(name, f"sample rate {fs_hz:.4g} Hz (from the median interval) is outside "
                          f"{MIN_FS_HZ:.0f}-{MAX_FS_HZ:.0f} Hz; time_s must be in seconds{hint}")
    duration_s = float(t_s[-1] - t_s[0])
    if duration_s < MIN_DURATION_S:
        raise _fail(name, f"too few samples: only {duration_s:.2f} s of data (need >= {MIN_DURATION_S:.0f} s)")
    return fs_hz


def _impossible_samples(acc_mps2: np.ndarray, gyr_rad_s: np.ndarray, name: str) -> tuple[np.ndarray, list[str]]:
    """(N,) bool rows no sensor on a body can have produced, and one warning per kind.

    Beyond the largest full scale of any body-worn IMU (MAX_ACC_MPS2, MAX_RATE_RAD_S), or a
    single-sample gyro spike (GLITCH_RAD_S from both neighbours, same sign): transmission
    glitches. They are dropped, never analysed.
    """
    notes = []
    beyond = (np.abs(acc_mps2) > MAX_ACC_MPS2).any(axis=1) | (np.abs(gyr_rad_s) > MAX_RATE_RAD_S).any(axis=1)
    if beyond.any():
        first = int(np.argmax(beyond))
        notes.append(f"{name}: dropped {int(beyond.sum())} row(s) with values beyond any IMU's full scale "
                     f"(> {MAX_ACC_MPS2 / GRAVITY_MPS2:.0f} g or > {np.degrees(MAX_RATE_RAD_S):.0f} deg/s; "
                     f"first at line {first + 2}): transmission glitches")
    spike = np.zeros(len(gyr_rad_s), bool)
    if len(gyr_rad_s) >= 3:
        before = gyr_rad_s[1:-1] - gyr_rad_s[:-2]
        after = gyr_rad_s[1:-1] - gyr_rad_s[2:]
        spike[1:-1] = ((np.abs(before) > GLITCH_RAD_S) & (np.abs(after) > GLITCH_RAD_S)
                       & (np.sign(before) == np.sign(after))).any(axis=1)
        spike &= ~beyond
    if spike.any():
        first = int(np.argmax(spike))
        notes.append(f"{name}: dropped {int(spike.sum())} single-sample gyro spike(s) of more than "
                     f"{GLITCH_RAD_S:.0f} rad/s (first at line {first + 2}): transmission glitches")
    return beyond | spike, notes


def _check_acc_unit(acc: np.ndarray, acc_unit: str, name: str) -> None:
    """Check the median |acc| (raw numbers) is gravity in the declared unit."""
    median = float(np.median(np.sqrt(np.einsum("ij,ij->i", acc, acc))))
    looks_g = abs(median - 1.0) <= GRAVITY_TOLERANCE
    looks_mps2 = abs(median - GRAVITY_MPS2) <= GRAVITY_TOLERANCE * GRAVITY_MPS2
    if acc_unit == "m/s2" and looks_g:
        raise _fail(name, f"accelerometer median |acc| is {median:.3g}, which looks like g; pass --acc-unit g")
    if acc_unit == "g" and looks_mps2:
        raise _fail(name, f"accelerometer median |acc| is {median:.3g}, which looks like m/s^2; pass --acc-unit m/s2")
    if not (looks_g or looks_mps2):
        hint = "; looks like milli-g: divide acc by 1000 and pass --acc-unit g" \
            if abs(median - 1000.0) <= GRAVITY_TOLERANCE * 1000.0 else ""
        raise _fail(name, f"accelerometer median |acc| is {median:.3g}, far from gravity "
                          f"(1 g = {GRAVITY_MPS2} m/s^2): not an accelerometer in m/s^2 or g{hint}")


def _check_gyro_unit(gyr: np.ndarray, gyro_unit: str, name: str) -> None:
    """Check the peak |gyr| (raw numbers) is plausible in the declared unit."""
    # The 99.9th percentile, so that one glitch sample does not make rad/s look like deg/s.
    peak = float(np.percentile(np.sqrt(np.einsum("ij,ij->i", gyr, gyr)), 99.9))
    if gyro_unit == "rad/s" and peak > MAX_GYRO_RAD_S:
        raise _fail(name, f"gyroscope peak |gyr| is {peak:.4g}, beyond {MAX_GYRO_RAD_S:.0f} rad/s (2000 deg/s): "
                          "looks like deg/s; pass --gyro-unit deg/s")
    if gyro_unit == "deg/s" and peak < MIN_PEAK_GYRO_DEG_S:
        raise _fail(name, f"gyroscope peak |gyr| is only {peak:.3g} deg/s, too slow for any bend: "
                          "looks like rad/s; pass --gyro-unit rad/s")


def _saturation(columns: dict[str, np.ndarray], t_s: np.ndarray, unit_names: dict[str, str],
                name: str) -> tuple[np.ndarray, list[str]]:
    """Find channels sitting at their extreme |value| for >= MIN_SATURATION_RUN samples."""
    mask = np.zeros(t_s.size, dtype=bool)
    messages: list[str] = []
    for column, values in columns.items():
        magnitude = np.abs(values)
        peak = magnitude.max()
        floor = MIN_SATURATION_ACC_MPS2 if column.startswith("acc") else MIN_SATURATION_GYR_RAD_S
        if peak < floor:
            continue
        at_peak = magnitude == peak
        # Runs of consecutive samples at the peak: starts and stops of True stretches.
        edges = np.diff(np.concatenate(([0], at_peak.astype(np.int8), [0])))
        starts, stops = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
        long = (stops - starts) >= MIN_SATURATION_RUN
        if not long.any():
            continue
        for start, stop in zip(starts[long], stops[long]):
            mask[start:stop] = True
        first, last = starts[long][0], stops[long][-1] - 1
        messages.append(
            f"{name}: channel {column} is clipped at +-{peak:.4g} {unit_names[column]} in "
            f"{int(long.sum())} stretch(es), {int((stops - starts)[long].sum())} samples, between "
            f"time_s {t_s[first]:.3f} and {t_s[last]:.3f}; those samples are marked saturated"
        )
    return mask, messages


def _too_few_within_full_scale(name: str, n_kept: int, n_rows: int) -> HingeInputError:
    return _fail(name, f"only {n_kept} of {n_rows} rows are within any IMU's full scale "
                       f"(need >= {MIN_ROWS} rows and >= {MIN_DURATION_S:.0f} s); check the units and columns")


def read_imu_csv(path: str | os.PathLike, acc_unit: str = "m/s2", gyro_unit: str = "rad/s",
                 data: bytes | None = None) -> ImuRecording:
    """Read and check one recording in the CSV interchange format.

    Args:
        path: CSV file with header time_s,acc_x,acc_y,acc_z,gyr_x,gyr_y,gyr_z.
        acc_unit: unit of acc_* in the file, "m/s2" or "g".
        gyro_unit: unit of gyr_* in the file, "rad/s" or "deg/s".
        data: the file's bytes when it was read from a stream (`read_stream`: "-", a pipe,
            a FIFO); `path` is then only its name.

    Returns:
        ImuRecording in s, m/s^2 and rad/s.

    Raises:
        HingeInputError: one line naming the file, the problem and the fix.
    """
    name = str(path)
    if acc_unit not in ACC_UNITS:
        raise HingeInputError(f"acc_unit '{acc_unit}' is not one of {', '.join(ACC_UNITS)}")
    if gyro_unit not in GYRO_UNITS:
        raise HingeInputError(f"gyro_unit '{gyro_unit}' is not one of {', '.join(GYRO_UNITS)}")
    path = Path(path)
    fields = _check_file(path, name, data)
    extras = _check_header(fields, name)
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
    unparsed = [c for c in REQUIRED_COLUMNS if c not in frame.columns]
    if unparsed:
        # The sniffed header strips quotes; the CSV parser reads stray ones into the name.
        found = ", ".join(repr(c) for c in frame.columns[:10])
        raise _fail(name, f"column '{unparsed[0]}' is not readable in the header (the CSV parser found {found}; "
                          f"stray quotes?); write the header plainly: {EXPECTED_HEADER}")
    if len(frame) == 0:
        raise _fail(name, f"has a header but no data rows; need >= {MIN_ROWS} rows and >= {MIN_DURATION_S:.0f} s")
    data = _to_numbers(frame, name)
    data, repeated = _drop_repeated_rows(data)
    t_s = np.ascontiguousarray(data[:, 0])
    fs_hz = _check_time(t_s, name)
    # Numbers beyond any IMU in either unit (1e300) stay out of the unit checks, whose squares
    # and percentiles they would overflow; they are dropped with the other impossible rows below.
    plausible = ((np.abs(data[:, 1:4]) <= MAX_ACC_MPS2).all(axis=1)
                 & (np.abs(data[:, 4:7]) <= np.degrees(MAX_RATE_RAD_S)).all(axis=1))
    if plausible.sum() < MIN_ROWS:
        raise _too_few_within_full_scale(name, int(plausible.sum()), plausible.size)
    _check_acc_unit(data[plausible, 1:4], acc_unit, name)
    _check_gyro_unit(data[plausible, 4:7], gyro_unit, name)
    with np.errstate(over="ignore", invalid="ignore"):  # the same numbers: inf after conversion, then dropped
        acc_mps2 = data[:, 1:4] * ACC_UNITS[acc_unit]
        gyr_rad_s = data[:, 4:7] * GYRO_UNITS[gyro_unit]
        bad, bad_notes = _impossible_samples(acc_mps2, gyr_rad_s, name)
    if bad.any():
        # Dropped rows become a gap the analysis sees as one (flagged, not bridged if long).
        keep = ~bad
        t_s, acc_mps2, gyr_rad_s = np.ascontiguousarray(t_s[keep]), acc_mps2[keep], gyr_rad_s[keep]
        if t_s.size < MIN_ROWS or t_s[-1] - t_s[0] < MIN_DURATION_S:
            raise _too_few_within_full_scale(name, t_s.size, keep.size)

    notes: list[str] = list(bad_notes)
    if repeated:
        notes.append(f"{name}: dropped {len(repeated)} row(s) repeating the row before them exactly "
                     f"(same time_s and values; first at line {repeated[0] + 2}): a packet sent twice")
    if extras:
        notes.append(f"{name}: ignored extra column(s) {', '.join(repr(e) for e in extras)}")
    channels = {c: acc_mps2[:, i] for i, c in enumerate(ACC_COLUMNS)}
    channels |= {c: gyr_rad_s[:, i] for i, c in enumerate(GYR_COLUMNS)}
    units = {c: "m/s^2" for c in ACC_COLUMNS} | {c: "rad/s" for c in GYR_COLUMNS}
    saturated, saturation_warnings = _saturation(channels, t_s, units, name)
    notes.extend(saturation_warnings)
    return ImuRecording(
        t_s=t_s,
        acc_mps2=np.ascontiguousarray(acc_mps2),
        gyr_rad_s=np.ascontiguousarray(gyr_rad_s),
        saturated=saturated,
        fs_hz=float(fs_hz),
        warnings=tuple(notes),
        source=name,
    )
