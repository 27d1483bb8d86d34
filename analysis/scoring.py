"""Hinge-quality score 0-100 with the reasons behind it and the cue for the next bend.

The score is dominated by the estimated lumbar share of trunk flexion, since that is
what separates a hip hinge from a rounded back, and it is tied to the class: the share
at the class boundary scores 50, so a hip-led bend scores 50-100 and a spine-led one
0-49 whatever else it shows. The other parts of a good hinge that one sensor can see
(hips pushed back, a controlled and smooth speed) subtract a few points each within the
class's half and name themselves as reasons; a pelvis that starts to tilt late is named
too (it already moved the share).
Knee flexion is not scored: a 20 deg knee bend lowers the hips by about 3 cm, inside the
translation error of one lower-back sensor (`coaching.CUES` lists what is and is not seen).
All words come from `coaching.FINDINGS`.
"""
from __future__ import annotations

from dataclasses import dataclass

from .coaching import FINDINGS, GOOD_HINGE_CUE, Finding, finding_of

# Lumbar share at and below which the share costs no points (a hinge still flexes the
# lumbar spine a little: about 10-20 % of trunk flexion, McGill 2015).
IDEAL_LUMBAR_SHARE = 0.15
# The share at the class boundary scores this; the classes take the halves either side.
BOUNDARY_POINTS = 50.0
MIN_HIP_SHIFT_M = 0.04
HIP_SHIFT_POINTS = 8.0
MAX_JUDDER = 2
JUDDER_POINTS = 4.0
FAST_RATE_DEG_S = 150.0
FAST_POINTS = 4.0
# A pelvis lagging this much is named (its effect on the class is already in the share).
LAG_NOTE_S = 0.1


@dataclass(frozen=True)
class Score:
    """points 0-100; reasons (texts, main one first); cue: what to do on the next bend."""

    points: float
    reasons: tuple[str, ...]
    cue: str
    findings: tuple[str, ...]


def share_points(lumbar_share: float, decision_share: float) -> float:
    """Points for the lumbar share alone: 100 up to IDEAL_LUMBAR_SHARE, BOUNDARY_POINTS at the
    class boundary, 0 at a share of 1, linear in between."""
    if lumbar_share <= IDEAL_LUMBAR_SHARE:
        return 100.0
    if lumbar_share <= decision_share:
        fraction = (lumbar_share - IDEAL_LUMBAR_SHARE) / (decision_share - IDEAL_LUMBAR_SHARE)
        return 100.0 - (100.0 - BOUNDARY_POINTS) * fraction
    return BOUNDARY_POINTS * (1.0 - lumbar_share) / (1.0 - decision_share)


def _centimetres(metres: float) -> int:
    """Rounded to whole cm, without a "-0"."""
    return int(round(100 * metres)) or 0


def _hips_text(hip_shift_m: float) -> str:
    back_cm = _centimetres(-hip_shift_m)
    if back_cm > 0:
        moved = f"they moved back {back_cm} cm"
    elif back_cm < 0:
        moved = f"they moved forward {-back_cm} cm"
    else:
        moved = "they did not move back"
    return f"{moved}; a hinge pushes them back {_centimetres(MIN_HIP_SHIFT_M)} cm or more"


def score_bend(
    label: str,
    lumbar_share: float,
    decision_share: float,
    hip_shift_m: float | None,
    judder_count: int,
    peak_rate_deg_s: float,
    pelvic_lag_s: float | None = None,
    pitch_only: bool = False,
) -> Score:
    """Score one bend (0-100, higher is a better hip hinge), say why and what to do next.

    Args:
        label: the bend's class (`bend_verdict.HIP_LED`, `SPINE_LED` or `UNCERTAIN`).
        lumbar_share: estimated lumbar share of trunk flexion, 0-1.
        decision_share: the class boundary on that share (`AnalysisParams.decision_share`).
        hip_shift_m: the hips' horizontal travel, m, negative = back; None when unmeasured.
        judder_count: hesitations on the way down.
        peak_rate_deg_s: the pelvis's peak angular rate, deg/s.
        pelvic_lag_s: how long after the hips began to move back the pelvis began to tilt, s.
        pitch_only: the translation was not measured (wider uncertainty).
    """
    share_pct, boundary_pct = round(100 * lumbar_share), round(100 * decision_share)
    found: list[tuple[str, str]] = []
    if label == "hip-led":
        found.append(("hips_led", f"the lower back did about {share_pct}% of the bend (hip-led below {boundary_pct}%)"))
    elif label == "spine-led":
        found.append(("rounded", f"the lower back did about {share_pct}% of the bend (hip-led below {boundary_pct}%)"))
    else:
        found.append(("borderline", f"the lower back did about {share_pct}% of the bend, too close to the boundary "
                                    f"({boundary_pct}%) for what was measured"
                                    + ("; only the pitch was measured (no still moment before and after the bend)"
                                       if pitch_only else "")))
    points = share_points(lumbar_share, decision_share)
    if hip_shift_m is not None and hip_shift_m > -MIN_HIP_SHIFT_M:
        points -= HIP_SHIFT_POINTS
        found.append(("hips_back", _hips_text(hip_shift_m)))
    if pelvic_lag_s is not None and pelvic_lag_s > LAG_NOTE_S:
        found.append(("lag", f"the pelvis began to tilt {pelvic_lag_s:.2f} s after the hips began to move back"
                             + ("; the hips still did most of it" if label == "hip-led" else "")))
    if judder_count > MAX_JUDDER:
        points -= JUDDER_POINTS
        found.append(("judder", f"{judder_count} hesitations"))
    if peak_rate_deg_s > FAST_RATE_DEG_S:
        points -= FAST_POINTS
        found.append(("fast", f"peak {peak_rate_deg_s:.0f} deg/s, controlled is below {FAST_RATE_DEG_S:.0f} deg/s"))
    # The class decides the half: secondary faults move the score within it.
    if label == "hip-led":
        points = max(points, BOUNDARY_POINTS)
    elif label == "spine-led":
        points = min(points, BOUNDARY_POINTS - 1.0)
    reasons = tuple(f"{finding_of(key).phrase}: {text}" for key, text in found)
    faults = [key for key, _ in found if key != "hips_led"]
    cue = finding_of(faults[0]).cue if faults else GOOD_HINGE_CUE
    return Score(points=float(min(100.0, max(0.0, points))), reasons=reasons, cue=cue,
                 findings=tuple(key for key, _ in found))


def advice_text(finding: Finding, n_bends: int, total_bends: int) -> str:
    """The finding's advice for a session in which n_bends of total_bends showed it."""
    bends = "the only bend" if total_bends == 1 else f"{n_bends} of {total_bends} bends"
    text = finding.advice.format(
        bends=bends, were="was" if n_bends == 1 else "were",
        min_hip_back_cm=_centimetres(MIN_HIP_SHIFT_M), lag_s=f"{LAG_NOTE_S:.1f}", fast_deg_s=f"{FAST_RATE_DEG_S:.0f}")
    return text[0].upper() + text[1:]


# Findings that call for work, in the report's order of precedence at equal counts.
ADVICE_FINDINGS = tuple(f for f in FINDINGS if f.advice)
