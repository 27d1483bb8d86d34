"""The report as one self-contained HTML document.

No network, no scripts and no external assets: the style sheet is inline and the plots are
embedded as base64 PNG, so the file can be opened anywhere or sent by e-mail. One style
sheet serves a phone, a desktop and an A4 print (see CSS). Every piece of text that comes
from the data (participant codes, file names, reasons, warnings) goes through
`html.escape`; every number goes through `wording` (units, no "-0").
"""
from __future__ import annotations

import base64
from datetime import datetime, timezone
from html import escape

import numpy as np

from ..bend_table import QUALITY_FLAGS_COLUMN
from ..palette import CLASS_COLOURS
from ..pipeline import MIN_PLANARITY, MIN_SIGN_MARGIN
from ..scoring import MIN_HIP_SHIFT_M
from .pair import pair_section
from . import figures
from .base import HIP_LED, SPINE_LED, UNCERTAIN, ReportSession
from .summary import (HIPS_BACK_CUE, HIPS_BACK_WHY, LOW_CONFIDENCE, advice, headline, hips_back_cm, hips_back_summary,
                      pitch_only)
from .wording import change, count, number

__all__ = ["calibration_quality", "session_section", "progress_section", "participant_section", "document",
           "render_report", "group_by_participant", "READING_GUIDE", "COLLAPSE_ROWS"]

