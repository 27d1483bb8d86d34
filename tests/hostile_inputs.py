"""Hypothesis mutations of the files hinge reads: CSV and TSV tables, JSON metadata, the
framed binary files of a session (recordings/FORMAT.md), whole session folders and BIDS
entries. Shared by tests/test_hostile_inputs_property.py.

Every mutation draws from a `hypothesis.strategies.DataObject` (so a failure prints, and
shrinks, the draws) and edits files in place; the caller works on a copy.
"""
from __future__ import annotations

import json
import os
import struct
import zlib
from pathlib import Path

from hypothesis import note
from hypothesis import strategies as st

# Cells a spreadsheet, a broken exporter or a hostile user may leave in a numeric column.
HOSTILE_CELLS = (
    "nan", "NaN", "-nan", "inf", "-inf", "Infinity", "1e300", "-1e300", "1e309", "1e-320", "1.7976931348623157e308",
    "", " ", "abc", "n/a", "NA", "null", "None", "TRUE", "0x1p3", "1_000", "\u0661\u0662", "+", "-", ".", "1e",
    "--1", "9" * 400, "0", "-0", "4294967296", "1,5", '"1"', "\ufeff1", "é", "\x00", "\t", "1e6", "-1e6",
)
# Words that mean something to hinge: descriptions, channel types, units, placements, statuses.
KNOWN_WORDS = (
    "calibration", "BAD_gap", "BAD_saturation", "BAD_reconnect", "BAD_clock_jump", "BAD_", "bend", "hip-led",
    "spine-led", "uncertain", "ACCEL", "GYRO", "LATENCY", "MISC", "x", "y", "z", "n/a", "m/s^2", "m/s2", "g", "deg/s",
    "rad/s", "s", "ms", "LowerBack", "sacrum", "L5", "L3", "recording", "closed", "recovered", "hinge_open",
    "witmotion", "movesense", "polar_h10", "polar_verity", "sensor", "host", "2026-11-24T12:00:00+00:00",
    "0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00", "2026-11-24", "not a date", "P01", "sub-P01", "time_s", "acc_x", "gyr_z", "onset", "duration", "trial_type", "link", "connected rate_hz=50",
    "disconnected:lost",
)
# Numbers every reader accepts that sit at a sensor's limits: +-8 g, +-16 g, 2000 deg/s, zero, tiny.
PLAUSIBLE_EXTREMES = ("78.4532", "-78.4532", "156.9064", "34.9066", "-34.9066", "0", "0.0", "1e-9", "-1e-9", "300",
                      "2000", "-2000", "8", "-8", "1", "9.80665")
# JSON numbers at the edges of what float() and math survive.
HOSTILE_NUMBERS = (0, -1, 1, 1e-300, -0.0, 1e300, 10 ** 400, -(10 ** 400), 2 ** 64, 2 ** 31, 50, 100.0, 1000.5,
                   float("nan"), float("inf"), float("-inf"))

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.sampled_from(HOSTILE_NUMBERS)
    | st.text(max_size=12) | st.sampled_from(KNOWN_WORDS),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=6,
)


# -- bytes --------------------------------------------------------------------------------

def mutate_bytes(data: st.DataObject, base: bytes) -> bytes:
    """1-3 byte-level edits: truncate, flip a bit, set, insert, delete, duplicate a stretch,
    or replace everything with random bytes."""
    b = bytearray(base)
    for _ in range(data.draw(st.integers(1, 3), label="byte edits")):
        op = data.draw(st.sampled_from(["truncate", "flip", "set", "insert", "delete", "duplicate", "random"]),
                       label="byte op")
        i = data.draw(st.integers(0, len(b)), label="at byte")
        if op == "truncate":
            del b[i:]
        elif op == "flip" and i < len(b):
            b[i] ^= 1 << data.draw(st.integers(0, 7))
        elif op == "set" and i < len(b):
            b[i] = data.draw(st.integers(0, 255))
        elif op == "insert":
            b[i:i] = data.draw(st.binary(min_size=1, max_size=64))
        elif op == "delete":
            del b[i:i + data.draw(st.integers(1, 4096))]
        elif op == "duplicate":
            b[i:i] = b[i:i + data.draw(st.integers(1, 4096))]
        elif op == "random":
            b = bytearray(data.draw(st.binary(max_size=2048), label="random bytes"))
    return bytes(b)


