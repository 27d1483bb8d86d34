"""`hinge live` end to end on the simulated sensor: live verdicts equal `hinge analyse`, Ctrl-C, the view."""
from __future__ import annotations

import io
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from hinge.cli import main
from hinge.live_session import AnalysingSink
from hinge.live_view import LiveView, SetSummary
from hinge.recordings import SessionWriter, load_recording, read_session

# `make test-fast` leaves these out: `hinge live` in real time; test_live_streaming checks the same analysis in-process.
pytestmark = pytest.mark.slow


BEND_LINE = re.compile(r"^bend (\d+): (hip-led|spine-led|uncertain), score (\d+)/100, (.+) \(ended at ([\d.]+) s\)$")


def live_bends(out: str) -> list[tuple]:
    return [BEND_LINE.match(line).groups() for line in out.splitlines() if BEND_LINE.match(line)]


def test_hinge_live_verdicts_equal_hinge_analyse_of_the_session(tmp_path, capsys):
    assert main(["live", "--simulate", "--speed", "12", "--bends", "5", "--seed", "4", "--participant", "L01",
                 "-o", str(tmp_path), "--no-report"]) == 0
    out = capsys.readouterr().out
    (path,) = [p for p in tmp_path.iterdir() if p.is_dir()]
    live = live_bends(out)
    assert "calibration: calibrated: sensor tilted" in out and "calibration hinge (guided calibration)" in out
    assert f"session: {path}" in out and "benchmarks/" not in out
    # --bends is the set: exactly that many verdicts (plus the calibration hinge, not counted).
    assert len(live) == 5
    # The session carries the calibration stretch; the offline analysis starts there.
    window = load_recording(path).calibration_window_s
    assert window is not None and 0 <= window[0] and 5.0 < window[1] < 20.0
    meta = json.loads((path / "session.json").read_text())
    assert meta["status"] == "closed" and meta["live"]["n_bends"] == len(live)
    assert meta["source"]["generator"] == "hinge live --simulate"

    assert main(["analyse", str(path), "--json"]) == 0
    offline = json.loads(capsys.readouterr().out)["bends"]
    assert [b["label"] for b in offline] == [c for _, c, _, _, _ in live]
    np.testing.assert_allclose([b["score"] for b in offline], [float(s) for _, _, s, _, _ in live], atol=2.0)
    np.testing.assert_allclose([b["end_s"] for b in offline], [float(e) for *_, e in live], atol=0.02)


def test_ctrl_c_closes_the_session_prints_the_summary_and_the_report(tmp_path):
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "hinge", "live", "--simulate", "--speed", "4", "--seed", "5",
                             "-o", str(tmp_path)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    lines = []
    deadline = time.monotonic() + 120
    try:
        for line in proc.stdout:
            lines.append(line.rstrip("\n"))
            if line.startswith("bend 2:") or time.monotonic() > deadline:
                break
        proc.send_signal(signal.SIGINT)
        rest, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    out = "\n".join(lines) + "\n" + rest
    assert proc.returncode == 0, err
    assert "Traceback" not in err
    (path,) = [p for p in tmp_path.iterdir() if p.is_dir()]
    assert f"session: {path}" in out
    n_live = len(live_bends(out))
    assert n_live >= 2 and re.search(rf"^bends: {n_live} \(\d+ hip-led, \d+ spine-led(, \d+ uncertain)?\), mean score \d+/100", out, re.M)
    assert re.search(r"^report: ", out, re.M)
    session = read_session(path)
    assert session.metadata["status"] == "closed" and len(session.t_s) > 1000
    assert session.metadata["live"]["n_bends"] == n_live
    report = re.search(r"^report: (.+)$", out, re.M).group(1)
    if report.endswith(".html"):
        assert Path(report).is_file() and Path(report).stat().st_size > 1000


