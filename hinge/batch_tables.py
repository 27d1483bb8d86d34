"""The batch's two tidy tables and how they are written (CSV or Parquet, by extension).

bends: one row per bend, sorted by file then bend_id.

| column | meaning |
|---|---|
| study, subject, session, task | who and what (hinge.batch_discovery; "" when unknown) |
| file, kind | the recording as found; csv, session or bids |
| session_start_utc | wall-clock start, ISO 8601 (session.json created_utc, BIDS scans.tsv acq_time; "" for CSV) |
| bend_id ... quality_flags | the bend table of `hinge analyse`: hinge.analysis.bend_table.BEND_SCHEMA (units in the names; lists joined with " | ") |
| warnings | the recording's warnings, joined with " | " |
| placement, input_sha256 | placement used; sha256 of the input data |
| hinge_version, params | provenance (hinge.analysis.provenance): hinge version; every analysis parameter, JSON |
| participant_* | a BIDS entry's participants.tsv columns (age, sex, ...), text; "" elsewhere |

recordings (written beside, ``<name>_recordings.<ext>``): one row per recording with
status ok/failed, the one-line error, the set summary (hinge.analysis.bend_table.set_summary:
n_bends, n_hip_led, n_spine_led, n_uncertain, hip_led_pct, mean_score), duration_s, fs_hz,
n_samples, placement, warnings, input_sha256, hinge_version, params, participant_*.

Provenance is in the columns, so a CSV that travels alone still says how it was made;
Parquet files also carry it, with the batch's creation time, in their key-value metadata
under ``hinge``. The rows hold no clock time of the analysis, so the same inputs give the same rows.
"""
from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from hinge.analysis.bend_table import BEND_COLUMNS, BEND_SCHEMA, PAIR_BEND_COLUMNS, PAIR_BEND_SCHEMA, SUMMARY_KEYS
from hinge.errors import HingeInputError

__all__ = ["BEND_TABLE_COLUMNS", "RECORDING_TABLE_COLUMNS", "FORMATS", "bends_table", "recordings_table",
           "recordings_path", "check_output", "write_table", "read_table"]

_IDENTITY = ["study", "subject", "session", "task", "file", "kind", "session_start_utc"]
_PROVENANCE = ["placement", "input_sha256", "hinge_version", "params"]
# The fixed columns; a BIDS dataset's participants.tsv adds participant_* columns after them.
# A two-sensor recording fills the measured columns (PAIR_BEND_SCHEMA); they are empty for one sensor.
BEND_TABLE_COLUMNS = _IDENTITY + ["bend_id"] + BEND_COLUMNS + PAIR_BEND_COLUMNS + ["warnings"] + _PROVENANCE
# A two-sensor recording fills PAIR_RECORDING_COLUMNS; they are empty for one sensor.
PAIR_RECORDING_COLUMNS = ["upper_placement", "two_sensor_bends", "one_sensor_agreement_pct",
                          "sensor_offset_ms"]
RECORDING_TABLE_COLUMNS = _IDENTITY + ["status", "error", *SUMMARY_KEYS, "duration_s", "fs_hz", "n_samples",
                                       *PAIR_RECORDING_COLUMNS, "warnings"] + _PROVENANCE
PARTICIPANT_PREFIX = "participant_"
FORMATS = {".csv": "csv", ".parquet": "parquet"}
_TEXT = ({c.name for c in BEND_SCHEMA + PAIR_BEND_SCHEMA if c.dtype != "float64"}
         | set(_IDENTITY) | set(_PROVENANCE) | {"warnings", "status", "error", "upper_placement"})
_INTEGER = {"bend_id", "n_bends", "n_hip_led", "n_spine_led", "n_uncertain", "n_samples"}
_COUNT_OR_EMPTY = {"two_sensor_bends"}  # a count for two sensors, empty for one
PARQUET_METADATA_KEY = b"hinge"


def _participant_columns(rows: list[dict]) -> list[str]:
    seen = {}
    for row in rows:
        seen.update(dict.fromkeys(k for k in row if k.startswith(PARTICIPANT_PREFIX)))
    return list(seen)


def _typed(rows: list[dict], columns: list[str]) -> pd.DataFrame:
    columns = columns + _participant_columns(rows)
    frame = pd.DataFrame(rows, columns=columns)
    for column in columns:
        if column in _TEXT or column.startswith(PARTICIPANT_PREFIX):
            # object first: a text column none of the rows filled (a one-sensor recording's
            # two-sensor label) comes in as float NaN, which pandas will not fill with text.
            frame[column] = frame[column].astype(object).fillna("").astype(str)
        elif column in _INTEGER:
            frame[column] = frame[column].astype("int64")
        elif column in _COUNT_OR_EMPTY:
            frame[column] = frame[column].astype("Int64")
        else:
            frame[column] = frame[column].astype("float64")
    return frame


def bends_table(rows: list[dict]) -> pd.DataFrame:
    """Bend rows (from JobResult.bends) as the tidy table, sorted by file and bend_id."""
    frame = _typed(rows, BEND_TABLE_COLUMNS)
    return frame.sort_values(["file", "bend_id"], kind="stable").reset_index(drop=True)


def recordings_table(rows: list[dict]) -> pd.DataFrame:
    """Summary rows (from JobResult.summary) as the per-recording table, sorted by file."""
    frame = _typed(rows, RECORDING_TABLE_COLUMNS)
    return frame.sort_values(["file"], kind="stable").reset_index(drop=True)


def check_output(path: Path) -> str:
    """The table format for ``path`` ("csv" or "parquet"); one-line error for anything else."""
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise HingeInputError(f"{path}: unknown output format '{suffix or '(no extension)'}'; "
                              "name the file .csv or .parquet")
    return FORMATS[suffix]


def recordings_path(path: Path) -> Path:
    """Where the per-recording table goes: ``bends.csv`` -> ``bends_recordings.csv``."""
    return path.with_name(f"{path.stem}_recordings{path.suffix}")


def write_table(frame: pd.DataFrame, path: Path, metadata: dict | None = None) -> None:
    """Write ``frame`` as CSV or Parquet by the extension of ``path`` (atomically); Parquet
    keeps ``metadata``."""
    from hinge.output_paths import write_atomically

    if check_output(path) == "csv":
        write_atomically(path, lambda tmp: frame.to_csv(tmp, index=False))
        return
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pandas(frame, preserve_index=False)
    if metadata is not None:
        existing = table.schema.metadata or {}
        table = table.replace_schema_metadata({**existing, PARQUET_METADATA_KEY: json.dumps(metadata).encode()})
    write_atomically(path, lambda tmp: pq.write_table(table, tmp))


def read_table(path: Path) -> pd.DataFrame:
    """Read a table written by `write_table` back with the same column types."""
    path = Path(path)
    if check_output(path) == "parquet":
        return pd.read_parquet(path)
    header = pd.read_csv(path, nrows=0).columns
    text = {column: str for column in header if column in _TEXT or column.startswith(PARTICIPANT_PREFIX)}
    counts = {column: "Int64" for column in header if column in _COUNT_OR_EMPTY}
    return pd.read_csv(path, dtype={**text, **counts}, keep_default_na=False,
                       na_values={c: ["", "NaN", "nan"] for c in header if c not in text})
