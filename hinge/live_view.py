"""The terminal view of `hinge live`: calibration progress, a verdict per bend, the set so far.

On a terminal it is a `rich` live display redrawn in place and sized to the terminal (at
80x24 everything fits: the table keeps as many recent bends as there are lines left, and
every row is one line): the last verdict is drawn large (the class word and the score in
block digits, on the class colour of `analysis.palette`, blue / vermillion, which
colour-blind eyes tell apart), with its main reason and the cue for the next bend, so it
can be read from across the room. Anywhere else (a pipe, a test, a log file) it prints one
plain line per event, so nothing is lost in the output.

Each bend is shown first with its provisional verdict, at the return to upright, and then
with its final one (about 0.3-0.9 s later, once the sensor has settled; the one `hinge
analyse` gives). Only final verdicts are numbered, so a number is never used twice: the
plain output prints "provisional (back upright at T s): ..." and then "bend N: ... (ended
at T s)", plus an "updated" line when the final verdict changes what the athlete was told
(another class, or a score moved by at least `UPDATE_POINTS`); a provisional verdict that
turned out not to be a bend (a squat, standing up) is withdrawn. The set summary counts
final verdicts only. `--beep` rings the terminal bell for every final spine-led verdict:
never for a provisional one, which may still be withdrawn. The bell goes to the terminal
(rich's console, or stderr when that is a terminal), never into a pipe.
"""
from __future__ import annotations

import shutil
import sys
from dataclasses import dataclass, field

__all__ = ["LiveView", "SetSummary", "main_reason", "pair_line", "verdict_changed"]

# Recent verdicts shown in the table, at most (fewer when the terminal is short).
SHOWN_BENDS = 8
# Lines of the display other than the table rows (title, status, verdict panel, summary, ...).
FIXED_LINES = 16
# A least-squares slope of the score smaller than this, points per bend, is "steady".
STEADY_POINTS_PER_BEND = 0.5
# A final verdict whose score moved at least this far from the provisional one is shown, points.
UPDATE_POINTS = 5.0


# Block digits (5 lines) for the score of the last verdict.
_DIGITS = {
    "0": ("███", "█ █", "█ █", "█ █", "███"), "1": (" █ ", "██ ", " █ ", " █ ", "███"),
    "2": ("███", "  █", "███", "█  ", "███"), "3": ("███", "  █", "███", "  █", "███"),
    "4": ("█ █", "█ █", "███", "  █", "  █"), "5": ("███", "█  ", "███", "  █", "███"),
    "6": ("███", "█  ", "███", "█ █", "███"), "7": ("███", "  █", "  █", "  █", "  █"),
    "8": ("███", "█ █", "███", "█ █", "███"), "9": ("███", "█ █", "███", "  █", "███"),
}


def big_digits(number: int) -> list[str]:
    """Five text lines drawing `number` in block digits."""
    glyphs = [_DIGITS[d] for d in str(int(number))]
    return [" ".join(g[row] for g in glyphs) for row in range(5)]


def main_reason(bend: dict) -> str:
    """The first (most important) reason of a verdict, with its number and unit."""
    reasons = list(bend.get("reasons") or [])
    text = reasons[0] if reasons else f"lumbar share {100 * bend['lumbar_share']:.0f}%"
    flags = list(bend.get("quality_flags") or [])
    return text + (f" [{', '.join(flags)}]" if flags else "")


def pair_line(bend_id: int, columns: dict, note: str = "") -> str:
    """One line: bend N (two sensors): lumbar flexion X deg, pelvic tilt Y deg, class, score."""
    lumbar, pelvic = columns.get("lumbar_flexion_deg"), columns.get("pelvic_tilt_deg")
    label = columns.get("two_sensor_label")
    if label is None or lumbar is None or lumbar != lumbar:
        return f"bend {bend_id} (two sensors): not measured{f' ({note})' if note else ''}"
    score = columns.get("two_sensor_score")
    return (f"bend {bend_id} (two sensors): lumbar flexion {lumbar:.0f} deg, pelvic tilt {pelvic:.0f} deg, "
            f"{label}" + (f", score {score:.0f}/100" if score is not None and score == score else ""))


