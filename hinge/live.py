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
               "  hinge live --device hinge-51M0 --participant P01 -o sessions --beep")


def add_live_arguments(p: argparse.ArgumentParser, placements) -> None:
    from hinge.acquisition import add_record_arguments

    add_record_arguments(p, placements)
    p.add_argument("--beep", action="store_true", help="ring the terminal bell for every spine-led bend (at its provisional verdict, "
                   "at the return to upright)")
    p.add_argument("--bends", type=int, default=10,
                   help="with --simulate: bends in the simulated set (hip-led and spine-led mixed)")
    p.add_argument("--no-report", action="store_true", help="do not write the HTML report at the end")


class LiveSession:
    """The live side of one recording: analysis, view, calibration annotation, summary."""

    def __init__(self, placement: str, view, fs_hz: float | None = None):
        from hinge.analysis.streaming import StreamingAnalyser

        self.analyser = StreamingAnalyser(placement=placement, fs_hz=fs_hz)
        self.view = view
        self.writer = None
        self.path: Path | None = None
        self.failure: str | None = None
        self.latencies_ms: list[float] = []

    # -- called by hinge.acquisition ---------------------------------------------------------
    def wrap(self, writer):
        from hinge.live_session import AnalysingSink

        self.writer, self.path = writer, Path(writer.path)
        source = writer.metadata.get("source")
        if isinstance(source, dict):
            source["generator"] = "hinge live --simulate"
        writer.metadata["live"] = {"analysis": "hinge.analysis.streaming", "calibration": "guided"}
        self.view.start(f"hinge live: recording to {self.path}")
        return AnalysingSink(writer, self._on_samples, self._on_error)

    def status(self, stats) -> None:
        self.view.status(stats)

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
        self._show(events, (time.perf_counter() - start) * 1000.0)

    def _show(self, events, elapsed_ms: float) -> None:
        from hinge.live_session import CALIBRATION_ANNOTATION

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

    def _on_error(self, error: BaseException) -> None:
        text = " ".join(str(error).split()) or type(error).__name__
        self.failure = f"live analysis stopped ({type(error).__name__}: {text}); the recording goes on"
        self.view.error(self.failure)

    def summary(self) -> dict:
        bends = self.analyser.bends
        scores = [b["score"] for b in bends]
        out = {
            "bends": len(bends),
            "hip_led": sum(b["label"] == "hip-led" for b in bends),
            "spine_led": sum(b["label"] == "spine-led" for b in bends),
            "uncertain": sum(b["label"] == "uncertain" for b in bends),
            "mean_score": round(statistics.fmean(scores), 1) if scores else None,
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


def _simulated_set_s(args) -> float:
    """Sensor-clock length of the simulated set (calibration + bends), s."""
    from hinge.analysis.body_model import BodyModelStream
    from hinge.firmware_protocol import get_profile

    rate = float(args.rate_hz or get_profile("hinge_open").default_rate_hz)
    return BodyModelStream(rate, seed=args.seed, placement=args.placement, **args.motion_options).first_session_s()


def run_live(args: argparse.Namespace) -> int:
    from hinge.acquisition import run_record
    from hinge.live_view import LiveView

    if args.bends < 1:
        raise HingeInputError(f"--bends {args.bends}: need at least 1 bend")
    if args.bends != 10 and not args.simulate:
        raise HingeInputError(f"--bends {args.bends}: only with --simulate")
    if args.simulate:
        args.motion_options = {"guided_calibration": True, "bends_per_chunk": args.bends}
        if args.duration is None and args.speed > 0:
            # Stop at the end of the simulated set (plus a second for connecting).
            args.duration = _simulated_set_s(args) / args.speed + 1.0
    view = LiveView(beep=args.beep)
    session = LiveSession(args.placement, view)
    t0 = time.monotonic()
    code = run_record(args, live=session)
    if session.path is None:
        return code
    summary = session.summary()
    print(f"session: {session.path} ({time.monotonic() - t0:.0f} s)")
    if summary["calibration_window_s"] is None:
        print("calibration: not completed, so no bends were judged live; "
              f"`hinge analyse {session.path}` calibrates from the whole recording")
    print(view.summary.line())
    if "verdict_latency_ms" in summary:
        lat = summary["verdict_latency_ms"]
        print(f"verdict latency (host processing only, once the deciding samples had arrived; "
              "benchmarks/live_latency.py measures it from the return to upright): "
              f"median {lat['median']:.1f} ms, max {lat['max']:.1f} ms")
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
