"""The HTML report's content, built from the bundled example sessions through the real loader
and pipeline: who and what it shows, the bends table, escaping, no external resources, the
progress section for a participant with several sessions, the wording of numbers and counts,
the hip shift, the calibration stretch, collapsed long tables, the output formats (HTML,
PDF) and the command line."""
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

from hinge.analysis.report import advice, group_by_participant, render_report
from hinge.analysis.pipeline import CALIBRATION_HINGE
from hinge.analysis.report import figures
from hinge.analysis.report.figures import envelope
from hinge.analysis.report.html import COLLAPSE_ROWS
from hinge.analysis.report.wording import change, count, number, signed
from hinge.analysis.report.summary import ADVICE_RULES
from hinge.analysis.scoring import score_bend
from hinge.cli import main
from hinge.errors import HingeInputError
from hinge.api import analyse_loaded
from hinge.recordings import example_session_path, load_recording
from hinge.report_pdf import CHROMIUM_ENV, find_chromium
from hinge.reporting import report_session, write_report

BEND_ROW = re.compile(r'<tr id="[^"]*-bend-\d+">')
# A number that would print as minus zero, with either minus sign.
MINUS_ZERO = re.compile(r"[-\u2212]0(?![.,]?\d)")


def visible_text(html: str) -> str:
    """The page's (or a part's) text: no tags, no style sheet, entities decoded, spaces collapsed."""
    from html import unescape

    body = html[html.index("</head>"):] if "</head>" in html else html
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", body)))


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


def _bend_cells(section: str) -> dict[int, list[str]]:
    """Bend id -> the text of the cells of its row of numbers."""
    rows = re.findall(r'<tr id="[^"]*-bend-(\d+)">(.*?)</tr>', section)
    return {int(i): [re.sub(r"<[^>]+>", "", c) for c in re.findall(r"<td[^>]*>(.*?)</td>", row)] for i, row in rows}


def test_bend_rows_show_trunk_angle_and_hips_back_with_units(example_report, examples):
    header = re.search(r'<table class="bends"><thead>(.*?)</thead>', example_report).group(1)
    columns = [re.sub(r"<[^>]+>", "", c) for c in re.findall(r"<th[^>]*>(.*?)</th>", header)]
    assert "trunk angle" in columns and "hips back" in columns and "depth" not in columns
    for index, name in enumerate(("hip_led", "spine_led"), start=1):
        session = examples[name]
        cells = _bend_cells(_section(example_report, f"participant-{index}-session-1"))
        assert sorted(cells) == list(session.bends.index)
        for bend_id, bend in session.bends.iterrows():
            row = dict(zip(columns, cells[bend_id]))
            assert row["trunk angle"] == f"{bend['depth_deg']:.0f} deg"
            # hip_shift_m is negative when the hips move back; the table says how far back, cm.
            expected = number(-100 * bend["hip_shift_m"], 0, " cm")
            assert row["hips back"].lstrip("≈") == expected, (bend_id, row)
            assert row["hips back"].startswith("≈") == ("pitch-only" in bend["quality_flags"])
        # Under the numbers: the reasons and the cue for the next bend, as the scoring words them.
        why = re.findall(r'<tr class="why"><td colspan=\d+><div>(.*?)</div></td></tr>', _section(
            example_report, f"participant-{index}-session-1"))
        assert len(why) == session.n_bends
        for line, (_, bend) in zip(why, session.bends.iterrows()):
            assert line.startswith(escape("; ".join(bend["reasons"])))
            assert line.endswith(f'<span class="cue">Cue: {escape(bend["cue"])}.</span>')
            assert ("pitch alone" in line) == ("pitch-only" in bend["quality_flags"]) and "[flags" not in line
        assert all(c.endswith(("/100", " %", " deg", " cm")) for r in cells.values() for c in r[2:6])


def test_summary_shows_the_hip_shift_with_the_cue(example_report, examples):
    for index, name in enumerate(("hip_led", "spine_led"), start=1):
        bends = examples[name].bends
        section = visible_text(_section(example_report, f"participant-{index}-session-1"))
        median = number(float(np.median(-100 * bends["hip_shift_m"].astype(float))), 0, " cm")
        assert f"Hips moved back a median of {median} per bend" in section
        assert "Push the hips back" in section
        assert re.search(rf"{re.escape(median)}\s+hips back \(median\)", section)  # the KPI tile


def test_timeline_says_it_plots_the_sensor_pitch_and_how_the_trunk_angle_differs(example_report, examples):
    text = visible_text(example_report)
    assert "Pitch of the pelvis (sensor) over time, deg" in text
    first_id, first = next(examples["hip_led"].bends.iterrows())
    assert (f"Bend {first_id}, for example: {first['sensor_pitch_deg']:.0f} deg pelvis pitch, "
            f"{first['depth_deg']:.0f} deg trunk angle.") in text
    assert first["depth_deg"] > first["sensor_pitch_deg"]
    # The reading guide comes first, before any session.
    assert text.index("How to read this report") < text.index("Participant ")


