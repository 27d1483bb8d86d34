"""Numbers and counts in words, for every sentence and cell of the report.

One home for the rules the report's text follows: a missing value prints as a dash, a
value that rounds to zero never prints as "-0", counts agree with their nouns and verbs
("1 bend was", "2 bends were"), and every number carries its unit.
"""
from __future__ import annotations

import math
from hinge.recordings.wording import count  # noqa: F401 - one home for counts in words

__all__ = ["number", "signed", "change", "count", "count_verb", "MISSING"]

MISSING = "–"


def _finite(value) -> float | None:
    try:
        number_ = float(value)
    except (TypeError, ValueError):
        return None
    return number_ if math.isfinite(number_) else None


def number(value, decimals: int = 0, unit: str = "", missing: str = MISSING) -> str:
    """``value`` rounded to ``decimals`` places with its unit ("12 cm", "0.5 s", "−3 deg");
    a value that rounds to zero prints "0", never "-0"; None, NaN or text prints ``missing``.

    unit: appended as given, so include the space ("12 cm", "85 %") or not ("85/100").
    """
    x = _finite(value)
    if x is None:
        return missing
    rounded = round(x, decimals)
    # A true minus sign, and none on a value that rounds to zero ("-0" reads as a change).
    return ("\u2212" if rounded < 0 else "") + f"{abs(rounded):.{decimals}f}{unit}"


def signed(value, decimals: int = 0, unit: str = "", missing: str = MISSING) -> str:
    """Like `number`, with "+" before a value that rounds above zero ("+24 points",
    "−3 points", "0 points")."""
    text = number(value, decimals, unit, missing)
    x = _finite(value)
    return "+" + text if x is not None and round(x, decimals) > 0 else text


def change(delta, unit: str, decimals: int = 0) -> str:
    """A change in words: "rose by 24 points", "fell by 3 percentage points", or "did not
    change" when it rounds to zero. unit: plural noun, e.g. "points"."""
    x = _finite(delta)
    if x is None:
        return "cannot be compared"
    magnitude = number(abs(x), decimals)
    if float(magnitude) == 0:
        return "did not change"
    singular = unit.removesuffix("s") if float(magnitude) == 1 and unit.endswith("s") else unit
    return f"{'rose' if x > 0 else 'fell'} by {magnitude} {singular}"


def count_verb(n: int, singular: str, plural: str) -> str:
    """The verb agreeing with a count: count_verb(1, "was", "were") -> "was"."""
    return singular if n == 1 else plural
