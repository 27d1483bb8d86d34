"""The terminal view of `hinge live`: calibration progress, a verdict per bend, the set so far.

On a terminal it is a `rich` live display redrawn in place; anywhere else (a pipe, a
test, a log file) it prints one plain line per event, so nothing is lost in the output.
`--beep` rings the terminal bell (BEL, ``\\a``) for every spine-led bend, so an athlete
need not watch the screen.

Each bend is shown first with its provisional verdict, at the return to upright, and
then with its final one (about 0.3 s later, once the sensor has settled; the one
`hinge analyse` gives). On a terminal the final verdict replaces the provisional row in
place, and only one that changes what the athlete was told (another class, or a score
moved by at least `UPDATE_POINTS`) is marked "updated" and announced in a message. The
plain output is the session's event log that scripts parse, so it prints the
provisional verdict as "bend N (provisional): ...", keeps one "bend N: ... (ended at
...)" line per final verdict and adds an "updated" line only for such a change. The set summary counts final verdicts only. The bell rings on the provisional spine-led
verdict, because that is when the athlete needs to hear it, and on a final one only if
no bell rang for that bend yet (hip-led updated to spine-led). A provisional verdict no
final bend replaced is shown as withdrawn.
"""
from __future__ import annotations

import sys
from dataclasses import dataclass, field

__all__ = ["LiveView", "SetSummary", "main_reason"]

# Recent verdicts shown in the table.
SHOWN_BENDS = 8
# A least-squares slope of the score smaller than this, points per bend, is "steady".
STEADY_POINTS_PER_BEND = 0.5
# A final verdict whose score moved at least this far from the provisional one is shown, points.
UPDATE_POINTS = 5.0


def main_reason(bend: dict) -> str:
    """The first (most important) reason of a verdict, with its number and unit."""
    reasons = list(bend.get("reasons") or [])
    text = reasons[0] if reasons else f"lumbar share {100 * bend['lumbar_share']:.0f}%"
    flags = list(bend.get("flags") or [])
    return text + (f" [{', '.join(flags)}]" if flags else "")


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

    @property
    def mean_score(self) -> float | None:
        return sum(self.scores) / len(self.scores) if self.scores else None

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
        hip = self.labels.count("hip-led")
        unsure = self.labels.count("uncertain")
        text = (f"bends: {self.count} ({hip} hip-led, {self.count - hip - unsure} spine-led"
                f"{f', {unsure} uncertain' if unsure else ''}), "
                f"mean score {self.mean_score:.0f}/100")
        slope = self.trend_points_per_bend()
        if slope is None:
            return text + ", trend: shown from the 3rd bend"
        word = "steady" if abs(slope) < STEADY_POINTS_PER_BEND else ("improving" if slope > 0 else "worsening")
        return text + f", trend: {word} ({slope:+.1f} points per bend)"


class LiveView:
    """Shows the live session. `fancy` None = a rich display when stdout is a terminal."""

    def __init__(self, beep: bool = False, fancy: bool | None = None, stream=None):
        self.stream = stream or sys.stdout
        self.fancy = self.stream.isatty() if fancy is None else fancy
        self.beep = beep
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
        self.status_text = stats.status_line()
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
        if bend["label"] == "spine-led":
            self._bell()
        if not self.fancy:
            # "bend N (provisional):", so that a "bend N:" line is always a final verdict.
            self._print(f"bend {bend['bend_id']} (provisional): {bend['label']}, score {bend['score']:.0f}/100, "
                        f"{main_reason(bend)} (back upright at {bend['end_s']:.2f} s)")
        self._refresh()

    def withdrawn(self, bend: dict) -> None:
        """A provisional verdict that no final bend replaced."""
        self.bends = [b for b in self.bends if b is not bend and not (b.get("provisional") and b["end_s"] == bend["end_s"])]
        line = f"bend {bend['bend_id']} (provisional) withdrawn: not judged a bend once settled"
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
        if bend["label"] == "spine-led" and (replaces is None or replaces["label"] != "spine-led"):
            self._bell()
        changed = replaces is not None and (replaces["label"] != bend["label"]
                                            or abs(replaces["score"] - bend["score"]) >= UPDATE_POINTS)
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

    def _bell(self) -> None:
        if not self.beep:
            return
        if self._live is not None:
            self._console.bell()  # through rich, so the live display is not disturbed
        else:
            self.stream.write("\a")
            self.stream.flush()

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

        parts = [Text(getattr(self, "title", "hinge live"), style="bold")]
        if not self.calibrated:
            parts.append(Text("calibration: stand still for 3 s, then do one slow hinge"))
            parts.append(ProgressBar(total=1.0, completed=self.calibration_fraction, width=40))
            parts.append(Text(self.calibration, style="cyan"))
        else:
            parts.append(Text(self.calibration, style="green"))
        table = Table(expand=False, show_edge=False, pad_edge=False)
        for name, justify in (("bend", "right"), ("end s", "right"), ("class", "left"), ("score", "right"),
                              ("main reason", "left")):
            table.add_column(name, justify=justify)
        for b in self.bends[-SHOWN_BENDS:]:
            style = {"spine-led": "red", "hip-led": "green"}.get(b["label"], "yellow")
            label = b["label"] + (" (provisional)" if b.get("provisional") else " (updated)" if b.get("updated") else "")
            table.add_row(str(b["bend_id"]), f"{b['end_s']:.1f}", Text(label, style=style),
                          f"{b['score']:.0f}/100", main_reason(b))
        parts.append(table)
        parts.append(Text(self.summary.line(), style="bold"))
        for message in self.messages[-3:]:
            parts.append(Text(message, style="yellow"))
        if self.status_text:
            parts.append(Text(f"{self.status_text}  (Ctrl-C ends the session)", style="dim"))
        return Group(*parts)