# -- tables (CSV, TSV) --------------------------------------------------------------------

def _cell(data: st.DataObject, rows: list[list[str]], column: int | None) -> str:
    """A hostile cell, a known word, a number, or a cell of the same column elsewhere."""
    kind = data.draw(st.sampled_from(["hostile", "word", "number", "same column"]))
    if kind == "hostile":
        return data.draw(st.sampled_from(HOSTILE_CELLS))
    if kind == "word":
        return data.draw(st.sampled_from(KNOWN_WORDS))
    if kind == "number" or column is None:
        return repr(data.draw(st.floats(allow_nan=True, allow_infinity=True)))
    column_cells = [r[column] for r in rows if column < len(r)]
    return data.draw(st.sampled_from(column_cells)) if column_cells else "1"


def _scale(cell: str, factor: float, offset: float) -> str:
    try:
        return repr(float(cell) * factor + offset)
    except (ValueError, OverflowError):
        return cell


def mutate_table(data: st.DataObject, text: str, sep: str, *, header: bool = True) -> str:
    """1-3 structural edits of a delimited text table (rows split on newlines, cells on `sep`)."""
    rows = [line.split(sep) for line in text.splitlines()]
    newline, final = "\n", text.endswith("\n")
    for _ in range(data.draw(st.integers(1, 3), label="table edits")):
        n_rows, n_cols = len(rows), max((len(r) for r in rows), default=0)
        op = data.draw(st.sampled_from([
            "keep first rows", "drop rows", "duplicate row", "swap rows", "drop column", "duplicate column",
            "swap columns", "set cells", "plateau", "plateau", "shift tail", "shift tail", "scale column",
            "rename header", "add row", "add column",
            "separator", "line endings", "prefix", "quote column", "no final newline"]), label="table op")
        row = data.draw(st.integers(0, max(n_rows - 1, 0)), label="row")
        col = data.draw(st.integers(0, max(n_cols - 1, 0)), label="column")
        if op == "keep first rows":
            # Around the readers' limits (250 rows) and the tiny cases.
            k = data.draw(st.sampled_from([252, 251, 250, 500, 10, 3, 2, 1, 0]) | st.integers(0, n_rows), label="keep")
            rows = rows[:k]
        elif op == "drop rows":
            del rows[row:row + data.draw(st.sampled_from([1, 2, 10, 100]) | st.integers(1, max(n_rows, 1)),
                                         label="n dropped")]
        elif op == "duplicate row" and rows:
            rows.insert(data.draw(st.integers(0, n_rows)), list(rows[row]))
        elif op == "swap rows" and rows:
            other = data.draw(st.integers(0, n_rows - 1))
            rows[row], rows[other] = rows[other], rows[row]
        elif op == "drop column":
            rows = [r[:col] + r[col + 1:] for r in rows]
        elif op == "duplicate column":
            rows = [r[:col + 1] + r[col:] for r in rows]
        elif op == "swap columns" and n_cols:
            other = data.draw(st.integers(0, n_cols - 1))
            for r in rows:
                if col < len(r) and other < len(r):
                    r[col], r[other] = r[other], r[col]
        elif op == "set cells" and rows:
            length = data.draw(st.sampled_from([1, 1, 2, 3, 50, n_rows]), label="n cells")
            value = _cell(data, rows, col)
            note(f"cells set to {value!r}")
            for r in rows[row:row + length]:
                if col < len(r):
                    r[col] = value
        elif op == "plateau" and rows:
            # Numbers a reader accepts: full-scale plateaus (8 g, 2000 deg/s), zeros, tiny values.
            value = data.draw(st.sampled_from(PLAUSIBLE_EXTREMES), label="plateau value")
            for r in rows[max(row, int(header)):row + data.draw(st.sampled_from([1, 3, 30, 300]), label="length")]:
                if col < len(r):
                    r[col] = value
        elif op == "shift tail" and rows:
            # A gap, an overlap or a clock step from this row on (in the time column: a hole or a jump back).
            offset = data.draw(st.sampled_from([0.5, 5.0, 60.0, 3600.0, -0.01, -10.0, 1e-7]), label="offset")
            rows = rows[:row] + [r[:col] + [_scale(r[col], 1.0, offset)] + r[col + 1:] if col < len(r) else r
                                 for r in rows[row:]]
        elif op == "scale column":
            factor = data.draw(st.sampled_from([1000.0, 1e-3, -1.0, 0.0, 1e300, 9.80665, 57.29578, 1.0]), label="x")
            offset = data.draw(st.sampled_from([0.0, 1e9, -1e9, 1e15, 0.5]), label="+")
            rows = [r[:col] + [_scale(r[col], factor, offset)] + r[col + 1:] if col < len(r) and (i or not header)
                    else r for i, r in enumerate(rows)]
        elif op == "rename header" and rows and col < len(rows[0]):
            name = rows[0][col]
            rows[0][col] = data.draw(st.sampled_from([name.upper(), f" {name} ", f'"{name}"', f"{name}[g]", "",
                                                      name + name]) | st.sampled_from(KNOWN_WORDS)
                                     | st.text(max_size=10), label="new name")
        elif op == "add row":
            width = max(n_cols + data.draw(st.integers(-1, 1), label="width change"), 0)
            new = [_cell(data, rows, c) for c in range(width)]
            note(f"row added: {new!r}")
            rows.insert(data.draw(st.integers(0, n_rows)), new)
        elif op == "add column":
            value = _cell(data, rows, None)
            rows = [r + [value] for r in rows]
        elif op == "separator":
            sep = data.draw(st.sampled_from([",", ";", "\t", " ", "|"]).filter(lambda s: s != sep))
        elif op == "line endings":
            newline = data.draw(st.sampled_from(["\r\n", "\r"]))
        elif op == "prefix":
            rows.insert(0, [data.draw(st.sampled_from(["\ufeff", "# exported by a tool", "", "   "]))])
        elif op == "quote column":
            rows = [r[:col] + [f'"{r[col]}"'] + r[col + 1:] if col < len(r) else r for r in rows]
        elif op == "no final newline":
            final = not final
    return newline.join(sep.join(r) for r in rows) + (newline if final and rows else "")


