"""The report as one self-contained HTML document.

No network and no external assets: the style sheet is inline and the plots are embedded
as base64 PNG, so the file can be opened anywhere or sent by e-mail. Every piece of text
that comes from the data (participant codes, file names, reasons, warnings) goes through
`html.escape`.
"""
from __future__ import annotations

import base64
import math
from datetime import datetime, timezone
from html import escape

import numpy as np

from ..pipeline import MIN_PLANARITY, MIN_SIGN_MARGIN
from . import figures
from .base import HIP_LED, SPINE_LED, UNCERTAIN, ReportSession
from .summary import LOW_CONFIDENCE, advice, headline

__all__ = ["calibration_quality", "session_section", "progress_section", "participant_section", "document",
           "render_report", "group_by_participant"]

CSS = """
:root { --hip: #0072B2; --spine: #D55E00; --ink: #1d1d1f; --muted: #5f6368; --line: #e3e3e6; --bg: #f6f7f9; }
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--ink);
       font: 15px/1.5 -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, "Liberation Sans", sans-serif; }
main { max-width: 1080px; margin: 0 auto; padding: 28px 24px 48px; }
header.top { border-bottom: 3px solid var(--ink); padding-bottom: 10px; margin-bottom: 22px; }
h1 { font-size: 26px; margin: 0 0 4px; letter-spacing: -0.01em; }
h2 { font-size: 21px; margin: 34px 0 12px; padding-bottom: 6px; border-bottom: 1px solid var(--line); }
h3 { font-size: 18px; margin: 0 0 12px; }
h4 { font-size: 15px; margin: 22px 0 8px; text-transform: uppercase; letter-spacing: 0.04em; color: var(--muted); }
.meta { color: var(--muted); font-size: 13px; margin: 0; }
nav ul { margin: 6px 0 0; padding-left: 20px; font-size: 14px; }
.card { background: #fff; border: 1px solid var(--line); border-radius: 10px; padding: 20px 22px; margin: 0 0 22px;
        box-shadow: 0 1px 2px rgba(0,0,0,0.04); }
.kpis { display: grid; grid-template-columns: repeat(4, 1fr); gap: 12px; margin: 4px 0 16px; }
.kpi { background: var(--bg); border-radius: 8px; padding: 10px 12px; }
.kpi .v { font-size: 22px; font-weight: 650; }
.kpi .k { font-size: 12px; color: var(--muted); }
table { border-collapse: collapse; width: 100%; font-size: 13.5px; }
th, td { text-align: left; padding: 6px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-weight: 600; color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: 0.03em; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
table.facts { width: auto; }
table.facts th { text-transform: none; letter-spacing: 0; font-size: 13.5px; padding-right: 22px; }
.badge { display: inline-block; padding: 1px 8px; border-radius: 10px; color: #fff; font-size: 12px; white-space: nowrap; }
.badge.hip-led { background: var(--hip); } .badge.spine-led { background: var(--spine); }
.badge.uncertain { background: #777777; }
.ok { color: #1a7f37; font-weight: 600; } .check { color: #b35900; font-weight: 600; }
.summary { background: #f0f6fb; border-left: 4px solid var(--hip); padding: 12px 16px; border-radius: 6px; }
.summary p { margin: 0 0 8px; }
.summary ol { margin: 6px 0 0; padding-left: 20px; } .summary li { margin: 4px 0; }
figure { margin: 14px 0 4px; }
figure img { display: block; width: 100%; height: auto; }
figcaption { font-size: 12.5px; color: var(--muted); margin-top: 4px; }
.two { display: grid; grid-template-columns: 1fr 1fr; gap: 18px; }
.low { color: var(--muted); }
ul.plain { margin: 4px 0; padding-left: 20px; font-size: 13.5px; }
footer { font-size: 13px; color: var(--muted); border-top: 1px solid var(--line); margin-top: 30px; padding-top: 12px; }
@media (max-width: 760px) { .two, .kpis { grid-template-columns: 1fr 1fr; } }
@media print { body { background: #fff; } .card { box-shadow: none; break-inside: avoid-page; } }
"""


def _fmt(value, spec: str, unit: str = "", missing: str = "–") -> str:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return missing
    if not math.isfinite(number):
        return missing
    return f"{number:{spec}}{unit}"


def _date(value: datetime | None) -> str:
    if value is None:
        return "not recorded"
    return value.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def _img(png: bytes, alt: str, caption: str) -> str:
    data = base64.b64encode(png).decode("ascii")
    return (f'<figure><img src="data:image/png;base64,{data}" alt="{escape(alt)}">'
            f"<figcaption>{escape(caption)}</figcaption></figure>")


