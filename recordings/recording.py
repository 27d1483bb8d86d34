"""A checked recording, as every reader hands it to the analysis (the readers' contract)."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ._annotations import empty_annotations

__all__ = ["ImuRecording", "LoadedRecording"]


@dataclass(frozen=True)
class ImuRecording:
    """One checked recording in SI units.

    Attributes:
        t_s: (N,) float64 strictly increasing sample times, s, on the sensor's own clock.
        acc_mps2: (N, 3) specific force in sensor axes, m/s^2.
        gyr_rad_s: (N, 3) angular rate in sensor axes, rad/s.
        saturated: (N,) bool, True where any channel sits at a clipped plateau.
        fs_hz: sample rate estimated from the median sample interval, Hz.
        warnings: one-line warnings (ignored columns, saturation, gaps).
        source: the path the recording was read from.
    """

    t_s: np.ndarray
    acc_mps2: np.ndarray
    gyr_rad_s: np.ndarray
    saturated: np.ndarray
    fs_hz: float
    warnings: tuple[str, ...]
    source: str

    @property
    def duration_s(self) -> float:
        """Time from the first to the last sample, s."""
        return float(self.t_s[-1] - self.t_s[0]) if len(self.t_s) else 0.0


@dataclass(frozen=True)
class LoadedRecording:
    """A checked recording and everything read with it, read once (`load.load_recording`).

    Attributes:
        path: what was read (a CSV file, "-", a session directory, a ``*_motion.tsv``).
        kind: "csv", "session" or "bids".
        recording: the samples, checked.
        placement: the sensor site to analyse at, one of `placements.PLACEMENTS`: the
            caller's, else the recording's metadata, else `placements.DEFAULT_PLACEMENT`.
        sha256: hex digest of the sample data as stored (the CSV, samples.bin, the motion file).
        metadata: the format's own metadata (session.json, the BIDS `_motion.json`; {} for CSV).
        annotations: (onset_s, duration_s, description) on the samples' timebase, s: a
            session's annotations.tsv, a BIDS entry's events (trial_type as description,
            an n/a duration as NaN); empty for a CSV.
        calibration_window_s: (onset_s, duration_s) of the last guided calibration
            (annotation ``calibration``, written by `hinge live`), or None.
        height_m: the participant's body height stored with the recording (session.json
            ``height_m``, checked by `schema`), m, or None when the recording has none.
        upper: the second sensor's samples, checked, when the recording has two sensors
            (one above the lumbar spine), else None. Then `recording.t_s` and `upper.t_s`
            are on one shared time base (s) and the annotations are on it too.
        upper_placement: the second sensor's site, one of `placements.UPPER_PLACEMENTS`,
            or None for one sensor.
    """

    path: Path
    kind: str
    recording: ImuRecording
    placement: str
    sha256: str
    metadata: dict = field(default_factory=dict)
    annotations: pd.DataFrame = field(default_factory=empty_annotations)
    calibration_window_s: tuple[float, float] | None = None
    height_m: float | None = None
    upper: ImuRecording | None = None
    upper_placement: str | None = None