# -- JSON -----------------------------------------------------------------------------------

def _paths(value, prefix=()):
    """Every (key path) inside a JSON document."""
    if isinstance(value, dict):
        for key, inner in value.items():
            yield prefix + (key,)
            yield from _paths(inner, prefix + (key,))


def mutate_json(data: st.DataObject, text: str, extra_keys: tuple[str, ...] = ()) -> str:
    """1-3 edits of a JSON object: delete a key, give a key a random value (or another key's
    value), add a key, nest deeply, or edit the bytes."""
    op = data.draw(st.sampled_from(["values", "values", "bytes", "whole document", "deep nesting"]), label="json op")
    try:
        document = json.loads(text)
    except (ValueError, RecursionError):  # not JSON (any more), or nested too deep to parse
        document = None
    if op == "bytes" or not isinstance(document, dict):
        return mutate_bytes(data, text.encode("utf-8", "surrogateescape")).decode("utf-8", "surrogateescape")
    if op == "whole document":
        return json.dumps(data.draw(json_values, label="document"))
    if op == "deep nesting":
        depth = data.draw(st.sampled_from([63, 64, 65, 1000, 100_000]), label="depth")
        return "[" * depth + "]" * depth
    for _ in range(data.draw(st.integers(1, 3), label="json edits")):
        paths = list(_paths(document))
        edit = data.draw(st.sampled_from(["delete", "set", "set", "add"]), label="json edit")
        if edit == "add" or not paths:
            key = data.draw(st.sampled_from(extra_keys + tuple(document)) if extra_keys or document else st.text())
            document[key] = data.draw(json_values, label=f"added {key}")
            continue
        path = data.draw(st.sampled_from(paths), label="key path")
        parent = document
        for key in path[:-1]:
            parent = parent[key]
        if edit == "delete":
            del parent[path[-1]]
        else:
            others = [_get(document, p) for p in paths if not isinstance(_get(document, p), (dict, list))]
            value = data.draw(json_values | (st.sampled_from(others) if others else json_values), label=str(path))
            parent[path[-1]] = value
    return json.dumps(document)


