"""The HTML report in a real headless browser (Debian's chromium): it renders with no console
errors, requests nothing from the network, and its plots are decoded and visible.

Chromium is driven over the DevTools protocol on a pipe (`--remote-debugging-pipe`: JSON
messages ending in NUL on file descriptors 3 and 4), with the standard library only; no
port is opened. The full-page screenshot is saved under the test's tmp_path and its path
printed (`pytest -s` shows it). `.ci/run` installs chromium when it is missing, so CI always
runs this; locally it skips only when no chromium binary exists.
"""
from __future__ import annotations

import base64
import json
import os
import select
import shutil
import subprocess
import time
from pathlib import Path

import numpy as np
import pytest

from hinge.recordings import example_session_path
from hinge.reporting import write_report

CHROMIUM = shutil.which("chromium") or next(
    (p for p in ("/usr/bin/chromium", "/usr/lib/chromium/chromium") if os.access(p, os.X_OK)), None)
pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(CHROMIUM is None, reason="no chromium binary (Debian: apt-get install chromium)")]

TIMEOUT_S = 60.0
WIDTH_PX = 1200
# Okabe-Ito blue and vermilion: the hip-led and spine-led colours of the plots (figures.py).
HIP_RGB, SPINE_RGB = (0, 114, 178), (213, 94, 0)


class DevTools:
    """A minimal DevTools-protocol client over chromium's debugging pipe."""

    def __init__(self, profile_dir: Path):
        to_browser_r, self._to_browser = os.pipe()
        self._from_browser, from_browser_w = os.pipe()

        def wire_fds():  # runs in the child: chromium reads commands on fd 3, writes on fd 4
            os.dup2(to_browser_r, 3)
            os.dup2(from_browser_w, 4)

        args = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--remote-debugging-pipe",
                f"--user-data-dir={profile_dir}", "--no-first-run", "--no-default-browser-check",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-extensions", "--disable-default-apps", "--hide-scrollbars", "--mute-audio",
                f"--window-size={WIDTH_PX},900", "about:blank"]
        self.process = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.PIPE, pass_fds=(3, 4), preexec_fn=wire_fds)
        os.close(to_browser_r)
        os.close(from_browser_w)
        self._buffer = b""
        self._next_id = 0
        self.events: list[dict] = []
        self.session_id: str | None = None

    def _read_message(self, deadline: float) -> dict:
        while b"\0" not in self._buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError("chromium did not answer within the time limit")
            ready, _, _ = select.select([self._from_browser], [], [], remaining)
            if ready:
                chunk = os.read(self._from_browser, 1 << 20)
                if not chunk:
                    raise RuntimeError(f"chromium closed the pipe: {self.process.stderr.read().decode()[-2000:]}")
                self._buffer += chunk
        message, _, self._buffer = self._buffer.partition(b"\0")
        return json.loads(message)

    def send(self, method: str, params: dict | None = None, *, browser: bool = False) -> dict:
        """Send a command (to the attached page unless browser=True) and return its result."""
        self._next_id += 1
        command = {"id": self._next_id, "method": method, "params": params or {}}
        if not browser and self.session_id:
            command["sessionId"] = self.session_id
        os.write(self._to_browser, json.dumps(command).encode() + b"\0")
        deadline = time.monotonic() + TIMEOUT_S
        while True:
            message = self._read_message(deadline)
            if message.get("id") == self._next_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})
            self.events.append(message)

    def wait_for(self, method: str) -> dict:
        deadline = time.monotonic() + TIMEOUT_S
        for event in self.events:
            if event.get("method") == method:
                return event
        while True:
            event = self._read_message(deadline)
            self.events.append(event)
            if event.get("method") == method:
                return event

    def close(self) -> None:
        try:
            self.send("Browser.close", browser=True)
        except Exception:
            pass
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        os.close(self._to_browser)
        os.close(self._from_browser)
        self.process.stderr.close()


