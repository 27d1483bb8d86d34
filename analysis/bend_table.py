"""The bend table: one schema, one serialiser per output, one set summary.

Every output of hinge that lists bends (the `AnalysisResult.bends` DataFrame, `hinge analyse
--json`, the `hinge batch` table, a BIDS export's `_events.tsv`, the live summary, the report
and the phone page) takes its columns, names, units and rounding from `BEND_SCHEMA`, so
the same bend reads the same everywhere.

Names. The class column is ``label`` everywhere but in BIDS: it is the name the
pipeline, the batch table and the style guide use, and unlike ``class`` it is a valid
Python identifier (``row.label`` works in ``itertuples``). BIDS events keep the
specification's ``trial_type`` (BIDS 1.11.1, "Task events": trial_type is the column
for the event's category). The data-quality flags are ``quality_flags``: a column named
``flags`` is hidden behind ``pandas.DataFrame.flags`` (``bends.flags`` is pandas' own).

Lists (``reasons``, ``quality_flags``) stay lists in the DataFrame and in JSON; in flat
tables (CSV, Parquet, TSV) they are one text cell joined with `LIST_SEPARATOR`.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .bend_verdict import HIP_LED, SPINE_LED, UNCERTAIN

__all__ = ["BendColumn", "BEND_SCHEMA", "BEND_COLUMNS", "CLASS_COLUMN", "QUALITY_FLAGS_COLUMN", "LIST_SEPARATOR",
           "CLASS_LEVELS", "TIME_DECIMALS", "QUALITY_FLAG_LEVELS", "BIDS_RENAMED", "empty_bends", "bend_records", "flat_bend_rows",
           "bids_bend_events", "bids_event_columns", "PAIR_BEND_SCHEMA", "PAIR_BEND_COLUMNS", "joined", "split_list", "set_summary", "bends_summary", "SUMMARY_KEYS"]

CLASS_COLUMN = "label"
QUALITY_FLAGS_COLUMN = "quality_flags"
# The reasons contain ":", "," and ";" (e.g. "lumbar flexion about 70% of the bend: rounded
# back"), never " | ".
LIST_SEPARATOR = " | "

CLASS_LEVELS = {
    HIP_LED: "Forward bend led by the hips (hip hinge: pelvis tilts, spine near neutral).",
    SPINE_LED: "Forward bend led by lumbar flexion (the back rounds).",
    UNCERTAIN: "Forward bend whose measurements do not separate hip-led from spine-led (confidence < 0.5).",
}
# The verdict's data-quality flags (analysis.bend_verdict.judge_candidate).
QUALITY_FLAG_LEVELS = {
    "gap": "Samples are missing inside the bend's window.",
    "saturated": "A sensor channel clipped inside the bend's window.",
    "upper-saturated": "The upper sensor (two sensors, T12) clipped inside the bend's window: the measured "
                       "lumbar angle and two-sensor class may be off.",
    "translation-implausible": "The integrated hip travel fits no body posture, so it was not used.",
    "pitch-only": "Judged from the pitch alone (no still moment before and after, a gap or clipping): "
                  "the hip shift is the body model's estimate for that pitch, not a measurement.",
}


@dataclass(frozen=True)
class BendColumn:
    """One column of the bend table.

    dtype: "float64", "str" or "list[str]" (a list in DataFrame and JSON, joined text in
    flat tables); a float may be missing (NaN in tables, null in JSON, n/a in BIDS).
    unit: SI-style unit, "1" for dimensionless, "" for text.
    decimals: rounding of every serialised output (None: not rounded).
    """

    name: str
    dtype: str
    unit: str
    meaning: str
    decimals: int | None = None


# Microseconds are finer than any IMU clock; more digits in times are float noise.
TIME_DECIMALS = 6
BEND_SCHEMA: tuple[BendColumn, ...] = (
    BendColumn("start_s", "float64", "s", "Start of the bend (last upright sample), on the recording's own time axis.",
               TIME_DECIMALS),
    BendColumn("peak_s", "float64", "s", "Time of the bend's deepest point.", TIME_DECIMALS),
    BendColumn("end_s", "float64", "s", "End of the bend (back upright).", TIME_DECIMALS),
    BendColumn(CLASS_COLUMN, "str", "", "Class of the bend: " + ", ".join(CLASS_LEVELS) + "."),
    BendColumn("score", "float64", "points", "Hinge quality, 0-100 (100 = ideal hip hinge).", 1),
    BendColumn("lumbar_share", "float64", "1", "Estimated lumbar flexion / trunk flexion at the deepest point, 0-1.",
               3),
    BendColumn("depth_deg", "float64", "deg", "Estimated lower-trunk inclination at the deepest point.", 1),
    BendColumn("confidence", "float64", "1", "Distance of the lumbar share from the class boundary over twice the "
                                             "uncertain band, 0-1 (below 0.5 the class is uncertain).", 3),
    BendColumn("sensor_pitch_deg", "float64", "deg", "Pitch excursion of the sensor's segment from standing.", 1),
    BendColumn("hip_shift_m", "float64", "m", "Hip-joint shift at the deepest point, body model (negative = back).", 3),
    BendColumn("sensor_dx_m", "float64", "m", "Measured forward travel of the sensor (n/a when pitch-only).", 4),
    BendColumn("sensor_dz_m", "float64", "m", "Measured upward travel of the sensor (n/a when pitch-only).", 4),
    BendColumn("pitch_t50_fraction", "float64", "1", "Fraction of the way down at which half the pitch was reached.",
               3),
    BendColumn("pelvic_lag_s", "float64", "s", "Delay of the pelvis tilt after the hips start back "
                                               "(n/a when pitch-only).", 3),
    BendColumn("peak_rate_deg_s", "float64", "deg/s", "Largest pitch rate of the bend.", 1),
    BendColumn("reasons", "list[str]", "", "Why the score is what it is, main reason first."),
    BendColumn("cue", "str", "", "Coaching cue for the next bend."),
    BendColumn(QUALITY_FLAGS_COLUMN, "list[str]", "", "Data-quality flags: " + ", ".join(QUALITY_FLAG_LEVELS) + "."),
)
BEND_COLUMNS = [c.name for c in BEND_SCHEMA]

# The columns a second, upper sensor (T12) adds to each bend (`two_sensor.analyse_pair`):
# measured, not inferred. Angles are pitch excursions from the standing pose before the
# bend, at the trunk's deepest point (mean over the samples within 2 % of the upper
# sensor's peak excursion, `two_sensor._bend.PLATEAU_FRACTION`).
PAIR_BEND_SCHEMA: tuple[BendColumn, ...] = (
    BendColumn("pelvic_tilt_deg", "float64", "deg", "Pitch excursion of the lower sensor's segment at the trunk's "
                                                    "deepest point (the pelvis at the sacrum).", 1),
    BendColumn("upper_pitch_deg", "float64", "deg", "Pitch excursion of the upper sensor's segment (thorax at T12) "
                                                    "at the trunk's deepest point.", 1),
    BendColumn("lumbar_flexion_deg", "float64", "deg", "Relative lumbar angle: upper pitch minus lower pitch at the "
                                                       "trunk's deepest point (flexion > 0).", 1),
    BendColumn("measured_lumbar_share", "float64", "1", "Lumbar flexion / trunk flexion at the deepest point, "
                                                        "measured with two sensors, 0-1.", 3),
    BendColumn("lumbar_lead_s", "float64", "s", "How long the lumbar spine started moving before the pelvis "
                                                "(> 0: lumbar first; n/a when either moved < 3 deg).", 3),
    BendColumn("two_sensor_label", "str", "", "Class from the measured lumbar share: hip-led or spine-led."),
    BendColumn("two_sensor_score", "float64", "points", "Hinge quality from the measured lumbar share, 0-100 "
                                                        "(the one-sensor score's mapping).", 1),
    BendColumn("two_sensor_reasons", "list[str]", "", "Why the two-sensor score is what it is, in degrees, "
                                                      "main reason first."),
    BendColumn("agrees_with_one_sensor", "float64", "1", "1 when the one-sensor class equals the two-sensor one, "
                                                         "0 when not, n/a when the one-sensor class is uncertain."),
)
PAIR_BEND_COLUMNS = [c.name for c in PAIR_BEND_SCHEMA]
_BY_NAME = {c.name: c for c in BEND_SCHEMA}
# BIDS events: start_s and end_s become onset and duration, peak_s is "peak" (s from the first
# sample, like onset), the class is trial_type; every other column keeps its name.
BIDS_RENAMED = {"start_s": "onset", "end_s": "duration", "peak_s": "peak", CLASS_COLUMN: "trial_type"}


def empty_bends() -> pd.DataFrame:
    """A bend table without rows: the schema's columns, index ``bend_id``."""
    frame = pd.DataFrame(columns=BEND_COLUMNS)
    frame.index.name = "bend_id"
    return frame


