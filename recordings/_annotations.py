"""``annotations.tsv``: events and bad stretches as (onset_s, duration_s, description) lines.

UTF-8 text, a header line ``onset_s<TAB>duration_s<TAB>description``, then one line per
annotation, each ending in ``\\n``. Onsets are on the samples' timebase (s); descriptions
are MNE-style: ``BAD_gap``, ``BAD_reconnect``, ``BAD_saturation`` (bad stretches), or a
plain event name. A last line without its newline is an interrupted write and is cut.
"""
from __future__ import annotations

import math

import pandas as pd

from .schema import MAX_TIME_S

__all__ = ["ANNOTATIONS_HEADER", "format_annotation", "parse_annotations", "empty_annotations"]

ANNOTATIONS_HEADER = "onset_s\tduration_s\tdescription\n"
COLUMNS = ["onset_s", "duration_s", "description"]


def format_annotation(onset_s: float, duration_s: float, description: str) -> str:
    """One line; raises ValueError for non-finite times, negative durations or bad text."""
    onset_s, duration_s = float(onset_s), float(duration_s)
    if not (math.isfinite(onset_s) and math.isfinite(duration_s)) or duration_s < 0:
        raise ValueError(f"annotation onset {onset_s} s, duration {duration_s} s: need finite, duration >= 0")
    if not description or any(c in description for c in "\t\r\n"):
        raise ValueError(f"annotation description {description!r} must be non-empty, without tabs or newlines")
    return f"{onset_s:.6f}\t{duration_s:.6f}\t{description}\n"


def empty_annotations() -> pd.DataFrame:
    return pd.DataFrame({"onset_s": pd.Series(dtype=float), "duration_s": pd.Series(dtype=float),
                         "description": pd.Series(dtype=object)})


def parse_annotations(text: str) -> tuple[pd.DataFrame, int, str | None]:
    """(table, valid_chars, problem) of an annotations.tsv text.

    Parsing stops at the first line that is incomplete (no newline) or malformed;
    ``valid_chars`` is the length of the trusted prefix and ``problem`` says what stopped
    it (None if nothing did). The header line is required.
    """
    if not text.startswith(ANNOTATIONS_HEADER):
        return empty_annotations(), 0, "missing header line 'onset_s<TAB>duration_s<TAB>description'"
    pos = len(ANNOTATIONS_HEADER)
    rows = []
    line_no = 1
    problem = None
    while pos < len(text):
        line_no += 1
        end = text.find("\n", pos)
        if end < 0:
            problem = f"line {line_no} is incomplete (no newline; interrupted write)"
            break
        fields = text[pos:end].split("\t")
        try:
            if len(fields) != 3 or not fields[2]:
                raise ValueError
            onset_s, duration_s = float(fields[0]), float(fields[1])
            if not (abs(onset_s) <= MAX_TIME_S and 0 <= duration_s <= MAX_TIME_S):
                raise ValueError
        except ValueError:
            problem = (f"line {line_no} is not 'onset_s<TAB>duration_s<TAB>description' with times within "
                       f"+-{MAX_TIME_S:g} s")
            break
        rows.append((onset_s, duration_s, fields[2]))
        pos = end + 1
    if not rows:
        return empty_annotations(), pos, problem
    table = pd.DataFrame(rows, columns=COLUMNS)
    table["description"] = table["description"].astype(object)
    return table, pos, problem