def verdict_changed(provisional: dict | None, final: dict) -> bool:
    """Whether a final verdict is said as an update of its provisional one: another class,
    or a score moved by at least `UPDATE_POINTS` (the terminal and the web page alike)."""
    return provisional is not None and (provisional["label"] != final["label"]
                                        or abs(provisional["score"] - final["score"]) >= UPDATE_POINTS)


@dataclass
class SetSummary:
    """Running summary of the bends so far: count, mean score, trend."""

    scores: list[float] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)

    def add(self, bend: dict) -> None:
        self.scores.append(float(bend["score"]))
        self.labels.append(str(bend["label"]))

    @property
    def count(self) -> int:
        return len(self.scores)

    def counts(self) -> dict:
        """`bend_table.set_summary` of the bends so far."""
        from hinge.analysis.bend_table import set_summary

        return set_summary(self.labels, self.scores)

    @property
    def mean_score(self) -> float | None:
        return self.counts()["mean_score"] if self.scores else None

    def trend_points_per_bend(self) -> float | None:
        """Least-squares slope of the score over the bend number, points per bend (>= 3 bends)."""
        n = len(self.scores)
        if n < 3:
            return None
        mean_x, mean_y = (n - 1) / 2, sum(self.scores) / n
        sxx = sum((i - mean_x) ** 2 for i in range(n))
        return sum((i - mean_x) * (y - mean_y) for i, y in enumerate(self.scores)) / sxx

    def line(self) -> str:
        if not self.scores:
            return "bends: 0"
        s = self.counts()
        unsure = s["n_uncertain"]
        text = (f"bends: {s['n_bends']} ({s['n_hip_led']} hip-led, {s['n_spine_led']} spine-led"
                f"{f', {unsure} uncertain' if unsure else ''}), "
                f"mean score {s['mean_score']:.0f}/100")
        slope = self.trend_points_per_bend()
        if slope is None:
            return text + ", trend: shown from the 3rd bend"
        word = "steady" if abs(slope) < STEADY_POINTS_PER_BEND else ("improving" if slope > 0 else "worsening")
        return text + f", trend: {word} ({slope:+.1f} points per bend)"


