"""`hinge live --web` in a real headless browser (Debian's chromium, as tests/test_report_browser.py
drives it: the DevTools protocol over a pipe, standard library only).

* During `hinge live --simulate --web --port 0` every verdict appears on the page within
  300 ms of its line in the terminal: the page writes `performance.timeOrigin +
  performance.now()` (ms since the epoch) for each verdict it shows, and the test stamps
  each terminal line with `time.time()` as it reads it; both read this machine's clock.
* A reloaded page shows the set at once (from the state message, not from new verdicts).
* A restarted server is found again by itself; a link whose token no longer holds says so.
* The page asks nothing of anything but its own server on 127.0.0.1, and throws no errors.
"""
from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from test_report_browser import CHROMIUM, DevTools

from hinge.analysis.streaming import LiveEvent, StreamingAnalyser
from hinge.live_web import start_live_web

pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(CHROMIUM is None, reason="no chromium binary (Debian: apt-get install chromium)")]

# The bound: the page shows a verdict at most this long after the terminal, ms.
MAX_PAGE_LAG_MS = 300.0
# The terminal's verdict lines (hinge.live_view, plain output): a provisional one is not numbered.
FINAL_LINE = re.compile(r"^bend \d+: (hip-led|spine-led|uncertain), score (\d+)/100, .* \(ended at ([\d.]+) s\)$")
PROVISIONAL_LINE = re.compile(r"^provisional \(back upright at ([\d.]+) s\): (hip-led|spine-led|uncertain), "
                              r"score (\d+)/100")


