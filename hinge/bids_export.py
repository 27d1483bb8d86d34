"""`hinge export --bids`: a recording and its bends as a BIDS-Motion dataset entry.

The glue between the layers: the recording is read and analysed here (hinge.recordings.load,
the pipeline), the bends become an events table, and hinge.recordings.bids writes the files.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd

from hinge.analysis.bend_table import bids_bend_events, bids_event_columns
from hinge.analysis.provenance import HINGE_VERSION
from hinge.errors import HingeInputError, HingeWriteError
from hinge.api import analyse_loaded
from hinge.recordings import CALIBRATION_ANNOTATION
from hinge.recordings.load import load_recording
from hinge.recordings.bids import MotionEntry, check_label, write_motion_entry, write_motion_pair
from hinge.recordings.bids_layout import is_label

__all__ = ["ExportResult", "FolderExport", "export_bids", "export_bids_folder", "participant_label", "date_label",
           "event_columns", "ANNOTATION_LEVELS"]

# Manufacturer per device profile (firmware_protocol/DEVICES.md).
MANUFACTURERS = {"hinge_open": "DIY (hinge open profile firmware)", "witmotion": "WitMotion",
                 "polar_verity": "Polar Electro", "polar_h10": "Polar Electro", "movesense": "Movesense"}
PLACEMENT_TEXT = {"sacrum": "sacrum (S1-S2 midline)", "L5": "L5 spinous process", "L4": "L4 spinous process",
                  "L3": "L3 spinous process"}
TRACKED_POINT = "LowerBack"
# A second sensor above the lumbar spine is its own tracking system (hinge.recordings.
# bids_write.write_motion_pair says why) and its own tracked point.
UPPER_TRACKED_POINT = "UpperBack"
TRACKSYS = "imu"


def upper_tracksys(site: str) -> str:
    """The upper sensor's tracking-system label: "imuT12" for T12."""
    return TRACKSYS + site

# The bend columns and the classes come from the bend table's schema
# (hinge.analysis.bend_table: the class is `label` there, trial_type here); these are the
# levels of the recording's own annotations, which become events too.
ANNOTATION_LEVELS = {
    "BAD_gap": "Samples missing (lost packets, recorder interruption).",
    "BAD_reconnect": "The sensor link dropped and was re-established.",
    "BAD_saturation": "A sensor channel sat at its full-scale range.",
    CALIBRATION_ANNOTATION: "Guided calibration of hinge live (quiet standing, then hinges); "
                            "the analysis calibrates the sensor mounting from this stretch.",
}


def event_columns() -> dict:
    """The `_events.json` descriptions: the bend table's columns plus the annotation levels."""
    columns = bids_event_columns()
    columns["trial_type"]["Description"] = ("What the event is: a forward bend as classified by hinge (the "
                                            "`label` of its bend table), or a stretch the recording annotated.")
    columns["trial_type"]["Levels"].update(ANNOTATION_LEVELS)
    return columns


@dataclass(frozen=True)
class ExportResult:
    """What `export_bids` wrote: the entry's paths, the number of bends and of BAD_ events, the
    placement, subject and session labels and the body height (m) analysed at; of a
    two-sensor recording also the upper sensor's site and its tracking system's paths."""

    paths: dict[str, Path]
    n_bends: int
    n_bad: int
    placement: str
    subject: str = ""
    session: str | None = None
    height_m: float | None = None
    upper_placement: str | None = None
    upper_paths: dict[str, Path] | None = None


def _annotation_events(annotations: pd.DataFrame) -> pd.DataFrame:
    """The session's BAD_ stretches and its guided calibration (`hinge live`), as events."""
    kinds = annotations["description"].astype(str)
    bad = annotations[kinds.str.startswith("BAD_") | (kinds == CALIBRATION_ANNOTATION)]
    return pd.DataFrame({"onset_s": bad["onset_s"].astype(float).to_numpy(),
                         "duration_s": bad["duration_s"].astype(float).to_numpy(),
                         "trial_type": bad["description"].astype(str).to_numpy()})


def _acq_time(metadata: dict) -> str | None:
    """BIDS datetime (YYYY-MM-DDThh:mm:ss.000000Z) of the session's wall-clock start (created_utc)."""
    when = _utc(metadata.get("created_utc"))
    return None if when is None else when.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _sidecar(metadata: dict, task: str) -> dict:
    device = metadata.get("device") or {}
    profile = metadata.get("profile")
    model = None
    if profile:
        from hinge.firmware_protocol import get_profile

        try:
            model = get_profile(profile).name
        except (KeyError, ValueError):
            model = str(profile)
    name = str(device.get("name") or "IMU")  # whatever type a damaged session.json gives it
    if device.get("simulated"):
        name += " (simulated sensor)"
    return {
        "TaskName": task,
        "TaskDescription": "Forward bends while standing, recorded with one IMU on the lower back.",
        "TrackingSystemName": name,
        "Manufacturer": MANUFACTURERS.get(profile) if profile else None,
        "ManufacturersModelName": model,
        "DeviceSerialNumber": device.get("serial"),
        "SoftwareVersions": metadata.get("firmware"),
    }


