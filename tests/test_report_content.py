"""The HTML report's content, built from the bundled example sessions through the real loader
and pipeline: who and what it shows, the bends table, escaping, no external resources, the
progress section for a participant with several sessions, and the command line."""
from __future__ import annotations

import dataclasses
import json
import re
import shutil
from datetime import datetime, timezone
from html import escape
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from hinge.analysis.report import ReportSession, advice, group_by_participant, render_report
from hinge.analysis.report.figures import envelope
from hinge.analysis.report.summary import ADVICE_RULES
from hinge.analysis.scoring import score_bend
from hinge.cli import main
from hinge.errors import HingeInputError
from hinge.api import analyse_loaded
from hinge.recordings import example_session_path, load_recording
from hinge.reporting import report_session, write_report

BEND_ROW = re.compile(r'<tr id="[^"]*-bend-\d+">')


def copy_session(name: str, dest: Path, participant: str, created_utc: str) -> Path:
    """A bundled example session copied to ``dest`` as another participant and date."""
    shutil.copytree(example_session_path(name), dest)
    meta_path = dest / "session.json"
    meta = json.loads(meta_path.read_text())
    meta.update(participant=participant, created_utc=created_utc)
    meta_path.write_text(json.dumps(meta, indent=2))
    return dest


def multi_session_dirs(root: Path) -> list[Path]:
    """Three sessions of participant P01 (given out of date order) and one of P02."""
    return [
        copy_session("hip_led", root / "p01_c", "P01", "2026-11-20T09:00:00+00:00"),
        copy_session("spine_led", root / "p01_a", "P01", "2026-11-06T09:00:00+00:00"),
        copy_session("hip_led", root / "p01_b", "P01", "2026-11-13T09:00:00+00:00"),
        copy_session("spine_led", root / "p02", "P02", "2026-11-14T09:00:00+00:00"),
    ]


@pytest.fixture(scope="module")
def examples():
    """(ReportSession, bend count) of each bundled example, through the real loader and pipeline."""
    out = {}
    for name in ("hip_led", "spine_led"):
        loaded = load_recording(example_session_path(name))
        result = analyse_loaded(loaded)
        out[name] = report_session(loaded, result, "sacrum")
    return out


@pytest.fixture(scope="module")
def example_report(tmp_path_factory) -> str:
    out = tmp_path_factory.mktemp("report") / "examples.html"
    written = write_report([example_session_path("hip_led"), example_session_path("spine_led")], out,
                           progress=False)
    assert written == out
    return out.read_text(encoding="utf-8")


def _section(html: str, anchor: str) -> str:
    start = html.index(f'id="{anchor}"')
    end = html.find('<article class="card session"', start + 1)
    return html[start:end if end > 0 else None]


def test_report_names_participant_device_placement_and_calibration(example_report, examples):
    for session in examples.values():
        assert f"Participant {session.participant}" in example_report
    assert "hinge-51M0" in example_report and "hinge_open" in example_report
    assert "<th>Placement</th><td>sacrum</td>" in example_report
    assert "2026-11-24 12:00 UTC" in example_report
    assert example_report.count('<span class="ok">good</span>') == 2


def test_bends_table_has_one_row_per_bend(example_report, examples):
    for index, name in enumerate(("hip_led", "spine_led"), start=1):
        section = _section(example_report, f"participant-{index}-session-1")
        assert len(BEND_ROW.findall(section)) == examples[name].n_bends > 0
        # Each row shows its score and lumbar share with units.
        first = examples[name].bends.iloc[0]
        assert f"{first['score']:.0f}/100" in section
        assert f"{100 * first['lumbar_share']:.0f} %" in section


def test_report_embeds_plots_and_needs_no_network(example_report):
    images = re.findall(r'<img src="([^"]*)"', example_report)
    assert len(images) == 2 * 3  # timeline, score histogram, share vs depth per session
    assert all(src.startswith("data:image/png;base64,") for src in images)
    assert not re.search(r'(?:src|href)\s*=\s*["\']?\s*(?:https?:)?//', example_report, re.IGNORECASE)
    assert "http://" not in example_report and "https://" not in example_report
    assert "<script" not in example_report.lower()


def test_summary_is_grounded_in_the_reasons(example_report, examples):
    spine = examples["spine_led"]
    items = advice(spine.bends)
    assert items, "a mostly spine-led session must get something to work on"
    n_rounded = sum(any("rounded back" in r for r in rs) for rs in spine.bends["reasons"])
    rounded = next(a for a in items if a.key == "rounded")
    assert rounded.n_bends == n_rounded
    assert escape(rounded.text) in example_report
    assert f"{spine.n_hip_led} of {spine.n_bends} bends" in example_report


