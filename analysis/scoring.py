"""Hinge-quality score 0-100 with the reasons behind it.

The score is dominated by the estimated lumbar share of trunk flexion, since that is
what separates a hip hinge from a rounded back; the other parts of a good hinge that
one sensor can see (hips pushed back, controlled, smooth speed) subtract a few points
each and name themselves as reasons. Knee flexion is not scored: a 20 deg knee bend
lowers the hips by about 3 cm, inside the translation error of one lower-back sensor,
so "no knee bend" cannot be told reliably (see README, known limits).
"""
from __future__ import annotations

from dataclasses import dataclass

# Points and limits of the score; the text of each reason states its own number.
IDEAL_LUMBAR_SHARE = 0.15
SHARE_POINTS = 90.0
MIN_HIP_SHIFT_M = 0.04
HIP_SHIFT_POINTS = 8.0
MAX_JUDDER = 2
JUDDER_POINTS = 4.0
FAST_RATE_DEG_S = 150.0
FAST_POINTS = 4.0
LAG_NOTE_S = 0.1


@dataclass(frozen=True)
class Score:
    points: float
    reasons: tuple[str, ...]


def score_bend(
    lumbar_share: float,
    hip_shift_m: float | None,
    judder_count: int,
    peak_rate_deg_s: float,
    pelvic_lag_s: float | None = None,
) -> Score:
    """Score one bend (0-100, higher is a better hip hinge) and list why."""
    reasons = []
    excess = max(0.0, lumbar_share - IDEAL_LUMBAR_SHARE) / (1.0 - IDEAL_LUMBAR_SHARE)
    points = 100.0 - SHARE_POINTS * excess
    share_pct = round(100 * lumbar_share)
    if lumbar_share > 0.5:
        reasons.append(f"lumbar flexion about {share_pct}% of the bend: rounded back")
    elif lumbar_share > 0.3:
        reasons.append(f"lumbar flexion about {share_pct}% of the bend: hinge more at the hips")
    else:
        reasons.append(f"lumbar flexion about {share_pct}% of the bend: hips led")
    if hip_shift_m is not None and hip_shift_m > -MIN_HIP_SHIFT_M:
        points -= HIP_SHIFT_POINTS
        reasons.append(f"hips did not move back (shift {100 * -hip_shift_m:.0f} cm, expected > {100 * MIN_HIP_SHIFT_M:.0f} cm)")
    if pelvic_lag_s is not None and pelvic_lag_s > LAG_NOTE_S:
        reasons.append(f"pelvis began to tilt {pelvic_lag_s:.2f} s after the hips moved: the lower back led")
    if judder_count > MAX_JUDDER:
        points -= JUDDER_POINTS
        reasons.append(f"uneven descent ({judder_count} hesitations)")
    if peak_rate_deg_s > FAST_RATE_DEG_S:
        points -= FAST_POINTS
        reasons.append(f"fast bend (peak {peak_rate_deg_s:.0f} deg/s)")
    return Score(points=float(min(100.0, max(0.0, points))), reasons=tuple(reasons))