# Mobile first: the base rules are for a phone (~390 px); wider screens add columns, and
# print (A4) keeps headings with what follows, rows whole, and collapsed parts open.
CSS = """
:root { --ink: #1d1d1f; --muted: #5f6368; --line: #e3e3e6; --bg: #f6f7f9; }
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; text-size-adjust: 100%; }
body { margin: 0; background: var(--bg); color: var(--ink);
       font: 15px/1.5 -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, "Liberation Sans", sans-serif; }
main { max-width: 1080px; margin: 0 auto; padding: 16px 12px 40px; }
header.top { border-bottom: 3px solid var(--ink); padding-bottom: 8px; margin-bottom: 16px; }
h1 { font-size: 22px; line-height: 1.25; margin: 0 0 4px; letter-spacing: -0.01em; }
h2 { font-size: 19px; margin: 26px 0 10px; padding-bottom: 6px; border-bottom: 1px solid var(--line); }
h3 { font-size: 17px; margin: 0 0 10px; overflow-wrap: anywhere; }
h4 { font-size: 14px; margin: 20px 0 8px; text-transform: uppercase; letter-spacing: 0.04em; color: var(--muted); }
p { margin: 0 0 8px; }
.meta { color: var(--muted); font-size: 13px; margin: 0; }
nav { margin: 0 0 16px; font-size: 14px; }
nav ul { margin: 4px 0 0; padding-left: 20px; }
nav li.sub { margin-left: 16px; }
.guide { background: #fff; border: 1px solid var(--line); border-radius: 10px; padding: 12px 14px; margin: 0 0 18px;
         font-size: 14px; }
.guide h2 { margin: 0 0 8px; border: 0; padding: 0; font-size: 17px; }
.guide dl { margin: 0; } .guide dt { font-weight: 600; margin-top: 8px; } .guide dd { margin: 0; }
.swatch { display: inline-block; width: 0.9em; height: 0.9em; border-radius: 2px; vertical-align: -0.1em; }
.card { background: #fff; border: 1px solid var(--line); border-radius: 10px; padding: 14px 12px; margin: 0 0 18px;
        box-shadow: 0 1px 2px rgba(0,0,0,0.04); }
.kpis { display: grid; grid-template-columns: repeat(auto-fit, minmax(130px, 1fr)); gap: 8px; margin: 4px 0 14px; }
.kpi { background: var(--bg); border-radius: 8px; padding: 8px 10px; }
.kpi .v { font-size: 20px; font-weight: 650; white-space: nowrap; }
.kpi .k { font-size: 12px; color: var(--muted); }
.scroll { overflow-x: auto; max-width: 100%; -webkit-overflow-scrolling: touch; }
table { border-collapse: collapse; width: 100%; font-size: 13.5px; }
th, td { text-align: left; padding: 5px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-weight: 600; color: var(--muted); font-size: 12px; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
table.facts th { font-size: 13.5px; padding-left: 0; white-space: nowrap; }
table.facts td { overflow-wrap: anywhere; }
table.bends { min-width: 600px; }
table.bends tr:first-child td { border-bottom: 0; padding-bottom: 0; }
table.bends tr.why td { font-size: 12.5px; color: var(--muted); padding-top: 1px; }
table.bends .cue { color: var(--ink); }
/* The reasons stay in view (and wrap at the screen's width) while the numbers scroll. */
table.bends tr.why div { position: sticky; left: 8px; max-width: calc(100vw - 64px); }
.badge { display: inline-block; padding: 1px 8px; border-radius: 10px; color: #fff; font-size: 12px; white-space: nowrap; }
.badge.hip-led { background: var(--hip); } .badge.spine-led { background: var(--spine); }
.badge.uncertain { background: #777777; } /* darker than the palette's grey: white text on it */
.ok { color: #1a7f37; font-weight: 600; } .check { color: #b35900; font-weight: 600; }
.summary { background: #f0f6fb; border-left: 4px solid var(--hip); padding: 10px 12px; border-radius: 6px; }
.summary ol { margin: 6px 0 0; padding-left: 20px; } .summary li { margin: 4px 0; }
figure { margin: 12px 0 4px; }
figure img { display: block; width: 100%; height: auto; }
figure.wide { overflow-x: auto; }
figure.wide img { min-width: 760px; }
figcaption { font-size: 12.5px; color: var(--muted); margin-top: 4px; position: sticky; left: 0; }
.two { display: grid; grid-template-columns: minmax(0, 1fr); gap: 12px; }
.low { color: var(--muted); }
.nowrap { white-space: nowrap; }
.note { font-size: 13px; color: var(--muted); }
ul.plain { margin: 4px 0; padding-left: 20px; font-size: 13.5px; }
details { margin: 8px 0; }
summary { cursor: pointer; font-weight: 600; font-size: 14px; padding: 6px 0; }
summary .hint { font-weight: 400; color: var(--muted); }
footer { font-size: 13px; color: var(--muted); border-top: 1px solid var(--line); margin-top: 24px; padding-top: 10px; }
@media (min-width: 700px) {
  main { padding: 28px 24px 48px; }
  h1 { font-size: 26px; } h2 { font-size: 21px; } h3 { font-size: 18px; }
  .card { padding: 20px 22px; } .guide { padding: 14px 20px; }
  .two { grid-template-columns: repeat(2, minmax(0, 1fr)); gap: 18px; }
  figure.wide img { min-width: 0; }
}
@page { size: A4; margin: 14mm 12mm 16mm; }
@media print {
  html, body { background: #fff; font-size: 9.5pt; line-height: 1.35; }
  h1 { font-size: 16pt; } h2 { font-size: 13pt; } h3 { font-size: 12pt; } h4 { font-size: 9pt; }
  .guide { font-size: 8.5pt; } .guide h2 { font-size: 12pt; }
  .guide dl { column-count: 2; column-gap: 6mm; } .guide dt { margin-top: 1.5mm; break-after: avoid; }
  .kpis { grid-template-columns: repeat(5, 1fr); gap: 2mm; margin: 0 0 2mm; }
  .kpi { padding: 1mm 2mm; } .kpi .v { font-size: 12pt; } .kpi .k { font-size: 7.5pt; }
  .summary { padding: 2mm 3mm; } .summary li { margin: 0.5mm 0; }
  figure { margin: 2mm 0 1mm; } figcaption, .note, ul.plain { font-size: 8pt; }
  .two figure img { max-height: 50mm; object-fit: contain; object-position: left; }
  main { max-width: none; padding: 0; }
  nav, .hint, .screen-only { display: none; }
  .card, .guide { border: 0; border-radius: 0; box-shadow: none; padding: 0; margin: 0 0 6mm; }
  h2, h3, h4, summary, figcaption { break-after: avoid; page-break-after: avoid; }
  h2 { margin-top: 6mm; } h4 { margin: 4mm 0 2mm; }
  tr, li, figure, .kpis, .summary, .guide dt, .guide dd, table.facts { break-inside: avoid; page-break-inside: avoid; }
  p { orphans: 3; widows: 3; }
  thead { display: table-header-group; }
  .scroll, figure.wide { overflow: visible; }
  figure.wide img, table.bends { min-width: 0; }
  table { font-size: 8.5pt; } th, td { padding: 2px 4px; }
  table.bends tbody { break-inside: avoid; page-break-inside: avoid; }
  table.bends td { padding-top: 1px; padding-bottom: 1px; line-height: 1.25; }
  table.bends .badge { padding: 0 5px; font-size: 7.5pt; }
  table.bends tr.why td { font-size: 7.5pt; padding-bottom: 2px; }
  table.bends tr.why div { position: static; max-width: none; }
  .two { grid-template-columns: repeat(2, minmax(0, 1fr)); gap: 4mm; }
  details > summary { list-style: none; cursor: auto; }
  details > summary::-webkit-details-marker { display: none; }
  details::details-content { content-visibility: visible; display: contents; }
  a { color: inherit; text-decoration: none; }
  .summary { border-left-width: 2px; }
  footer { margin-top: 6mm; }
}
"""
# The class colours, from the one palette.
CSS = (f":root {{ --hip: {CLASS_COLOURS[HIP_LED]}; --spine: {CLASS_COLOURS[SPINE_LED]}; }}"
       + CSS)
