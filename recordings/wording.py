"""Counts in words, for every message hinge prints: "1 gap", "2 gaps", never "1 gap(s)".

The lowest layer that prints counts; `analysis.report.wording` and the command line use it too.
"""
from __future__ import annotations

__all__ = ["count"]


def count(n: int, noun: str, plural: str | None = None) -> str:
    """"1 bend", "2 bends", "0 bends"; plural defaults to noun + "s"."""
    return f"{n} {noun if n == 1 else plural or noun + 's'}"
