"""BIDS-Motion layout shared by the writer and the reader: labels, file names, tables.

See `hinge.recordings.bids` for the layout and the specification version.
"""
from __future__ import annotations

import os
import re
from pathlib import Path

import pandas as pd

from hinge.errors import HingeInputError

BIDS_VERSION = "1.11.1"
DATATYPE = "motion"
NA = "n/a"
CHANNEL_COLUMNS = ("name", "component", "type", "tracked_point", "units")
# The name ending of a motion data file; its companions replace it (`companion`).
MOTION_SUFFIX = "_motion.tsv"
# participants.tsv: the participant's body height (a column BIDS leaves to the dataset,
# described in participants.json with its unit), which the body model is scaled to.
HEIGHT_COLUMN = "height"
HEIGHT_DESCRIPTION = {"Description": "Body height the analysis scales its body model to (hinge --height-cm, "
                                     "or the recording's stored height).", "Units": "m"}
# Units a dataset may declare for that column, and their factor to m.
HEIGHT_UNITS_TO_M = {"m": 1.0, "cm": 0.01, "mm": 0.001}
_LABEL = re.compile(r"^[A-Za-z0-9]+$")


def fail(path, problem: str) -> HingeInputError:
    return HingeInputError(f"{path}: {problem}")


def is_label(label) -> bool:
    """True for a BIDS label: letters and digits only."""
    return isinstance(label, str) and bool(_LABEL.match(label))


def check_label(label: str, what: str) -> str:
    """A BIDS label (letters and digits only) or a one-line error naming the option."""
    if not is_label(label):
        raise HingeInputError(f"--{what} {label!r}: a BIDS label may hold only letters and digits "
                              "(no '-', '_', spaces); e.g. P01")
    return label


def entry_name(subject: str, session: str | None, task: str, tracksys: str) -> str:
    """File-name stem in the spec's entity order: sub-<S>[_ses-<E>]_task-<T>_tracksys-<K>."""
    parts = [f"sub-{subject}"] + ([f"ses-{session}"] if session else []) + [f"task-{task}", f"tracksys-{tracksys}"]
    return "_".join(parts)


def subject_dir(root: Path, subject: str, session: str | None) -> Path:
    return root / f"sub-{subject}" / (f"ses-{session}" if session else "")


def entry_paths(root: str | os.PathLike, subject: str, session: str | None, task: str,
                tracksys: str) -> dict[str, Path]:
    """Paths of one entry's files, keyed motion, motion_json, channels, channels_json, events, events_json."""
    folder = subject_dir(Path(root), subject, session) / DATATYPE
    stem = entry_name(subject, session, task, tracksys)
    return {
        "motion": folder / f"{stem}{MOTION_SUFFIX}", "motion_json": folder / f"{stem}_motion.json",
        "channels": folder / f"{stem}_channels.tsv", "channels_json": folder / f"{stem}_channels.json",
        "events": folder / f"{stem}_events.tsv", "events_json": folder / f"{stem}_events.json",
    }


def is_motion_file(path: str | os.PathLike) -> bool:
    """True for a path named like a BIDS motion data file (``*_motion.tsv``)."""
    return Path(path).name.endswith(MOTION_SUFFIX)


def companion(motion_path: Path, suffix: str) -> Path:
    return motion_path.with_name(motion_path.name[: -len(MOTION_SUFFIX)] + suffix)


def read_table(path: Path) -> pd.DataFrame:
    """A BIDS TSV with header, all cells as text (n/a kept as text)."""
    if not path.is_file():
        raise fail(path, "file not found; the BIDS entry is incomplete")
    try:
        return pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False, na_filter=False, encoding="utf-8")
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as error:
        detail = " ".join(str(error).split())[:120]
        raise fail(path, f"is not a readable tab-separated table ({detail})") from None
