"""The batch's two tidy tables and how they are written (CSV or Parquet, by extension).

bends: one row per bend, sorted by file then bend_index.

| column | meaning |
|---|---|
| study, subject, session, task | who and what (hinge.batch_discovery; "" when unknown) |
| file, kind | the recording as found; csv, session or bids |
| bend_index | 1, 2, ... in time order within the file (the `bend_id` of `hinge analyse`) |
| start_s, peak_s, end_s | s, on the recording's own time axis |
| label, score | hip-led / spine-led; hinge quality 0-100 |
| lumbar_share | estimated lumbar flexion / trunk flexion at the deepest point, 0-1 |
| depth_deg, confidence | trunk inclination at the deepest point, deg; 0-1 |
| reasons, flags, warnings | lists joined with " | " (warnings: the recording's) |
| sensor_pitch_deg ... peak_rate_deg_s | the pipeline's per-bend features, units in the names |
| placement, input_sha256 | placement used; sha256 of the input data |
| hinge_version, params | provenance: hinge version; every analysis parameter, JSON |

recordings (written beside, ``<name>_recordings.<ext>``): one row per recording with
status ok/failed, the one-line error, bend counts, mean score (/100), duration_s, fs_hz,
n_samples, placement, warnings, sha256, hinge_version, params.

Provenance is in the columns, so a CSV that travels alone still says how it was made;
Parquet files also carry it, with the batch's creation time, in their key-value metadata
under ``hinge``. The rows hold no clock time, so the same inputs give the same rows.
"""
from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from hinge.errors import HingeInputError

__all__ = ["BEND_TABLE_COLUMNS", "RECORDING_TABLE_COLUMNS", "FORMATS", "bends_table", "recordings_table",
           "recordings_path", "check_output", "write_table", "read_table"]

_IDENTITY = ["study", "subject", "session", "task", "file", "kind"]
BEND_TABLE_COLUMNS = _IDENTITY + [
    "bend_index", "start_s", "peak_s", "end_s", "label", "score", "lumbar_share", "depth_deg", "confidence",
    "reasons", "flags", "warnings", "sensor_pitch_deg", "hip_shift_m", "sensor_dx_m", "sensor_dz_m",
    "pitch_t50_fraction", "pelvic_lag_s", "peak_rate_deg_s", "placement", "input_sha256", "hinge_version", "params",
]
RECORDING_TABLE_COLUMNS = _IDENTITY + [
    "status", "error", "n_bends", "n_hip_led", "n_spine_led", "mean_score", "duration_s", "fs_hz", "n_samples",
    "placement", "warnings", "sha256", "hinge_version", "params",
]
FORMATS = {".csv": "csv", ".parquet": "parquet"}
_TEXT = {"study", "subject", "session", "task", "file", "kind", "label", "reasons", "flags", "warnings",
         "placement", "input_sha256", "hinge_version", "params", "status", "error", "sha256"}
_INTEGER = {"bend_index", "n_bends", "n_hip_led", "n_spine_led", "n_samples"}
PARQUET_METADATA_KEY = b"hinge"


def _typed(rows: list[dict], columns: list[str]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=columns)
    for column in columns:
        if column in _TEXT:
            frame[column] = frame[column].fillna("").astype(str)
        elif column in _INTEGER:
            frame[column] = frame[column].astype("int64")
        else:
            frame[column] = frame[column].astype("float64")
    return frame


def bends_table(rows: list[dict]) -> pd.DataFrame:
    """Bend rows (from JobResult.bends) as the tidy table, sorted by file and bend_index."""
    frame = _typed(rows, BEND_TABLE_COLUMNS)
    return frame.sort_values(["file", "bend_index"], kind="stable").reset_index(drop=True)


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
    text = {column: str for column in _TEXT}
    return pd.read_csv(path, dtype=text, keep_default_na=False, na_values={c: ["", "NaN", "nan"] for c in
                       set(BEND_TABLE_COLUMNS + RECORDING_TABLE_COLUMNS) - _TEXT})
