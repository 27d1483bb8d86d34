"""`read_session`: load a session directory into arrays, an annotation table and metadata."""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from hinge.errors import HingeInputError

from ._annotations import SATURATION_PREFIX, parse_annotations, stretch_mask
from ._files import ANNOTATIONS, FORMAT_NAME, FORMAT_VERSION, METADATA, RAW, SAMPLES, SENSORS_KEY
from ._samplesfile import scan_samples
from .schema import check_session_metadata, load_json

__all__ = ["Session", "read_session", "read_metadata"]


@dataclass(frozen=True)
class Session:
    """One session, in SI units.

    t_s: (N,) float64 strictly increasing sample times, s (sensor clock, or host time
        for devices without one; see metadata["timebase"]).
    acc_mps2: (N, 3) float64 specific force, sensor axes, m/s^2 (NaN where the device sent none).
    gyr_rad_s: (N, 3) float64 angular rate, sensor axes, rad/s (NaN where the device sent
        none, e.g. a Polar H10 has no gyroscope).
    annotations: DataFrame with columns onset_s, duration_s (s) and description.
    metadata: the session.json document.
    warnings: one-line notes (e.g. an unfinished session read up to its last valid block).
    """

    path: Path
    t_s: np.ndarray
    acc_mps2: np.ndarray
    gyr_rad_s: np.ndarray
    annotations: pd.DataFrame
    metadata: dict
    warnings: tuple[str, ...] = field(default=())

    @property
    def status(self) -> str:
        """"recording" (unfinished: live or interrupted), "closed" or "recovered"."""
        return str(self.metadata.get("status", "recording"))

    @property
    def placement(self) -> str | None:
        return self.metadata.get("placement")

    @property
    def duration_s(self) -> float:
        return float(self.t_s[-1] - self.t_s[0]) if len(self.t_s) else 0.0

    def host_t_s(self) -> np.ndarray | None:
        """(N,) the sample times on the host's monotonic clock, s: ``t_s`` corrected for the
        device clock's drift and offset by the recorder's fit (``acquisition.clock_fit``:
        host_s = host_offset_s + scale * t_s); None when the session has no fit (FORMAT.md, "Time")."""
        fit = (self.metadata.get("acquisition") or {}).get("clock_fit")
        if not fit:
            return None
        return float(fit["host_offset_s"]) + float(fit["scale"]) * self.t_s

    def saturated(self) -> np.ndarray:
        """(N,) bool: samples inside a BAD_saturation annotation."""
        return stretch_mask(self.t_s, self.annotations, SATURATION_PREFIX)


def _fail(path, problem: str) -> HingeInputError:
    return HingeInputError(f"{path}: {problem}")


def is_pair_session(metadata: dict) -> bool:
    """True when a session.json describes a multi-sensor session (it lists ``sensors``)."""
    return isinstance(metadata.get(SENSORS_KEY), list)


def read_metadata(path: str | os.PathLike) -> dict:
    """session.json of the session directory ``path``, checked; HingeInputError if unusable."""
    path = Path(path)
    if not path.exists():
        raise _fail(path, "session directory not found; check the path")
    if not path.is_dir():
        raise _fail(path, "is not a session directory (a hinge session is a folder holding session.json)")
    meta_path = path / METADATA
    if not meta_path.is_file():
        raise _fail(path, f"is a directory without {METADATA}, so not a hinge session (expected {METADATA}, "
                          f"{SAMPLES}, {RAW}, {ANNOTATIONS}); pass a CSV file or a session directory")
    document = load_json(meta_path, "session metadata")
    if document.get("format") != FORMAT_NAME:
        raise _fail(meta_path, f"'format' is not '{FORMAT_NAME}'; not a hinge session")
    version = document.get("format_version")
    if version != FORMAT_VERSION:
        raise _fail(meta_path, f"format_version {version!r} is not supported (this hinge reads {FORMAT_VERSION}); "
                               "update hinge")
    return check_session_metadata(document, meta_path)


def read_session(path: str | os.PathLike) -> Session:
    """Read a session directory.

    A session still marked "recording" (live, or its recorder was interrupted) is read
    up to its last valid block, with a warning; in a closed or recovered session any
    damage is an error. Raises HingeInputError (one line naming the file, the problem
    and the fix) for missing or damaged files.
    """
    path = Path(path)
    meta = read_metadata(path)
    if is_pair_session(meta):
        raise _fail(path, "is a two-sensor session (one folder per sensor); read it with "
                          "hinge.recordings.load_recording or read_pair, or one sensor's folder with read_session")
    unfinished = meta.get("status", "recording") == "recording"
    notes: list[str] = []
    if unfinished:
        notes.append(f"{path}: session was not closed (recorder still running or interrupted); "
                     f"after a crash run `hinge recover {path}`")

    samples_path = path / SAMPLES
    if not samples_path.is_file():
        hint = f"; run `hinge recover {path}` to rebuild it from {RAW}" if (path / RAW).is_file() else ""
        raise _fail(samples_path, f"file not found{hint}")
    t_s, acc, gyr, scan = scan_samples(samples_path.read_bytes())
    if scan.problem is not None:
        if scan.valid_bytes == 0 or not unfinished:
            raise _fail(samples_path, f"damaged: {scan.problem}; run `hinge recover {path}`")
        notes.append(f"{samples_path}: read {len(t_s)} samples; the unfinished tail is cut ({scan.problem})")
    if len(t_s) > 1:
        dt = np.diff(t_s)
        bad = np.flatnonzero(~(dt > 0))
        if bad.size:
            i = int(bad[0]) + 1
            raise _fail(samples_path, f"time does not increase at sample {i} ({t_s[i - 1]:.6f} s then {t_s[i]:.6f} s)")

    ann_path = path / ANNOTATIONS
    if ann_path.is_file():
        try:
            text = ann_path.read_bytes().decode("utf-8")
        except UnicodeDecodeError:
            raise _fail(ann_path, f"is not UTF-8 text; run `hinge recover {path}`") from None
        annotations, _, problem = parse_annotations(text)
        if problem is not None:
            if not unfinished:
                raise _fail(ann_path, f"damaged: {problem}; run `hinge recover {path}`")
            notes.append(f"{ann_path}: {problem}; ignored from there on")
    else:
        raise _fail(ann_path, f"file not found; run `hinge recover {path}` to recreate it")
    return Session(path=path, t_s=t_s, acc_mps2=acc, gyr_rad_s=gyr, annotations=annotations,
                   metadata=meta, warnings=tuple(notes))