def export_bids(source: str | os.PathLike, root: str | os.PathLike, subject: str | None = None,
                session: str | None = None, task: str = "bending", placement: str | None = None,
                force: bool = False, acc_unit: str = "m/s2", gyro_unit: str = "rad/s",
                height_m: float | None = None) -> ExportResult:
    """Analyse ``source`` (session directory or any file `load_recording` reads) and write it
    with one event per bend into the BIDS dataset at ``root`` (created if missing).

    ``subject`` None: the session's ``participant``. ``acc_unit``, ``gyro_unit``: a CSV's
    units (`hinge.recordings.units`). ``height_m``: body height to analyse at, m (None:
    the session's stored height, else the default).

    Raises:
        HingeInputError: unreadable source, bad labels, no subject, an existing entry
            without ``force``.
    """
    check_label(task, "task")
    if subject is not None:
        check_label(subject, "subject")
    if session is not None:
        check_label(session, "session")
    loaded = load_recording(source, acc_unit=acc_unit, gyro_unit=gyro_unit, placement=placement)
    if loaded.kind == "bids":
        raise HingeInputError(f"{source}: is already a BIDS recording; copy its entry instead of exporting it")
    subject = subject if subject is not None else participant_label(loaded)
    placement = loaded.placement
    result = analyse_loaded(loaded, height_m=height_m)
    recording = loaded.recording
    metadata = dict(loaded.metadata)
    # The writer wants onsets on the recording's own time base; peaks are from the first sample.
    bends = bids_bend_events(result.bends, float(recording.t_s[0]))
    events = pd.concat([bends, _annotation_events(loaded.annotations)], ignore_index=True)[list(bends.columns)]
    columns = event_columns()
    levels = columns["trial_type"]["Levels"]
    for kind in sorted(set(events["trial_type"]) - set(levels)):  # e.g. BAD_clock_jump from newer recorders
        levels[kind] = f"A stretch the recorder annotated {kind} (hinge session format, recordings/FORMAT.md)."
    entry = MotionEntry(
        t_s=recording.t_s, acc_mps2=recording.acc_mps2, gyr_rad_s=recording.gyr_rad_s,
        nominal_fs_hz=_nominal_rate(metadata), tracked_point=TRACKED_POINT, placement=placement,
        sidecar={**_sidecar(metadata, task), **source_identity(loaded)}, events=events, event_columns=columns,
    )
    generated_by = {"Name": "hinge", "Version": HINGE_VERSION,
                    "Description": "hinge export --bids: IMU samples as recorded; events are the bends "
                                   "found by hinge analyse (the bend table) and the recording's BAD_ stretches."}
    n_bad = int(events["trial_type"].astype(str).str.startswith("BAD_").sum())
    done = ExportResult(paths={}, n_bends=len(result.bends), n_bad=n_bad, placement=placement,
                        subject=subject, session=session, height_m=float(result.params.height_m))
    # The participant's height as given or stored, never the default the analysis fell back on.
    stored_height_m = height_m if height_m is not None else loaded.height_m
    if loaded.upper is None:
        paths = write_motion_entry(root, entry, subject, session, task, TRACKSYS, acq_time=_acq_time(metadata),
                                   generated_by=generated_by, force=force, height_m=stored_height_m)
        return replace(done, paths=paths)
    site = loaded.upper_placement
    sidecar = entry.sidecar | {"TrackingSystemName": f"{entry.sidecar['TrackingSystemName']} at {site}"}
    upper = MotionEntry(t_s=loaded.upper.t_s, acc_mps2=loaded.upper.acc_mps2, gyr_rad_s=loaded.upper.gyr_rad_s,
                        nominal_fs_hz=_nominal_rate(metadata), tracked_point=UPPER_TRACKED_POINT, placement=site,
                        sidecar=sidecar)
    written = write_motion_pair(root, entry, upper, subject, session, task, TRACKSYS, upper_tracksys(site),
                                acq_time=_acq_time(metadata), force=force, generated_by=generated_by,
                                height_m=stored_height_m)
    return replace(done, paths=written["lower"], upper_placement=site, upper_paths=written["upper"])


def participant_label(loaded) -> str:
    """The BIDS subject label of a recording: its session.json ``participant``; one line if none."""
    participant = loaded.metadata.get("participant") if loaded.kind == "session" else None
    if not participant:
        raise HingeInputError(f"{loaded.path}: the recording names no participant; pass --subject")
    if not is_label(str(participant)):
        suggestion = re.sub(r"[^A-Za-z0-9]", "", str(participant)) or "P01"
        raise HingeInputError(f"{loaded.path}: participant {participant!r} (session.json) is not a BIDS label "
                              f"(letters and digits only); pass --subject, e.g. --subject {suggestion}")
    return str(participant)


def date_label(created_utc) -> str | None:
    """A BIDS session label (letters and digits) from a recording's start, to the minute:
    "2026-11-24T09:30:00+00:00" -> "20261124T0930Z"; None if there is no readable time."""
    when = _utc(created_utc)
    return None if when is None else when.strftime("%Y%m%dT%H%MZ")


