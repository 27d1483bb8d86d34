"""What a two-sensor analysis adds to `hinge analyse`, `hinge batch` and `hinge report`:
per bend the measured angles, class, score and agreement; per session the agreement of the
one-sensor verdict with the two-sensor one and the residual offset between the sensors.

Glue between `hinge.analysis.two_sensor.PairResult` and the outputs; the columns, units
and meanings are `hinge.analysis.bend_table.PAIR_BEND_SCHEMA`'s.
"""
from __future__ import annotations

import math

from hinge.analysis.report.pair import agreement_text, offset_text

__all__ = ["pair_summary", "pair_lines"]


def _number(value, decimals: int):
    return None if value is None or not math.isfinite(float(value)) else round(float(value), decimals)


def pair_summary(pair) -> dict:
    """The session-level two-sensor results, JSON-ready: sites, residual offset (ms, from how
    many movements), agreement (`two_sensor.agreement_summary`), the upper sensor's
    calibration and the pair's warnings."""
    return {
        "placement": pair.placement,
        "upper_placement": pair.upper_placement,
        "offset_ms": _number(pair.offset_ms, 2),
        "offset_spread_ms": _number(pair.offset_spread_ms, 2),
        "offset_n": int(pair.offset_n),
        "agreement": pair.agreement,
        "calibration_upper": pair.calibration_upper,
        "warnings": list(pair.warnings),
    }


def _offset_text(pair) -> str:
    return offset_text(pair.offset_ms, pair.offset_spread_ms, pair.offset_n, pair.upper_placement)


def pair_lines(records: list[dict], pair) -> list[str]:
    """The text `hinge analyse` prints for two sensors: a table of the measured angles, the
    two-sensor class and score and the agreement per bend, then the session lines.
    ``records``: `bend_table.bend_records` with the pair schema."""
    lines = [f"two sensors: {pair.placement} and {pair.upper_placement} (measured lumbar flexion = "
             f"{pair.upper_placement} pitch - {pair.placement} pitch)"]
    if records:
        header = (f"{'bend':>4}  {'lumbar':>7}  {'pelvis':>7}  {pair.upper_placement:>7}  {'share':>5}  "
                  f"{'lead s':>6}  {'2-sensor':<9}  {'score':>7}  {'1-sensor':<9}  agrees")
        lines += [header, "-" * len(header)]
        for r in records:
            def deg(key):
                return f"{r[key]:>6.1f}°" if r[key] is not None else f"{'n/a':>7}"
            share = f"{100 * r['measured_lumbar_share']:>4.0f}%" if r["measured_lumbar_share"] is not None else "  n/a"
            lead = f"{r['lumbar_lead_s']:>+6.2f}" if r["lumbar_lead_s"] is not None else f"{'n/a':>6}"
            score = f"{r['two_sensor_score']:>3.0f}/100" if r["two_sensor_score"] is not None else f"{'n/a':>7}"
            agrees = {1.0: "yes", 0.0: "no"}.get(r["agrees_with_one_sensor"], "n/a")
            lines.append(f"{r['bend_id']:>4}  {deg('lumbar_flexion_deg')}  {deg('pelvic_tilt_deg')}  "
                         f"{deg('upper_pitch_deg')}  {share}  {lead}  {r['two_sensor_label'] or 'n/a':<9}  "
                         f"{score}  {r['label']:<9}  {agrees}")
    lines.append(f"one-sensor verdict agrees with two sensors: {agreement_text(pair.agreement)}")
    lines.append(f"residual offset between the sensors: {_offset_text(pair)}")
    return lines
