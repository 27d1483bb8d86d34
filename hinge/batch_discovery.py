"""Find the recordings of a study: directories (recursive) and glob patterns.

A recording is one of:
- a session directory (it holds ``session.json``; recordings/FORMAT.md) - read whole, never
  searched inside, so its ``truth.csv`` or other files are not taken for recordings;
- a BIDS-Motion data file ``*_motion.tsv`` (its ``_channels.tsv``, ``_events.tsv`` and
  ``.json`` sidecars are not recordings);
- a ``*.csv`` file whose header names an IMU column (``time_s``, ``acc_*`` or ``gyr_*``).
  CSVs without one (a truth table, a previous batch's own ``bends.csv``) are skipped and
  counted, so that re-running a batch over its own output folder does not fail on it. A
  CSV named explicitly (no wildcard) is always taken, so a misnamed header is reported.

Who and what each recording is (``study``, ``subject``, ``session``, ``task``):
- BIDS: ``sub-``, ``ses-`` and ``task-`` entities of the file name; the study is the
  ``Name`` in the dataset's ``dataset_description.json``, else the dataset folder's name.
- session directory: subject = ``participant`` in session.json, session = the directory's
  name, task empty; the study is the folder the search started from.
- CSV: ``sub-<label>``, ``ses-<label>``, ``task-<label>`` tokens anywhere in the path
  relative to the search root (folder names or ``_``-separated parts of the file name),
  as in BIDS; without a ``sub-`` token, the first folder below the search root is the
  subject and the second the session (``study/P01/morning/bends1.csv``); a CSV directly in
  the root has no subject. The study is the search root's folder name.
The search root is the directory argument itself, or for a glob the folder before its
first wildcard. Folders whose names start with "." are not searched.
"""
from __future__ import annotations

import fnmatch
import glob
import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path

from hinge.errors import HingeInputError
from hinge.recordings._files import METADATA
from hinge.recordings.bids_layout import MOTION_SUFFIX
from hinge.recordings.schema import load_json

__all__ = ["FoundRecording", "Discovery", "discover"]

SESSION_MARKER = METADATA
BIDS_SUFFIX = MOTION_SUFFIX
BIDS_DESCRIPTION = "dataset_description.json"
_IMU_HEADER = re.compile(r"(^|[,;\t ])\"?(time_s|acc_[xyz]|gyr_[xyz])\"?([,;\t ]|$)")
_ENTITY = re.compile(r"(?:^|[_/])(sub|ses|task)-([A-Za-z0-9]+)")


@dataclass(frozen=True)
class FoundRecording:
    """One recording to analyse.

    ``file``: the path as found (built from the argument as given; shown in the tables);
    ``path``: absolute path (what workers open, whatever their working directory);
    ``kind``: "csv", "session" or "bids"; identity fields are "" when unknown.
    """

    file: str
    path: str
    kind: str
    study: str
    subject: str
    session: str
    task: str


@dataclass
class Discovery:
    """The recordings found (sorted by ``file``, no duplicates) and what was passed over."""

    recordings: list[FoundRecording]
    skipped_csv: list[str]
    bids_copies: list[str] = field(default_factory=list)  # notes on BIDS entries left out as copies


def _is_session_dir(path: Path) -> bool:
    return (path / SESSION_MARKER).is_file()


def _inside_session(path: Path) -> bool:
    return any(_is_session_dir(parent) for parent in path.parents)


def _csv_has_imu_header(path: Path) -> bool:
    try:
        with open(path, "r", encoding="utf-8", errors="replace") as handle:
            first = handle.readline(4096)
    except OSError:
        return True  # unreadable: let the analysis report why
    return bool(_IMU_HEADER.search(first.strip().lower()))


