"""`hinge live`: record a sensor exactly as `hinge record` does and judge each bend as it ends.

The recording path is `hinge record`'s own (`hinge.acquisition.run_record`); this module
adds an observer: the session writer is wrapped (`live_session.AnalysingSink`) so that
every appended sample also goes to the streaming pipeline
(`hinge.analysis.streaming.StreamingAnalyser`), whose events the view shows
(`live_view.LiveView`). An analysis failure is shown in one line and the recording goes
on. At the end (Ctrl-C, --duration, or the end of the simulated set) the session is
closed, the summary printed and the HTML report written next to the session.
"""
from __future__ import annotations

import argparse
import math
import statistics
import time
from pathlib import Path

from hinge.errors import HingeInputError

__all__ = ["add_live_arguments", "run_live", "LiveSession"]

LIVE_DESCRIPTION = (
    "Record a sensor into a new session folder exactly as `hinge record` does, and judge every "
    "bend as soon as it is back upright: hip-led or spine-led, score and the main reason, with "
    "the set so far (count, mean score, trend). Starts with a guided calibration: stand still for "
    "3 s, then do one slow hinge. Ctrl-C ends the session: the file is closed, the summary printed "
    "and an HTML report written next to the session. With --simulate the simulated sensor stands still, "
    "does the calibration hinge and a mixed set of --bends bends, and the session ends with the set "
    "unless --duration says otherwise.")
LIVE_EPILOG = ("example:\n  hinge live --simulate --speed 4 -o /tmp\n"
               "  hinge live --device hinge-51M0 --participant P01 -o sessions --beep\n"
               "  hinge live --simulate --web --lan -o /tmp\n"
               "  hinge live --simulate --upper-profile hinge_open --speed 4 -o /tmp   # two sensors: sacrum and T12")


def add_live_arguments(p: argparse.ArgumentParser, placements) -> None:
    from hinge.acquisition import add_record_arguments
    from hinge.live_web import add_web_arguments

    add_record_arguments(p, placements)
    p.add_argument("--beep", action="store_true", help="ring the terminal bell for every spine-led bend (at its provisional verdict, "
                   "at the return to upright)")
    p.add_argument("--no-report", action="store_true", help="do not write the HTML report at the end")
    add_web_arguments(p)