def calibration_quality(calibration: dict) -> tuple[bool, str]:
    """(good, one-line description with units) of the mounting calibration."""
    if not calibration.get("ok", False):
        return False, f"failed: {calibration.get('reason', 'unknown reason')}; no bends could be judged"
    planarity = float(calibration.get("flexion_axis_planarity_pct", float("nan")))
    margin = float(calibration.get("flexion_sign_margin", float("nan")))
    good = planarity >= 100 * MIN_PLANARITY and margin >= MIN_SIGN_MARGIN
    parts = [
        f"{_fmt(calibration.get('quiet_standing_s'), '.0f', ' s')} quiet standing",
        f"movement {_fmt(planarity, '.0f', ' %')} about one flexion axis (needs ≥ {100 * MIN_PLANARITY:.0f} %)",
        f"flexion direction margin {_fmt(margin, '.2f')} (needs ≥ {MIN_SIGN_MARGIN:g})",
        f"sensor tilted {_fmt(calibration.get('sensor_tilt_from_upright_deg'), '.0f', ' deg')} from upright",
    ]
    return good, ("good" if good else "check") + ": " + ", ".join(parts)


def _kpis(session: ReportSession) -> str:
    items = [
        (str(session.n_bends), "bends"),
        (_fmt(session.hip_led_pct, ".0f", " %"), "hip-led"),
        (_fmt(session.mean_score, ".0f", "/100"), "mean hinge score"),
        (_fmt(session.duration_s / 60, ".1f", " min"), "recorded"),
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
        ("Recording", escape(f"{session.duration_s:.1f} s at {session.fs_hz:.0f} Hz; {session.source}")),
        ("Calibration", f'<span class="{"ok" if good else "check"}">{escape(head)}</span>: {escape(rest)}'),
    ]
    body = "".join(f"<tr><th>{k}</th><td>{v}</td></tr>" for k, v in rows)
    return f'<table class="facts">{body}</table>'


def _summary(session: ReportSession) -> str:
    items = advice(session.bends)
    parts = [f"<p><strong>{escape(headline(session.bends))}</strong></p>"]
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


def _bends_table(session: ReportSession) -> str:
    if not session.n_bends:
        return '<p class="low">No bends.</p>'
    t0 = float(session.t_s[0]) if len(session.t_s) else 0.0
    head = ("<tr><th class=num>#</th><th class=num>start, s</th><th class=num>length, s</th><th>class</th>"
            "<th class=num>score</th><th class=num>lumbar share</th><th class=num>depth</th>"
            "<th class=num>confidence</th><th>reasons</th></tr>")
    rows = []
    for bend_id, b in session.bends.iterrows():
        label = str(b["label"])
        css = label if label in (HIP_LED, SPINE_LED, UNCERTAIN) else ""
        reasons = "; ".join(_list_cell(b["reasons"])) or "–"
        flags = _list_cell(b.get("flags"))
        if flags:
            reasons += f" [flags: {', '.join(flags)}]"
        low = float(b["confidence"]) < LOW_CONFIDENCE
        rows.append(
            f"<tr id=\"{escape(session.name)}-bend-{int(bend_id)}\"><td class=num>{int(bend_id)}</td>"
            f"<td class=num>{_fmt(float(b['start_s']) - t0, '.1f')}</td>"
            f"<td class=num>{_fmt(float(b['end_s']) - float(b['start_s']), '.1f')}</td>"
            f"<td><span class=\"badge {escape(css)}\">{escape(label)}</span></td>"
            f"<td class=num>{_fmt(b['score'], '.0f', '/100')}</td>"
            f"<td class=num>{_fmt(100 * float(b['lumbar_share']), '.0f', ' %')}</td>"
            f"<td class=num>{_fmt(b['depth_deg'], '.0f', ' deg')}</td>"
            f"<td class=\"num{' low' if low else ''}\">{_fmt(b['confidence'], '.2f')}</td>"
            f"<td>{escape(reasons)}</td></tr>")
    return f'<table class="bends"><thead>{head}</thead><tbody>{"".join(rows)}</tbody></table>'


def _notes(session: ReportSession) -> str:
    parts = []
    if session.warnings:
        parts.append("<h4>Data quality</h4><ul class=plain>"
                     + "".join(f"<li>{escape(w)}</li>" for w in session.warnings) + "</ul>")
    if len(session.dropped):
        t0 = float(session.t_s[0]) if len(session.t_s) else 0.0
        items = "".join(f"<li>{_fmt(float(d.start_s) - t0, '.1f')}–{_fmt(float(d.end_s) - t0, '.1f', ' s')}: "
                        f"{escape(str(d.reason))}</li>" for d in session.dropped.sort_values("start_s").itertuples())
        parts.append(f"<h4>Movements not counted as bends</h4><ul class=plain>{items}</ul>")
    return "".join(parts)


