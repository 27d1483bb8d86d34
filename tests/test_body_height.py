"""Body height: given at record time it is stored and used by every later analysis; given to
an analysis it overrides the stored one; the body model scales with it."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from hinge.analysis.params import AnalysisParams
from hinge.api import analyse_file
from hinge.cli import main
from hinge.errors import HingeInputError
from hinge.recordings import example_session_path, load_recording


@pytest.fixture
def session_at(tmp_path):
    """A copy of the bundled hip_led session with ``height_m`` written into its session.json."""
    def make(height_m, name: str = "tall") -> Path:
        path = tmp_path / name
        shutil.copytree(example_session_path("hip_led"), path)
        meta = json.loads((path / "session.json").read_text())
        meta["height_m"] = height_m
        (path / "session.json").write_text(json.dumps(meta))
        return path
    return make


def _analyse_json(capsys, *args: str) -> dict:
    assert main(["analyse", *args, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_the_body_model_scales_with_height(capsys):
    session = str(example_session_path("hip_led"))
    short = _analyse_json(capsys, session, "--height-cm", "160")
    tall = _analyse_json(capsys, session, "--height-cm", "190")
    assert short["params"]["analysis"]["height_m"] == 1.6 and tall["params"]["analysis"]["height_m"] == 1.9
    assert len(short["bends"]) == len(tall["bends"]) > 0
    depth_short = np.array([b["depth_deg"] for b in short["bends"]])
    depth_tall = np.array([b["depth_deg"] for b in tall["bends"]])
    # The same sensor translation is a larger trunk angle for a shorter body.
    assert np.abs(depth_short - depth_tall).max() > 1.0
    # Without a stored height, the population default.
    default = _analyse_json(capsys, session)
    assert default["params"]["analysis"]["height_m"] == AnalysisParams.height_m


def test_a_stored_height_is_used_without_passing_it_and_an_option_overrides_it(session_at, capsys):
    path = session_at(1.6)
    assert load_recording(path).height_m == 1.6
    stored = _analyse_json(capsys, str(path))
    given = _analyse_json(capsys, str(example_session_path("hip_led")), "--height-cm", "160")
    assert stored["params"]["analysis"]["height_m"] == 1.6
    assert [b["depth_deg"] for b in stored["bends"]] == [b["depth_deg"] for b in given["bends"]]
    overridden = _analyse_json(capsys, str(path), "--height-cm", "190")
    assert overridden["params"]["analysis"]["height_m"] == 1.9
    assert analyse_file(path).params.height_m == 1.6 and analyse_file(path, height_m=1.9).params.height_m == 1.9


def test_the_summaries_state_the_height(session_at, tmp_path, capsys):
    path = session_at(1.6)
    assert main(["analyse", str(path)]) == 0
    assert "body height: 160 cm (stored with the recording)" in capsys.readouterr().out
    assert main(["analyse", str(path), "--height-cm", "181"]) == 0
    assert "body height: 181 cm (--height-cm)" in capsys.readouterr().out
    out = tmp_path / "r.html"
    assert main(["report", str(path), "-o", str(out), "--progress", "never"]) == 0
    assert "stored body height" in capsys.readouterr().out
    assert "<th>Body height</th><td>160 cm</td>" in out.read_text(encoding="utf-8")
    bends = tmp_path / "b.csv"
    assert main(["batch", str(path), "-o", str(bends), "--jobs", "1", "--progress", "never",
                 "--height-cm", "170"]) == 0
    assert "body height 170 cm (--height-cm)" in capsys.readouterr().out
    table = pd.read_csv(bends)
    assert {json.loads(p)["height_m"] for p in table["params"]} == {1.7}


@pytest.mark.parametrize("value", ["17.5", "1750", "abc", "nan", "119"])
def test_an_implausible_height_is_refused_in_one_line(value, tmp_path, capsys):
    for command in (["analyse", "x.csv"], ["record", "--simulate", "-o", str(tmp_path)]):
        with pytest.raises(SystemExit) as stopped:
            main([*command, "--height-cm", value])
        assert stopped.value.code == 2
        assert capsys.readouterr().err.strip().splitlines()[-1].endswith(
            f"argument --height-cm: '{value}' is not a body height in cm; give 120-220 (e.g. 172)")
    assert not list(tmp_path.iterdir())


def test_a_damaged_stored_height_is_refused_naming_the_field(session_at):
    path = session_at(17.5)
    with pytest.raises(HingeInputError, match=r"'height_m' is 17.5, expected a body height in m \(1.20-2.20\)"):
        load_recording(path)


@pytest.mark.slow
def test_a_live_session_recorded_at_160_cm_is_analysed_at_160_cm_and_live_equals_offline(tmp_path, capsys):
    from test_live_cli import live_bends

    assert main(["live", "--simulate", "--speed", "12", "--bends", "3", "--seed", "4", "--participant", "H01",
                 "--height-cm", "160", "-o", str(tmp_path), "--no-report"]) == 0
    live = live_bends(capsys.readouterr().out)
    (path,) = [p for p in tmp_path.iterdir() if p.is_dir()]
    assert json.loads((path / "session.json").read_text())["height_m"] == 1.6
    offline = _analyse_json(capsys, str(path))
    assert offline["params"]["analysis"]["height_m"] == 1.6
    assert len(live) == 3 and [b["label"] for b in offline["bends"]] == [c for _, c, _, _, _ in live]
    np.testing.assert_allclose([b["score"] for b in offline["bends"]], [float(s) for _, _, s, _, _ in live],
                               atol=2.0)


def test_a_bids_export_keeps_the_height_and_its_analysis_uses_it(session_at, tmp_path, capsys):
    """The stored height travels to participants.tsv (m, Units in participants.json), so the
    BIDS copy is analysed at it, bend for bend as the session; another dataset's height in
    cm is converted, one without Units is not used (warned), an implausible one refused."""
    from hinge.bids_export import export_bids

    session = session_at(1.60)
    root = tmp_path / "bids"
    done = export_bids(session, root, "P01")
    participants = pd.read_csv(root / "participants.tsv", sep="\t", dtype=str)
    assert participants.set_index("participant_id").loc["sub-P01", "height"] == "1.600"
    assert json.loads((root / "participants.json").read_text())["height"]["Units"] == "m"
    motion = done.paths["motion"]
    loaded = load_recording(motion)
    assert loaded.height_m == pytest.approx(1.60)
    same = analyse_file(session).bends[["label", "score"]]
    pd.testing.assert_frame_equal(analyse_file(motion).bends[["label", "score"]], same)

    participants["height"] = "185"
    participants.to_csv(root / "participants.tsv", sep="\t", index=False)
    described = json.loads((root / "participants.json").read_text())
    (root / "participants.json").write_text(json.dumps({**described, "height": {"Units": "cm"}}))
    assert load_recording(motion).height_m == pytest.approx(1.85)

    (root / "participants.json").write_text(json.dumps({**described, "height": {"Description": "tall"}}))
    unitless = load_recording(motion)
    assert unitless.height_m is None
    assert any("participants.json gives it no Units" in w for w in unitless.recording.warnings)

    (root / "participants.json").write_text(json.dumps({**described, "height": {"Units": "m"}}))
    with pytest.raises(HingeInputError, match=r"height 185 m is 185 m, outside the body model's"):
        load_recording(motion)
