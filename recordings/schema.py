"""What the metadata files may contain: JSON read safely and checked field by field.

One place for every check of session.json and of the JSON sidecars hinge reads
(BIDS `_motion.json`, `dataset_description.json`): a file that is not UTF-8, not JSON,
nested beyond reason (a crafted file of 100,000 brackets exhausts the parser's
recursion) or holds a field of the wrong type or an impossible value is refused in one
line naming the file and the field, before anything uses it.
"""
from __future__ import annotations

import json
import math
from pathlib import Path

from hinge.errors import HingeInputError

# Deepest nesting of a metadata document, far beyond any hinge writes (3 levels).
MAX_JSON_DEPTH = 64
# Times in session files and event tables: more than this is no recording (31 years), s.
MAX_TIME_S = 1e9
# Body heights hinge scales its body model to, m. The segment proportions are adult ones
# (Winter, Biomechanics and Motor Control of Human Movement, 4th ed., table 4.1); outside
# this range a height is a typo (17.5, 1750) or a child the model does not describe.
MIN_HEIGHT_M = 1.20
MAX_HEIGHT_M = 2.20

_NUMBER = "a number"
_TEXT = "text"
_OBJECT = "an object"


def _depth(text: str) -> int:
    """Deepest bracket nesting of a JSON text (strings skipped)."""
    depth = deepest = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    return deepest


def load_json(path: Path, what: str = "JSON file") -> dict:
    """The JSON object in ``path``; HingeInputError (one line) for anything else."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise HingeInputError(f"{path}: is not UTF-8 text; the {what} is damaged") from None
    if _depth(text) > MAX_JSON_DEPTH:
        raise HingeInputError(f"{path}: nested more than {MAX_JSON_DEPTH} levels deep; not a {what}")
    try:
        # NaN and Infinity are not JSON (RFC 8259); Python would read them, and then no
        # rewrite of the document (recover, export) could write them back.
        document = json.loads(text, parse_constant=_not_a_json_number)
    except json.JSONDecodeError as error:
        raise HingeInputError(f"{path}: is not valid JSON (line {error.lineno}); the {what} is damaged") from None
    except _NotJson as error:
        raise HingeInputError(f"{path}: holds {error}, which is not a JSON number; the {what} is damaged") from None
    if not isinstance(document, dict):
        raise HingeInputError(f"{path}: is not a JSON object; the {what} is damaged")
    return document


class _NotJson(ValueError):
    """NaN, Infinity or -Infinity in a JSON text."""


def _not_a_json_number(name: str):
    raise _NotJson(name)


def is_finite_number(value) -> bool:
    """A JSON number (not a boolean) that is finite as a float (an integer beyond 1.8e308 is not)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:  # an integer too large for a float
        return False


def _positive(value) -> bool:
    return is_finite_number(value) and 0 < value <= 1e6


def _time(value) -> bool:
    return is_finite_number(value) and abs(value) <= MAX_TIME_S


def is_body_height_m(value) -> bool:
    """A number of metres within MIN_HEIGHT_M-MAX_HEIGHT_M."""
    return is_finite_number(value) and MIN_HEIGHT_M <= value <= MAX_HEIGHT_M


def _count(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


# session.json: field -> (what it must be, test); None is allowed for every optional field.
SESSION_FIELDS = {
    "format_version": ("an integer", lambda v: isinstance(v, int) and not isinstance(v, bool)),
    "nominal_rate_hz": ("a sample rate in Hz (a positive number)", _positive),
    "device_clock_hz": ("a clock rate in Hz (a positive number)", _positive),
    "fsync_interval_s": ("a positive number of seconds", _positive),
    "first_t_s": (f"a time in s (a number within +-{MAX_TIME_S:g})", _time),
    "last_t_s": (f"a time in s (a number within +-{MAX_TIME_S:g})", _time),
    "n_samples": ("a count (an integer >= 0)", _count),
    "n_raw_records": ("a count (an integer >= 0)", _count),
    "n_annotations": ("a count (an integer >= 0)", _count),
    "battery_pct": ("a percentage (a number)", is_finite_number),
    "device": (_OBJECT, lambda v: isinstance(v, dict)),
    "acquisition": (_OBJECT, lambda v: isinstance(v, dict)),
    "source": (_OBJECT, lambda v: isinstance(v, dict)),
    "status": (_TEXT, lambda v: isinstance(v, str)),
    "profile": (_TEXT, lambda v: isinstance(v, str)),
    "placement": (_TEXT, lambda v: isinstance(v, str)),
    "participant": (_TEXT, lambda v: isinstance(v, str)),
    "height_m": (f"a body height in m ({MIN_HEIGHT_M:.2f}-{MAX_HEIGHT_M:.2f})", is_body_height_m),
    "created_utc": (_TEXT, lambda v: isinstance(v, str)),
    "closed_utc": (_TEXT, lambda v: isinstance(v, str)),
    "timebase": (_TEXT, lambda v: isinstance(v, str)),
}


def check_session_metadata(document: dict, path: Path) -> dict:
    """``document`` (session.json) if every known field has its type; else one line naming it."""
    for key, (expected, valid) in SESSION_FIELDS.items():
        value = document.get(key)
        if value is not None and not valid(value):
            raise HingeInputError(f"{path}: '{key}' is {_show(value)}, expected {expected}; "
                                  "the session metadata is damaged")
    return document


def _show(value) -> str:
    text = json.dumps(value) if not isinstance(value, float) or math.isfinite(value) else repr(value)
    return text if len(text) <= 40 else text[:37] + "..."
