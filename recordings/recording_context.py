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

from .bids_layout import NA, read_table

__all__ = ["started_utc", "recording_started_utc", "bids_acq_time", "bids_participant"]


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


def bids_participant(motion_path: Path) -> dict[str, str]:
    """The ``participants.tsv`` row of the entry's subject, without participant_id: column ->
    text ("" for n/a); {} when the dataset has no such file or row."""
    motion_path = Path(motion_path)
    match = re.match(r"sub-([A-Za-z0-9]+)_", motion_path.name)
    if match is None:
        return {}
    subject = f"sub-{match.group(1)}"
    root = next((p.parent for p in motion_path.parents if p.name == subject), None)
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