def session_section(session: ReportSession, anchor: str) -> str:
    """One session's card: facts, summary, timeline, bends table, distributions, notes."""
    title = f"{session.name} — {_date(session.started_utc)}" if session.started_utc else session.name
    parts = [f'<article class="card session" id="{escape(anchor)}"><h3>{escape(title)}</h3>',
             _kpis(session), _facts(session), "<h4>Summary</h4>", _summary(session), "<h4>Timeline</h4>",
             _img(figures.timeline_png(session), f"Sagittal pitch over time, {session.name}",
                  "Sensor pitch over time (forward bending is positive), deg. Each bend is shaded by its class "
                  "and numbered as in the table (where crowded, every 5th or 10th); grey stretches are movements "
                  "that were not bends." + (f" Drawn in rows of {figures.ROW_S / 60:.0f} min."
                                            if figures.timeline_rows(session.duration_s)[0] > 1 else "")),
             "<h4>Bends</h4>", _bends_table(session)]
    if session.n_bends:
        parts.append('<div class="two">'
                     + _img(figures.score_histogram_png(session.bends), "Score histogram",
                            "Hinge score per bend, points out of 100 (100 = ideal hip hinge).")
                     + _img(figures.share_vs_depth_png(session.bends, session.decision_share), "Lumbar share vs depth",
                            "Estimated lumbar share of the bend, %, against trunk depth, deg; "
                            "above the dashed line a bend is called spine-led.")
                     + "</div>")
    parts.append(_notes(session))
    parts.append("</article>")
    return "".join(parts)


def progress_section(sessions: list[ReportSession], anchor: str = "progress") -> str:
    """Mean score and hip-led share per session for one participant (sessions in date order)."""
    rows = "".join(
        f"<tr><td>{escape(s.name)}</td><td>{escape(_date(s.started_utc))}</td><td class=num>{s.n_bends}</td>"
        f"<td class=num>{_fmt(s.hip_led_pct, '.0f', ' %')}</td><td class=num>{_fmt(s.mean_score, '.0f', '/100')}</td></tr>"
        for s in sessions)
    table = ("<table><thead><tr><th>session</th><th>date</th><th class=num>bends</th><th class=num>hip-led</th>"
             f"<th class=num>mean score</th></tr></thead><tbody>{rows}</tbody></table>")
    scored = [s for s in sessions if s.n_bends]
    change = ""
    if len(scored) >= 2:
        first, last = scored[0], scored[-1]
        delta_score = last.mean_score - first.mean_score
        delta_hip = last.hip_led_pct - first.hip_led_pct
        change = (f"<p>From the first to the last session with bends, the mean hinge score changed by "
                  f"{delta_score:+.0f} points and the share of hip-led bends by {delta_hip:+.0f} percentage points.</p>")
    png = figures.progress_png([s.started_utc for s in sessions], [s.mean_score for s in sessions],
                               [s.hip_led_pct for s in sessions])
    return ('<article class="card progress" id="' + escape(anchor) + '"><h3>Progress across sessions</h3>' + change
            + _img(png, "Progress across sessions",
                   "Mean hinge score (points out of 100) and share of hip-led bends (%) per session, in date order.")
            + table + "</article>")


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


FOOTER = (
    "<footer><p><strong>How to read this report.</strong> One movement sensor on the lower back (placement above) "
    "measured the tilt of the pelvis and the movement of the hips during each forward bend. A bend is "
    "<em>hip-led</em> when it comes mostly from tipping the pelvis about the hips with a neutral lower back, and "
    "<em>spine-led</em> when the lower back rounds. The lumbar share and trunk depth are estimates from a body "
    "model, not direct measurements; bends with low confidence are close to the boundary and are best read as "
    "mixed. This report supports, and does not replace, a clinical assessment.</p>"
    "<p>{generator}</p></footer>"
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
    """The whole page. toc: (anchor, label, depth 0/1) entries, shown when there is more than one."""
    nav = ""
    if sum(depth == 1 for _, _, depth in toc) > 1:
        items = "".join(f'<li style="margin-left:{16 * depth}px"><a href="#{escape(a)}">{escape(label)}</a></li>'
                        for a, label, depth in toc)
        nav = f"<nav><strong>Contents</strong><ul>{items}</ul></nav>"
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            f"<title>{escape(title)}</title><style>{CSS}</style></head><body><main>"
            f"<header class=\"top\"><h1>{escape(title)}</h1><p class=\"meta\">{escape(generator)}</p>{nav}</header>"
            + "".join(sections) + FOOTER.format(generator=escape(generator)) + "</main></body></html>\n")


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