def test_live_argument_errors_are_one_line_exit_2(tmp_path, capsys):
    assert main(["live", "--simulate", "--bends", "0", "-o", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("hinge: error: --bends 0: need at least 1 bend") and err.count("\n") == 1
    assert main(["live", "--bends", "3", "-o", str(tmp_path)]) == 2
    assert "only with --simulate" in capsys.readouterr().err


def _bend(i: int, label: str, score: float) -> dict:
    return {"bend_id": i, "label": label, "score": score, "end_s": 10.0 * i, "lumbar_share": 0.7,
            "reasons": ["lumbar flexion about 70% of the bend: rounded back"], "quality_flags": []}


def test_plain_view_prints_verdicts_summary_and_beeps_for_spine_led_bends():
    stream = io.StringIO()
    bell = io.StringIO()
    view = LiveView(beep=True, fancy=False, stream=stream, bell_stream=bell)
    view.start("hinge live: test")
    for i, (label, score) in enumerate([("hip-led", 80), ("spine-led", 40), ("hip-led", 90), ("spine-led", 30)], 1):
        view.bend(_bend(i, label, score))
    view.stop()
    out = stream.getvalue()
    assert bell.getvalue().count("\a") == 2 and "\a" not in out
    assert "bend 2: spine-led, score 40/100, lumbar flexion about 70% of the bend: rounded back (ended at 20.00 s)" in out
    assert "bends: 4 (2 hip-led, 2 spine-led), mean score 60/100, trend: worsening (-10.0 points per bend)" in out


def test_rich_view_draws_the_verdicts():
    stream = io.StringIO()
    view = LiveView(fancy=True, stream=stream)
    view.start("hinge live: test")
    view.bend(_bend(1, "spine-led", 35))
    view.stop()
    out = stream.getvalue()
    assert "spine-led" in out and "35/100" in out and "bends: 1 (0 hip-led, 1 spine-led)" in out


def test_set_summary_trend():
    summary = SetSummary()
    assert summary.line() == "bends: 0"
    for score in (50, 52, 51):
        summary.add({"score": score, "label": "hip-led"})
    assert summary.trend_points_per_bend() == pytest.approx(0.5)
    assert "steady" not in summary.line() and "improving (+0.5 points per bend)" in summary.line()


def test_a_failing_analysis_never_stops_the_recording(tmp_path):
    calls, errors = [], []

    def analysis(t, acc, gyr):
        calls.append(len(t))
        raise RuntimeError("boom")

    with SessionWriter.create(tmp_path / "s", {"placement": "sacrum"}) as writer:
        sink = AnalysingSink(writer, analysis, errors.append)
        for k in range(3):
            t = 0.01 * np.arange(10 * k, 10 * k + 10)
            sink.append_samples(t, np.tile([0.0, 0.0, 9.81], (10, 1)), np.zeros((10, 3)))
    session = read_session(tmp_path / "s")
    assert len(session.t_s) == 30 and calls == [10] and len(errors) == 1 and str(errors[0]) == "boom"


def test_the_simulated_set_has_exactly_bends_at_any_speed_and_compares_with_the_last_session(tmp_path, capsys):
    counts = []
    for speed in ("20", "6"):
        assert main(["live", "--simulate", "--speed", speed, "--bends", "3", "--seed", "2", "--participant", "P02",
                     "-o", str(tmp_path), "--no-report"]) == 0
        out = capsys.readouterr().out
        counts.append(len(live_bends(out)))
    assert counts == [3, 3]
    assert re.search(r"^vs your last session \(P02_\w+\): mean score \d+ -> \d+/100 \((no change|[+-]\d+ points)\); "
                     r"hip-led \d+ % -> \d+ % of bends$", out, re.M), out


def test_record_simulate_ends_with_its_set_at_any_speed(tmp_path, capsys):
    from hinge.analysis.body_model import BodyModelStream

    set_s = BodyModelStream(100.0, seed=0, bends_per_chunk=2).first_session_s()
    spans = []
    for speed in ("8", "4"):
        out = tmp_path / "new" / speed  # -o a folder that does not exist yet: created
        assert main(["record", "--simulate", "--speed", speed, "--bends", "2", "-o", str(out)]) == 0
        (path,) = list(out.iterdir())
        t_s = read_session(path).t_s
        spans.append(t_s[-1] - t_s[0])
    # The set's length on the sensor clock, plus what arrives while the link is closed (the
    # next set starts with seconds of standing, so no bend of it is recorded).
    assert all(set_s - 0.05 <= span <= set_s + 4.0 for span in spans), (spans, set_s)
    assert main(["record", "--bends", "2", "-o", str(tmp_path)]) == 2
    assert "--bends 2: only with --simulate" in capsys.readouterr().err
