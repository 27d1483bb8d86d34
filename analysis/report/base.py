"""The report's input contract: one analysed session, as plain data.

The report modules render only what is in a `ReportSession`; reading files and running
the pipeline happen above this layer (`hinge.reporting`), so everything here is pure
and testable on hand-made tables.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
import pandas as pd

__all__ = ["ReportSession", "HIP_LED", "SPINE_LED", "UNCERTAIN"]

from ..bend_table import bends_summary
from ..bend_verdict import HIP_LED, SPINE_LED, UNCERTAIN  # noqa: F401 - one home for the class names


@dataclass(frozen=True)
class ReportSession:
    """One analysed recording and what is known about it.

    Attributes:
        name: short display name (the session directory or file name).
        source: the path it was read from, as given.
        participant: pseudonymous participant code, or None when the input does not say.
        started_utc: wall-clock start (timezone-aware), or None when unknown (plain CSV).
        device: device name and profile as one string, or None.
        placement: skin site the analysis assumed (sacrum, L5, L4, L3).
        fs_hz: sample rate of the analysis grid, Hz.
        duration_s: length of the recording, s.
        calibration: the pipeline's calibration dict (units in its keys; ``ok`` bool).
        warnings: one-line warnings about the recording.
        bends: one row per bend (analysis.bend_table.BEND_SCHEMA), index bend_id from 1.
        dropped: movements that were not bends (start_s, end_s, reason).
        t_s: (N,) analysis time grid, s, on the input's own time axis.
        pitch_deg: (N,) sagittal pitch of the sensor segment over t_s, deg, flexion positive.
        decision_share: lumbar share (0-1) above which a bend is called spine-led, or None.
        height_m: body height the body model was scaled to, m, or None when not said.
        pair: for two sensors, `hinge.pair_output.pair_summary` (upper_placement,
            offset_ms, offset_spread_ms, offset_n, agreement, ...); bends then also hold
            the `bend_table.PAIR_BEND_SCHEMA` columns. None for one sensor.
        rhythm: for two sensors, per bend_id the lumbopelvic rhythm (t_s, pelvic_deg,
            lumbar_deg), else None.
    """

    name: str
    source: str
    participant: str | None
    started_utc: datetime | None
    device: str | None
    placement: str
    fs_hz: float
    duration_s: float
    calibration: dict
    warnings: tuple[str, ...]
    bends: pd.DataFrame
    dropped: pd.DataFrame
    t_s: np.ndarray = field(repr=False)
    pitch_deg: np.ndarray = field(repr=False)
    decision_share: float | None = None
    height_m: float | None = None
    pair: dict | None = None
    rhythm: dict | None = field(default=None, repr=False)

    @property
    def n_bends(self) -> int:
        return int(len(self.bends))

    @property
    def summary(self) -> dict:
        """`bend_table.set_summary` of the bends (n_bends, n_hip_led, ..., mean_score)."""
        return bends_summary(self.bends)

    @property
    def n_hip_led(self) -> int:
        return self.summary["n_hip_led"]

    @property
    def hip_led_pct(self) -> float:
        """Share of bends classed hip-led, %; NaN without bends."""
        return self.summary["hip_led_pct"]

    @property
    def mean_score(self) -> float:
        """Mean hinge score of the bends, points out of 100; NaN without bends."""
        return self.summary["mean_score"]