def load_in_chromium(html_path: Path, screenshot: Path, profile_dir: Path) -> dict:
    """Open the page, wait for load, measure its images, save a full-page screenshot.

    Returns {"errors": [...], "requests": [urls], "images": [...], "shot_scale": float}.
    """
    tools = DevTools(profile_dir)
    try:
        targets = tools.send("Target.getTargets", browser=True)["targetInfos"]
        page = next(t for t in targets if t["type"] == "page")
        tools.session_id = tools.send("Target.attachToTarget", {"targetId": page["targetId"], "flatten": True},
                                      browser=True)["sessionId"]
        for domain in ("Page", "Runtime", "Log", "Network"):
            tools.send(f"{domain}.enable")
        tools.send("Page.navigate", {"url": html_path.resolve().as_uri()})
        tools.wait_for("Page.loadEventFired")
        images = tools.send("Runtime.evaluate", {"returnByValue": True, "awaitPromise": True, "expression": """
            Promise.all([...document.images].map(img => img.decode().then(() => true, () => false)))
              .then(decoded => [...document.images].map((img, i) => {
                const r = img.getBoundingClientRect(), s = getComputedStyle(img);
                return {alt: img.alt, decoded: decoded[i], naturalWidth: img.naturalWidth,
                        naturalHeight: img.naturalHeight, x: r.left + scrollX, y: r.top + scrollY,
                        width: r.width, height: r.height, display: s.display, visibility: s.visibility,
                        opacity: parseFloat(s.opacity)};
              }))"""})["result"]["value"]
        size = tools.send("Page.getLayoutMetrics")["cssContentSize"]
        width, height = int(np.ceil(size["width"])), int(np.ceil(size["height"]))
        tools.send("Emulation.setDeviceMetricsOverride",
                   {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False})
        shot = tools.send("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True})
        screenshot.write_bytes(base64.b64decode(shot["data"]))
        errors = []
        requests = []
        for event in tools.events:
            method, params = event.get("method"), event.get("params", {})
            if method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
                errors.append(" ".join(str(a.get("value", a.get("description"))) for a in params.get("args", [])))
            elif method == "Runtime.exceptionThrown":
                details = params["exceptionDetails"]
                errors.append(details.get("exception", {}).get("description") or details.get("text", "exception"))
            elif method == "Log.entryAdded" and params["entry"]["level"] == "error":
                errors.append(params["entry"]["text"])
            elif method == "Network.requestWillBeSent":
                requests.append(params["request"]["url"])
        return {"errors": errors, "requests": requests, "images": images}
    finally:
        tools.close()


def _colour_pixels(rgb: np.ndarray, colour: tuple[int, int, int], tolerance: int = 10) -> int:
    return int((np.abs(rgb.astype(int) - np.array(colour)).max(axis=2) <= tolerance).sum())


def _check_page(html: Path, tmp_path: Path, n_images: int) -> np.ndarray:
    screenshot = tmp_path / f"{html.stem}.png"
    page = load_in_chromium(html, screenshot, tmp_path / "chromium-profile")
    print(f"\nscreenshot of {html.name}: {screenshot}")
    assert page["errors"] == []
    # Only the file itself (and its inline data: images) may be loaded: nothing from a network.
    assert all(url.startswith(("file:", "data:")) for url in page["requests"]), page["requests"]
    images = page["images"]
    assert len(images) == n_images
    for image in images:
        assert image["decoded"] and image["naturalWidth"] > 300 and image["naturalHeight"] > 200, image
        assert image["width"] > 250 and image["height"] > 100, image  # laid out at a readable size
        assert image["display"] != "none" and image["visibility"] == "visible" and image["opacity"] == 1, image
    from matplotlib.image import imread

    rgb = (imread(screenshot)[..., :3] * 255).round().astype(np.uint8)
    assert rgb.shape[1] >= WIDTH_PX - 20 and rgb.shape[0] > max(i["y"] + i["height"] for i in images) - 5
    return rgb, images


def test_example_report_renders_in_chromium(tmp_path):
    html = write_report([example_session_path("hip_led"), example_session_path("spine_led")],
                        tmp_path / "examples.html", progress=False)
    rgb, images = _check_page(html, tmp_path, n_images=6)
    # The plots are really painted: the score histograms' bars show both class colours.
    histograms = [i for i in images if i["alt"] == "Score histogram"]
    assert len(histograms) == 2
    painted = {colour: 0 for colour in (HIP_RGB, SPINE_RGB)}
    for image in histograms:
        x, y, w, h = (int(image[k]) for k in ("x", "y", "width", "height"))
        region = rgb[y:y + h, x:x + w]
        for colour in painted:
            painted[colour] += _colour_pixels(region, colour)
    assert painted[HIP_RGB] > 500 and painted[SPINE_RGB] > 500, painted


def test_multi_session_report_renders_in_chromium(tmp_path):
    from test_report_content import multi_session_dirs

    html = write_report(multi_session_dirs(tmp_path / "sessions"), tmp_path / "progress.html", progress=False)
    rgb, images = _check_page(html, tmp_path, n_images=4 * 3 + 1)
    progress = next(i for i in images if i["alt"] == "Progress across sessions")
    x, y, w, h = (int(progress[k]) for k in ("x", "y", "width", "height"))
    # The progress plot's hip-led line is drawn in the hip-led colour.
    assert _colour_pixels(rgb[y:y + h, x:x + w], HIP_RGB) > 200
