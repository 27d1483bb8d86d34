"""The contract between `hinge live --web` and its page: JSON messages over one WebSocket.

Every message is an object with a "type":

==============  ==================================================================================
type            fields
==============  ==================================================================================
state           sent first on every (re)connection: what the page shows, at once:
                ``calibration``, ``last`` (a verdict or null), ``recent`` (verdicts, oldest
                first), ``summary``, ``trace``, ``status``, ``notes`` (last lines), ``ended``
calibration     ``phase`` (still, hinge, done, failed), ``fraction`` 0-1, ``message``
verdict         ``stage`` (provisional, final, withdrawn), ``bend`` {bend_id (a provisional
                verdict's is the number its final one is expected to get; only final ones are
                shown numbered), label, score (points /100), score_text, reason, cue (the
                coaching cue for the next bend, or null), start_s, end_s, depth_deg},
                ``updated`` (a final verdict that changes what its provisional one said),
                ``previous`` (that provisional verdict: bend_id, label, score, score_text,
                end_s; or null), ``beep`` (the page beeps), and from `WebState.apply`
                ``recent`` and ``last`` (the verdict to show large)
summary         ``count``, ``mean_score``, ``trend_points_per_bend`` (null below 3 bends), both
                also as the terminal prints them (``mean_text``, ``trend_text``), ``line`` (the
                terminal's summary line), ``scores`` and ``labels`` of every bend
trace           ``t_s`` (sensor time, s) and ``pitch_deg`` (pelvis pitch, forward +, deg) at
                about `TRACE_HZ`
note            ``text``: a movement not counted, an analysis error
status          ``text``: the sensor link (rate, lost packets, ...)
ended           the session is over (the recording is closed)
==============  ==================================================================================

`LiveMessages` turns the live analysis' events (`hinge.analysis.streaming.LiveEvent`) into
messages with the terminal view's rules (`hinge.live_view`: verdict stages, "updated",
the set summary, and the bell: every final spine-led verdict, never a provisional one,
which may still be withdrawn); `WebState` keeps what a page connecting later must see.
Both are pure Python, without the server.
"""
from __future__ import annotations

import math
from collections import deque

import numpy as np

from hinge.analysis.bend_verdict import SPINE_LED
from hinge.live_view import SHOWN_BENDS, SetSummary, main_reason, verdict_changed

__all__ = ["LiveMessages", "WebState", "TRACE_HZ", "TRACE_WINDOW_S"]

# The pelvis pitch is sent at this rate: a bend lasts seconds, so 15 points per second
# draw it smoothly on a phone, at under 1 kB/s.
TRACE_HZ = 15.0
# The page draws (and a new page receives) this much of the trace, s.
TRACE_WINDOW_S = 20.0
# Calibration progress is sent in steps of this fraction (its events come with every block).
CALIBRATION_STEP = 0.05
# Lines kept for the page's notes.
SHOWN_NOTES = 3


def _number(value, digits: int = 2):
    value = float(value)
    return round(value, digits) if math.isfinite(value) else None


def _bend(bend: dict) -> dict:
    """The fields of a verdict the page shows; score_text as the terminal prints it (both round alike)."""
    return {"bend_id": int(bend["bend_id"]), "label": str(bend["label"]), "score": _number(bend["score"], 3),
            "score_text": f"{bend['score']:.0f}", "reason": main_reason(bend),
            "cue": str(bend["cue"]) if bend.get("cue") else None,
            "start_s": _number(bend.get("start_s", math.nan)), "end_s": _number(bend["end_s"]),
            "depth_deg": _number(bend.get("depth_deg", math.nan), 1)}


