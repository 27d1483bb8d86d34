"""`hinge live --web` without a browser: the messages follow the terminal's rules, the state a
late page gets, the pelvis trace, where the server listens, and what it refuses.

Everything here runs the real server on loopback (127.0.0.1) and talks to it with the
standard library's http.client (no proxy) or aiohttp's WebSocket client; the page in a
real browser is tests/test_live_web_browser.py.
"""
from __future__ import annotations

import argparse
import asyncio
import http.client
import io
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time

import numpy as np
import pytest
import segno

from hinge.analysis.body_model import SessionSpec, simulate_session
from hinge.analysis.pipeline import analyse
from hinge.analysis.streaming import LiveEvent, StreamingAnalyser
from hinge.errors import HingeInputError
from hinge.live import LiveSession
from hinge.live_view import LiveView
from hinge.live_web import start_live_web
from hinge.live_web._address import TOKEN_BYTES, page_url, plan_bind, qr_text
from hinge.live_web.messages import TRACE_HZ, TRACE_WINDOW_S, LiveMessages, WebState
from hinge.recordings import SessionWriter, read_session


def web_args(port: int = 0, host: str | None = None, lan: bool = False) -> argparse.Namespace:
    return argparse.Namespace(web=True, host=host, port=port, lan=lan)


@pytest.fixture
def web():
    web = start_live_web(web_args())
    yield web
    web.close()


@pytest.fixture
def token_web():
    """The server in its network mode (token required), forced on loopback: no traffic leaves the machine."""
    web = start_live_web(web_args(), force_token=True)
    yield web
    web.close()


@pytest.fixture(scope="module")
def streamed():
    """A guided-calibration session with 6 bends (100 Hz, a random mounting)."""
    session = simulate_session(SessionSpec(n_bends=6, seed=41, mounting="random", fs_hz=100.0,
                                           guided_calibration=True))
    return session


def _bend(i: int, label: str, score: float, end_s: float) -> dict:
    return {"bend_id": i, "label": label, "score": score, "start_s": end_s - 3.0, "end_s": end_s,
            "lumbar_share": 0.7, "reasons": [f"lumbar flexion about 70% of the bend: {label}"], "quality_flags": []}


