"""`hinge export --bids`: a recording and its bends as a BIDS-Motion dataset entry.

The glue between the layers: the recording is read and analysed here (hinge.recordings.load,
the pipeline), the bends become an events table, and hinge.recordings.bids writes the files.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd

from hinge.analysis.bend_table import bids_bend_events, bids_event_columns
from hinge.analysis.provenance import HINGE_VERSION
from hinge.errors import HingeInputError
from hinge.api import analyse_loaded
from hinge.recordings import CALIBRATION_ANNOTATION
from hinge.recordings.load import load_recording
from hinge.recordings.bids import MotionEntry, check_label, write_motion_entry

__all__ = ["ExportResult", "export_bids", "event_columns", "ANNOTATION_LEVELS"]

# Manufacturer per device profile (firmware_protocol/DEVICES.md).
MANUFACTURERS = {"hinge_open": "DIY (hinge open profile firmware)", "witmotion": "WitMotion",
                 "polar_verity": "Polar Electro", "polar_h10": "Polar Electro", "movesense": "Movesense"}
PLACEMENT_TEXT = {"sacrum": "sacrum (S1-S2 midline)", "L5": "L5 spinous process", "L4": "L4 spinous process",
                  "L3": "L3 spinous process"}
TRACKED_POINT = "LowerBack"

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
    """What `export_bids` wrote: the entry's paths, the number of bends and of BAD_ events."""

    paths: dict[str, Path]
    n_bends: int
    n_bad: int
    placement: str


def _annotation_events(annotations: pd.DataFrame) -> pd.DataFrame:
    """The session's BAD_ stretches and its guided calibration (`hinge live`), as events."""
    kinds = annotations["description"].astype(str)
    bad = annotations[kinds.str.startswith("BAD_") | (kinds == CALIBRATION_ANNOTATION)]
    return pd.DataFrame({"onset_s": bad["onset_s"].astype(float).to_numpy(),
                         "duration_s": bad["duration_s"].astype(float).to_numpy(),
                         "trial_type": bad["description"].astype(str).to_numpy()})


def _acq_time(metadata: dict) -> str | None:
    """BIDS datetime (YYYY-MM-DDThh:mm:ss.000000Z) of the session's wall-clock start (created_utc)."""
    text = metadata.get("created_utc")
    if not text:
        return None
    try:
        when = datetime.fromisoformat(str(text))
    except ValueError:
        return None
    if when.tzinfo is not None:
        when = when.astimezone(timezone.utc)
    return when.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


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


def export_bids(source: str | os.PathLike, root: str | os.PathLike, subject: str, session: str | None = None,
                task: str = "bending", placement: str | None = None, force: bool = False) -> ExportResult:
    """Analyse ``source`` (session directory or any file `load_recording` reads) and write it
    with one event per bend into the BIDS dataset at ``root`` (created if missing).

    Raises:
        HingeInputError: unreadable source, bad labels, an existing entry without ``force``.
    """
    for label, what in ((subject, "subject"), (task, "task")):
        check_label(label, what)
    if session is not None:
        check_label(session, "session")
    loaded = load_recording(source, placement=placement)
    if loaded.kind == "bids":
        raise HingeInputError(f"{source}: is already a BIDS recording; copy its entry instead of exporting it")
    placement = loaded.placement
    result = analyse_loaded(loaded)
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
    paths = write_motion_entry(root, entry, subject, session, task, acq_time=_acq_time(metadata),
                               generated_by=generated_by, force=force)
    n_bad = int(events["trial_type"].astype(str).str.startswith("BAD_").sum())
    return ExportResult(paths=paths, n_bends=len(result.bends), n_bad=n_bad, placement=placement)


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