class Browser:
    """One headless chromium page, driven over the DevTools pipe."""

    def __init__(self, profile_dir: Path):
        self.tools = DevTools(profile_dir)
        targets = self.tools.send("Target.getTargets", browser=True)["targetInfos"]
        page = next(t for t in targets if t["type"] == "page")
        self.tools.session_id = self.tools.send("Target.attachToTarget", {"targetId": page["targetId"], "flatten": True},
                                                browser=True)["sessionId"]
        for domain in ("Page", "Runtime", "Network", "Log"):
            self.tools.send(f"{domain}.enable")
        # A phone's screen.
        self.tools.send("Emulation.setDeviceMetricsOverride",
                        {"width": 412, "height": 900, "deviceScaleFactor": 2, "mobile": True})

    def evaluate(self, expression: str):
        result = self.tools.send("Runtime.evaluate", {"expression": expression, "returnByValue": True})
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def wait_until(self, expression: str, timeout_s: float = 20.0):
        """The expression's value once it is truthy (polled every 20 ms; a page being replaced is waited for)."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            try:
                value = self.evaluate(expression)
            except RuntimeError:  # the page is loading: no document to ask yet
                value = None
            if value:
                return value
            time.sleep(0.02)
        raise AssertionError(f"not within {timeout_s:g} s: {expression}")

    def navigate(self, url: str) -> None:
        self.tools.send("Page.navigate", {"url": url})
        self.wait_until("document.readyState === 'complete' && typeof window.hingeShown === 'object'")

    def reload(self) -> None:
        self.evaluate("window.beforeReload = true")
        self.tools.send("Page.reload", {"ignoreCache": True})
        self.wait_until("!window.beforeReload && document.readyState === 'complete' && !!window.hingeShown")

    def tap(self, element_id: str) -> None:
        """A real tap (mouse press and release at the element), so the page may start audio."""
        x, y = self.evaluate(f"(() => {{ const r = document.getElementById('{element_id}').getBoundingClientRect();"
                             " return [r.left + r.width / 2, r.top + r.height / 2]; })()")
        for kind in ("mousePressed", "mouseReleased"):
            self.tools.send("Input.dispatchMouseEvent", {"type": kind, "x": x, "y": y, "button": "left", "clickCount": 1})

    def problems(self, before_ms: float = float("inf")) -> list[str]:
        """JavaScript exceptions, and console errors logged before `before_ms` (ms since the epoch)."""
        found = []
        for event in self.tools.events:
            method, params = event.get("method"), event.get("params", {})
            if method == "Runtime.exceptionThrown":
                found.append(str(params["exceptionDetails"]))
            elif method == "Log.entryAdded" and params["entry"]["level"] == "error" \
                    and params["entry"]["timestamp"] < before_ms:
                found.append(params["entry"]["text"])
            elif method == "Runtime.consoleAPICalled" and params.get("type") == "error":
                found.append(str(params.get("args")))
        return found

    def urls(self) -> list[str]:
        """Every URL the page asked for: documents, fetches and WebSockets."""
        return [e["params"]["request"]["url"] if e["method"] == "Network.requestWillBeSent" else e["params"]["url"]
                for e in self.tools.events if e.get("method") in ("Network.requestWillBeSent", "Network.webSocketCreated")]

    def close(self) -> None:
        self.tools.close()


class HingeLive:
    """`hinge live --simulate --web --port 0` in a subprocess; every stdout line stamped (ms since the epoch)."""

    def __init__(self, out_dir: Path, *options: str):
        self.err_path = out_dir / "stderr.txt"
        with open(self.err_path, "w") as err:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "hinge", "live", "--simulate", "--web", "--port", "0", "-o", str(out_dir),
                 "--no-report", *options], stdout=subprocess.PIPE, stderr=err, text=True,
                env={**os.environ, "PYTHONUNBUFFERED": "1"})
        self.lines: list[tuple[float, str]] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        for line in self.process.stdout:
            self.lines.append((time.time() * 1000.0, line.rstrip("\n")))

    def wait_line(self, pattern: str, timeout_s: float = 120.0) -> re.Match:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            for _, line in list(self.lines):
                match = re.search(pattern, line)
                if match:
                    return match
            if self.process.poll() is not None and not self._reader.is_alive():
                break
            time.sleep(0.01)
        raise AssertionError(f"no line {pattern!r} in:\n" + "\n".join(line for _, line in self.lines))

    def wait_end(self, timeout_s: float = 120.0) -> int:
        code = self.process.wait(timeout_s)
        self._reader.join(10)
        return code

    def verdicts(self) -> list[tuple[float, tuple]]:
        """(ms, (stage, label, score text, end_s)) of every verdict line."""
        out = []
        for ms, line in self.lines:
            if match := FINAL_LINE.match(line):
                label, score, end_s = match.groups()
                out.append((ms, ("final", label, score, float(end_s))))
            elif match := PROVISIONAL_LINE.match(line):
                end_s, label, score = match.groups()
                out.append((ms, ("provisional", label, score, float(end_s))))
        return out

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


SHOWN = "window.hingeShown"
LINK_STATE = "document.getElementById('link').dataset.state"
CARD = ("(() => { const c = document.getElementById('verdict'); return {bend_id: Number(c.dataset.bendId), "
        "stage: c.dataset.stage, label: c.dataset.label, count: Number(document.getElementById('count').textContent), "
        "recent: document.getElementById('recent').children.length}; })()")


def test_each_verdict_reaches_the_page_within_300_ms_of_the_terminal_and_a_reload_catches_up(tmp_path):
    browser = Browser(tmp_path / "profile")  # chromium starts while hinge starts
    hinge = HingeLive(tmp_path, "--speed", "4", "--bends", "5", "--seed", "4")
    try:
        url = hinge.wait_line(r"^web view: (http://127\.0\.0\.1:\d+/) \(this computer only").group(1)
        browser.navigate(url)
        browser.wait_until(f"{LINK_STATE} === 'live'")
        browser.tap("sound")
        browser.wait_until("window.hingeSoundOnMs > 0")
        # Two bends, then a reload.
        hinge.wait_line(r"^bend 2: ")
        browser.wait_until(f"{SHOWN}.some(v => v.bend_id === 2 && v.stage === 'final')", timeout_s=5)
        before = browser.evaluate(SHOWN)
        beeps_before = browser.evaluate("window.hingeBeeps")
        sound_before_ms = browser.evaluate("window.hingeSoundOnMs")
        reload_ms = time.time() * 1000.0
        finals_printed = sum(stage == "final" for _, (stage, *_) in hinge.verdicts())
        browser.reload()
        # At once, from the state message: the set so far, the last verdict large.
        card = browser.wait_until(f"(() => {{ const c = {CARD}; return c.count >= {finals_printed} && c; }})()",
                                  timeout_s=5)
        state_ms = time.time() * 1000.0
        assert card["bend_id"] >= 2 and card["label"] in ("hip-led", "spine-led", "uncertain") and card["recent"] >= 2
        caught_up = browser.evaluate(SHOWN)
        assert not any(v["bend_id"] <= 2 and v["stage"] == "final" for v in caught_up)  # shown from the state
        browser.tap("sound")  # a reloaded page needs a new tap for sound
        browser.wait_until("window.hingeSoundOnMs > 0")
        sound_after_ms = browser.evaluate("window.hingeSoundOnMs")
        assert hinge.wait_end() == 0
        end_ms = time.time() * 1000.0
        browser.wait_until(f"{LINK_STATE} === 'ended'", timeout_s=5)
        after = browser.evaluate(SHOWN)
        beeps_after = browser.evaluate("window.hingeBeeps")
        audio = browser.evaluate("document.getElementById('sound').dataset.on")
        # The pelvis trace since the reload: 20 s at about 15 points per second, without a hole.
        trace_points, trace_hole_s = browser.evaluate(
            "[trace.length, Math.max(...trace.slice(1).map((p, i) => p[0] - trace[i][0]))]")
        problems = browser.problems(before_ms=end_ms - 1000.0)  # then the server is gone: the page retries
        urls = browser.urls()
    finally:
        browser.close()
        hinge.kill()

    assert hinge.err_path.read_text() == ""
    def shown_at(stage, label, score, end_s):
        """When the page showed this verdict (the same end, to the printed 0.01 s), or None."""
        return next((v["at_ms"] for v in before + after if (v["stage"], v["label"], v["score_text"]) ==
                     (stage, label, score) and abs(v["end_s"] - end_s) <= 0.0101), None)

    terminal = hinge.verdicts()
    assert sum(stage == "final" for _, (stage, *_) in terminal) >= 4, hinge.lines
    lags = []
    for ms, key in terminal:
        if reload_ms - 50.0 <= ms <= state_ms + 50.0:
            continue  # printed while the page reloaded: the state message brought it
        at_ms = shown_at(*key)
        assert at_ms is not None, (key, before, after)
        lags.append(at_ms - ms)
    print(f"\npage after terminal, ms: {', '.join(f'{lag:.0f}' for lag in lags)}")
    assert len(lags) >= len(terminal) - 2 and max(lags) <= MAX_PAGE_LAG_MS, lags
    # The sound: two beeps for every final spine-led verdict (as the terminal's bell), once a tap allowed it.
    assert audio == "1"
    assert all(v["beep"] == (v["stage"] == "final" and v["label"] == "spine-led") for v in before + after)
    assert beeps_before == sum(v["beep"] for v in before if v["at_ms"] >= sound_before_ms)
    assert beeps_after == sum(v["beep"] for v in after if v["at_ms"] >= sound_after_ms)
    assert beeps_before + beeps_after >= 1
    assert trace_points > 10 * 15 and trace_hole_s < 0.1, (trace_points, trace_hole_s)
    # Nothing but this server, and no errors.
    origin = url.rstrip("/")
    assert urls and all(u.startswith((origin + "/", origin.replace("http://", "ws://") + "/")) for u in urls), urls
    assert problems == []


def _bend(i: int, label: str, score: float, end_s: float) -> dict:
    return {"bend_id": i, "label": label, "score": score, "start_s": end_s - 3.0, "end_s": end_s,
            "lumbar_share": 0.4, "reasons": [f"lumbar flexion about 40% of the bend: {label}"], "quality_flags": []}


def test_the_page_finds_a_restarted_hinge_and_says_when_its_link_has_expired(tmp_path):
    analyser = StreamingAnalyser()

    def serve(port: int, force_token: bool = False):
        return start_live_web(argparse.Namespace(web=True, host=None, port=port, lan=False), force_token=force_token)

    first = serve(0)
    port = first.server.port
    browser = Browser(tmp_path / "profile")
    servers = [first]
    try:
        first.update([LiveEvent("bend", 11.0, bend=_bend(1, "hip-led", 82.0, 10.0))], analyser)
        browser.navigate(first.url)
        browser.wait_until("document.getElementById('verdict').dataset.label === 'hip-led'")
        first.ended()
        first.close()
        browser.wait_until(f"{LINK_STATE} === 'ended'")
        # hinge started again on the same port: the page connects by itself and shows the new session.
        servers.append(serve(port))
        servers[-1].update([LiveEvent("provisional", 5.0, bend=_bend(1, "spine-led", 31.0, 4.0))], analyser)
        browser.wait_until(f"document.getElementById('verdict').dataset.label === 'spine-led' && {LINK_STATE} === 'live'")
        assert browser.evaluate("document.getElementById('count').textContent") == "0"  # a new set
        assert browser.evaluate("document.getElementById('verdict-stage').textContent") == "just now \u00b7 provisional"
        servers[-1].close()
        # Then on the network (a new token): this page's link no longer holds, and it says so.
        servers.append(serve(port, force_token=True))
        browser.wait_until(f"{LINK_STATE} === 'expired'")
        assert "scan the new code" in browser.evaluate("document.getElementById('link').textContent")
    finally:
        browser.close()
        for server in servers:
            server.close()