def _get(port: int, path: str, headers: dict | None = None) -> tuple[int, dict, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("GET", path, headers=headers or {})
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


def _upgrade(port: int, path: str, origin: str | None = None) -> int:
    """Status of a WebSocket opening handshake (101: accepted)."""
    headers = {"Upgrade": "websocket", "Connection": "Upgrade", "Sec-WebSocket-Version": "13",
               "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ=="}
    if origin:
        headers["Origin"] = origin
    return _get(port, path, headers)[0]


def _receive(url: str, until, timeout_s: float = 20.0) -> list[dict]:
    """Messages from the WebSocket at `url` until `until(messages)` is true."""
    import aiohttp

    async def run():
        messages = []
        async with aiohttp.ClientSession() as client, client.ws_connect(url) as ws:
            async with asyncio.timeout(timeout_s):
                async for message in ws:
                    messages.append(json.loads(message.data))
                    if until(messages):
                        return messages
        return messages

    return asyncio.run(run())


# -- the messages ----------------------------------------------------------------------------

def test_messages_follow_the_terminal_views_rules_on_a_streamed_session(streamed):
    """A beep exactly where the terminal rings, the same set summary, every verdict in its words."""
    session = streamed
    terminal, bells = io.StringIO(), io.StringIO()
    view = LiveView(beep=True, fancy=False, stream=terminal, bell_stream=bells)
    view.start("hinge live: test")
    # LiveSession's dispatch shows the events in the terminal; the same events become the messages.
    live, messages, sent = LiveSession("sacrum", view), LiveMessages(), []
    analyser = live.analyser
    for i in range(0, len(session.t_s), 5):
        events = analyser.push(session.t_s[i:i + 5], session.acc_mps2[i:i + 5], session.gyr_rad_s[i:i + 5])
        live._show(events, 0.0)
        sent += messages.from_events(events) + messages.trace(analyser)
    events = analyser.finish()
    live._show(events, 0.0)
    sent += messages.from_events(events)
    out = terminal.getvalue()

    verdicts = [m for m in sent if m["type"] == "verdict"]
    finals = [m for m in verdicts if m["stage"] == "final"]
    assert len(finals) == len(analyser.bends) >= 5
    assert sum(m["beep"] for m in verdicts) == bells.getvalue().count("\a") >= 1
    assert [m["stage"] for m in verdicts].count("provisional") == out.count("provisional (back upright at")
    for m in finals:  # the page's words are the terminal's
        b = m["bend"]
        assert f"bend {b['bend_id']}: {b['label']}, score {b['score_text']}/100, {b['reason']} (ended at" in out
        assert m["updated"] == (f"bend {b['bend_id']} updated:" in out)
        assert b["cue"] is None or isinstance(b["cue"], str)
    summaries = [m for m in sent if m["type"] == "summary"]
    assert summaries[-1]["line"] == view.summary.line() and summaries[-1]["count"] == len(finals)
    assert f"mean score {summaries[-1]['mean_text']}/100" in summaries[-1]["line"]
    calibration = [m for m in sent if m["type"] == "calibration"]
    assert calibration[-1]["phase"] == "done" and len(calibration) < 40  # thinned: not one per block

    # The pelvis trace: about TRACE_HZ points per second, the pitch the offline analysis computes.
    t = np.concatenate([m["t_s"] for m in sent if m["type"] == "trace"])
    pitch = np.concatenate([m["pitch_deg"] for m in sent if m["type"] == "trace"])
    assert np.all(np.diff(t) > 0)
    assert np.median(np.diff(t)) == pytest.approx(1 / TRACE_HZ, abs=0.011)
    assert t[-1] - t[0] > 0.8 * (session.t_s[-1] - analyser.calibration_window_s[0])
    offline = analyse(session.t_s, session.acc_mps2, session.gyr_rad_s,
                      calibration_window_s=analyser.calibration_window_s)
    nearest = np.searchsorted(offline.t_s, t - 1e-6)
    np.testing.assert_allclose(offline.t_s[nearest], t, atol=1e-3)
    np.testing.assert_allclose(offline.pitch_deg[nearest], pitch, atol=0.06)
    assert pitch.max() > 30  # the bends are in it


def test_the_trace_misses_no_sample_when_blocks_are_large(streamed):
    """A recorder can hand over seconds at once (a backlog, a reconnection): the trace keeps every one."""
    session, analyser, messages, t = streamed, StreamingAnalyser(), LiveMessages(), []
    for i in range(0, len(session.t_s), 700):  # 7 s blocks
        analyser.push(session.t_s[i:i + 700], session.acc_mps2[i:i + 700], session.gyr_rad_s[i:i + 700])
        t += [x for m in messages.trace(analyser) for x in m["t_s"]]
    assert np.diff(t).max() < 1.5 / TRACE_HZ
    assert t[-1] - t[0] > 0.8 * (session.t_s[-1] - analyser.calibration_window_s[0])


def test_state_gives_a_late_page_the_last_verdict_the_set_and_the_last_20_s():
    messages, state = LiveMessages(), WebState()
    p1 = _bend(1, "hip-led", 60.0, 10.0)
    p2 = _bend(2, "spine-led", 40.0, 20.0)
    events = [LiveEvent("provisional", 10.1, bend=p1),
              LiveEvent("bend", 10.4, bend=_bend(1, "spine-led", 45.0, 10.01), replaces=p1),
              LiveEvent("provisional", 20.1, bend=p2)]
    sent = [state.apply(m) for m in messages.from_events(events)]
    assert [m["beep"] for m in sent if m["type"] == "verdict"] == [False, True, False]  # final spine-led only
    assert sent[1]["updated"] and sent[1]["previous"]["label"] == "hip-led"
    # The provisional row of bend 1 was replaced; bend 2's is shown large until its final one.
    assert [(m["bend"]["bend_id"], m["stage"]) for m in sent[-1]["recent"]] == [(1, "final"), (2, "provisional")]
    assert sent[-1]["last"]["bend"]["bend_id"] == 2
    # Withdrawn: gone from the list, and the large verdict goes back to the newest one left.
    sent = [state.apply(m) for m in messages.from_events([LiveEvent("withdrawn", 21.0, bend=p2)])]
    assert [(m["bend"]["bend_id"], m["stage"]) for m in sent[0]["recent"]] == [(1, "final")]
    assert sent[0]["last"]["bend"]["bend_id"] == 1 and sent[1]["type"] == "note"
    for k in range(60):  # a trace message per second, 60 s
        state.apply({"type": "trace", "t_s": [float(k)], "pitch_deg": [1.0]})
    snapshot = state.snapshot()
    assert snapshot["type"] == "state" and snapshot["summary"]["count"] == 1
    assert snapshot["last"]["bend"]["label"] == "spine-led" and snapshot["last"]["beep"] is False
    assert all(m["beep"] is False for m in snapshot["recent"])  # a reconnection never beeps again
    assert snapshot["trace"]["t_s"][0] == 59.0 - TRACE_WINDOW_S and snapshot["trace"]["t_s"][-1] == 59.0
    assert "withdrawn" in snapshot["notes"][-1]
    json.dumps(snapshot, allow_nan=False)  # plain JSON, as sent


# -- where it listens -------------------------------------------------------------------------

def test_loopback_needs_no_token_any_other_address_does():
    assert plan_bind(None, 8765, lan=False).token is None
    assert plan_bind("localhost", 0, lan=False) == plan_bind("127.0.0.1", 0, lan=False)
    assert plan_bind("::1", 0, lan=False).token is None
    every = plan_bind("0.0.0.0", 0, lan=False)
    assert every.token is not None and every.public_host != "0.0.0.0"
    other = plan_bind("192.0.2.7", 0, lan=False)
    assert other.token != every.token and len(other.token) >= TOKEN_BYTES * 4 // 3
    assert re.fullmatch(r"[A-Za-z0-9_-]+", other.token)
    assert page_url("::1", 8765, None) == "http://[::1]:8765/"
    assert page_url("192.0.2.7", 8765, "abc") == "http://192.0.2.7:8765/?token=abc"
    for host, port, lan, message in (("example.com", 0, False, "--host example.com: give an IP address"),
                                     (None, 70000, False, "--port 70000: must be 0-65535"),
                                     ("127.0.0.1", 0, True, "--lan and --host: give one")):
        with pytest.raises(HingeInputError, match=re.escape(message)):
            plan_bind(host, port, lan)


def test_the_terminals_qr_code_encodes_the_printed_link():
    url = page_url("192.0.2.7", 8765, plan_bind("192.0.2.7", 0, lan=False).token)
    dark_pairs = {" ": (1, 1), "\u2580": (0, 1), "\u2584": (1, 0), "\u2588": (0, 0)}  # (top, bottom) dark
    rows = []
    for line in qr_text(url).splitlines():
        pairs = [dark_pairs[c] for c in line]
        rows += [[p[0] for p in pairs], [p[1] for p in pairs]]
    expected = [list(row) for row in segno.make(url, error="l", micro=False).matrix]
    border = 4
    decoded = [row[border:-border] for row in rows[border:border + len(expected)]]
    assert decoded == expected


# -- what the server serves and refuses ---------------------------------------------------------

def test_the_page_and_the_stream_need_the_token_in_network_mode(token_web):
    port, token = token_web.server.port, token_web.token
    assert token_web.url == f"http://127.0.0.1:{port}/?token={token}"
    assert _get(port, "/")[0] == 403
    assert _get(port, "/?token=" + token[:-1] + "x")[0] == 403
    assert _get(port, "/?token=%C3%A9")[0] == 403  # not ASCII: refused, not an error
    assert _upgrade(port, "/ws") == 403
    status, headers, body = _get(port, f"/?token={token}")
    assert status == 200 and headers["Content-Type"].startswith("text/html")
    assert "script-src 'sha256-" in headers["Content-Security-Policy"] and headers["Cache-Control"] == "no-store"
    assert headers["Referrer-Policy"] == "no-referrer"  # the token never leaves in a Referer
    page = body.decode()
    assert "<script>" in page and "--spine-led: #D55E00" in page and "/*SCRIPT*/" not in page
    assert not re.search(r"(src|href)=\"(https?:)?//", page)  # nothing from anywhere else
    assert _upgrade(port, f"/ws?token={token}") == 101
    assert _get(port, f"/other?token={token}")[0] == 404


def test_the_stream_refuses_other_sites_and_other_host_names(web):
    port = web.server.port
    assert _get(port, "/")[0] == 200  # loopback: no token
    assert _upgrade(port, "/ws", origin=f"http://127.0.0.1:{port}") == 101
    assert _upgrade(port, "/ws", origin="http://evil.example") == 403  # another site's page in the browser
    assert _get(port, "/", headers={"Host": f"evil.example:{port}"})[0] == 403  # DNS rebinding
    assert _get(port, "/", headers={"Host": f"localhost:{port}"})[0] == 200


def test_a_page_gets_the_state_at_once_then_every_message(web):
    analyser = StreamingAnalyser()
    web.update([LiveEvent("bend", 12.0, bend=_bend(1, "hip-led", 82.0, 11.0))], analyser)
    url = web.url.replace("http://", "ws://") + "ws"
    first = _receive(url, lambda m: len(m) >= 1)
    assert first[0]["type"] == "state" and first[0]["last"]["bend"]["label"] == "hip-led"
    assert first[0]["summary"]["line"].startswith("bends: 1 (1 hip-led, 0 spine-led), mean score 82/100")

    def later():
        time.sleep(0.3)
        web.update([LiveEvent("provisional", 20.0, bend=_bend(2, "spine-led", 30.0, 19.0))], analyser)

    threading.Thread(target=later).start()
    got = _receive(url, lambda m: any(x["type"] == "verdict" for x in m))
    assert got[0]["type"] == "state" and got[-1]["stage"] == "provisional" and got[-1]["bend"]["label"] == "spine-led"


def test_a_busy_port_is_one_line(web):
    with pytest.raises(HingeInputError, match=rf"^--port {web.server.port}: cannot listen on 127.0.0.1:"
                                              rf"{web.server.port} \(.+\); choose another --port"):
        start_live_web(web_args(port=web.server.port))


def test_a_failing_web_view_is_one_line_and_the_recording_goes_on(tmp_path, web, capsys):
    view = LiveView(fancy=False, stream=io.StringIO())
    live = LiveSession("sacrum", view, web=web)
    session = simulate_session(SessionSpec(n_bends=1, seed=5, fs_hz=100.0, guided_calibration=True))
    with SessionWriter.create(tmp_path / "s", {"placement": "sacrum"}) as writer:
        sink = live.wrap(writer)
        web.update([object()], live.analyser)  # what the page cannot take: the view stops, once
        for i in range(0, len(session.t_s), 10):
            sink.append_samples(session.t_s[i:i + 10], session.acc_mps2[i:i + 10], session.gyr_rad_s[i:i + 10])
        live.finish(writer)
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("hinge live --web: the web view stopped (AttributeError")
    assert "the recording goes on" in err and web.failed
    assert len(read_session(tmp_path / "s").t_s) == len(session.t_s) and live.failure is None


def test_web_options_need_web_and_web_needs_its_packages(tmp_path, capsys):
    from hinge.cli import main

    assert main(["live", "--simulate", "--lan", "-o", str(tmp_path)]) == 2
    assert capsys.readouterr().err == "hinge: error: --lan: only with --web\n"
    # Without aiohttp installed (an import of it fails): one line saying how to install it.
    code = ("import sys; sys.modules['aiohttp'] = None\n"
            "from hinge.cli import main\n"
            f"sys.exit(main(['live', '--simulate', '--web', '-o', {str(tmp_path)!r}]))")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert run.returncode == 2 and run.stdout == ""
    assert run.stderr == ("hinge: error: --web needs the optional web packages (aiohttp is missing): "
                          "pip install 'hinge[web]'\n")


def test_hinge_live_on_every_network_prints_a_token_link_and_refuses_requests_without_it(tmp_path):
    """A real non-loopback bind (0.0.0.0); the test itself only talks to 127.0.0.1."""
    proc = subprocess.Popen([sys.executable, "-m", "hinge", "live", "--simulate", "--speed", "4", "--web",
                             "--host", "0.0.0.0", "--port", "0", "-o", str(tmp_path), "--no-report"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        lines = []
        for line in proc.stdout:
            lines.append(line.rstrip("\n"))
            if line.startswith("recording "):
                break
        url = re.match(r"web view: (http://\S+)$", lines[0]).group(1)
        port, token = int(re.search(r":(\d+)/", url).group(1)), url.split("?token=")[1]
        assert "open it on a phone on the same network" in lines[1]
        qr = "\n".join(lines[2:lines.index(next(x for x in lines if x.startswith("recording ")))])
        assert qr == qr_text(url).rstrip("\n")  # the code is of this very link
        assert _get(port, "/")[0] == 403 and _upgrade(port, "/ws") == 403
        assert _get(port, f"/?token={token}")[0] == 200 and _upgrade(port, f"/ws?token={token}") == 101
        time.sleep(0.5)
        proc.send_signal(signal.SIGINT)  # Ctrl-C: the session is closed, then the server
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0 and "Traceback" not in err and err == "", err
    assert "session: " in out
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=2).close()


def test_hinge_live_web_on_a_sensor_over_bluez_serves_the_link_status(bluez, tmp_path):
    """A real-sensor path: bleak's BlueZ backend against bluezoo (tests/imu_ble); the page's
    stream carries the link's status while `hinge live` records."""
    from imu_ble import fake_peripheral

    name = "hinge-WEB0"
    sensor = subprocess.Popen([sys.executable, fake_peripheral.__file__, name, "4"], stdout=subprocess.PIPE, text=True)
    live = None
    try:
        assert sensor.stdout.readline().strip() == "ready"
        live = subprocess.Popen([sys.executable, "-m", "hinge", "live", "--adapter", "hci0", "--device", name,
                                 "--duration", "3", "--web", "--port", "0", "-o", str(tmp_path), "--no-report"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                env={**os.environ, "PYTHONUNBUFFERED": "1"})
        url = re.match(r"web view: (http://127\.0\.0\.1:\d+/) ", live.stdout.readline()).group(1)

        def recording(messages):
            return any(m["type"] == "status" and re.search(r"\b[1-9]\d* samples", m["text"]) for m in messages)

        messages = _receive(url.replace("http://", "ws://") + "ws", recording, timeout_s=60)
        out, err = live.communicate(timeout=60)
    finally:
        for proc in (live, sensor):
            if proc is not None and proc.poll() is None:
                proc.terminate()
                proc.wait(10)
    assert messages[0]["type"] == "state" and recording(messages)
    assert live.returncode == 0 and err == "" and f"recording {name}" in out
