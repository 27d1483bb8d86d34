"""The report's two-sensor part: the session's agreement and inter-sensor offset, the
measured angles per bend and the lumbopelvic rhythm curve of every bend (lumbar angle
against pelvic angle through the bend).

Pure rendering of what `ReportSession.pair` and `ReportSession.rhythm` hold (filled by
`hinge.reporting` from `two_sensor.analyse_pair`); the texts are shared with `hinge analyse`.
"""
from __future__ import annotations

import math
from html import escape

import numpy as np

from ..palette import CLASS_COLOURS, NEUTRAL_COLOUR

__all__ = ["agreement_text", "offset_text", "rhythm_png", "pair_section"]


def agreement_text(agreement: dict) -> str:
    """"5 of 6 bends (83 %)" and what was left out, from `two_sensor.agreement_summary`."""
    n = agreement.get("n_bends") or 0
    text = (f"{agreement['n_agreeing']} of {n} bends ({100 * agreement['share_agreeing']:.0f} %)" if n
            else "no bend with both verdicts")
    left = [f"{agreement[key]} {what}" for key, what in (("n_one_sensor_uncertain", "uncertain with one sensor"),
                                                          ("n_not_measured", "not measured with two"))
            if agreement.get(key)]
    return text + (f"; left out: {', '.join(left)}" if left else "")


def offset_text(offset_ms, spread_ms, n: int, upper_placement: str) -> str:
    """The residual offset between the sensors, ms, and what it came from."""
    if not n or offset_ms is None or not math.isfinite(offset_ms):
        return "not measured (no shared motion)"
    # One movement has no spread to give.
    spread = f"+-{spread_ms:.1f} ms, from {n} movements" if n > 1 else "from 1 movement"
    return f"{offset_ms:+.1f} ms ({spread}; > 0: the {upper_placement} sensor's stamps are late)"


def rhythm_png(rhythm: dict, bends, upper_placement: str, width_in: float = 6.0) -> bytes:
    """Lumbar angle against pelvic angle (deg) through every bend, one curve per bend
    coloured by its two-sensor class and numbered at its deepest point, PNG bytes."""
    from .figures import _figure, _png, _style

    fig = _figure(figsize=(width_in, 4.2), layout="constrained")
    ax = fig.add_subplot()
    _style(ax)
    top = 10.0
    for bend_id, curve in sorted(rhythm.items()):
        label = bends.at[bend_id, "two_sensor_label"] if bend_id in bends.index else None
        colour = CLASS_COLOURS.get(label, NEUTRAL_COLOUR)
        pelvic, lumbar = curve["pelvic_deg"].to_numpy(float), curve["lumbar_deg"].to_numpy(float)
        ax.plot(pelvic, lumbar, color=colour, linewidth=1.2, alpha=0.85)
        deepest = int(np.nanargmax(pelvic + lumbar))
        ax.annotate(str(bend_id), (pelvic[deepest], lumbar[deepest]), fontsize=7, color=colour,
                    xytext=(2, 2), textcoords="offset points")
        top = max(top, float(np.nanmax(pelvic)), float(np.nanmax(lumbar)))
    ax.plot([0, top], [0, top], color=NEUTRAL_COLOUR, linewidth=0.8, linestyle="--")
    ax.set_xlabel("pelvic angle (lower sensor's segment), deg", fontsize=9)
    ax.set_ylabel(f"lumbar angle ({upper_placement} minus lower), deg", fontsize=9)
    ax.set_title("Lumbopelvic rhythm per bend", fontsize=10, loc="left")
    return _png(fig)


def _cell(value, fmt: str) -> str:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return "n/a"
    return format(number, fmt) if math.isfinite(number) else "n/a"


def pair_section(session, img) -> str:
    """The "Two sensors" part of a session card; "" for one sensor. ``img(png, alt,
    caption)``: the report's figure markup."""
    pair = session.pair
    if pair is None:
        return ""
    upper = pair["upper_placement"]
    facts = (f"<p>Second sensor at {escape(upper)}: lumbar flexion measured as its pitch minus the "
             f"{escape(session.placement)} sensor's. One-sensor verdict agrees with two sensors: "
             f"{escape(agreement_text(pair['agreement']))}. Residual offset between the sensors (from shared "
             f"motion): {escape(offset_text(pair['offset_ms'], pair['offset_spread_ms'], pair['offset_n'], upper))}."
             "</p>")
    rows = []
    for bend_id, b in session.bends.iterrows():
        agrees = {1.0: "yes", 0.0: "no"}.get(b.get("agrees_with_one_sensor"), "n/a")
        share = _cell(100 * b["measured_lumbar_share"], ".0f")  # NaN (not measured): n/a
        rows.append(f"<tr><td>{bend_id}</td><td>{_cell(b['lumbar_flexion_deg'], '.1f')}</td>"
                    f"<td>{_cell(b['pelvic_tilt_deg'], '.1f')}</td><td>{_cell(b['upper_pitch_deg'], '.1f')}</td>"
                    f"<td>{share}</td><td>{_cell(b['lumbar_lead_s'], '+.2f')}</td>"
                    f"<td>{escape(str(b['two_sensor_label'] or 'n/a'))}</td><td>{_cell(b['two_sensor_score'], '.0f')}</td>"
                    f"<td>{escape(str(b['label']))}</td><td>{agrees}</td></tr>")
    table = ("<table><thead><tr><th>bend</th><th>lumbar, deg</th><th>pelvis, deg</th>"
             f"<th>{escape(upper)} pitch, deg</th><th>lumbar share, %</th><th>lumbar lead, s</th>"
             "<th>class (2 sensors)</th><th>score /100</th><th>class (1 sensor)</th><th>agree</th></tr></thead>"
             f"<tbody>{''.join(rows)}</tbody></table>")
    parts = ["<h4>Two sensors</h4>", facts, table]
    if session.rhythm:
        parts.append(img(rhythm_png(session.rhythm, session.bends, upper), "Lumbopelvic rhythm per bend",
                         "Lumbar angle against pelvic angle through each bend, deg, from standing; one curve per "
                         "bend, numbered at its deepest point and coloured by its two-sensor class. Above the "
                         "dashed diagonal the lumbar spine moved more than the pelvis."))
    return "".join(parts)