def _entities(relative: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for key, value in _ENTITY.findall(relative.replace(os.sep, "/")):
        found.setdefault(key, value)
    return found


def _bids_root(path: Path) -> Path | None:
    for parent in path.parents:
        if (parent / BIDS_DESCRIPTION).is_file():
            return parent
    return None


def _bids_study(root: Path | None, fallback: str) -> str:
    if root is None:
        return fallback
    try:
        name = load_json(root / BIDS_DESCRIPTION, "dataset description").get("Name")
    except (OSError, ValueError):
        name = None
    return str(name) if name else root.resolve().name


def _session_participant(path: Path) -> str:
    try:
        participant = load_json(path / SESSION_MARKER, "session metadata").get("participant")
    except (OSError, ValueError):
        return ""  # the analysis reports a broken session.json
    return "" if participant is None else str(participant)


def _describe(path: Path, root: Path, kind: str) -> FoundRecording:
    study = root.resolve().name
    try:
        relative = str(path.resolve().relative_to(root.resolve()))
    except ValueError:
        relative = path.name
    if kind == "session":
        subject, session, task = _session_participant(path), path.name, ""
    elif kind == "bids":
        entities = _entities(path.name)
        subject, session, task = entities.get("sub", ""), entities.get("ses", ""), entities.get("task", "")
        study = _bids_study(_bids_root(path.resolve()), study)
    else:
        entities = _entities(relative)
        if "sub" in entities:
            subject, session = entities["sub"], entities.get("ses", "")
        else:
            folders = Path(relative).parts[:-1]
            subject = folders[0] if folders else ""
            session = entities.get("ses", folders[1] if len(folders) > 1 else "")
        task = entities.get("task", "")
    return FoundRecording(file=str(path), path=str(path.resolve()), kind=kind, study=study,
                          subject=subject, session=session, task=task)


def _classify(path: Path, explicit: bool, skipped: list[str]) -> str | None:
    """Kind of recording at ``path``, or None when it is not one (never opening anything but
    a regular file: a FIFO named x.csv would block discovery for ever)."""
    if path.is_dir():
        return "session" if _is_session_dir(path) else None
    try:
        regular = stat.S_ISREG(os.stat(path).st_mode)
    except OSError:
        regular = False
    if not regular:
        if explicit:
            raise HingeInputError(f"{path}: not a regular file (a FIFO, a device or a broken link); "
                                  "name a recording file")
        return None
    name = path.name.lower()
    if name.endswith(BIDS_SUFFIX):
        return None if not explicit and _is_upper_sensor(path) else "bids"
    if name.endswith(".csv"):
        if explicit or _csv_has_imu_header(path):
            return "csv"
        skipped.append(str(path))
    return None


def _is_upper_sensor(path: Path) -> bool:
    """Whether a *_motion.tsv is the upper sensor of a two-sensor recording, read with the
    lower sensor's file (hinge.recordings.bids_pair), so not a recording of its own."""
    from hinge.recordings.bids_pair import lower_sibling, upper_sibling

    try:
        lower = lower_sibling(path)
        return lower is not None and upper_sibling(lower) == path
    except HingeInputError:
        return False  # the lower sensor's file reports what is wrong


def _walk(root: Path, skipped: list[str]) -> list[Path]:
    """Recordings below ``root``, not descending into session directories or hidden folders."""
    found = []
    for here, dirs, files in os.walk(root):
        here_path = Path(here)
        if _is_session_dir(here_path):
            found.append(here_path)
            dirs[:] = []
            continue
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            path = here_path / name
            if _classify(path, explicit=False, skipped=skipped) is not None:
                found.append(path)
    return found


def _glob_root(pattern: str) -> Path:
    parts = Path(pattern).parts
    fixed = []
    for part in parts:
        if glob.has_magic(part):
            break
        fixed.append(part)
    return Path(*fixed) if fixed else Path(".")


def _match_parts(parts: tuple[str, ...], patterns: tuple[str, ...]) -> bool:
    """Glob matching of path parts, "**" standing for any number of folders."""
    if not patterns:
        return not parts
    if patterns[0] == "**":
        return _match_parts(parts, patterns[1:]) or (bool(parts) and _match_parts(parts[1:], patterns))
    return bool(parts) and fnmatch.fnmatchcase(parts[0], patterns[0]) and _match_parts(parts[1:], patterns[1:])


def _glob_no_links(pattern: str) -> list[str]:
    """Paths matching ``pattern`` ("**" recurses), found without following symbolic links to
    folders: a link loop would make glob's own recursion run for minutes. Hidden names
    match only a pattern part that starts with a dot, as in glob."""
    if "**" not in pattern:
        return glob.glob(pattern)
    root = _glob_root(pattern)
    wanted = Path(pattern).parts[len(root.parts):] if str(root) != "." or pattern.startswith(".") \
        else Path(pattern).parts
    out = []
    for here, dirs, files in os.walk(root, followlinks=False):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        relative = Path(here).relative_to(root).parts
        for name in [*dirs, *sorted(files)]:
            if name.startswith(".") and not any(p.startswith(".") for p in wanted):
                continue
            if _match_parts((*relative, name), tuple(wanted)):
                out.append(str(Path(here) / name))
    return out


def discover(arguments: list[str]) -> Discovery:
    """Recordings named by directories, files or glob patterns (``**`` recurses).

    Raises:
        HingeInputError: an argument matches nothing, or nothing at all is a recording.
    """
    by_path: dict[str, FoundRecording] = {}
    skipped: list[str] = []
    for argument in arguments:
        literal = Path(argument)
        if literal.exists():
            candidates = [(literal, True)]
            root = literal if literal.is_dir() else literal.parent
        elif glob.has_magic(argument):
            matches = sorted(_glob_no_links(argument))
            if not matches:
                raise HingeInputError(f"{argument}: the pattern matches no file or directory")
            # A session's own files (its truth.csv, annotations.tsv) are never recordings.
            candidates = [(Path(match), False) for match in matches if not _inside_session(Path(match))]
            root = _glob_root(argument)
        else:
            raise HingeInputError(f"{argument}: no such file or directory; check the path (a folder, a file "
                                  "or a quoted glob such as 'study/**/*.csv')")
        for candidate, explicit in candidates:
            if candidate.is_dir() and not _is_session_dir(candidate):
                paths = [(p, _classify(p, False, [])) for p in _walk(candidate, skipped)]
                walk_root = candidate if explicit else root
            else:
                kind = _classify(candidate, explicit, skipped)
                if kind is None and explicit:
                    raise HingeInputError(f"{candidate}: not a recording (expected a .csv file, a *_motion.tsv "
                                          "BIDS file or a session directory)")
                paths, walk_root = [(candidate, kind)], root
            for path, kind in paths:
                if kind is None:
                    continue
                key = os.path.realpath(path)
                if key not in by_path:  # the same recording named twice is analysed once
                    by_path[key] = _describe(path, walk_root, kind)
    if not by_path:
        raise HingeInputError(f"{' '.join(arguments)}: no recordings found (expected .csv files, *_motion.tsv BIDS "
                              "files or session directories)")
    copies = _bids_copies_of_found_sessions(list(by_path.values()))
    recordings = sorted((r for r in by_path.values() if r.path not in copies), key=lambda r: (r.file, r.path))
    return Discovery(recordings=recordings, skipped_csv=sorted(set(skipped)), bids_copies=sorted(copies.values()))


def _bids_copies_of_found_sessions(found: list[FoundRecording]) -> dict[str, str]:
    """{path of a BIDS entry: note} for entries exported from a session also found: the same
    recording, counted once (as the session, which holds the raw data)."""
    from hinge.bids_export import SOURCE_FIELD, session_identity

    sessions = {}
    for r in found:
        if r.kind == "session":
            try:
                created = load_json(Path(r.path) / SESSION_MARKER, "session metadata").get("created_utc")
            except (OSError, ValueError):
                continue
            sessions[session_identity(Path(r.path).name, created)] = r.file
    copies = {}
    for r in found:
        if r.kind != "bids" or not sessions:
            continue
        sidecar = Path(r.path[: -len(BIDS_SUFFIX)] + "_motion.json")
        try:
            source = load_json(sidecar, "BIDS sidecar").get(SOURCE_FIELD)
        except (OSError, ValueError):
            continue
        if isinstance(source, str) and source in sessions:  # a damaged sidecar may hold any JSON value
            copies[r.path] = f"{r.file}: the BIDS copy of session {sessions[source]}, counted once (as the session)"
    return copies
