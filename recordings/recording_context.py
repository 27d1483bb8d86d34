"""What is known about a recording beyond its samples: when it started and who was recorded.

The start comes from a session's ``session.json`` (``created_utc``, FORMAT.md) or from the
``acq_time`` of a BIDS entry's ``*_scans.tsv`` row; the participant's characteristics from
the BIDS dataset's ``participants.tsv`` (BIDS 1.11.1, "Participants file": one row per
``participant_id``, any further columns such as age and sex). A CSV says neither.
"""
from __future__ import annotations

import re
from datetime import datetime, timezone
from pathlib import Path

from hinge.errors import HingeInputError

from .bids_layout import HEIGHT_COLUMN, HEIGHT_UNITS_TO_M, NA, read_table
from .schema import MAX_HEIGHT_M, MIN_HEIGHT_M, is_body_height_m, load_json

__all__ = ["started_utc", "recording_started_utc", "bids_acq_time", "bids_participant", "bids_participant_height_m"]


def started_utc(metadata: dict) -> datetime | None:
    """The first ISO 8601 time among ``created_utc``, ``start_utc``, ``acq_time`` (a time
    without zone is taken as UTC), or None."""
    for key in ("created_utc", "start_utc", "acq_time"):
        value = metadata.get(key)
        if isinstance(value, str) and value:
            try:
                started = datetime.fromisoformat(value)
                # In UTC from here on; a time at the calendar's edge (year 1 at +01:00) has none.
                return started.astimezone(timezone.utc) if started.tzinfo else started.replace(tzinfo=timezone.utc)
            except (ValueError, OverflowError):
                continue
    return None


def bids_acq_time(motion_path: Path) -> datetime | None:
    """The entry's acq_time from the subject's or session's ``*_scans.tsv``, if listed."""
    motion_path = Path(motion_path)
    folder = motion_path.parent.parent  # sub-<S>[/ses-<E>]/motion/<file>
    for scans in sorted(folder.glob("*_scans.tsv")):
        try:
            table = read_table(scans)
        except (HingeInputError, OSError):
            continue
        if "filename" not in table.columns or "acq_time" not in table.columns:
            continue
        for filename, acq_time in zip(table["filename"], table["acq_time"]):
            if Path(filename).name == motion_path.name:
                return started_utc({"acq_time": acq_time})
    return None


def recording_started_utc(loaded) -> datetime | None:
    """Wall-clock start of a `LoadedRecording` (timezone-aware), or None when unknown."""
    if loaded.kind == "bids":
        return bids_acq_time(Path(loaded.path))
    return started_utc(loaded.metadata or {})


def _subject(motion_path: Path) -> str | None:
    match = re.match(r"sub-([A-Za-z0-9]+)_", motion_path.name)
    return match.group(1) if match else None


def _dataset_root(motion_path: Path) -> Path | None:
    """The dataset folder holding the entry's ``sub-<label>`` folder, or None."""
    subject = _subject(motion_path)
    if subject is None:
        return None
    return next((p.parent for p in motion_path.parents if p.name == f"sub-{subject}"), None)


def bids_participant(motion_path: Path) -> dict[str, str]:
    """The ``participants.tsv`` row of the entry's subject, without participant_id: column ->
    text ("" for n/a); {} when the dataset has no such file or row."""
    motion_path = Path(motion_path)
    root = _dataset_root(motion_path)
    subject = f"sub-{_subject(motion_path)}"
    path = root / "participants.tsv" if root is not None else None
    if path is None or not path.is_file():
        return {}
    try:
        table = read_table(path)
    except (HingeInputError, OSError):
        return {}
    if "participant_id" not in table.columns:
        return {}
    rows = table[table["participant_id"] == subject]
    if not len(rows):
        return {}
    row = rows.iloc[0]
    return {c: ("" if row[c] == NA else str(row[c])) for c in table.columns if c != "participant_id"}


def bids_participant_height_m(motion_path: Path) -> tuple[float | None, str | None]:
    """(height_m, warning) of the entry's subject from participants.tsv's ``height`` column,
    in the unit participants.json declares for it (m, cm or mm); (None, None) without one.

    Raises:
        HingeInputError: a height outside the body model's range (a typo or a wrong unit).
    """
    value = bids_participant(motion_path).get(HEIGHT_COLUMN, "")
    if value == "":
        return None, None
    root = _dataset_root(Path(motion_path))
    units = None
    if root is not None and (root / "participants.json").is_file():
        described = load_json(root / "participants.json", "participants description").get(HEIGHT_COLUMN)
        units = described.get("Units") if isinstance(described, dict) else None
    where = root / "participants.tsv" if root is not None else Path(motion_path)
    if units not in HEIGHT_UNITS_TO_M:
        return None, (f"{where}: column {HEIGHT_COLUMN!r} not used: participants.json gives it no Units "
                      f"({', '.join(HEIGHT_UNITS_TO_M)}); the default body height is used")
    try:
        height_m = float(value) * HEIGHT_UNITS_TO_M[units]
    except ValueError:
        raise HingeInputError(f"{where}: {HEIGHT_COLUMN} {value!r} is not a number") from None
    if not is_body_height_m(height_m):
        raise HingeInputError(f"{where}: {HEIGHT_COLUMN} {value} {units} is {height_m:.3g} m, outside the body "
                              f"model's {MIN_HEIGHT_M:.2f}-{MAX_HEIGHT_M:.2f} m; check the value and its Units")
    return height_m, None