def test_every_advice_phrase_is_one_the_scoring_says():
    # Each advice rule matches reasons by the phrase they start with; drive score_bend into
    # each finding and check the report's rules see it.
    scores = [score_bend("spine-led", 0.8, 0.48, 0.0, 0, 50.0), score_bend("uncertain", 0.47, 0.48, -0.2, 0, 50.0),
              score_bend("hip-led", 0.1, 0.48, -0.2, 5, 200.0, 0.3)]
    reasons = [r for s in scores for r in s.reasons]
    for key, phrase, *_ in ADVICE_RULES:
        assert any(r.startswith(phrase) for r in reasons), (key, phrase, reasons)


def test_text_from_the_data_is_escaped(examples):
    nasty = '<script>alert("x")</script> & <b>'
    session = examples["hip_led"]
    bends = session.bends.copy()
    bends["reasons"] = [[nasty] + list(r) for r in bends["reasons"]]
    evil = dataclasses.replace(session, name="<img src=x onerror=alert(1)>", participant=nasty,
                               warnings=(nasty,), bends=bends)
    html = render_report([evil], generator=nasty)
    assert nasty not in html and "<script" not in html and "<img src=x" not in html
    assert escape(nasty) in html


def test_sessions_without_bends_or_calibration_still_render(examples):
    session = examples["hip_led"]
    empty = dataclasses.replace(session, bends=session.bends.iloc[:0], calibration={"ok": False, "reason": "no stance"},
                                dropped=session.dropped.iloc[:0], pitch_deg=np.zeros_like(session.pitch_deg))
    html = render_report([empty], generator="test")
    assert "No forward bends were found" in html
    assert 'class="check">failed' in html
    assert len(BEND_ROW.findall(html)) == 0


def test_grouping_by_participant_orders_sessions_by_date(examples):
    base = examples["hip_led"]

    def at(day, participant, name):
        started = datetime(2026, 11, day, tzinfo=timezone.utc) if day else None
        return dataclasses.replace(base, participant=participant, started_utc=started, name=name)

    groups = group_by_participant([at(20, "P01", "c"), at(None, None, "csv1"), at(6, "P01", "a"),
                                   at(None, None, "csv2"), at(13, "P01", "b"), at(None, "P01", "undated")])
    assert [(p, [s.name for s in members]) for p, members in groups] == [
        ("P01", ["a", "b", "c", "undated"]), (None, ["csv1"]), (None, ["csv2"])]


@pytest.mark.slow
def test_several_sessions_of_one_participant_get_a_progress_section(tmp_path):
    dirs = multi_session_dirs(tmp_path / "sessions")
    out = write_report(dirs, tmp_path / "progress.html", progress=False)
    html = out.read_text(encoding="utf-8")
    assert html.count("<h3>Progress across sessions</h3>") == 1  # P01 only; P02 has one session
    p01 = html[html.index("<h2>Participant P01</h2>"):html.index("<h2>Participant P02</h2>")]
    progress = p01[p01.index("Progress across sessions"):p01.index('<article class="card session"')]
    # Date order, whatever the command-line order was.
    assert [progress.index(name) for name in ("p01_a", "p01_b", "p01_c")] == sorted(
        progress.index(name) for name in ("p01_a", "p01_b", "p01_c"))
    assert "mean hinge score changed by" in progress
    assert len(re.findall(r'<img src="data:image/png;base64,', html)) == 4 * 3 + 1


def test_placement_override_and_duplicates(tmp_path, examples):
    path = example_session_path("hip_led")
    out = write_report([path, Path(str(path) + "/")], tmp_path / "r.html", placement="L5", progress=False)
    html = out.read_text(encoding="utf-8")
    assert "<th>Placement</th><td>L5</td>" in html
    assert html.count('<article class="card session"') == 1


def test_write_report_refuses_bad_paths_with_one_line(tmp_path):
    with pytest.raises(HingeInputError, match="no recordings given"):
        write_report([], tmp_path / "r.html")
    with pytest.raises(HingeInputError, match="does not exist; create it first"):
        write_report([example_session_path("hip_led")], tmp_path / "missing" / "r.html")
    with pytest.raises(HingeInputError, match="is a directory"):
        write_report([example_session_path("hip_led")], tmp_path)
    assert list(tmp_path.iterdir()) == []  # nothing half-written


def test_cli_report_writes_the_file_and_says_where(tmp_path, capsys):
    out = tmp_path / "report.html"
    assert main(["report", str(example_session_path("spine_led")), "-o", str(out), "--progress", "never"]) == 0
    assert capsys.readouterr().out.strip().startswith(f"wrote {out}")
    assert out.stat().st_size > 50_000 and out.stat().st_mode & 0o044  # readable like any file