def split_list(cell) -> list[str]:
    """A list cell as a list of str: a list/tuple/array as is, missing as [], joined text split."""
    if cell is None or (isinstance(cell, float) and math.isnan(cell)):
        return []
    if isinstance(cell, str):
        return cell.split(LIST_SEPARATOR) if cell else []
    return [str(item) for item in cell]


def joined(cell) -> str:
    """A list cell as one text cell of a flat table."""
    return LIST_SEPARATOR.join(split_list(cell))


def _number(value, decimals: int | None) -> float | None:
    if value is None:
        return None
    value = float(value)
    if not math.isfinite(value):
        return None
    return round(value, decimals) if decimals is not None else value


def _text(value) -> str | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return str(value)


def _cell(column: BendColumn, value, flat: bool):
    if column.dtype == "float64":
        number = _number(value, column.decimals)
        return (math.nan if number is None else number) if flat else number
    if column.dtype == "list[str]":
        return joined(value) if flat else split_list(value)
    text = _text(value)
    return ("" if text is None else text) if flat else text


def bend_records(bends: pd.DataFrame, schema: tuple[BendColumn, ...] = BEND_SCHEMA) -> list[dict]:
    """JSON records: ``{"bend_id": int, <every schema column>}`` per bend, numbers rounded per
    the schema, missing numbers None, lists as lists of str. ``schema``: BEND_SCHEMA, or
    BEND_SCHEMA + PAIR_BEND_SCHEMA for a two-sensor table."""
    return _rows(bends, schema, flat=False)