# Tables longer than this many rows are collapsed (a tap opens them; print shows them).
COLLAPSE_ROWS = 20


def _date(value: datetime | None) -> str:
    if value is None:
        return "not recorded"
    return value.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def _img(png: bytes, alt: str, caption: str, wide: bool = False) -> str:
    """A figure with its caption; ``wide`` ones scroll sideways on a phone instead of
    shrinking below a readable size."""
    data = base64.b64encode(png).decode("ascii")
    css = ' class="wide"' if wide else ""
    return (f'<figure{css}><img src="data:image/png;base64,{data}" alt="{escape(alt)}">'
            f"<figcaption>{escape(caption)}</figcaption></figure>")


def _collapsible(summary: str, hint: str, body: str, n_rows: int) -> str:
    """``body`` as is when short, else inside a closed <details> (open in print)."""
    if n_rows <= COLLAPSE_ROWS:
        return body
    return (f'<details><summary>{escape(summary)} <span class="hint">{escape(hint)}</span></summary>'
            f"{body}</details>")


def calibration_quality(calibration: dict) -> tuple[bool, str]:
    """(good, one-line description with units) of the mounting calibration."""
    if not calibration.get("ok", False):
        return False, f"failed: {calibration.get('reason', 'unknown reason')}; no bends could be judged"
    planarity = float(calibration.get("flexion_axis_planarity_pct", float("nan")))
    margin = float(calibration.get("flexion_sign_margin", float("nan")))
    good = planarity >= 100 * MIN_PLANARITY and margin >= MIN_SIGN_MARGIN
    parts = [
        f"{number(calibration.get('quiet_standing_s'), 0, ' s')} quiet standing",
        f"movement {number(planarity, 0, ' %')} about one flexion axis (needs ≥ {100 * MIN_PLANARITY:.0f} %)",
        f"flexion direction margin {number(margin, 2)} (needs ≥ {MIN_SIGN_MARGIN:g})",
        f"sensor tilted {number(calibration.get('sensor_tilt_from_upright_deg'), 0, ' deg')} from upright",
    ]
    return good, ("good" if good else "check") + ": " + ", ".join(parts)


def _median_hips_back(session: ReportSession) -> float:
    back = hips_back_cm(session.bends)
    back = back[np.isfinite(back)]
    return float(np.median(back)) if len(back) else float("nan")


def _kpis(session: ReportSession) -> str:
    items = [
        (str(session.n_bends), "bend" if session.n_bends == 1 else "bends"),
        (number(session.hip_led_pct, 0, " %"), "hip-led"),
        (number(session.mean_score, 0, "/100"), "mean hinge score"),
        (number(_median_hips_back(session), 0, " cm"), "hips back (median)"),
        (number(session.duration_s / 60, 1, " min"), "recorded"),
    ]
    cells = "".join(f'<div class="kpi"><div class="v">{escape(v)}</div><div class="k">{escape(k)}</div></div>'
                    for v, k in items)
    return f'<div class="kpis">{cells}</div>'


def _facts(session: ReportSession) -> str:
    good, calibration = calibration_quality(session.calibration)
    head, _, rest = calibration.partition(": ")
    rows = [
        ("Participant", escape(session.participant or "not recorded")),
        ("Date", escape(_date(session.started_utc))),
        ("Device", escape(session.device or "not recorded")),
        ("Placement", escape(session.placement)),
        *([("Body height", escape(number(100 * session.height_m, 0, " cm")))] if session.height_m else []),
        ("Recording", escape(f"{number(session.duration_s, 1, ' s')} at {number(session.fs_hz, 0, ' Hz')}; "
                             f"{session.source}")),
        ("Calibration", f'<span class="{"ok" if good else "check"}">{escape(head)}</span>: {escape(rest)}'),
    ]
    body = "".join(f"<tr><th>{k}</th><td>{v}</td></tr>" for k, v in rows)
    return f'<table class="facts">{body}</table>'