def test_numbers_never_print_as_minus_zero_and_counts_agree():
    assert [number(-0.3), number(-0.4, 0, " cm"), number(-0.04, 1, " s"), number(float("nan"), 0, " cm")] == [
        "0", "0 cm", "0.0 s", "–"]
    assert number(-2.6, 0, " cm") == "\u22123 cm" and number(12.4, 0, " cm") == "12 cm"
    assert [signed(-0.4, 0, " points"), signed(24.2, 0, " points"), signed(-3, 0, " points")] == [
        "0 points", "+24 points", "\u22123 points"]
    assert change(-0.4, "points") == "did not change"
    assert change(1.2, "points") == "rose by 1 point" and change(-7, "percentage points") == "fell by 7 percentage points"
    assert [count(0, "bend"), count(1, "bend"), count(2, "bend")] == ["0 bends", "1 bend", "2 bends"]


def test_a_session_of_one_bend_and_an_unchanged_progress_read_naturally(examples):
    base = examples["hip_led"]
    one = dataclasses.replace(base, bends=base.bends.iloc[:1])
    same = [dataclasses.replace(base, participant="P09", started_utc=datetime(2026, 11, day, tzinfo=timezone.utc),
                                name=f"s{day}") for day in (3, 10)]
    html = render_report([one] + same, generator="test")
    text = visible_text(html)
    assert f"The one bend was {one.bends['label'].iloc[0]}" in text
    awkward = re.search(r".{60}(?:\b1 bends|bend\(s\)).{20}", text)
    assert awkward is None, awkward.group(0)
    assert "the mean hinge score did not change and the share of hip-led bends did not change" in text
    # Hip shifts and times near zero: never "-0" in anything the report itself formats.
    bends = base.bends.copy()
    bends["hip_shift_m"] = 0.003  # 0.3 cm forward: "0 cm", not "-0 cm"
    near_zero = dataclasses.replace(base, bends=bends, dropped=base.dropped.iloc[:0], warnings=())
    page = visible_text(render_report([near_zero], generator="test"))
    reasons = " ".join(" ".join(r) for r in bends["reasons"])
    assert not MINUS_ZERO.search(page.replace(reasons, "")), MINUS_ZERO.search(page)


def test_the_calibration_hinge_is_its_own_stretch_not_a_movement_not_counted(examples):
    from matplotlib.image import imread
    import io

    session = examples["hip_led"]
    t0 = float(session.t_s[0])
    calibration = pd.DataFrame({"start_s": [t0 + 1.0], "end_s": [t0 + 6.0], "reason": [CALIBRATION_HINGE]})
    with_calibration = dataclasses.replace(session, dropped=pd.concat([calibration, session.dropped], ignore_index=True))
    kinds = figures.shaded_kinds(with_calibration)
    assert figures.CALIBRATION in kinds and figures.CALIBRATION not in figures.shaded_kinds(session)
    # The bluish-green tint of the calibration stretch is painted (alpha over white).
    tint = 255 - figures.SPAN_ALPHA * (255 - np.array([0x00, 0x9E, 0x73]))
    for case, expected in ((with_calibration, True), (session, False)):
        rgb = imread(io.BytesIO(figures.timeline_png(case)))[..., :3] * 255
        painted = int((np.abs(rgb - tint).max(axis=2) <= 3).sum())
        assert (painted > 2000) == expected, painted
    html = render_report([with_calibration], generator="test")
    assert "green is the calibration hinge" in html and "not a bend (squat, small)" not in html


def test_a_movement_not_counted_is_a_grey_strip_at_the_foot_of_the_row(examples):
    from matplotlib.image import imread
    import io

    session = examples["hip_led"]
    t0 = float(session.t_s[0])
    without = dataclasses.replace(session, dropped=session.dropped.iloc[:0])
    squat = pd.DataFrame({"start_s": [t0 + 1.0], "end_s": [t0 + 6.0], "reason": ["squat"]})
    with_squat = dataclasses.replace(session, dropped=squat)
    assert figures.shaded_kinds(with_squat) - figures.shaded_kinds(without) == {figures.NOT_COUNTED}
    plain, marked = (imread(io.BytesIO(figures.timeline_png(case)))[..., :3] * 255 for case in (without, with_squat))
    height = plain.shape[0]
    below_legend = slice(int(0.2 * height), None)  # the legend gains an entry at the top
    changed = np.abs(marked - plain).max(axis=2)[below_legend] > 3
    rows = np.flatnonzero(changed.any(axis=1))
    assert changed.sum() > 100
    assert rows.max() - rows.min() < 0.1 * height  # a strip, not a full-height span
    grey = np.array([int(figures.STRETCH_COLOURS[figures.NOT_COUNTED][i:i + 2], 16) for i in (1, 3, 5)])
    assert np.median(np.abs(marked[below_legend][changed] - grey).max(axis=1)) <= 3  # solid grey