def _get(document, path):
    for key in path:
        document = document[key]
    return document


# -- framed binary files (recordings/FORMAT.md, "Records") ------------------------------------

SIGNATURE_SIZE = 8


def frame(magic: bytes, body: bytes) -> bytes:
    """One record: magic, u32 length, body, CRC-32 (zlib/IEEE) of all three (FORMAT.md)."""
    head = magic + struct.pack("<I", len(body))
    return head + body + struct.pack("<I", zlib.crc32(head + body))


def records(data: bytes) -> list[tuple[int, int, bytes]]:
    """(start, end, body) of the valid records after the signature, up to the first bad one."""
    out, pos = [], SIGNATURE_SIZE
    while pos + 12 <= len(data):
        (length,) = struct.unpack_from("<I", data, pos + 4)
        end = pos + 12 + length
        if end > len(data) or zlib.crc32(data[pos:end - 4]) != struct.unpack_from("<I", data, end - 4)[0]:
            break
        out.append((pos, end, data[pos + 8:end - 4]))
        pos = end
    return out


def _f4(data: st.DataObject) -> float:
    return data.draw(st.sampled_from([0.0, 9.81, -9.81, 1e30, -1e30, 3.4e38, float("nan"), float("inf")])
                     | st.floats(width=32), label="float32")


def sample_block(data: st.DataObject, last_t_s: float) -> bytes:
    """A valid samples.bin record whose values are hostile: NaN/inf/huge times or values,
    times that repeat, go back or jump."""
    n = data.draw(st.sampled_from([1, 2, 3, 300]), label="block samples")
    kind = data.draw(st.sampled_from(["continuing", "back", "repeat", "jump", "hostile times"]), label="times")
    step = {"continuing": 0.02, "back": -0.02, "repeat": 0.0, "jump": 1e6}.get(kind)
    if step is None:
        t = [data.draw(st.floats(allow_nan=True, allow_infinity=True), label="t_s") for _ in range(min(n, 3))]
        t = (t * n)[:n]
    else:
        t = [last_t_s + step * (i + 1) for i in range(n)]
    values = [_f4(data) for _ in range(6)]
    body = struct.pack("<I", n) + struct.pack(f"<{n}d", *t) + struct.pack(f"<{6 * n}f", *(values * n))
    return frame(b"hsmp", body)


def raw_record(data: st.DataObject, template: bytes | None) -> bytes:
    """A valid raw.log record with a mutated (or random) payload, characteristic and kind."""
    host_ns, kind, char_len = struct.unpack_from("<QBB", template) if template else (0, 0, 4)
    name = template[10:10 + char_len] if template else b"link"
    payload = template[10 + char_len:] if template else b""
    what = data.draw(st.sampled_from(["payload", "kind", "link", "time"]), label="raw record edit")
    if what == "payload":
        payload = mutate_bytes(data, payload)[:65535]
    elif what == "kind":
        kind = data.draw(st.integers(0, 255), label="kind")
    elif what == "link":
        name = b"link"
        payload = data.draw(st.sampled_from([b"connected rate_hz=50", b"connected rate_hz=0", b"connected rate_hz=1e400",
                                             b"connected rate_hz=x", b"connected", b"disconnected:lost", b"\xff"]))
    else:
        host_ns = data.draw(st.sampled_from([0, 1, 2 ** 64 - 1, host_ns - 10 ** 9, host_ns + 10 ** 12]), label="host_ns")
        host_ns %= 2 ** 64
    return frame(b"hraw", struct.pack("<QBB", host_ns, kind, len(name)) + name + payload)