def _summary(session: ReportSession) -> str:
    items = advice(session.bends)
    parts = [f"<p><strong>{escape(headline(session.bends))}</strong></p>"]
    hips = hips_back_summary(session.bends)
    if hips:
        parts.append(f"<p>{escape(hips)} <strong>{escape(HIPS_BACK_CUE)}</strong>: {escape(HIPS_BACK_WHY)}</p>")
    if items:
        parts.append("<p>What to work on, most frequent first:</p><ol>")
        parts.extend(f"<li><strong>{escape(a.title)}.</strong> {escape(a.text)}</li>" for a in items)
        parts.append("</ol>")
    elif session.n_bends:
        parts.append("<p>No bend gave a reason to change anything: keep bending this way.</p>")
    return f'<div class="summary">{"".join(parts)}</div>'


def _list_cell(cell) -> list[str]:
    if isinstance(cell, (list, tuple, np.ndarray)):
        return [str(x) for x in cell]
    return []


# The reasons go on a line of their own under each bend's numbers: a reasons column is
# squeezed to a word per line on a phone or on paper.
BEND_HEAD = ("<tr><th class=num>#</th><th>class</th><th class=num>score</th><th class=num>lumbar share</th>"
             "<th class=num>trunk angle</th><th class=num>hips back</th><th class=num>confidence (0-1)</th>"
             "<th class=num>start, s</th><th class=num>length, s</th></tr>")
BEND_COLUMNS = BEND_HEAD.count("<th")
# The bend verdict's quality flags (analysis.bend_table.QUALITY_FLAG_LEVELS), in the report's words.
FLAG_WORDS = {
    "gap": "samples missing in the bend",
    "saturated": "the sensor clipped (reading at its limit)",
    "upper-saturated": "the upper sensor clipped (reading at its limit)",
    "translation-implausible": "the hips' travel was implausible, so it was not used",
    "pitch-only": "judged from the pitch alone (no still moment before and after)",
}


def _bend_rows(session: ReportSession, bend_id: int, b, hips_back: float, estimated: bool, t0: float) -> str:
    """One bend: a row of numbers and a row of reasons, kept together (one <tbody>)."""
    label = str(b["label"])
    css = label if label in (HIP_LED, SPINE_LED, UNCERTAIN) else ""
    sentences = ["; ".join(_list_cell(b["reasons"])) or "no reasons given"]
    flags = _list_cell(b.get(QUALITY_FLAGS_COLUMN))
    if flags:
        sentences.append(f"Data: {'; '.join(FLAG_WORDS.get(f, f) for f in flags)}")
    reasons = ". ".join(sentences) + "."
    low = float(b["confidence"]) < LOW_CONFIDENCE
    cue = f' <span class="cue">Cue: {escape(str(b["cue"]))}.</span>' if isinstance(b.get("cue"), str) and b["cue"] else ""
    hips = (f'<td class="num low" title="estimated from the pitch alone">≈{number(hips_back, 0, " cm")}</td>'
            if estimated else f"<td class=num>{number(hips_back, 0, ' cm')}</td>")
    return (f"<tbody><tr id=\"{escape(session.name)}-bend-{int(bend_id)}\"><td class=num>{int(bend_id)}</td>"
            f"<td><span class=\"badge {escape(css)}\">{escape(label)}</span></td>"
            f"<td class=num>{number(b['score'], 0, '/100')}</td>"
            f"<td class=num>{number(100 * float(b['lumbar_share']), 0, ' %')}</td>"
            f"<td class=num>{number(b['depth_deg'], 0, ' deg')}</td>{hips}"
            f"<td class=\"num{' low' if low else ''}\">{number(b['confidence'], 2)}</td>"
            f"<td class=num>{number(float(b['start_s']) - t0, 1)}</td>"
            f"<td class=num>{number(float(b['end_s']) - float(b['start_s']), 1)}</td></tr>"
            f'<tr class="why"><td colspan={BEND_COLUMNS}><div>{escape(reasons)}{cue}</div></td></tr></tbody>')