class LiveMessages:
    """Messages from the live analysis' events, with the terminal view's rules."""

    def __init__(self):
        self.summary = SetSummary()
        self._calibration_key = None
        self._trace_since = 0  # next analysed sample index to read for the trace
        self._trace_slot = -math.inf  # last 1/TRACE_HZ time slot sent

    def from_events(self, events) -> list[dict]:
        """Messages for a list of `LiveEvent`s (calibration progress thinned to steps)."""
        out = []
        for event in events:
            if event.kind == "calibration":
                p = event.progress
                key = (p.phase, int(p.fraction / CALIBRATION_STEP), p.message if p.phase == "failed" else None)
                if key != self._calibration_key:
                    self._calibration_key = key
                    out.append({"type": "calibration", "phase": p.phase, "fraction": _number(p.fraction),
                                "message": p.message})
            elif event.kind == "provisional":
                out.append({"type": "verdict", "stage": "provisional", "bend": _bend(event.bend), "updated": False,
                            "previous": None, "beep": False})
            elif event.kind == "bend":
                out += self._final(event.bend, event.replaces)
            elif event.kind == "withdrawn":
                out.append({"type": "verdict", "stage": "withdrawn", "bend": _bend(event.bend), "updated": False,
                            "previous": None, "beep": False})
                out.append(self.note(f"provisional verdict at {event.bend['end_s']:.2f} s withdrawn: "
                                     "not a bend once settled (see 'not counted')"))
            else:
                start_s, end_s, reason = event.dropped
                out.append(self.note(f"not counted ({start_s:.2f}-{end_s:.2f} s): {reason}"))
        return out

    def _final(self, bend: dict, replaces: dict | None) -> list[dict]:
        self.summary.add(bend)
        # As the terminal: "updated" by the same rule (`live_view.verdict_changed`); the
        # bell for every final spine-led verdict.
        updated = verdict_changed(replaces, bend)
        previous = None if replaces is None else {
            key: _bend(replaces)[key] for key in ("bend_id", "label", "score", "score_text", "end_s")}
        s = self.summary
        slope = s.trend_points_per_bend()
        # The texts are formatted as in the terminal's summary line, so both round alike.
        summary = {"type": "summary", "count": s.count, "mean_score": _number(s.mean_score, 3),
                   "mean_text": f"{s.mean_score:.0f}",
                   "trend_points_per_bend": None if slope is None else _number(slope, 3),
                   "trend_text": None if slope is None else f"{slope:+.1f}",
                   "line": s.line(), "scores": [_number(v, 3) for v in s.scores], "labels": list(s.labels)}
        return [{"type": "verdict", "stage": "final", "bend": _bend(bend), "updated": updated, "previous": previous,
                 "beep": bool(bend["label"] == SPINE_LED)}, summary]

    def trace(self, analyser) -> list[dict]:
        """The pelvis pitch analysed since the last call, thinned to TRACE_HZ (one message or none).

        `analyser` is the `StreamingAnalyser`; its `pitch_trace` gives the analysed samples.
        """
        self._trace_since, t_s, pitch_deg = analyser.pitch_trace(self._trace_since)
        if not len(t_s):
            return []
        slot = np.floor(t_s * TRACE_HZ)
        # The first sample of every new time slot.
        keep = np.flatnonzero((slot > self._trace_slot) & np.r_[True, slot[1:] != slot[:-1]])
        keep = keep[np.isfinite(pitch_deg[keep])]
        if not len(keep):
            return []
        self._trace_slot = float(slot[keep[-1]])
        return [{"type": "trace", "t_s": np.round(t_s[keep], 3).tolist(),
                 "pitch_deg": np.round(pitch_deg[keep], 1).tolist()}]

    @staticmethod
    def note(text: str) -> dict:
        return {"type": "note", "text": text}

    @staticmethod
    def status(text: str) -> dict:
        return {"type": "status", "text": text}

    @staticmethod
    def ended() -> dict:
        return {"type": "ended"}


class WebState:
    """What a page must see when it connects: the messages so far, folded (`apply`, `snapshot`)."""

    def __init__(self):
        self.calibration: dict | None = None
        self.recent: list[dict] = []  # verdict messages shown in the list, oldest first
        self.last: dict | None = None  # the verdict shown large
        self.summary: dict | None = None
        self.trace: deque = deque(maxlen=int(2 * TRACE_WINDOW_S * TRACE_HZ))
        self.status: str | None = None
        self.notes: deque = deque(maxlen=SHOWN_NOTES)
        self.ended = False

    def apply(self, message: dict) -> dict:
        """Fold one message in; returns the message to send (a verdict gains ``recent``)."""
        kind = message["type"]
        if kind == "calibration":
            self.calibration = message
        elif kind == "verdict":
            self._verdict(message)
            message = {**message, "recent": list(self.recent), "last": self.last}
        elif kind == "summary":
            self.summary = message
        elif kind == "trace":
            self.trace.extend(zip(message["t_s"], message["pitch_deg"]))
        elif kind == "status":
            self.status = message["text"]
        elif kind == "note":
            self.notes.append(message["text"])
        elif kind == "ended":
            self.ended = True
        return message

    def _verdict(self, message: dict) -> None:
        bend, stage = message["bend"], message["stage"]

        def provisional_of(entry: dict, end_s) -> bool:
            return entry["stage"] == "provisional" and entry["bend"]["end_s"] == end_s

        if stage == "provisional":
            self.recent.append(message)
        elif stage == "withdrawn":
            self.recent = [m for m in self.recent if not provisional_of(m, bend["end_s"])]
        else:
            previous = message["previous"]
            if previous is not None:
                self.recent = [m for m in self.recent if not provisional_of(m, previous["end_s"])]
            self.recent.append(message)
        self.recent = self.recent[-SHOWN_BENDS:]
        # The large verdict: the newest one; a withdrawn one gives way to the newest left.
        self.last = {**message, "beep": False} if stage != "withdrawn" else (
            {**self.recent[-1], "beep": False} if self.recent else None)

    def snapshot(self) -> dict:
        """The "state" message for a page that connects now (no beep: nothing new happened)."""
        trace = list(self.trace)
        if trace:
            newest = trace[-1][0]
            trace = [p for p in trace if p[0] >= newest - TRACE_WINDOW_S]
        return {"type": "state", "calibration": self.calibration, "last": self.last,
                "recent": [{**m, "beep": False} for m in self.recent], "summary": self.summary,
                "trace": {"t_s": [p[0] for p in trace], "pitch_deg": [p[1] for p in trace]},
                "status": self.status, "notes": list(self.notes), "ended": self.ended}
