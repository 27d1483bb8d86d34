"""Two sensors on one person: a lower one (sacrum or L5-L3) and one at T12, one session.

Both are `simulate_session` with the same seed, hence the same person and the same
movements (the body, the movement plan and the sway come from streams the placement does
not touch); the upper one gets a sensor seed of its own (`SessionSpec.sensor_seed`), so
its mounting, sensor errors, lost samples and soft-tissue artefact are its own. Its
samples are put on the lower sensor's clock - the shared time base a recording of two
sensors has after each one's clock fit - plus an optional residual offset and drift.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from ._session import SessionSpec, SimulatedSession, simulate_session

# The upper sensor's default sensor seed: the session seed plus this (any fixed number
# that keeps the two draws apart).
UPPER_SENSOR_SEED_OFFSET = 1_000_003


@dataclass(frozen=True)
class SimulatedPair:
    """A simulated two-sensor recording plus ground truth.

    lower: the lower sensor's session, on its own clock (the shared time base).
    upper: the upper sensor's session with `t_s` (and its truth times) on that base:
        its own clock fitted away, then `offset_s + drift_ppm * 1e-6 * t` added.
    truth: the lower truth (index event_id) plus, per movement, at the peak posture
        (deg, from the pose before it), against two references:
        vertebral (what the spine did, no soft-tissue artefact): true_pelvic_tilt_deg (the
        lower sensor's segment), true_upper_pitch_deg (T12's), true_lumbar_flexion_deg
        (their difference, the relative lumbar angle);
        skin surface (the pitch of the skin at each sensor site, each site's soft-tissue
        gain included: what marker clusters on the skin there measure, the reference of
        optical validations of skin-mounted IMUs): true_skin_pelvic_tilt_deg,
        true_skin_upper_pitch_deg, true_skin_lumbar_flexion_deg (their difference);
        `lumbar_share` is the true share of trunk flexion, `pelvis_lag_s` the pelvis's
        onset after the lumbar spine's, s.
    offset_s: upper stamps minus true time on the lower base at the session start, s.
    drift_ppm: the upper base's rate error against the lower one's, ppm.
    """

    lower: SimulatedSession
    upper: SimulatedSession
    truth: pd.DataFrame
    offset_s: float = 0.0
    drift_ppm: float = 0.0


def simulate_pair(spec: SessionSpec, upper_placement: str = "T12", upper_sensor_seed: int | None = None,
                  offset_s: float = 0.0, drift_ppm: float = 0.0, upper_mounting: str | np.ndarray | None = None
                  ) -> SimulatedPair:
    """Simulate one session seen by two sensors (deterministic for the seeds).

    Args:
        spec: the session and the lower sensor (spec.placement: sacrum, L5, L4 or L3).
        upper_placement: the upper sensor's site.
        upper_sensor_seed: its sensor draws; None: spec.seed + UPPER_SENSOR_SEED_OFFSET.
        offset_s, drift_ppm: residual time offset (s) and rate error (ppm) of the upper
            sensor's stamps on the shared base (0: perfectly aligned).
        upper_mounting: the upper sensor's mounting (as spec.mounting); None: spec.mounting.
    """
    lower = simulate_session(spec)
    seed = spec.seed + UPPER_SENSOR_SEED_OFFSET if upper_sensor_seed is None else upper_sensor_seed
    upper = simulate_session(replace(spec, placement=upper_placement, sensor_seed=seed,
                                     mounting=spec.mounting if upper_mounting is None else upper_mounting))

    def on_lower_base(t_upper_s: np.ndarray) -> np.ndarray:
        """The upper clock's stamps -> true time since the session start -> the lower clock, s.
        (The two share the clock draw, so this is the identity before offset and drift.)"""
        true_s = (np.asarray(t_upper_s, float) - upper.meta["clock_origin_s"]) / (1.0 + upper.clock_ppm * 1e-6)
        return (lower.meta["clock_origin_s"] + true_s * (1.0 + lower.clock_ppm * 1e-6)
                + offset_s + drift_ppm * 1e-6 * true_s)

    upper_truth = upper.truth.copy()
    for column in ("start_s", "peak_s", "end_s"):
        upper_truth[column] = on_lower_base(upper_truth[column].to_numpy())
    upper = replace(upper, t_s=on_lower_base(upper.t_s), truth=upper_truth)
    truth = lower.truth.copy()
    truth["true_pelvic_tilt_deg"] = lower.truth["sensor_pitch_deg"]
    truth["true_upper_pitch_deg"] = upper.truth["sensor_pitch_deg"].to_numpy()
    truth["true_lumbar_flexion_deg"] = truth["true_upper_pitch_deg"] - truth["true_pelvic_tilt_deg"]
    truth["true_skin_pelvic_tilt_deg"] = lower.truth["skin_pitch_deg"]
    truth["true_skin_upper_pitch_deg"] = upper.truth["skin_pitch_deg"].to_numpy()
    truth["true_skin_lumbar_flexion_deg"] = truth["true_skin_upper_pitch_deg"] - truth["true_skin_pelvic_tilt_deg"]
    return SimulatedPair(lower, upper, truth, float(offset_s), float(drift_ppm))