def test_cli_report_errors_name_the_file_and_the_fix(tmp_path, capsys):
    missing = tmp_path / "nope"
    assert main(["report", str(missing), "-o", str(tmp_path / "r.html")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("hinge: error: ") and str(missing) in err and "\n" not in err
    assert main(["report", str(example_session_path("hip_led")), "-o", str(tmp_path / "no" / "r.html")]) == 2
    err = capsys.readouterr().err.strip()
    assert "does not exist; create it first" in err and "\n" not in err


def test_progress_bars_never_garble_json_stdout(capsys):
    assert main(["analyse", str(example_session_path("hip_led")), "--json", "--progress", "always"]) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out)["bends"]  # stdout is one clean JSON document
    assert "analysing" in captured.err  # the bar went to stderr


def test_envelope_keeps_every_peak_of_a_long_trace():
    t = np.arange(360_000) / 100.0
    y = np.zeros_like(t)
    peaks = np.arange(5_000, 360_000, 7_919)
    y[peaks] = np.linspace(10, 90, len(peaks))
    y[123_457] = -7.0
    t2, y2 = envelope(t, y, max_points=6000)
    assert len(t2) <= 6000 and np.all(np.diff(t2) >= 0)
    assert set(np.round(y[peaks], 6)) <= set(np.round(y2, 6)) and y2.min() == -7.0


@pytest.mark.slow
def test_long_recordings_are_drawn_in_rows_with_readable_bend_numbers(examples):
    from matplotlib.image import imread
    import io

    from hinge.analysis.report.figures import label_every, timeline_png, timeline_rows

    assert timeline_rows(80.0) == (1, 80.0) and timeline_rows(3600.0) == (6, 600.0)
    assert timeline_rows(10 * 3600.0) == (12, 3000.0)
    sparse = pd.Series([10.0, 30.0, 50.0], index=[1, 2, 3])
    assert label_every(sparse, 12.0) == [1, 2, 3]
    crowded = pd.Series(np.arange(1, 101) * 3.0, index=range(1, 101))
    assert label_every(crowded, 12.0) == list(range(5, 101, 5))  # every 5th: 15 s apart

    # An hour at 20 Hz with a bend every 20 s, built from a real session's rows.
    t = 1000.0 + np.arange(0, 3600.0, 0.05)
    pitch = np.zeros_like(t)
    template = examples["hip_led"].bends.iloc[0]
    rows = []
    for k, start in enumerate(np.arange(5.0, 3590.0, 20.0)):
        pitch[(t - 1000.0 >= start) & (t - 1000.0 < start + 4)] = 40.0 + k % 30
        rows.append({**template.to_dict(), "start_s": 1000 + start, "peak_s": 1002 + start, "end_s": 1004 + start,
                     "label": "hip-led" if k % 3 else "spine-led"})
    bends = pd.DataFrame(rows, index=pd.RangeIndex(1, len(rows) + 1, name="bend_id"))
    long = dataclasses.replace(examples["hip_led"], t_s=t, pitch_deg=pitch, bends=bends, duration_s=3600.0,
                               dropped=examples["hip_led"].dropped.iloc[:0])
    image = imread(io.BytesIO(timeline_png(long)))
    short = imread(io.BytesIO(timeline_png(examples["hip_led"])))
    assert image.shape[1] == short.shape[1] and image.shape[0] > 3 * short.shape[0]  # six stacked rows


@pytest.mark.slow
def test_bids_motion_inputs_take_participant_and_date_from_the_dataset(tmp_path):
    from hinge.bids_export import export_bids

    motion = [export_bids(example_session_path(name), tmp_path / "study", "P07", session=str(i)).paths["motion"]
              for i, name in enumerate(("spine_led", "hip_led"), start=1)]
    html = write_report(motion, tmp_path / "bids.html", progress=False).read_text(encoding="utf-8")
    assert "<h2>Participant P07</h2>" in html and "<h3>Progress across sessions</h3>" in html
    assert "<th>Date</th><td>2026-11-24 12:00 UTC</td>" in html  # acq_time from the scans file
    assert "<th>Device</th><td>hinge-51M0" in html


@pytest.mark.slow
def test_a_folder_stands_for_the_recordings_inside(tmp_path):
    dirs = multi_session_dirs(tmp_path / "sessions")
    (tmp_path / "sessions" / "notes.txt").write_text("not a recording")
    html = write_report([tmp_path / "sessions", dirs[0]], tmp_path / "all.html", progress=False).read_text()
    assert html.count('<article class="card session"') == len(dirs)
    (tmp_path / "empty").mkdir()
    with pytest.raises(HingeInputError, match="empty: no recordings found"):
        write_report([tmp_path / "empty"], tmp_path / "x.html")