def flat_bend_rows(bends: pd.DataFrame, schema: tuple[BendColumn, ...] = BEND_SCHEMA) -> list[dict]:
    """Rows for a flat table (CSV, Parquet): as `bend_records`, but missing numbers NaN,
    missing text "" and lists joined with `LIST_SEPARATOR`."""
    return _rows(bends, schema, flat=True)


def _rows(bends: pd.DataFrame, schema: tuple[BendColumn, ...], flat: bool) -> list[dict]:
    # Column by column (`tolist`), not `iterrows`, which builds a Series per bend: 18 ms
    # instead of 2 ms for an hour's 400 bends; the cells are the same values.
    columns = [(c, bends[c.name].tolist()) for c in schema]
    return [{"bend_id": int(bend_id), **{c.name: _cell(c, values[k], flat=flat) for c, values in columns}}
            for k, bend_id in enumerate(bends.index)]


def bids_bend_events(bends: pd.DataFrame, t0_s: float) -> pd.DataFrame:
    """BIDS events, one per bend: onset_s and duration_s (s, onset on the bends' own time axis,
    as `recordings.bids_write.MotionEntry.events` wants it), trial_type, then the other
    schema columns (`BIDS_RENAMED`), ``peak`` in s from ``t0_s`` (the first sample), lists
    joined, missing values and empty text NaN (BIDS writes n/a, never an empty cell)."""
    rows = flat_bend_rows(bends)
    out = {"onset_s": [r["start_s"] for r in rows],
           "duration_s": [round(r["end_s"] - r["start_s"], TIME_DECIMALS) for r in rows],
           "trial_type": [r[CLASS_COLUMN] for r in rows],
           "peak": [round(r["peak_s"] - t0_s, TIME_DECIMALS) for r in rows]}
    for column in BEND_SCHEMA:
        if column.name not in BIDS_RENAMED:
            out[column.name] = [r[column.name] for r in rows]
    numeric = {"onset_s", "duration_s", "peak"} | {c.name for c in BEND_SCHEMA if c.dtype == "float64"}
    frame = pd.DataFrame(out, columns=list(out)).astype({c: "float64" for c in out if c in numeric})
    text = [c for c in frame.columns if c not in numeric]
    frame[text] = frame[text].astype(object).where(frame[text] != "", np.nan)
    return frame


def bids_event_columns() -> dict:
    """`_events.json` descriptions of the bend columns of `bids_bend_events` (onset and
    duration are described by the writer), from the schema."""
    out = {"trial_type": {"Description": "Category of the event; for a bend its class (the `label` of hinge's "
                                         "bend table).", "Levels": dict(CLASS_LEVELS)},
           "peak": {"Description": _BY_NAME["peak_s"].meaning.rstrip(".") + ", from the first sample of the "
                                   "recording.", "Units": "s"}}
    for column in BEND_SCHEMA:
        if column.name in BIDS_RENAMED:
            continue
        entry = {"Description": column.meaning}
        if column.dtype == "float64":
            entry["Units"] = column.unit if column.unit not in ("1", "points") else "n/a"
        if column.dtype == "list[str]":
            entry["Description"] += f" Several are joined with '{LIST_SEPARATOR.strip()}'."
        if column.name == QUALITY_FLAGS_COLUMN:
            # In words, not as BIDS "Levels": a cell may hold several, and a validator checks
            # each cell against the Levels (TSV_VALUE_INCORRECT_TYPE).
            entry["Description"] += " " + " ".join(f"{k}: {v}" for k, v in QUALITY_FLAG_LEVELS.items())
        out[column.name] = entry
    return out


SUMMARY_KEYS = ("n_bends", "n_hip_led", "n_spine_led", "n_uncertain", "hip_led_pct", "mean_score")


def set_summary(labels, scores) -> dict:
    """The summary of a set of bends.

    Args:
        labels: the bends' classes (str), any iterable.
        scores: their scores, points /100, same length.

    Returns:
        n_bends, n_hip_led, n_spine_led, n_uncertain (int); hip_led_pct (% of the bends,
        NaN without bends); mean_score (points /100, NaN without bends). Not rounded.
    """
    labels = [str(label) for label in labels]
    scores = np.asarray(list(scores), float)
    n = len(labels)
    n_hip = labels.count(HIP_LED)
    return {"n_bends": n, "n_hip_led": n_hip, "n_spine_led": labels.count(SPINE_LED),
            "n_uncertain": labels.count(UNCERTAIN),
            "hip_led_pct": 100.0 * n_hip / n if n else math.nan,
            "mean_score": float(scores.mean()) if n else math.nan}


def bends_summary(bends: pd.DataFrame) -> dict:
    """`set_summary` of a bend table."""
    if not len(bends):
        return set_summary([], [])
    return set_summary(bends[CLASS_COLUMN], bends["score"])