def mutate_framed(data: st.DataObject, path: Path) -> None:
    """A structural edit of raw.log or samples.bin that keeps every CRC valid: drop, repeat or
    swap records, or add one with hostile content."""
    blob = path.read_bytes()
    found = records(blob)
    op = data.draw(st.sampled_from(["drop", "repeat", "swap", "add"]), label=f"{path.name} record op")
    if not found:
        op = "add"
    i = data.draw(st.integers(0, max(len(found) - 1, 0)), label="record")
    pieces = [blob[s:e] for s, e, _ in found]
    tail = blob[found[-1][1]:] if found else blob[SIGNATURE_SIZE:]
    if op == "drop":
        del pieces[i:i + data.draw(st.sampled_from([1, 2, len(pieces)]), label="n dropped")]
    elif op == "repeat":
        pieces.insert(data.draw(st.integers(0, len(pieces))), pieces[i])
    elif op == "swap":
        j = data.draw(st.integers(0, len(pieces) - 1))
        pieces[i], pieces[j] = pieces[j], pieces[i]
    elif path.name == "samples.bin":
        last = struct.unpack_from("<d", found[-1][2], 4 + 8 * (struct.unpack_from("<I", found[-1][2])[0] - 1))[0] \
            if found else 0.0
        pieces.insert(data.draw(st.integers(0, len(pieces))), sample_block(data, last))
    else:
        pieces.insert(data.draw(st.integers(0, len(pieces))), raw_record(data, found[i][2] if found else None))
    path.write_bytes(blob[:SIGNATURE_SIZE] + b"".join(pieces) + tail)


# -- files of a folder --------------------------------------------------------------------

def replace_with_special(data: st.DataObject, path: Path) -> None:
    """The file becomes a directory, a dangling link or a link loop."""
    kind = data.draw(st.sampled_from(["directory", "dangling link", "link loop", "empty"]), label="special")
    if path.exists() or path.is_symlink():
        path.unlink()
    if kind == "directory":
        path.mkdir()
    elif kind == "dangling link":
        os.symlink(path.parent / "does-not-exist", path)
    elif kind == "link loop":
        os.symlink(path.name, path)
    else:
        path.write_bytes(b"")


def mutate_file(data: st.DataObject, path: Path, extra_keys: tuple[str, ...] = ()) -> None:
    """One edit of the file `path`, chosen by what it holds."""
    suffix = path.suffix
    # Mostly edits that leave the file readable enough to reach the checks behind the parser.
    ops = ["bytes", "bytes", "delete", "special"]
    if suffix in (".csv", ".tsv"):
        ops += ["table"] * 8
    if suffix == ".json":
        ops += ["json"] * 8
    if path.name in ("samples.bin", "raw.log"):
        ops += ["records"] * 6
    op = data.draw(st.sampled_from(ops), label=f"{path.name} op")
    if op == "delete":
        path.unlink()
    elif op == "special":
        replace_with_special(data, path)
    elif op == "bytes":
        path.write_bytes(mutate_bytes(data, path.read_bytes()))
    elif op == "records":
        mutate_framed(data, path)
    else:
        # Text read and written back byte for byte, even after an earlier edit broke its UTF-8.
        text = path.read_bytes().decode("utf-8", "surrogateescape")
        if op == "json":
            text = mutate_json(data, text, extra_keys)
        else:
            text = mutate_table(data, text, "," if suffix == ".csv" else "\t",
                                header=not path.name.endswith("_motion.tsv"))
        path.write_bytes(text.encode("utf-8", "surrogateescape"))


SESSION_KEYS = ("status", "profile", "placement", "nominal_rate_hz", "device_clock_hz", "fsync_interval_s",
                "first_t_s", "last_t_s", "n_samples", "timebase", "format", "format_version", "device",
                "acquisition", "created_utc", "participant", "height_m", "firmware", "live", "recoveries")
BIDS_KEYS = ("SamplingFrequency", "SamplingFrequencyEffective", "RecordingDuration", "TaskName",
             "TrackingSystemName", "HingeSourceSession", "BIDSVersion", "Name", "DatasetType", "GeneratedBy")


def mutate_folder(data: st.DataObject, folder: Path, keys: tuple[str, ...]) -> None:
    """1-3 edits of files in `folder` (recursively): see `mutate_file`."""
    for _ in range(data.draw(st.integers(1, 3), label="files edited")):
        files = sorted(p for p in folder.rglob("*") if p.is_file() and not p.is_symlink())
        if not files:
            return
        mutate_file(data, data.draw(st.sampled_from(files), label="file"), keys)
