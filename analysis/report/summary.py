"""Plain-language advice from the bends' scoring reasons.

Each piece of advice is tied to one kind of reason that `analysis.scoring.score_bend`
gives (matched by a stable phrase of its text), so the report never says more than the
score found. Counts and thresholds are stated with their units.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..scoring import FAST_RATE_DEG_S, LAG_NOTE_S, MIN_HIP_SHIFT_M
from .base import HIP_LED

__all__ = ["Advice", "ADVICE_RULES", "headline", "advice", "LOW_CONFIDENCE"]

# Bends below this confidence sit close to the class boundary: their class is "uncertain".
from ..bend_verdict import UNCERTAIN_BELOW_CONFIDENCE as LOW_CONFIDENCE  # noqa: E402 - one threshold: below it the class is "uncertain"


@dataclass(frozen=True)
class Advice:
    """One thing to work on: a title, what to do, and how often the data showed it."""

    key: str
    title: str
    text: str
    n_bends: int


# (key, phrase in the reason text, title, what to do: {n} bends of {total}).
ADVICE_RULES = (
    ("rounded", "rounded back", "Keep the lower back neutral",
     "In {n} of {total} bends the lower back did more than half of the bend (the back rounded). "
     "Bend from the hips instead: keep the natural curve of the lower back, as if a stick along the "
     "spine touched the head, upper back and tailbone throughout."),
    ("mixed", "hinge more at the hips", "Hinge a little more at the hips",
     "In {n} of {total} bends the lower back did 30-50 % of the bend. Let the pelvis tip forward "
     "more and the lower back less."),
    ("hips_back", "hips did not move back", "Push the hips back",
     "In {n} of {total} bends the hips moved back less than " + f"{100 * MIN_HIP_SHIFT_M:.0f} cm. "
     "Start each bend by sending the hips back, as if closing a car door with them."),
    ("lag", "pelvis began to tilt", "Start the movement at the hips",
     "In {n} of {total} bends the pelvis started to tilt more than " + f"{LAG_NOTE_S:.1f} s "
     "after the movement began, so the lower back led. Let the pelvis tip first."),
    ("judder", "uneven descent", "Bend in one smooth movement",
     "{n} of {total} bends had hesitations on the way down. Move at an even, controlled pace."),
    ("fast", "fast bend", "Slow down",
     "{n} of {total} bends were faster than " + f"{FAST_RATE_DEG_S:.0f} deg/s at their peak. "
     "A slower bend is easier to control."),
)


def _reasons(bends: pd.DataFrame) -> list[list[str]]:
    out = []
    for cell in bends["reasons"] if "reasons" in bends else []:
        out.append([str(r) for r in cell] if isinstance(cell, (list, tuple, np.ndarray)) else [])
    return out


def advice(bends: pd.DataFrame) -> list[Advice]:
    """What to work on, most frequent first; empty when no reason calls for work.

    bends: the pipeline's bend table (``reasons`` a list of str per bend).
    """
    reasons = _reasons(bends)
    total = len(reasons)
    found = []
    for order, (key, phrase, title, template) in enumerate(ADVICE_RULES):
        n = sum(any(phrase in r for r in rs) for rs in reasons)
        if n:
            found.append((-n, order, Advice(key, title, template.format(n=n, total=total), n)))
    return [item for _, _, item in sorted(found, key=lambda x: (x[0], x[1]))]


def headline(bends: pd.DataFrame) -> str:
    """One sentence on the session as a whole: how many bends were hip-led, mean score."""
    n = len(bends)
    if n == 0:
        return "No forward bends were found in this recording, so there is nothing to score."
    n_hip = int((bends["label"] == HIP_LED).sum())
    pct = 100.0 * n_hip / n
    mean = float(bends["score"].mean())
    counts = f"{n_hip} of {n} bends ({pct:.0f} %) were hip-led; mean hinge score {mean:.0f}/100."
    if pct >= 75:
        verdict = "Mostly good hip hinges."
    elif pct >= 40:
        verdict = "A mix of hip hinges and rounded-back bends."
    else:
        verdict = "Mostly spine-led bends: the lower back did much of the bending."
    n_low = int((bends["confidence"].astype(float) < LOW_CONFIDENCE).sum()) if "confidence" in bends else 0
    tail = (f" Uncertain: {n_low} of {n} bends lie too close to the class boundary for what one sensor "
            f"measured (confidence < {LOW_CONFIDENCE:g})." if n_low else "")
    return f"{verdict} {counts}{tail}"
