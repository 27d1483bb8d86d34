"""Plain-language advice from the bends' scoring reasons.

Each piece of advice is tied to one kind of finding of `analysis.scoring.score_bend`
(`analysis.coaching.FINDINGS`; matched by the stable phrase each reason starts with), so
the report never says more than the score found. Counts and thresholds are stated with their units.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..coaching import CUES
from ..scoring import ADVICE_FINDINGS, MIN_HIP_SHIFT_M, advice_text
from ..bend_table import QUALITY_FLAGS_COLUMN, bends_summary
from .wording import count, count_verb, number

__all__ = ["Advice", "ADVICE_RULES", "headline", "advice", "hips_back_cm", "hips_back_summary", "pitch_only",
           "LOW_CONFIDENCE", "HIPS_BACK_CUE", "HIPS_BACK_WHY"]

# Bends below this confidence sit close to the class boundary: their class is "uncertain".
from ..bend_verdict import UNCERTAIN_BELOW_CONFIDENCE as LOW_CONFIDENCE  # noqa: E402 - one threshold: below it the class is "uncertain"


@dataclass(frozen=True)
class Advice:
    """One thing to work on: a title, what to do, and how often the data showed it."""

    key: str
    title: str
    text: str
    n_bends: int


# One advice per kind of finding of the score, worded in `analysis.coaching.FINDINGS`.
ADVICE_RULES = tuple((f.key, f.phrase, f.advice_title) for f in ADVICE_FINDINGS)
# The main hinge cue (worded in `analysis.coaching.CUES`), shown with the hips-back distance
# in every summary, and why it works.
HIPS_BACK_CUE = next(c.words for c in CUES if c.key == "hips_back").capitalize()
HIPS_BACK_WHY = ("in a hip hinge the hips travel back as the trunk tips forward, which keeps the weight over "
                 "the feet and the lower back neutral.")


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
    for order, finding in enumerate(ADVICE_FINDINGS):
        n = sum(any(r.startswith(finding.phrase) for r in rs) for rs in reasons)
        if n:
            found.append((-n, order, Advice(finding.key, finding.advice_title, advice_text(finding, n, total), n)))
    return [item for _, _, item in sorted(found, key=lambda x: (x[0], x[1]))]


def headline(bends: pd.DataFrame) -> str:
    """One sentence on the session as a whole: how many bends were hip-led, mean score."""
    n = len(bends)
    if n == 0:
        return "No forward bends were found in this recording, so there is nothing to score."
    summary = bends_summary(bends)
    n_hip, pct, mean = summary["n_hip_led"], summary["hip_led_pct"], summary["mean_score"]
    if n == 1:
        counts = f"The one bend was {bends['label'].iloc[0]}; hinge score {mean:.0f}/100."
    else:
        counts = (f"{n_hip} of {count(n, 'bend')} ({pct:.0f} %) {count_verb(n_hip, 'was', 'were')} hip-led; "
                  f"mean hinge score {mean:.0f}/100.")
    if pct >= 75:
        verdict = "Mostly good hip hinges."
    elif pct >= 40:
        verdict = "A mix of hip hinges and rounded-back bends."
    else:
        verdict = "Mostly spine-led bends: the lower back did much of the bending."
    n_low = int((bends["confidence"].astype(float) < LOW_CONFIDENCE).sum()) if "confidence" in bends else 0
    low_which = "it" if n == 1 else f"{n_low} of {count(n, 'bend')}"
    tail = (f" Uncertain: {low_which} {count_verb(n_low, 'lies', 'lie')} too close to the class "
            f"boundary for what one sensor "
            f"measured (confidence < {LOW_CONFIDENCE:g})." if n_low else "")
    return f"{counts}{tail}" if n == 1 else f"{verdict} {counts}{tail}"


def hips_back_cm(bends: pd.DataFrame) -> np.ndarray:
    """(n_bends,) how far the hips moved back at each bend's deepest point, cm (positive =
    back), from the body model's hip-joint shift (``hip_shift_m``, negative = back)."""
    if "hip_shift_m" not in bends or not len(bends):
        return np.zeros(0)
    return -100.0 * bends["hip_shift_m"].astype(float).to_numpy()


def pitch_only(bends: pd.DataFrame) -> np.ndarray:
    """(n_bends,) bool: the bend was judged from the pitch alone (no still moment around it),
    so its hip shift is the body model's estimate for that pitch, not a measurement."""
    flags = bends[QUALITY_FLAGS_COLUMN] if QUALITY_FLAGS_COLUMN in bends else [[]] * len(bends)
    return np.array([isinstance(f, (list, tuple, np.ndarray)) and "pitch-only" in list(f) for f in flags], bool)


def hips_back_summary(bends: pd.DataFrame) -> str | None:
    """One sentence on how far the hips moved back over the session, cm, or None without bends."""
    back = hips_back_cm(bends)
    finite = back[np.isfinite(back)]
    if not len(finite):
        return None
    n_est = int(pitch_only(bends).sum())
    spread = (f" ({number(finite.min(), 0)} to {number(finite.max(), 0, ' cm')})" if len(finite) > 1 else "")
    text = (f"Hips moved back a median of {number(np.median(finite), 0, ' cm')} per bend{spread}; "
            f"a hinge moves them more than {100 * MIN_HIP_SHIFT_M:.0f} cm.")
    if n_est:
        text += (f" {n_est} of {count(len(back), 'bend')} {count_verb(n_est, 'was', 'were')} judged from the pitch "
                 f"alone, so there the distance is estimated.")
    return text
