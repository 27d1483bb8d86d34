"""Analyse one recording of a batch: a picklable job that never raises.

`analyse_job` runs in whatever process the runner chose (this one, a local worker process
or a Dask worker) and returns plain Python rows, so the results travel cheaply and the
tables come out the same whichever backend computed them.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass, field

from hinge import __version__
from hinge.batch_discovery import FoundRecording
from hinge.errors import HingeInputError

__all__ = ["BatchJob", "JobResult", "analyse_job", "failed_result", "LIST_SEPARATOR"]

# reasons, flags and warnings are lists; in a tidy table they are one text cell.
# The reasons themselves contain ":" and ",", never " | ".
LIST_SEPARATOR = " | "
# Microseconds are finer than any IMU clock; more digits are float noise (as `analyse --json`).
TIME_DECIMALS = 6
_NUMERIC_EXTRAS = ("sensor_pitch_deg", "hip_shift_m", "sensor_dx_m", "sensor_dz_m",
                   "pitch_t50_fraction", "pelvic_lag_s", "peak_rate_deg_s")


@dataclass(frozen=True)
class BatchJob:
    """One recording and how to analyse it (``placement`` None: its metadata, else sacrum)."""

    recording: FoundRecording
    placement: str | None = None


@dataclass
class JobResult:
    """``bends``: one dict per bend; ``summary``: one dict; ``error``: one line or None."""

    bends: list[dict] = field(default_factory=list)
    summary: dict = field(default_factory=dict)
    error: str | None = None


def _identity(recording: FoundRecording) -> dict:
    return {"study": recording.study, "subject": recording.subject, "session": recording.session,
            "task": recording.task, "file": recording.file, "kind": recording.kind}


def _float(value) -> float:
    value = float(value)
    return value if math.isfinite(value) else math.nan


def _joined(cell) -> str:
    if cell is None or (isinstance(cell, float) and math.isnan(cell)):
        return ""
    return LIST_SEPARATOR.join(str(item) for item in cell)


def failed_result(job: BatchJob, error: str) -> JobResult:
    """The result of a recording that could not be analysed: a summary row, no bends."""
    summary = {**_identity(job.recording), "status": "failed", "error": error, "n_bends": 0, "n_hip_led": 0,
               "n_spine_led": 0, "mean_score": math.nan, "duration_s": math.nan, "fs_hz": math.nan,
               "n_samples": 0, "placement": job.placement or "", "warnings": "", "sha256": "",
               "hinge_version": __version__, "params": ""}
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


def _analyse(job: BatchJob) -> JobResult:
    from hinge.api import analyse_loaded
    from hinge.recordings.load import load_recording

    loaded = load_recording(job.recording.path, placement=job.placement)
    result = analyse_loaded(loaded)
    params = result.params.as_dict()
    # The placement actually used is inside params; sort_keys makes the text reproducible.
    params_text = json.dumps(params, sort_keys=True)
    warnings = LIST_SEPARATOR.join(" ".join(str(w).split()) for w in result.warnings)
    identity = _identity(job.recording)
    provenance = {"placement": params["placement"], "input_sha256": loaded.sha256, "hinge_version": __version__,
                  "params": params_text}
    bends = []
    for bend_index, row in zip(result.bends.index, result.bends.itertuples(index=False)):
        bend = {**identity, "bend_index": int(bend_index),
                "start_s": round(float(row.start_s), TIME_DECIMALS), "peak_s": round(float(row.peak_s), TIME_DECIMALS),
                "end_s": round(float(row.end_s), TIME_DECIMALS), "label": str(row.label),
                "score": _float(row.score), "lumbar_share": _float(row.lumbar_share),
                "depth_deg": _float(row.depth_deg), "confidence": _float(row.confidence),
                "reasons": _joined(row.reasons), "flags": _joined(row.flags), "warnings": warnings}
        bend.update({name: _float(getattr(row, name)) for name in _NUMERIC_EXTRAS})
        bend.update(provenance)
        bends.append(bend)
    labels = [bend["label"] for bend in bends]
    scores = [bend["score"] for bend in bends]
    recording = loaded.recording
    summary = {**identity, "status": "ok", "error": "", "n_bends": len(bends),
               "n_hip_led": labels.count("hip-led"), "n_spine_led": labels.count("spine-led"),
               "n_uncertain": labels.count("uncertain"),
               "mean_score": sum(scores) / len(scores) if scores else math.nan,
               "duration_s": round(float(recording.duration_s), TIME_DECIMALS),
               "fs_hz": round(float(recording.fs_hz), TIME_DECIMALS), "n_samples": int(len(recording.t_s)),
               "placement": params["placement"], "warnings": warnings, "sha256": loaded.sha256,
               "hinge_version": __version__, "params": params_text}
    return JobResult(bends=bends, summary=summary, error=None)