def _bends_table(session: ReportSession) -> str:
    if not session.n_bends:
        return '<p class="low">No bends.</p>'
    t0 = float(session.t_s[0]) if len(session.t_s) else 0.0
    back = hips_back_cm(session.bends)
    estimated = pitch_only(session.bends)
    # Rows as dicts: a pandas row Series per bend cost an hour's report 20 ms.
    rows = "".join(_bend_rows(session, bend_id, b, back[i], estimated[i], t0)
                   for i, (bend_id, b) in enumerate(zip(session.bends.index, session.bends.to_dict("records"))))
    table = f'<div class="scroll"><table class="bends"><thead>{BEND_HEAD}</thead>{rows}</table></div>'
    note = ('<p class="note">Under each bend: the reasons for its score and the cue for the next one. Trunk angle: '
            'how far the whole trunk leaned forward at the deepest point (body-model estimate, pelvis plus lower-back '
            'rounding). Hips back: how far the hip joints moved back by then; a hinge moves them more than '
            f'{100 * MIN_HIP_SHIFT_M:.0f} cm'
            + ('; ≈ marks bends judged from the pitch alone, where it is estimated' if estimated.any() else "")
            + ".</p>")
    return _collapsible(f"Table of all {count(session.n_bends, 'bend')}", "(tap to open)", table + note,
                        session.n_bends)


def _notes(session: ReportSession) -> str:
    parts = []
    if session.warnings:
        parts.append("<h4>Data quality</h4><ul class=plain>"
                     + "".join(f"<li>{escape(w)}</li>" for w in session.warnings) + "</ul>")
    if len(session.dropped):
        t0 = float(session.t_s[0]) if len(session.t_s) else 0.0
        items = "".join(f"<li>{number(float(d.start_s) - t0, 1)}–{number(float(d.end_s) - t0, 1, ' s')}: "
                        f"{escape(str(d.reason))}</li>" for d in session.dropped.sort_values("start_s").itertuples())
        n = len(session.dropped)
        parts.append(f'<details class="dropped"><summary>{escape(count(n, "movement"))} not counted as bends '
                     f'<span class="hint">(tap to open)</span></summary><ul class=plain>{items}</ul></details>')
    return "".join(parts)


def _angle_note(session: ReportSession) -> str:
    """Why the timeline's peak and the table's trunk angle differ, with the session's own numbers."""
    segment = figures.sensor_segment(session.placement)
    text = (f"The curve is the forward tilt (pitch) of the {segment} as the sensor measured it. The table's trunk "
            "angle is larger: it adds the rounding of the lower back above the sensor, estimated by the body model.")
    if session.n_bends:
        first_id, first = next(session.bends.iterrows())
        text += (f" Bend {int(first_id)}, for example: {number(first['sensor_pitch_deg'], 0, ' deg')} "
                 f"{segment} pitch, {number(first['depth_deg'], 0, ' deg')} trunk angle.")
    return f'<p class="note">{escape(text)}</p>'


def session_section(session: ReportSession, anchor: str) -> str:
    """One session's card: facts, summary, timeline, bends table, distributions, notes."""
    title = f"{session.name} — {_date(session.started_utc)}" if session.started_utc else session.name
    rows = figures.timeline_rows(session.duration_s)[0]
    segment = figures.sensor_segment(session.placement)
    stretches = figures.shaded_kinds(session)
    caption = (f"Pitch of the {segment} (sensor) over time, deg (forward bending is positive). Each bend is shaded "
               "by its class and numbered as in the table (where crowded, every 5th or 10th)"
               + ("; green is the calibration hinge" if figures.CALIBRATION in stretches else "")
               + ("; grey strips along the foot of the plot are movements not counted as bends" if figures.NOT_COUNTED in stretches else "")
               + "." + (f" Drawn in stacked rows of {figures.ROW_S / 60:.0f} min or more, each row's start ([h:]min:s since the "
                  "start of the recording) on its right."
                  if rows > 1 else ""))
    parts = [f'<article class="card session" id="{escape(anchor)}"><h3>{escape(title)}</h3>',
             _kpis(session), _facts(session), "<h4>Summary</h4>", _summary(session), "<h4>Timeline</h4>",
             _img(figures.timeline_png(session), f"Pitch of the {segment} over time, {session.name}", caption,
                  wide=True),
             _angle_note(session), "<h4>Bends</h4>", _bends_table(session)]
    if session.n_bends:
        parts.append('<div class="two">'
                     + _img(figures.score_histogram_png(session.bends), "Score histogram",
                            "Hinge score per bend, points out of 100 (100 = ideal hip hinge).")
                     + _img(figures.share_vs_depth_png(session.bends, session.decision_share),
                            "Lumbar share vs trunk angle",
                            "Estimated lumbar share of the bend, %, against trunk angle, deg; "
                            "above the dashed line a bend is called spine-led.")
                     + "</div>")
    parts.append(pair_section(session, _img))
    parts.append(_notes(session))
    parts.append("</article>")
    return "".join(parts)


