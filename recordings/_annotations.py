"""``annotations.tsv``: events and bad stretches as (onset_s, duration_s, description) lines.

UTF-8 text, a header line ``onset_s<TAB>duration_s<TAB>description``, then one line per
annotation, each ending in ``\\n``. Onsets are on the samples' timebase (s); descriptions
are MNE-style: ``BAD_gap``, ``BAD_reconnect``, ``BAD_saturation`` (bad stretches), or a
plain event name such as ``calibration``. A last line without its newline is an
interrupted write and is cut.
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd

from .schema import MAX_TIME_S

__all__ = ["ANNOTATIONS_HEADER", "COLUMNS", "CALIBRATION_ANNOTATION", "BAD_PREFIX", "SATURATION_PREFIX",
           "format_annotation", "parse_annotations", "empty_annotations", "stretch_mask"]

ANNOTATIONS_HEADER = "onset_s\tduration_s\tdescription\n"
COLUMNS = ["onset_s", "duration_s", "description"]
# A stretch to distrust (MNE's convention), and the kind whose samples are marked saturated.
BAD_PREFIX = "BAD_"
SATURATION_PREFIX = "BAD_saturation"
# The guided calibration of `hinge live` (FORMAT.md, annotations.tsv): the offline analysis
# starts there and takes the sensor mounting from that stretch alone.
CALIBRATION_ANNOTATION = "calibration"


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


def stretch_mask(t_s: np.ndarray, annotations: pd.DataFrame, prefix: str) -> np.ndarray:
    """(N,) bool: samples at ``t_s`` (s) inside an annotation whose description starts with
    ``prefix``, from onset_s to onset_s + duration_s inclusive (a NaN duration counts as 0)."""
    mask = np.zeros(len(t_s), bool)
    rows = annotations[annotations["description"].astype(str).str.startswith(prefix)]
    for onset_s, duration_s in zip(rows["onset_s"].astype(float), rows["duration_s"].astype(float)):
        mask |= (t_s >= onset_s) & (t_s <= onset_s + (0.0 if math.isnan(duration_s) else duration_s))
    return mask