def test_long_tables_and_the_movements_not_counted_are_collapsed(examples):
    session = examples["spine_led"]
    assert len(session.dropped) and session.n_bends <= COLLAPSE_ROWS
    short = render_report([session], generator="test")
    assert short.count("<details") == 1  # the movements not counted, not the short table
    assert re.search(r'<details class="dropped"><summary>\d+ movements? not counted as bends', short)
    many = pd.concat([session.bends] * 4, ignore_index=True)
    many.index = pd.RangeIndex(1, len(many) + 1, name="bend_id")
    long = render_report([dataclasses.replace(session, bends=many)], generator="test")
    table = long[long.index("<details><summary>Table of all"):]
    assert table.index("<table class=\"bends\">") < table.index("</details>")
    assert len(BEND_ROW.findall(long)) == len(many) > COLLAPSE_ROWS


def test_importing_the_report_package_does_not_load_matplotlib():
    import subprocess
    import sys

    probe = "import sys, hinge.analysis.report; print('matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


def test_report_suffix_picks_the_format_and_others_are_refused(tmp_path, capsys):
    session = str(example_session_path("hip_led"))
    for name in ("r.txt", "r", "r.png"):
        assert main(["report", session, "-o", str(tmp_path / name), "--progress", "never"]) == 2
        err = capsys.readouterr().err.strip()
        assert "a report is written as HTML or PDF" in err and "\n" not in err
    assert list(tmp_path.iterdir()) == []


def test_pdf_is_refused_in_one_line_without_chromium(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv(CHROMIUM_ENV, str(tmp_path / "no-such-browser"))
    out = tmp_path / "r.pdf"
    assert main(["report", str(example_session_path("hip_led")), "-o", str(out), "--progress", "never"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"hinge: error: {out}: a PDF report needs the Chromium browser") and "\n" not in err
    assert "apt-get install chromium" in err and not out.exists()


@pytest.mark.skipif(find_chromium() is None, reason="no chromium binary (Debian: apt-get install chromium)")
def test_pdf_report_is_a_real_pdf(tmp_path, capsys):
    out = tmp_path / "report.pdf"
    assert main(["report", str(example_session_path("hip_led")), "-o", str(out), "--progress", "never"]) == 0
    assert capsys.readouterr().out.strip().startswith(f"wrote {out}")
    data = out.read_bytes()
    pages = len(re.findall(rb"/Type\s*/Page(?![s\w])", data))
    print(f"\nPDF of one session: {len(data) / 1e3:.0f} kB, {pages} A4 pages")
    assert data.startswith(b"%PDF-") and b"%%EOF" in data[-1024:]
    assert 1 <= pages <= 4
    assert re.search(rb"/MediaBox\s*\[\s*0 0 59[45]\.\d* 84[12]\.\d*", data)  # A4: 595 x 842 pt
    assert [p.name for p in tmp_path.iterdir()] == ["report.pdf"]  # no temporary file left


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
    sessions = {name: load_recording(d) for name, d in zip(("c", "a", "b"), dirs[:3])}
    scores = {name: analyse_loaded(loaded).bends["score"].mean() for name, loaded in sessions.items()}
    rise = round(scores["c"] - scores["a"])
    assert rise > 0 and f"the mean hinge score rose by {rise} points" in progress
    # Two progress charts (score, hip-led share) that stack on a phone, and 3 plots per session.
    assert len(re.findall(r'<img src="data:image/png;base64,', html)) == 4 * 3 + 2


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
    # Each stacked row is labelled with where it starts: 60.3 min make six rows of 10:03.
    n_rows, row_s = timeline_rows(3618.0)
    assert [figures._clock(i * row_s) for i in range(n_rows)] == ["0:00", "10:03", "20:06", "30:09", "40:12", "50:15"]
    assert figures._clock(11 * 3000.0) == "9:10:00"
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


def test_a_stacked_row_shows_its_own_ten_minutes(examples):
    """A lone bend 25 min into an hour is drawn in the third of six rows, halfway along it
    (found as what changes when the same bend is moved to minute 42)."""
    from matplotlib.image import imread
    import io

    t = 1000.0 + np.arange(0, 3600.0, 0.05)
    base = examples["hip_led"]

    def drawn_with_bend_at(minute: float) -> np.ndarray:
        pitch = np.where(np.abs(t - 1000.0 - 60 * minute) < 2.0, 60.0, 0.0)
        quiet = dataclasses.replace(base, t_s=t, pitch_deg=pitch, bends=base.bends.iloc[:0], duration_s=3600.0,
                                    dropped=base.dropped.iloc[:0])
        return imread(io.BytesIO(figures.timeline_png(quiet)))[..., :3].mean(axis=2)

    there, elsewhere = drawn_with_bend_at(25.0), drawn_with_bend_at(42.0)
    rows, cols = np.nonzero(there < elsewhere - 0.3)  # pixels the trace darkens only for minute 25
    height, width = there.shape
    # Minute 25 is 5 min into its row, minute 42 only 2: where the second's flat line is
    # darker (the first bump is missing there) lies in another column range.
    middle = (cols > 0.4 * width) & (cols < 0.6 * width)
    assert middle.sum() > 50 and middle.mean() > 0.8
    assert 2 / 6 < rows[middle].min() / height and rows[middle].max() / height < 3 / 6  # in the third row



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