class LiveView:
    """Shows the live session. `fancy` None = a rich display when stdout is a terminal."""

    def __init__(self, beep: bool = False, fancy: bool | None = None, stream=None, bell_stream=None):
        self.stream = stream or sys.stdout
        self.fancy = self.stream.isatty() if fancy is None else fancy
        self.beep = beep
        # Plain output: the bell goes to the terminal on stderr, if there is one.
        self.bell_stream = bell_stream if bell_stream is not None else (sys.stderr if sys.stderr.isatty() else None)
        self.summary = SetSummary()
        self.bends: list[dict] = []
        self.calibration = "waiting for the sensor"
        self.calibration_fraction = 0.0
        self.calibrated = False
        self.status_text = ""
        self.messages: list[str] = []
        self._live = None
        self._last_phase = None
        self._last_plain_progress = 0.0

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self, title: str) -> None:
        self.title = title
        if self.fancy:
            from rich.console import Console
            from rich.live import Live

            self._console = Console(file=self.stream)
            self._live = Live(self._render(), console=self._console, refresh_per_second=8, transient=False)
            self._live.start()
        else:
            self._print(f"{title}")
            self._print("calibration: stand still for 3 s, then do one slow hinge (bend forward from the hips "
                        "and stand up again)")

    def stop(self) -> None:
        if self._live is not None:
            self._live.update(self._render())
            self._live.stop()
            self._live = None

    # -- events ------------------------------------------------------------------------------
    def status(self, stats) -> None:
        """``stats``: the recorder's `StreamStats`, or {site: StreamStats} of two sensors."""
        # Host time and counts only: a simulated sensor run faster than real time has a host
        # rate that is not its own, so no rate is shown here (the session records both).
        if isinstance(stats, dict):
            first = next(iter(stats.values()))
            self.status_text = "  ".join([f"{first.elapsed_s:.0f} s", *(
                f"{site}: {st.samples} samples, lost {st.lost_packets}, reconnects {st.reconnects}"
                + (f", battery {st.battery_pct} %" if st.battery_pct is not None else "")
                for site, st in stats.items())])
            self._refresh()
            return
        parts = [f"{stats.elapsed_s:.0f} s", f"{stats.samples} samples", f"lost packets {stats.lost_packets}",
                 f"reconnects {stats.reconnects}"]
        if stats.battery_pct is not None:
            parts.append(f"battery {stats.battery_pct} %")
        self.status_text = "  ".join(parts)
        self._refresh()

    def calibration_progress(self, progress) -> None:
        self.calibration, self.calibration_fraction = progress.message, progress.fraction
        self.calibrated = progress.phase == "done"
        if not self.fancy:
            # Plain output: phase changes and failures, and the still phase in whole seconds.
            changed = progress.phase != self._last_phase or progress.phase == "failed"
            step = progress.phase == "still" and progress.fraction >= self._last_plain_progress + 0.33
            if changed or step:
                prefix = "calibration failed: " if progress.phase == "failed" else "calibration: "
                self._print(prefix + progress.message)
                self._last_plain_progress = progress.fraction if progress.phase == "still" else 0.0
        elif progress.phase == "failed":
            self.messages.append(f"calibration failed: {progress.message}; starting again")
        self._last_phase = progress.phase
        self._refresh()

    def provisional(self, bend: dict) -> None:
        """A verdict at the return to upright; its final one follows (`bend(final, replaces=)`)."""
        self.bends.append({**bend, "provisional": True})
        if not self.fancy:
            # Not numbered: only final verdicts are, so a "bend N:" line is always one.
            self._print(f"provisional (back upright at {bend['end_s']:.2f} s): {bend['label']}, "
                        f"score {bend['score']:.0f}/100, {main_reason(bend)}")
        self._refresh()

    def withdrawn(self, bend: dict) -> None:
        """A provisional verdict that no final bend replaced."""
        self.bends = [b for b in self.bends if b is not bend and not (b.get("provisional") and b["end_s"] == bend["end_s"])]
        line = (f"provisional verdict at {bend['end_s']:.2f} s withdrawn: not a bend once settled "
                "(see 'not counted')")
        if not self.fancy:
            self._print(line)
        else:
            self.messages.append(line)
        self._refresh()

    def bend(self, bend: dict, replaces: dict | None = None) -> None:
        """A final verdict; `replaces` is the provisional verdict already shown for it, if any."""
        if replaces is not None:
            self.bends = [b for b in self.bends if not (b.get("provisional") and b["end_s"] == replaces["end_s"])]
        self.bends.append(bend)
        self.summary.add(bend)
        if bend["label"] == "spine-led":
            self._bell()
        changed = verdict_changed(replaces, bend)
        update = (f"bend {bend['bend_id']} updated: {bend['label']}, score {bend['score']:.0f}/100 "
                  f"(provisional: {replaces['label']}, {replaces['score']:.0f}/100)") if changed else None
        if changed:
            self.bends[-1] = {**bend, "updated": True}
        if not self.fancy:
            self._print(f"bend {bend['bend_id']}: {bend['label']}, score {bend['score']:.0f}/100, "
                        f"{main_reason(bend)} (ended at {bend['end_s']:.2f} s)")
            if update:
                self._print(f"  {update}")
            self._print(f"  {self.summary.line()}")
        elif update:
            self.messages.append(update)
        self._refresh()

    def pair_verdict(self, bend_id: int, columns: dict, note: str = "") -> None:
        """The two-sensor verdict of final bend `bend_id` (`hinge.analysis.two_sensor`): the
        measured lumbar flexion and pelvic tilt, deg, and the class from the measured share."""
        line = pair_line(bend_id, columns, note)
        for b in self.bends:
            if b.get("bend_id") == bend_id and not b.get("provisional"):
                b["two_sensor"] = line
        if not self.fancy:
            self._print(f"  {line}")
        else:
            self.messages.append(line)
        self._refresh()

    def _bell(self) -> None:
        if not self.beep:
            return
        if self._live is not None:
            self._console.bell()  # through rich, so the live display is not disturbed
        elif self.bell_stream is not None:
            self.bell_stream.write("\a")
            self.bell_stream.flush()

    def dropped(self, dropped: tuple) -> None:
        line = f"not counted ({dropped[0]:.2f}-{dropped[1]:.2f} s): {dropped[2]}"
        if not self.fancy:
            self._print(line)
        else:
            self.messages.append(line)
            self._refresh()

    def error(self, message: str) -> None:
        self.messages.append(message)
        if not self.fancy:
            self._print(message)
        self._refresh()

    # -- drawing -----------------------------------------------------------------------------
    def _print(self, line: str) -> None:
        print(line, file=self.stream, flush=True)

    def _refresh(self) -> None:
        if self._live is not None:
            self._live.update(self._render())

    def _render(self):
        from rich.console import Group
        from rich.progress_bar import ProgressBar
        from rich.table import Table
        from rich.text import Text

        from hinge.analysis.palette import CLASS_COLOURS

        width, height = self._size()
        line = lambda text, style="": Text(text, style=style, no_wrap=True, overflow="ellipsis")  # noqa: E731
        parts = [line(getattr(self, "title", "hinge live"), "bold")]
        if self.status_text:
            parts.append(line(f"{self.status_text}  (Ctrl-C ends)", "dim"))
        if not self.calibrated:
            parts.append(line("calibration: stand still for 3 s, then do one slow hinge"))
            parts.append(ProgressBar(total=1.0, completed=self.calibration_fraction, width=min(40, width)))
            parts.append(line(self.calibration, "cyan"))
        else:
            parts.append(line(self.calibration, "green"))
        last = self.bends[-1] if self.bends else None
        if last is not None:
            colour = CLASS_COLOURS.get(last["label"], "#999999")
            banner = f"bend {last['bend_id']}" if not last.get("provisional") else "just now (provisional)"
            words = f" {last['label'].upper()} "
            big = big_digits(round(last["score"]))
            parts.append(line(""))
            for row, digits in enumerate(big):
                left = words if row == 2 else " " * len(words)
                parts.append(Text.assemble((left, f"bold white on {colour}"), "  ", (digits, f"bold {colour}"),
                                           ("  /100" if row == 4 else "", "bold"),
                                           ("   " + banner if row == 0 else "", "dim"), no_wrap=True))
            parts.append(line(main_reason(last)))
            if last.get("cue"):
                parts.append(line(f"next: {last['cue']}", "bold"))
        parts.append(Text(self.summary.line(), style="bold"))  # may wrap: it is the set's result
        rows = max(0, min(SHOWN_BENDS, height - FIXED_LINES - min(2, len(self.messages))))
        if rows:
            table = Table(expand=True, show_edge=False, pad_edge=False, box=None)
            for name, justify, fixed in (("bend", "right", 4), ("end s", "right", 6), ("class", "left", 23),
                                         ("score", "right", 7), ("main reason", "left", None)):
                table.add_column(name, justify=justify, no_wrap=True, overflow="ellipsis", width=fixed,
                                 ratio=None if fixed else 1)
            for b in self.bends[-rows:]:
                label = b["label"] + (" (provisional)" if b.get("provisional") else " (updated)" if b.get("updated") else "")
                table.add_row("-" if b.get("provisional") else str(b["bend_id"]), f"{b['end_s']:.1f}",
                              Text(label, style=CLASS_COLOURS.get(b["label"], "")), f"{b['score']:.0f}/100",
                              main_reason(b))
            parts.append(table)
        for message in self.messages[-2:]:
            parts.append(line(message, "yellow"))
        return Group(*parts)

    def _size(self) -> tuple[int, int]:
        console = getattr(self, "_console", None)
        if console is not None:
            return console.size.width, console.size.height
        size = shutil.get_terminal_size((80, 24))
        return size.columns, size.lines
