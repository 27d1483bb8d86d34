"""One bend measured with two sensors: angles, rhythm, timing, class, score and reasons.

Pure, and reading only the samples of the bend's own window (both sensors' raw samples
on the shared time base and their calibrations), so the live path, which has buffered
arrays and one final sacral bend, gets the verdict the offline analysis gives.

Lumbar flexion is the upper sensor's pitch minus the lower one's (the relative angle of
two-sensor systems such as ViMove/dorsaVi, Mjosund et al. 2017, BMC Musculoskelet Disord
18:124); the trunk's flexion is the upper pitch (T12 moves with the thorax, above all
five lumbar levels). A lower sensor above the sacrum (L5-L3) already moves with part of
the lumbar spine; that part is put back with the lumbar level distribution of
`anatomy.LUMBAR_LEVEL_SHARES` (an assumption, stated there).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..anatomy import LUMBAR_LEVEL_SHARES, PLACEMENT_SEGMENT
from ..bend_table import PAIR_BEND_COLUMNS
from ..bend_verdict import ANCHOR_S, HIP_LED, SPINE_LED
from ..calibration import MountingCalibration
from ..coaching import finding_of
from ..params import AnalysisParams
from ..scoring import LAG_NOTE_S, score_bend
from ..strapdown import integrate_window
from ._offset import window_lag_s
from ._sensor import segment_window

# Still time before and after the bend read with it, s: the strapdown anchors (ANCHOR_S)
# need still samples at both ends; the sacral bend starts at its last upright sample.
PAD_S = 0.6
# The class boundary on the measured share: "spine-led" means the lumbar spine did more
# of the bend than the hips - the definition of the class, not a fitted value.
TWO_SENSOR_DECISION_SHARE = 0.5
# The deepest point is the plateau within this fraction of the upper pitch's peak.
PLATEAU_FRACTION = 0.98
# Onset of a movement: the angle passes this fraction of its value at the deepest point;
# an angle smaller than MIN_ONSET_DEG there has no timeable onset.
ONSET_FRACTION = 0.1
MIN_ONSET_DEG = 3.0
RHYTHM_COLUMNS = ["t_s", "pelvic_deg", "lumbar_deg"]
# Missing samples a bend's window may have (interpolated; the strapdown's end anchor takes
# up the angle lost in them), s; beyond, the bend is not measured.
MAX_BRIDGED_GAP_S = 0.5


@dataclass(frozen=True)
class PairedSensor:
    """One sensor's raw samples on the pair's shared time base and its calibration.

    t_s: (N,) strictly increasing, s; acc_mps2, gyr_rad_s: (N, 3) sensor axes, m/s^2, rad/s.
    saturated: (N,) bool, samples with a clipped channel; None: not known (none flagged).
    """

    t_s: np.ndarray
    acc_mps2: np.ndarray
    gyr_rad_s: np.ndarray
    calibration: MountingCalibration
    saturated: np.ndarray | None = None

    def clipped_between(self, first_s: float, last_s: float) -> bool:
        """Whether a sample in [first_s, last_s] (s) has a clipped channel."""
        if self.saturated is None:
            return False
        lo = int(np.searchsorted(self.t_s, first_s, side="left"))
        hi = int(np.searchsorted(self.t_s, last_s, side="right"))
        return bool(self.saturated[lo:hi].any())


@dataclass(frozen=True)
class PairBend:
    """The two-sensor verdict of one bend.

    columns: the `bend_table.PAIR_BEND_SCHEMA` fields (NaN/None when not measurable).
    rhythm: columns RHYTHM_COLUMNS (s, deg, deg) over the bend's window: from PAD_S
        before its start to PAD_S after its end (standing at both ends).
    lag_s: how much later the upper sensor showed this bend's motion, s (`_offset`), NaN.
    note: why the bend could not be measured, else "".
    gap_s: samples missing (interpolated) in the window of either sensor, s.
    upper_saturated: the upper sensor clipped in the bend's window (its quality flag
        "upper-saturated"; the lower sensor's clipping is the one-sensor "saturated").
    """

    columns: dict
    rhythm: pd.DataFrame = field(repr=False)
    lag_s: float = float("nan")
    note: str = ""
    gap_s: float = 0.0
    upper_saturated: bool = False


def lower_lumbar_fraction(placement: str) -> float:
    """Fraction of the lumbar flexion below a lower sensor at `placement` (0 at the sacrum)."""
    return float(sum(LUMBAR_LEVEL_SHARES[:PLACEMENT_SEGMENT[placement]]))


def lumbar_flexion_total_deg(lower_pitch_deg, upper_pitch_deg, placement: str = "sacrum"):
    """Flexion of the whole lumbar spine, deg (arrays or scalars, as given): the upper pitch
    minus the lower one (deg), the part below a lower sensor above the sacrum put back
    (`lower_lumbar_fraction`)."""
    return (upper_pitch_deg - lower_pitch_deg) / (1.0 - lower_lumbar_fraction(placement))


def two_sensor_lumbar_share(lower_pitch_deg, upper_pitch_deg, placement: str = "sacrum") -> np.ndarray:
    """Lumbar share of trunk flexion (0-1) from the two pitch excursions, deg (arrays or
    scalars): the whole lumbar flexion (`lumbar_flexion_total_deg`) over the upper pitch."""
    upper = np.maximum(np.asarray(upper_pitch_deg, float), 1e-6)
    return np.clip(lumbar_flexion_total_deg(np.asarray(lower_pitch_deg, float), upper, placement) / upper, 0.0, 1.0)


def empty_pair_columns() -> dict:
    """The two-sensor columns of a bend that could not be measured."""
    out = {name: np.nan for name in PAIR_BEND_COLUMNS}
    out.update(two_sensor_label=None, two_sensor_reasons=[])
    return out


def _onset_s(t_s: np.ndarray, angle_deg: np.ndarray, peak: int) -> float:
    """When the angle rose through ONSET_FRACTION of its value at `peak` for the last time
    before the peak, s (linear between samples); NaN for a small angle."""
    top = float(angle_deg[peak])
    if top < MIN_ONSET_DEG:
        return float("nan")
    level = ONSET_FRACTION * top
    below = np.flatnonzero(angle_deg[:peak + 1] < level)
    if not len(below) or below[-1] >= peak:
        return float("nan")
    k = int(below[-1])
    a, b = angle_deg[k], angle_deg[k + 1]
    return float(t_s[k] + (level - a) / (b - a) * (t_s[k + 1] - t_s[k]))


def _judder_count(reasons) -> int:
    """Hesitations the one-sensor verdict counted (its "uneven descent" reason), else 0."""
    phrase = finding_of("judder").phrase
    for reason in reasons or []:
        if str(reason).startswith(phrase):
            found = re.search(r"(\d+) hesitations", str(reason))
            return int(found.group(1)) if found else 0
    return 0


def _number(value) -> float | None:
    value = None if value is None else float(value)
    return None if value is None or not np.isfinite(value) else value


def pair_bend_verdict(bend, lower: PairedSensor, upper: PairedSensor, fs_hz: float, params: AnalysisParams,
                      placement: str = "sacrum") -> PairBend:
    """The two-sensor verdict of one bend found by the one-sensor analysis.

    Args:
        bend: one row of the sacral bends table (mapping with start_s, end_s, label,
            reasons, hip_shift_m, sensor_dx_m, peak_rate_deg_s), times on the shared base.
        lower, upper: the two sensors; their samples must cover the bend +- PAD_S.
        fs_hz: rate of the bend's own grid, Hz.
        placement: the lower sensor's site (sacrum, L5, L4, L3).
    """
    start_s, end_s = float(bend["start_s"]), float(bend["end_s"])
    columns = empty_pair_columns()
    empty = pd.DataFrame(columns=RHYTHM_COLUMNS, dtype=float)
    first_s, last_s = start_s - PAD_S, end_s + PAD_S
    for name, sensor in (("lower", lower), ("upper", upper)):
        if len(sensor.t_s) < 2 or sensor.t_s[0] > first_s or sensor.t_s[-1] < last_s:
            return PairBend(columns, empty, note=f"the {name} sensor does not cover the bend")
    clipped = upper.clipped_between(first_s, last_s)
    grid_s = first_s + np.arange(int(np.floor((last_s - first_s) * fs_hz)) + 1) / fs_hz
    acc_l, gyr_l, gap_l = segment_window(lower.t_s, lower.acc_mps2, lower.gyr_rad_s, grid_s, lower.calibration,
                                         params.max_interp_gap_s)
    acc_u, gyr_u, gap_u = segment_window(upper.t_s, upper.acc_mps2, upper.gyr_rad_s, grid_s, upper.calibration,
                                         params.max_interp_gap_s)
    for name, gap in (("lower", gap_l), ("upper", gap_u)):
        if gap.sum() / fs_hz > MAX_BRIDGED_GAP_S:
            return PairBend(columns, empty, note=f"the {name} sensor misses {gap.sum() / fs_hz:.1f} s of the bend "
                                                 f"(more than {MAX_BRIDGED_GAP_S:.1f} s)", upper_saturated=clipped)
    gap_s = float(max(gap_l.sum(), gap_u.sum()) / fs_hz)
    anchor = max(1, int(round(ANCHOR_S * fs_hz)))
    traj_l = integrate_window(acc_l, gyr_l, fs_hz, anchor)
    traj_u = integrate_window(acc_u, gyr_u, fs_hz, anchor)
    lower_deg = np.degrees(traj_l.pitch_rad - traj_l.pitch_rad[:anchor].mean())
    upper_deg = np.degrees(traj_u.pitch_rad - traj_u.pitch_rad[:anchor].mean())
    lag_s = window_lag_s(gyr_l[:, 1], gyr_u[:, 1], fs_hz)

    inside = np.flatnonzero((grid_s >= start_s) & (grid_s <= end_s))
    peak = int(inside[np.argmax(upper_deg[inside])])
    top = upper_deg[peak]
    if top <= 0:
        return PairBend(columns, empty, lag_s, note="the upper sensor did not pitch forward in the bend",
                        upper_saturated=clipped)
    # The plateau: the run of samples around the peak within PLATEAU_FRACTION of it.
    high = upper_deg >= PLATEAU_FRACTION * top
    lo, hi = peak, peak
    while lo > inside[0] and high[lo - 1]:
        lo -= 1
    while hi < inside[-1] and high[hi + 1]:
        hi += 1
    pelvic_tilt = float(lower_deg[lo:hi + 1].mean())
    upper_pitch = float(upper_deg[lo:hi + 1].mean())
    relative = upper_pitch - pelvic_tilt
    lumbar_total = lumbar_flexion_total_deg(pelvic_tilt, upper_pitch, placement)
    share = float(np.clip(lumbar_total / upper_pitch, 0.0, 1.0))

    # The lumbopelvic rhythm: pelvis and lumbar spine through the bend.
    lumbar_curve = lumbar_flexion_total_deg(lower_deg, upper_deg, placement)
    pelvic_curve = lower_deg - lower_lumbar_fraction(placement) * lumbar_curve
    rhythm = pd.DataFrame({"t_s": grid_s, "pelvic_deg": pelvic_curve, "lumbar_deg": lumbar_curve},
                          columns=RHYTHM_COLUMNS)
    lead = _onset_s(grid_s, pelvic_curve, peak) - _onset_s(grid_s, lumbar_curve, peak)

    label = SPINE_LED if share > TWO_SENSOR_DECISION_SHARE else HIP_LED
    hip_shift = _number(bend.get("hip_shift_m")) if _number(bend.get("sensor_dx_m")) is not None else None
    score = score_bend(label, share, TWO_SENSOR_DECISION_SHARE, hip_shift, _judder_count(bend.get("reasons")),
                       float(_number(bend.get("peak_rate_deg_s")) or 0.0), None)
    pct, boundary_pct = round(100 * share), round(100 * TWO_SENSOR_DECISION_SHARE)
    main = finding_of("hips_led" if label == HIP_LED else "rounded").phrase
    reasons = [f"{main}: the lower back flexed {lumbar_total:.0f} deg of the trunk's {upper_pitch:.0f} deg "
               f"({pct}%; hip-led below {boundary_pct}%), the pelvis tilted {pelvic_tilt:.0f} deg"]
    if np.isfinite(lead) and lead > LAG_NOTE_S:
        reasons.append(f"{finding_of('lag').phrase}: the lumbar spine had flexed {ONSET_FRACTION * lumbar_curve[peak]:.0f} "
                       f"deg {lead:.2f} s before the pelvis had tilted {ONSET_FRACTION * pelvic_curve[peak]:.0f} deg")
    reasons += list(score.reasons[1:])
    one = bend.get("label")
    agrees = np.nan if one not in (HIP_LED, SPINE_LED) else bool(one == label)
    columns.update(
        pelvic_tilt_deg=round(pelvic_tilt, 1), upper_pitch_deg=round(upper_pitch, 1),
        lumbar_flexion_deg=round(relative, 1), measured_lumbar_share=round(share, 3),
        lumbar_lead_s=round(float(lead), 3) if np.isfinite(lead) else np.nan,
        two_sensor_label=label, two_sensor_score=round(score.points, 1), two_sensor_reasons=reasons,
        agrees_with_one_sensor=agrees)
    return PairBend(columns, rhythm, lag_s, gap_s=gap_s, upper_saturated=clipped)