class LiveSession:
    """The live side of one recording: analysis, view, calibration annotation, summary."""

    def __init__(self, placement: str, view, fs_hz: float | None = None, web=None, height_m: float | None = None):
        from hinge.analysis.params import params_for_placement
        from hinge.analysis.streaming import StreamingAnalyser

        # The same settings `hinge analyse` takes for the session (hinge.api.analysis_params:
        # the height stored with it, else the default), so that live equals offline.
        extra = {} if height_m is None else {"height_m": height_m}
        self.analyser = StreamingAnalyser(placement=placement, fs_hz=fs_hz,
                                          params=params_for_placement(placement, **extra))
        self.view = view
        self.web = web  # hinge.live_web.LiveWeb (--web), fed what the view is shown
        self.writer = None
        self.path: Path | None = None
        self.failure: str | None = None
        self.latencies_ms: list[float] = []
        # Two sensors (hinge.acquisition sets these): the upper sensor's samples as they
        # arrive (its own clock), and each sensor's recorder for its current clock fit.
        self.upper = None
        self.clocks: dict = {}
        self.follower = None       # hinge.analysis.two_sensor.PairFollower, with an upper sensor

    # -- called by hinge.acquisition ---------------------------------------------------------
    def wrap(self, writer, pair=None):
        """The lower sensor's sink: the writer, also feeding the live analysis. ``pair``: the
        two-sensor session (`hinge.recordings.PairWriter`) the writer belongs to, if any."""
        from hinge.live_session import AnalysingSink

        self.writer, self.path = writer, Path(writer.path if pair is None else pair.path)
        writer.metadata["live"] = {"analysis": "hinge.analysis.streaming", "calibration": "guided"}
        self.view.start(f"hinge live: recording to {self.path}")
        return AnalysingSink(writer, self._on_samples, self._on_error)

    def wrap_upper(self, writer):
        """The upper sensor's sink: the writer, also keeping its new samples for the
        two-sensor verdict of each final bend (`live_session.UpperBuffer`). The caller sets
        ``clocks`` = {"lower": ..., "upper": ...} `StreamRecorder`s, whose current clock fits
        put the upper samples on the lower sensor's clock (the shared base)."""
        from hinge.live_session import UpperBuffer

        self.upper = UpperBuffer(writer)
        return self.upper

    def status(self, stats) -> None:
        self.view.status(stats)
        if self.web is not None:
            self.web.status(self.view.status_text)

    def finish(self, writer) -> None:
        """The recording ended: last decisions, live summary into the metadata. Never raises."""
        try:
            if self.failure is None:
                self._show(self.analyser.finish(), 0.0)
            live = writer.metadata.setdefault("live", {})
            live.update(self.summary())
        except Exception as error:  # noqa: BLE001 - the session must still be closed
            self._on_error(error)
        finally:
            self.view.stop()

    # -- analysis ----------------------------------------------------------------------------
    def _on_samples(self, t_s, acc_mps2, gyr_rad_s) -> None:
        start = time.perf_counter()
        events = self.analyser.push(t_s, acc_mps2, gyr_rad_s)
        if self.upper is not None:
            self._feed_judge(t_s, acc_mps2, gyr_rad_s)
        self._show(events, (time.perf_counter() - start) * 1000.0)

    # -- two sensors: the per-bend verdict of hinge.analysis.two_sensor.PairLiveJudge ----------
    def _feed_judge(self, t_s, acc_mps2, gyr_rad_s) -> None:
        """The lower sensor's new samples (its clock: the shared base) and the upper sensor's
        samples so far, put on the lower's clock through both current clock fits."""
        if self.follower is None:
            from hinge.analysis.two_sensor import PairFollower

            self.follower = PairFollower(self.analyser)
        self.follower.push_lower(t_s, acc_mps2, gyr_rad_s)
        self._push_upper()

    def _push_upper(self) -> None:
        fits = [getattr(self.clocks.get(site), "clock_fit", None) for site in ("lower", "upper")]
        if any(f is None for f in fits):
            return  # no clock fit yet (the first seconds): the upper samples wait in its buffer
        from hinge.recordings.pair import to_lower_clock

        t, acc, gyr = self.upper.take()
        if not t.size:
            return
        on_lower = to_lower_clock(t, (fits[1].offset_s, fits[1].scale), (fits[0].offset_s, fits[0].scale))
        self.follower.push_upper(on_lower, acc, gyr)

    def _judge_pair(self, events) -> None:
        """Hand the lower analyser's events to the follower; show the verdicts it gives."""
        if self.follower is None:
            return
        for bend_id, verdict in self.follower.take(events):
            self.view.pair_verdict(bend_id, verdict.columns, verdict.note)

    def _show(self, events, elapsed_ms: float) -> None:
        from hinge.recordings import CALIBRATION_ANNOTATION

        for event in events:
            if event.kind == "calibration":
                if event.progress.phase == "done" and self.writer is not None:
                    onset_s, duration_s = self.analyser.calibration_window_s
                    self.writer.annotate(onset_s, duration_s, CALIBRATION_ANNOTATION)
                self.view.calibration_progress(event.progress)
            elif event.kind == "bend":
                # Host time from the arrival of the block that ended the bend to its verdict.
                self.latencies_ms.append(elapsed_ms)
                self.view.bend(event.bend, replaces=event.replaces)
            elif event.kind == "provisional":
                self.view.provisional(event.bend)
            elif event.kind == "withdrawn":
                self.view.withdrawn(event.bend)
            else:
                self.view.dropped(event.dropped)
        if self.upper is not None:  # after the one-sensor verdicts: the two-sensor line adds to them
            try:
                self._judge_pair(events)
            except Exception as error:  # noqa: BLE001 - the one-sensor verdicts go on without it
                self.upper, self.follower = None, None
                self.view.error(f"two-sensor verdicts stopped ({type(error).__name__}: {error}); "
                                "the recording and the one-sensor verdicts go on")
        if self.web is not None:
            self.web.update(events, self.analyser)

    def _on_error(self, error: BaseException) -> None:
        text = " ".join(str(error).split()) or type(error).__name__
        self.failure = f"live analysis stopped ({type(error).__name__}: {text}); the recording goes on"
        self.view.error(self.failure)
        if self.web is not None:
            self.web.note(self.failure)

    def summary(self) -> dict:
        """The set summary (`bend_table.set_summary`; JSON-ready: rounded as the bend table,
        None without bends), the calibration window and the verdict latencies."""
        from hinge.analysis.bend_table import set_summary

        bends = self.analyser.bends
        summary = set_summary([b["label"] for b in bends], [b["score"] for b in bends])
        out = {
            **{k: (None if isinstance(v, float) and math.isnan(v) else round(v, 1) if isinstance(v, float) else v)
               for k, v in summary.items()},
            "calibration_window_s": (None if self.analyser.calibration_window_s is None
                                     else [round(v, 6) for v in self.analyser.calibration_window_s]),
            "fs_hz": self.analyser.fs_hz,
        }
        if self.latencies_ms:
            out["verdict_latency_ms"] = {"median": round(statistics.median(self.latencies_ms), 2),
                                         "max": round(max(self.latencies_ms), 2)}
        if self.failure:
            out["failure"] = self.failure
        return out


