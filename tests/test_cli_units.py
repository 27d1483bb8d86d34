"""`--acc-unit`/`--gyro-unit` on every command that reads recordings, in every spelling people write.

One simulated recording is written twice: in m/s^2 and rad/s, and in g and deg/s. Each
command (analyse, report, batch, export) given the second with its units finds the same
bends as with the first.
"""
from __future__ import annotations

import json
import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from hinge.analysis.body_model import SessionSpec, simulate_session
from hinge.cli import main
from hinge.errors import HingeInputError
from hinge.recordings import units
from hinge.recordings.load import load_recording

G_MPS2 = 9.80665
HEADER = "time_s,acc_x,acc_y,acc_z,gyr_x,gyr_y,gyr_z"


@pytest.fixture(scope="module")
def pair(tmp_path_factory) -> tuple[Path, Path]:
    """The same 4-bend recording as si/rec.csv (m/s^2, rad/s) and g_deg/rec.csv (g, deg/s)."""
    session = simulate_session(SessionSpec(n_bends=4, mounting="upright", fs_hz=100.0, seed=5))
    root = tmp_path_factory.mktemp("units")
    si, other = root / "si" / "rec.csv", root / "g_deg" / "rec.csv"
    for path, acc, gyr in ((si, session.acc_mps2, session.gyr_rad_s),
                           (other, session.acc_mps2 / G_MPS2, np.degrees(session.gyr_rad_s))):
        path.parent.mkdir()
        np.savetxt(path, np.column_stack([session.t_s, acc, gyr]), fmt="%.10g", delimiter=",", header=HEADER,
                   comments="")
    return si, other


G_DEG = ["--acc-unit", "g", "--gyro-unit", "deg/s"]


def _analyse_json(capsys, path: Path, *options: str) -> dict:
    assert main(["analyse", str(path), "--json", *options]) == 0
    return json.loads(capsys.readouterr().out)


def _same_bends(a: list[dict], b: list[dict]) -> None:
    assert len(a) == len(b) > 0
    for x, y in zip(a, b):
        assert x["label"] == y["label"]
        assert x["score"] == pytest.approx(y["score"], abs=0.01)
        assert x["depth_deg"] == pytest.approx(y["depth_deg"], abs=0.01)


@pytest.mark.parametrize("acc, gyro", [("g", "deg/s"), ("G", "dps"), ("g", "°/s"), ("g", "DEG/S")])
def test_analyse_in_g_and_deg_per_s_finds_the_same_bends(pair, capsys, acc, gyro):
    si, other = pair
    reference = _analyse_json(capsys, si)
    converted = _analyse_json(capsys, other, "--acc-unit", acc, "--gyro-unit", gyro)
    _same_bends(reference["bends"], converted["bends"])
    # The JSON names the unit hinge understood, whatever the spelling.
    assert converted["params"]["acc_unit"] == "g" and converted["params"]["gyro_unit"] == "deg/s"


@pytest.mark.parametrize("spelling", ["m/s^2", "m/s2", "m/s²", "mps2", " M/S^2 "])
def test_every_spelling_of_metres_per_second_squared_is_accepted(pair, capsys, spelling):
    si, _ = pair
    document = _analyse_json(capsys, si, "--acc-unit", spelling, "--gyro-unit", "rad/s")
    assert document["params"]["acc_unit"] == "m/s2" and len(document["bends"]) > 0


def test_report_in_g_and_deg_per_s_shows_the_same_bends(pair, tmp_path, capsys):
    si, other = pair
    tables = []
    for source, options in ((si, []), (other, G_DEG)):
        out = tmp_path / f"{source.parent.name}.html"
        assert main(["report", str(source), "-o", str(out), "--progress", "never", *options]) == 0
        html = out.read_text(encoding="utf-8")
        tables.append(re.findall(r'<table class="bends">.*?</table>', html, flags=re.S))
    capsys.readouterr()
    assert tables[0] and tables[0] == tables[1]


def test_batch_in_g_and_deg_per_s_gives_the_same_table(pair, tmp_path, capsys):
    si, other = pair
    tables = []
    for source, options in ((si, []), (other, G_DEG)):
        out = tmp_path / f"{source.parent.name}_bends.csv"
        assert main(["batch", str(source.parent), "-o", str(out), "--jobs", "1", "--progress", "never",
                     *options]) == 0
        tables.append(pd.read_csv(out))
    capsys.readouterr()
    a, b = tables
    assert len(a) == len(b) > 0 and list(a["label"]) == list(b["label"])
    np.testing.assert_allclose(a["score"], b["score"], atol=0.01)
    np.testing.assert_allclose(a["depth_deg"], b["depth_deg"], atol=0.01)


