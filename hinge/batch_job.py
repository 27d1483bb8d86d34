"""Analyse one recording of a batch: a picklable job that never raises.

`analyse_job` runs in whatever process the runner chose (this one, a local worker process
or a Dask worker) and returns plain Python rows, so the results travel cheaply and the
tables come out the same whichever backend computed them.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

from hinge.batch_discovery import FoundRecording
from hinge.errors import HingeInputError

__all__ = ["BatchJob", "JobResult", "analyse_job", "failed_result"]


@dataclass(frozen=True)
class BatchJob:
    """One recording and how to analyse it (``placement`` None: its metadata, else sacrum;
    ``acc_unit``/``gyro_unit``: a CSV's units; ``height_m``: body height, m, None: the
    session's stored one, else the default)."""

    recording: FoundRecording
    placement: str | None = None
    acc_unit: str = "m/s2"
    gyro_unit: str = "rad/s"
    height_m: float | None = None


@dataclass
class JobResult:
    """``bends``: one dict per bend; ``summary``: one dict; ``error``: one line or None."""

    bends: list[dict] = field(default_factory=list)
    summary: dict = field(default_factory=dict)
    error: str | None = None


def _identity(recording: FoundRecording) -> dict:
    return {"study": recording.study, "subject": recording.subject, "session": recording.session,
            "task": recording.task, "file": recording.file, "kind": recording.kind}


def failed_result(job: BatchJob, error: str) -> JobResult:
    """The result of a recording that could not be analysed: a summary row, no bends."""
    from hinge.analysis.bend_table import set_summary
    from hinge.analysis.provenance import HINGE_VERSION

    summary = {**_identity(job.recording), "session_start_utc": "", "status": "failed", "error": error,
               **set_summary([], []), "duration_s": math.nan, "fs_hz": math.nan, "n_samples": 0,
               "placement": job.placement or "", "warnings": "", "input_sha256": "",
               "hinge_version": HINGE_VERSION, "params": ""}
    return JobResult(bends=[], summary=summary, error=error)


def analyse_job(job: BatchJob) -> JobResult:
    """Load and analyse one recording; any failure becomes a one-line ``error``, never an exception."""
    try:
        return _analyse(job)
    except HingeInputError as error:
        return failed_result(job, _as_found(job, str(error)))
    except Exception as error:  # noqa: BLE001 - one bad file must never end the batch
        text = _as_found(job, str(error)) or "no message"
        return failed_result(job, f"{job.recording.file}: {type(error).__name__}: {text}")


def _as_found(job: BatchJob, message: str) -> str:
    # Jobs open absolute paths (workers may run elsewhere); messages name the file as found.
    return " ".join(message.replace(job.recording.path, job.recording.file).split())


def _context(loaded) -> dict:
    """session_start_utc (ISO 8601, "" when unknown) and, for a BIDS entry, the
    participants.tsv columns of its subject (prefixed `batch_tables.PARTICIPANT_PREFIX`)."""
    from pathlib import Path

    from hinge.batch_tables import PARTICIPANT_PREFIX
    from hinge.recordings.recording_context import bids_participant, recording_started_utc

    started = recording_started_utc(loaded)
    context = {"session_start_utc": started.isoformat() if started is not None else ""}
    if loaded.kind == "bids":
        context.update({PARTICIPANT_PREFIX + k: v for k, v in bids_participant(Path(loaded.path)).items()})
    return context


def _analyse(job: BatchJob) -> JobResult:
    from hinge.analysis.bend_table import (BEND_SCHEMA, LIST_SEPARATOR, PAIR_BEND_SCHEMA, TIME_DECIMALS,
                                           bends_summary, flat_bend_rows)
    from hinge.analysis.provenance import flat_provenance
    from hinge.api import analyse_with_pair
    from hinge.recordings.load import load_recording

    loaded = load_recording(job.recording.path, acc_unit=job.acc_unit, gyro_unit=job.gyro_unit,
                            placement=job.placement)
    result, pair = analyse_with_pair(loaded, height_m=job.height_m)
    # Two sensors: the bends gain the measured columns (one sensor: the table leaves them empty).
    rows = flat_bend_rows(result.bends) if pair is None else flat_bend_rows(pair.bends, BEND_SCHEMA + PAIR_BEND_SCHEMA)
    params = result.params.as_dict()
    warnings = LIST_SEPARATOR.join(" ".join(str(w).split())
                                   for w in [*result.warnings, *(pair.warnings if pair is not None else [])])
    identity = {**_identity(job.recording), **_context(loaded)}
    # The placement actually used is inside params, and is a column of its own too.
    provenance = {"placement": params["placement"], **flat_provenance(params, loaded.sha256)}
    bends = [{**identity, **row, "warnings": warnings, **provenance} for row in rows]
    recording = loaded.recording
    summary = {**identity, "status": "ok", "error": "", **bends_summary(result.bends),
               "duration_s": round(float(recording.duration_s), TIME_DECIMALS),
               "fs_hz": round(float(recording.fs_hz), TIME_DECIMALS), "n_samples": int(len(recording.t_s)),
               **_pair_summary(pair), "warnings": warnings, **provenance}
    return JobResult(bends=bends, summary=summary, error=None)


def _pair_summary(pair) -> dict:
    """The recordings table's two-sensor columns: the upper site, how many bends both sensors
    classed, how often the one-sensor class agreed (%), and the residual offset between the
    sensors (ms); empty (NaN, "") for one sensor."""
    if pair is None:
        return {"upper_placement": "", "two_sensor_bends": math.nan, "one_sensor_agreement_pct": math.nan,
                "sensor_offset_ms": math.nan}
    agreement = pair.agreement
    share = agreement.get("share_agreeing")
    return {"upper_placement": pair.upper_placement,
            "two_sensor_bends": int(agreement.get("n_bends", 0)),
            "one_sensor_agreement_pct": round(100.0 * share, 1) if share is not None else math.nan,
            "sensor_offset_ms": round(float(pair.offset_ms), 2)}