def progress_section(sessions: list[ReportSession], anchor: str = "progress") -> str:
    """Mean score and hip-led share per session for one participant (sessions in date order)."""
    rows = "".join(
        f"<tr><td>{escape(s.name)}</td><td class=nowrap>{escape(_date(s.started_utc))}</td><td class=num>{s.n_bends}</td>"
        f"<td class=num>{number(s.hip_led_pct, 0, ' %')}</td><td class=num>{number(s.mean_score, 0, '/100')}</td>"
        f"<td class=num>{number(_median_hips_back(s), 0, ' cm')}</td></tr>"
        for s in sessions)
    table = ('<div class="scroll"><table><thead><tr><th>session</th><th>date</th><th class=num>bends</th>'
             '<th class=num>hip-led</th><th class=num>mean score</th><th class=num>hips back (median)</th></tr></thead>'
             f"<tbody>{rows}</tbody></table></div>")
    scored = [s for s in sessions if s.n_bends]
    text = ""
    if len(scored) >= 2:
        first, last = scored[0], scored[-1]
        text = (f"<p>From the first to the last session with bends, the mean hinge score "
                f"{change(last.mean_score - first.mean_score, 'points')} and the share of hip-led bends "
                f"{change(last.hip_led_pct - first.hip_led_pct, 'percentage points')}.</p>")
    dates = [s.started_utc for s in sessions]
    charts = ('<div class="two">'
              + _img(figures.trend_png(dates, [s.mean_score for s in sessions], "mean hinge score, points /100",
                                       "Score over sessions"),
                     "Score over sessions", "Mean hinge score per session, points out of 100, in date order.")
              + _img(figures.trend_png(dates, [s.hip_led_pct for s in sessions], "hip-led bends, %",
                                       "Hip-led share over sessions", CLASS_COLOURS[HIP_LED]),
                     "Hip-led share over sessions", "Share of hip-led bends per session, %, in date order.")
              + "</div>")
    return ('<article class="card progress" id="' + escape(anchor) + '"><h3>Progress across sessions</h3>' + text
            + charts + table + "</article>")


def participant_section(participant: str | None, sessions: list[ReportSession], session_html: list[str],
                        anchor: str) -> str:
    """A participant's heading, progress (two or more sessions) and session cards."""
    title = f"Participant {participant}" if participant else f"{sessions[0].name} (participant not recorded)"
    parts = [f'<section class="participant" id="{escape(anchor)}"><h2>{escape(title)}</h2>']
    if participant and len(sessions) >= 2:
        parts.append(progress_section(sessions, f"{anchor}-progress"))
    parts.extend(session_html)
    parts.append("</section>")
    return "".join(parts)


def _swatch(colour: str) -> str:
    return f'<span class="swatch" style="background:{colour}"></span>'


