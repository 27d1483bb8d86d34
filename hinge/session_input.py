"""A session directory as the analysis input (`hinge analyse DIR`): checked like a CSV."""
from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numpy as np

from hinge.analysis.params import PLACEMENTS
from hinge.analysis.resampling import estimate_sample_rate
from hinge.errors import HingeInputError
from hinge.inputs import MAX_FS_HZ, MIN_DURATION_S, MIN_FS_HZ, MIN_ROWS, ImuRecording

from hinge.recordings._files import SAMPLES
from hinge.recordings import read_session

__all__ = ["session_recording"]

# Above this share of half-empty samples a session is refused rather than analysed with gaps.
MAX_INCOMPLETE_FRACTION = 0.05


def session_recording(path: str | os.PathLike) -> tuple[ImuRecording, str | None, str, dict]:
    """(recording, placement from metadata or None, sha256 of samples.bin, metadata).

    Raises HingeInputError (one line) when the session is unreadable, too short, at an
    implausible rate, or names a placement the analysis does not know.
    """
    path = Path(path)
    session = read_session(path)
    n = len(session.t_s)
    if n < MIN_ROWS or session.duration_s < MIN_DURATION_S:
        raise HingeInputError(f"{path}: too few samples: {n} samples, {session.duration_s:.2f} s "
                              f"(need >= {MIN_ROWS} samples and >= {MIN_DURATION_S:.0f} s)")
    fs_hz = float(estimate_sample_rate(session.t_s))
    if not MIN_FS_HZ <= fs_hz <= MAX_FS_HZ:
        raise HingeInputError(f"{path}: sample rate {fs_hz:.4g} Hz is outside {MIN_FS_HZ:.0f}-{MAX_FS_HZ:.0f} Hz")
    notes = list(session.warnings)
    keep = np.ones(n, bool)
    for values, what in ((session.acc_mps2, "accelerometer"), (session.gyr_rad_s, "gyroscope")):
        incomplete = ~np.isfinite(values).all(axis=1)
        missing = int(incomplete.sum())
        if missing > MAX_INCOMPLETE_FRACTION * n:
            raise HingeInputError(f"{path}: {missing} of {n} samples have no {what} values (NaN); "
                                  "the analysis needs both accelerometer and gyroscope")
        if missing:
            # A lost frame of one stream (e.g. a Polar gyro frame) leaves its samples half
            # empty; they are analysed as a gap, like a lost packet, not guessed.
            notes.append(f"{path}: {missing} samples without {what} values analysed as gaps")
        keep &= ~incomplete
    placement = session.placement
    if placement is not None and placement not in PLACEMENTS:
        raise HingeInputError(f"{path}: placement '{placement}' in session.json is not one of "
                              f"{', '.join(PLACEMENTS)}; pass --placement")
    bad = session.annotations[session.annotations["description"].astype(str).str.startswith("BAD_")]
    if len(bad):
        notes.append(f"{path}: {len(bad)} BAD_ annotation(s) ({', '.join(sorted(set(bad['description'])))}), "
                     f"{bad['duration_s'].sum():.2f} s in all")
    recording = ImuRecording(t_s=session.t_s[keep], acc_mps2=session.acc_mps2[keep],
                             gyr_rad_s=session.gyr_rad_s[keep], saturated=session.saturated()[keep], fs_hz=fs_hz,
                             warnings=tuple(notes), source=str(path))
    digest = hashlib.sha256((path / SAMPLES).read_bytes()).hexdigest()
    return recording, placement, digest, session.metadata