def last_session_summary(path: Path, participant: str | None) -> dict | None:
    """The live summary of the participant's latest earlier session beside `path`, or None.

    Sessions are named PARTICIPANT_YYYYmmddTHHMMSSZ (hinge.acquisition), so the latest is
    the last in name order; only sessions recorded with `hinge live` carry a summary.
    """
    from hinge.recordings import read_metadata

    if not participant:
        return None
    earlier = sorted(p for p in path.parent.glob(f"{participant}_*") if p.is_dir() and p.name < path.name)
    for candidate in reversed(earlier):
        try:
            live = read_metadata(candidate).get("live")
        except (HingeInputError, OSError, ValueError):
            continue
        if isinstance(live, dict):
            live = _renamed_summary(live)
            if isinstance(live.get("mean_score"), (int, float)) and live.get("n_bends"):
                return {**live, "session": candidate.name}
    return None


# Sessions recorded before the set summary had one home named its counts so.
_OLD_SUMMARY_KEYS = {"bends": "n_bends", "hip_led": "n_hip_led", "spine_led": "n_spine_led", "uncertain": "n_uncertain"}


def _renamed_summary(live: dict) -> dict:
    out = {_OLD_SUMMARY_KEYS.get(k, k): v for k, v in live.items()}
    if "hip_led_pct" not in out and isinstance(out.get("n_hip_led"), int) and out.get("n_bends"):
        out["hip_led_pct"] = 100.0 * out["n_hip_led"] / out["n_bends"]
    return out


def versus_last_session(summary: dict, previous: dict) -> str:
    """One line comparing this set with the last session's: mean score and hip-led share."""
    change = round(summary["mean_score"] - previous["mean_score"])
    moved = f"{change:+d} points" if change else "no change"
    return (f"vs your last session ({previous['session']}): mean score {previous['mean_score']:.0f} -> "
            f"{summary['mean_score']:.0f}/100 ({moved}); hip-led {previous['hip_led_pct']:.0f} % -> "
            f"{summary['hip_led_pct']:.0f} % of bends")


def run_live(args: argparse.Namespace) -> int:
    from hinge.live_web import open_live_web

    with open_live_web(args) as web:  # None without --web; served until the report is written
        return _run_live(args, web)


def _run_live(args: argparse.Namespace, web) -> int:
    from hinge.acquisition import run_record
    from hinge.live_view import LiveView

    view = LiveView(beep=args.beep)
    session = LiveSession(args.placement, view, web=web, height_m=args.height_m)
    t0 = time.monotonic()
    code = run_record(args, live=session)
    if web is not None:
        web.ended()
    if session.path is None:
        return code
    summary = session.summary()
    print(f"session: {session.path} ({time.monotonic() - t0:.0f} s)")
    if summary["calibration_window_s"] is None:
        print("calibration: not completed, so no bends were judged live; "
              f"`hinge analyse {session.path}` calibrates from the whole recording")
    print(view.summary.line())
    previous = last_session_summary(session.path, args.participant)
    if previous is not None and summary["mean_score"] is not None:
        print(versus_last_session(summary, previous))
    if session.failure:
        print(session.failure)
    if not args.no_report:
        print(f"report: {_write_report(session.path, args.placement)}")
    return code


def _write_report(path: Path, placement: str) -> str:
    try:
        from hinge.reporting import write_report
    except ImportError:
        return f"not written (hinge.reporting is not available); the session is {path}"
    out = path.parent / f"{path.name}_report.html"
    try:
        return str(write_report([path], out, placement=placement, progress=False))
    except HingeInputError as error:
        return f"not written ({error}); the session is {path}"