READING_GUIDE = (
    '<section class="guide" id="how-to-read"><h2>How to read this report</h2>'
    "<p>One movement sensor on the lower back measured the forward tilt of the pelvis and how far the hips moved "
    "during each forward bend. This report supports, and does not replace, a clinical assessment.</p><dl>"
    f"<dt>{_swatch(CLASS_COLOURS[HIP_LED])} Hip-led, {_swatch(CLASS_COLOURS[SPINE_LED])} "
    f"spine-led, {_swatch(CLASS_COLOURS[UNCERTAIN])} uncertain</dt>"
    "<dd>A bend is hip-led when it comes mostly from tipping the pelvis about the hips with a neutral lower back, "
    "spine-led when the lower back rounds; uncertain when the estimate lies too close to the boundary for what "
    f"one sensor measured (confidence below {LOW_CONFIDENCE:g} on a 0-1 scale).</dd>"
    "<dt>Hinge score, points out of 100</dt><dd>100 is an ideal hip hinge. It falls mainly with the lumbar share "
    "(the part of the bend done by the lower back, %), and a few points for hips that did not move back, "
    "hesitations or a fast bend; each bend lists its reasons.</dd>"
    "<dt>Hips back, cm</dt><dd>How far the hip joints moved back by the deepest point. "
    f"<strong>{escape(HIPS_BACK_CUE)}</strong>: {escape(HIPS_BACK_WHY)} "
    f"A hinge moves them more than {100 * MIN_HIP_SHIFT_M:.0f} cm.</dd>"
    "<dt>Two angles, deg</dt><dd>The timeline plots the pitch the sensor measured (of the pelvis when it sits on "
    "the sacrum); the table's trunk angle is the whole trunk's lean, pelvis plus lower-back rounding, which is "
    "larger. Lumbar share, trunk angle and hips back are body-model estimates from one sensor, not direct "
    "measurements.</dd>"
    f"<dt>{_swatch(figures.STRETCH_COLOURS[figures.CALIBRATION])} Calibration, "
    f"{_swatch(figures.STRETCH_COLOURS[figures.NOT_COUNTED])} strip along the foot: not counted</dt>"
    "<dd>The timeline marks the calibration hinge at the start, and movements that were not bends (squats, small "
    "or side movements, walking), each listed with its reason under its session.</dd></dl></section>"
)


def group_by_participant(sessions: list[ReportSession]) -> list[tuple[str | None, list[ReportSession]]]:
    """Sessions grouped by participant code, in order of first appearance; sessions of one
    participant sorted by start date (undated ones last, in input order). A session without a
    participant code forms a group of its own: nothing says two of them are one person."""
    groups: dict[object, list[ReportSession]] = {}
    for i, session in enumerate(sessions):
        key = session.participant if session.participant else ("__unknown__", i)
        groups.setdefault(key, []).append(session)
    out = []
    for key, members in groups.items():
        ordered = sorted(enumerate(members), key=lambda p: (p[1].started_utc is None,
                                                            p[1].started_utc or datetime.min.replace(tzinfo=timezone.utc),
                                                            p[0]))
        out.append((key if isinstance(key, str) else None, [m for _, m in ordered]))
    return out


def document(title: str, sections: list[str], toc: list[tuple[str, str, int]], generator: str) -> str:
    """The whole page: title, how to read it, contents (when there is more than one
    session), the sections. toc: (anchor, label, depth 0/1) entries."""
    nav = ""
    if sum(depth == 1 for _, _, depth in toc) > 1:
        items = "".join(f'<li{" class=sub" if depth else ""}><a href="#{escape(a)}">{escape(label)}</a></li>'
                        for a, label, depth in toc)
        nav = f"<nav><strong>Contents</strong><ul>{items}</ul></nav>"
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            f"<title>{escape(title)}</title><style>{CSS}</style></head><body><main>"
            f"<header class=\"top\"><h1>{escape(title)}</h1><p class=\"meta\">{escape(generator)}</p></header>"
            + READING_GUIDE + nav + "".join(sections)
            + f"<footer><p>{escape(generator)}</p></footer></main></body></html>\n")


def render_report(sessions: list[ReportSession], generator: str, on_session=None) -> str:
    """The HTML report of ``sessions``, one section per participant.

    generator: a line naming the software and time, e.g. "hinge 0.1.0, 2026-11-24 12:00 UTC".
    on_session: optional callable run after each session is rendered (progress display).
    """
    groups = group_by_participant(sessions)
    sections, toc = [], []
    for p_index, (participant, members) in enumerate(groups, start=1):
        p_anchor = f"participant-{p_index}"
        toc.append((p_anchor, f"Participant {participant}" if participant else members[0].name, 0))
        if participant and len(members) >= 2:
            toc.append((f"{p_anchor}-progress", "Progress across sessions", 1))
        cards = []
        for s_index, session in enumerate(members, start=1):
            anchor = f"{p_anchor}-session-{s_index}"
            cards.append(session_section(session, anchor))
            when = f" ({_date(session.started_utc)})" if session.started_utc else ""
            toc.append((anchor, f"{session.name}{when}", 1))
            if on_session is not None:
                on_session(session)
        sections.append(participant_section(participant, members, cards, p_anchor))
    participants = [p for p, _ in groups if p]
    if len(groups) == 1:
        title = f"Bend report: {participants[0]}" if participants else f"Bend report: {sessions[0].name}"
    else:
        title = f"Bend report: {len(groups)} participants"
    return document(title, sections, toc, generator)
