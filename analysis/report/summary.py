"""Plain-language advice from the bends' scoring reasons.

Each piece of advice is tied to one kind of finding of `analysis.scoring.score_bend`
(`analysis.coaching.FINDINGS`; matched by the stable phrase each reason starts with), so
the report never says more than the score found. Counts and thresholds are stated with their units.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..scoring import ADVICE_FINDINGS, advice_text
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


# One advice per kind of finding of the score, worded in `analysis.coaching.FINDINGS`.
ADVICE_RULES = tuple((f.key, f.phrase, f.advice_title) for f in ADVICE_FINDINGS)


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