def test_batch_without_the_units_reports_the_recording_and_names_options_it_has(pair, tmp_path, capsys):
    _, other = pair
    assert main(["batch", str(other.parent), "-o", str(tmp_path / "b.csv"), "--jobs", "1",
                 "--progress", "never"]) == 1
    err = capsys.readouterr().err
    assert "looks like g; pass --acc-unit g" in err


def test_export_in_g_and_deg_per_s_writes_the_same_events(pair, tmp_path, capsys):
    si, other = pair
    events = []
    for source, options in ((si, []), (other, G_DEG)):
        root = tmp_path / source.parent.name
        assert main(["export", str(source), "--bids", str(root), "--subject", "P01", *options]) == 0
        (path,) = root.glob("sub-P01/motion/*_events.tsv")
        events.append(pd.read_csv(path, sep="\t"))
    capsys.readouterr()
    a, b = events
    assert len(a) == len(b) > 0 and list(a["trial_type"]) == list(b["trial_type"])
    np.testing.assert_allclose(a["score"], b["score"], atol=0.01)


@pytest.mark.parametrize("command", ["analyse", "report", "batch", "export"])
def test_an_unknown_unit_is_refused_naming_the_accepted_ones(pair, tmp_path, capsys, command):
    si, _ = pair
    extra = {"analyse": [], "report": ["-o", str(tmp_path / "r.html")], "batch": ["-o", str(tmp_path / "b.csv")],
             "export": ["--bids", str(tmp_path / "bids"), "--subject", "P01"]}[command]
    with pytest.raises(SystemExit) as stopped:
        main([command, str(si), *extra, "--gyro-unit", "rpm"])
    assert stopped.value.code == 2
    last = capsys.readouterr().err.strip().splitlines()[-1]
    assert last.endswith("argument --gyro-unit: 'rpm' is not a unit hinge knows; accepted: "
                         + ", ".join(units.GYRO_UNIT_SPELLINGS))
    assert not list(tmp_path.iterdir())  # refused before any work


def test_the_python_api_takes_the_same_spellings(pair):
    _, other = pair
    loaded = load_recording(other, acc_unit="g", gyro_unit="dps")
    assert math.isclose(float(np.median(np.linalg.norm(loaded.recording.acc_mps2, axis=1))), G_MPS2, rel_tol=0.1)
    with pytest.raises(HingeInputError, match=r"^acc_unit 'mg' is not a unit hinge knows; accepted: m/s2, "):
        load_recording(other, acc_unit="mg")


def test_a_session_refuses_other_units_naming_options_that_exist(capsys):
    from hinge.recordings import example_session_path

    session = example_session_path("hip_led")
    # m/s^2 as the README spells it is the session's own unit: accepted.
    assert main(["analyse", str(session), "--acc-unit", "m/s^2", "--json"]) == 0
    capsys.readouterr()
    assert main(["analyse", str(session), "--acc-unit", "g"]) == 2
    assert "drop --acc-unit/--gyro-unit" in capsys.readouterr().err


def test_every_hint_to_pass_a_unit_option_names_an_option_every_reading_command_has():
    """Hints in the code that say 'pass --acc-unit ...' must be accepted by analyse, report, batch and export."""
    from hinge.cli import _build_parser

    root = Path(__file__).resolve().parents[1]
    hints = set()
    for path in [*root.glob("recordings/*.py"), *root.glob("hinge/*.py")]:
        hints |= set(re.findall(r"pass (--(?:acc|gyro)-unit) ([^\s\"';,)]+)", path.read_text(encoding="utf-8")))
    assert hints >= {("--acc-unit", "g"), ("--gyro-unit", "deg/s")}
    parser = _build_parser()
    for command, inputs in (("analyse", ["x.csv"]), ("report", ["x.csv"]), ("batch", ["x", "-o", "b.csv"]),
                            ("export", ["x.csv", "--bids", "d"])):
        for option, value in hints:
            parser.parse_args([command, *inputs, option, value])