def _utc(text) -> datetime | None:
    if not text:
        return None
    try:
        when = datetime.fromisoformat(str(text))
        return when.astimezone(timezone.utc) if when.tzinfo is not None else when
    except (ValueError, OverflowError):  # not ISO 8601, or no time in UTC (year 1 at +01:00)
        return None


# A custom `_motion.json` field naming the hinge session a BIDS entry was exported from, so
# that `hinge batch` over a tree holding both counts the recording once.
SOURCE_FIELD = "HingeSourceSession"


def source_identity(loaded) -> dict:
    """{SOURCE_FIELD: "<session folder> <created_utc>"} for a session source, else {}."""
    if loaded.kind != "session":
        return {}
    return {SOURCE_FIELD: session_identity(Path(loaded.path).name, loaded.metadata.get("created_utc"))}


def session_identity(folder_name: str, created_utc) -> str:
    return f"{folder_name} {created_utc or ''}".strip()


def _nominal_rate(metadata: dict) -> float | None:
    value = metadata.get("nominal_rate_hz")
    return float(value) if isinstance(value, (int, float)) and np.isfinite(value) and value > 0 else None


@dataclass(frozen=True)
class FolderExport:
    """One recording of a folder export: the file as found, and what was written or why not."""

    file: str
    result: ExportResult | None = None
    error: str | None = None


def export_bids_folder(folder: str | os.PathLike, root: str | os.PathLike, subject: str | None = None,
                       session: str | None = None, on_done=None, **options) -> tuple[list[FolderExport], list[str]]:
    """Export every recording found under ``folder`` (`hinge.batch_discovery`: session
    directories and CSV files) into the BIDS dataset at ``root``, each under its own
    participant; a recording that fails is reported and the others go on.

    Each recording's subject is ``subject``, else its participant (a session's
    session.json; a CSV's ``sub-`` folder, as `hinge batch` names it). When a participant
    has several recordings of one task, each gets a ``ses-`` label from its start date
    (`date_label`, e.g. 20261124T0930Z) unless ``session`` is given. BIDS files already
    under ``folder`` (an earlier export) are not exported again.
    ``options``: passed to `export_bids` (task, placement, force, units, height_m).
    ``on_done(FolderExport)`` is called after each recording (for printing as it goes).

    Returns (one FolderExport per recording, in file order; notes on what was left out).

    Raises:
        HingeInputError: nothing under ``folder`` to export (one line).
    """
    from hinge.batch_discovery import discover

    found = discover([str(folder)])
    root_path = Path(root).resolve()
    recordings = [r for r in found.recordings
                  if r.kind != "bids" and root_path not in Path(r.path).parents]
    notes = []
    n_bids = sum(r.kind == "bids" for r in found.recordings)
    if n_bids:
        notes.append(f"{folder}: left out {n_bids} BIDS recording{'s' if n_bids != 1 else ''} "
                     "(already exported; copy the entries instead)")
    if not recordings:
        raise HingeInputError(f"{folder}: no session directories or CSV recordings to export")
    # A session's participant comes from its session.json (export_bids says if it is no
    # label); a CSV's from its sub- folder, when that is a label.
    subjects = {r.file: subject or (r.subject if r.kind == "csv" and is_label(r.subject) else None)
                for r in recordings}
    named = {r.file: subjects[r.file] or r.subject for r in recordings}
    per_subject: dict[str, int] = {}
    for label in named.values():
        per_subject[label] = per_subject.get(label, 0) + 1
    outcomes = []
    for recording in recordings:
        label = session
        if label is None and per_subject[named[recording.file]] > 1:
            label = _session_label(recording)
        try:
            result = export_bids(recording.path, root, subjects[recording.file], session=label, **options)
            outcome = FolderExport(recording.file, result=result)
        except (HingeWriteError, OSError):
            raise  # a full disk ends every export, not this one: the command line says so once
        except HingeInputError as error:
            outcome = FolderExport(recording.file, error=_as_found(recording, str(error)))
        except Exception as error:  # noqa: BLE001 - one bad recording must not end the export (as in batch)
            outcome = FolderExport(recording.file,
                                   error=f"{recording.file}: {type(error).__name__}: {_as_found(recording, str(error))}")
        outcomes.append(outcome)
        if on_done is not None:
            on_done(outcome)
    return outcomes, notes


def _as_found(recording, message: str) -> str:
    return " ".join(message.replace(recording.path, recording.file).split())


def _session_label(recording) -> str | None:
    """A session's start as a BIDS label (`date_label`), else its folder or file name in letters and digits."""
    if recording.kind == "session":
        from hinge.recordings.schema import load_json

        try:
            label = date_label(load_json(Path(recording.path) / "session.json", "session metadata").get("created_utc"))
        except (HingeInputError, OSError):
            label = None  # the export reports a broken session.json
        if label:
            return label
    name = recording.session or Path(recording.file).stem
    return re.sub(r"[^A-Za-z0-9]", "", name) or None
