"""The second sensor of a BIDS-Motion recording: the tracking system beside it at an upper site.

Two sensors recorded together are two tracking systems of one recording (`bids_write.
write_motion_pair`): files that differ only in the ``tracksys`` entity, the upper one's
channels placed at one of `placements.UPPER_PLACEMENTS`. Their onsets are the ``acq_time``
of each file in the subject's (session's) scans.tsv; the difference puts the upper
sensor's LATENCY on the lower sensor's time base (BIDS: acq_time is the preferred way to
synchronise tracking systems). Every problem is one line naming the file.
"""
from __future__ import annotations

import re
from datetime import datetime, timezone
from pathlib import Path

from .bids_layout import MOTION_SUFFIX, NA, companion, fail, read_table
from .placements import UPPER_PLACEMENTS

__all__ = ["upper_sibling", "lower_sibling", "onset_offset_s"]

_TRACKSYS = re.compile(r"_tracksys-[A-Za-z0-9]+(?=_|$)")


def _siblings(motion_path: Path) -> list[Path]:
    """The other tracking systems of the same recording (same name but for tracksys), sorted."""
    stem = motion_path.name[: -len(MOTION_SUFFIX)]
    if not _TRACKSYS.search(stem):
        return []
    pattern = re.compile("^" + _TRACKSYS.sub(r"_tracksys-[A-Za-z0-9]+", re.escape(stem).replace(r"\-", "-"), count=1)
                         + re.escape(MOTION_SUFFIX) + "$")
    return sorted(p for p in motion_path.parent.glob("*" + MOTION_SUFFIX)
                  if p != motion_path and pattern.match(p.name))


def _placements(motion_path: Path) -> set[str]:
    """The placements of a motion file's ACCEL/GYRO channels (empty without a channels file or column)."""
    channels_path = companion(motion_path, "_channels.tsv")
    if not channels_path.is_file():
        return set()
    channels = read_table(channels_path)
    if not {"type", "placement"} <= set(channels.columns):
        return set()
    imu = channels[channels["type"].str.strip().isin(["ACCEL", "GYRO"])]
    return {p.strip() for p in imu["placement"]} - {NA, ""}


def upper_sibling(motion_path: Path) -> Path | None:
    """The ``*_motion.tsv`` of the upper sensor recorded with ``motion_path``'s, or None."""
    found = [p for p in _siblings(Path(motion_path)) if _placements(p) & set(UPPER_PLACEMENTS)]
    if len(found) > 1:
        raise fail(motion_path, f"{len(found)} tracking systems beside it are placed at an upper site "
                                f"({', '.join(p.name for p in found)}); hinge reads one upper sensor: move the others")
    return found[0] if found else None


def lower_sibling(motion_path: Path) -> Path | None:
    """The ``*_motion.tsv`` of a lower-back sensor recorded with the upper one at ``motion_path``, or None."""
    found = [p for p in _siblings(Path(motion_path)) if _placements(p) - set(UPPER_PLACEMENTS)]
    return found[0] if found else None


def _acq_time(motion_path: Path) -> datetime | None:
    """The file's acq_time in its scans.tsv (None when there is none or it is n/a)."""
    folder = motion_path.parent.parent
    relative = f"{motion_path.parent.name}/{motion_path.name}"
    for scans in sorted(folder.glob("*_scans.tsv")):
        table = read_table(scans)
        if not {"filename", "acq_time"} <= set(table.columns):
            continue
        cells = table.loc[table["filename"].str.strip() == relative, "acq_time"]
        if not len(cells) or cells.iloc[0].strip() in (NA, ""):
            return None
        text = cells.iloc[0].strip()
        try:
            when = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise fail(scans, f"acq_time {text!r} of {relative} is not a BIDS date-time "
                              "(YYYY-MM-DDThh:mm:ss[.000000][Z])") from None
        return when if when.tzinfo is not None else when.replace(tzinfo=timezone.utc)
    return None


def onset_offset_s(lower_path: Path, upper_path: Path) -> tuple[float, list[str]]:
    """(upper onset - lower onset, s; notes): how far to move the upper sensor's times onto
    the lower's time base. Without both acq_times the onsets are taken as one, with a note
    when only one of them is known."""
    lower, upper = _acq_time(Path(lower_path)), _acq_time(Path(upper_path))
    if lower is not None and upper is not None:
        return (upper - lower).total_seconds(), []
    if lower is None and upper is None:
        return 0.0, []
    missing = upper_path if upper is None else lower_path
    return 0.0, [f"{missing}: no acq_time in scans.tsv while the other sensor has one; its LATENCY is taken "
                 "as from the same onset"]
