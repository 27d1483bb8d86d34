"""`hinge analyse DIR` on the bundled example sessions, `hinge recover`, and bad session directories."""
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from evaluation import detection_counts, f1, match_bends

from hinge.recordings import EXAMPLES, decode_raw_records, example_session_path, iter_raw_records, read_session

_SCRIPT = Path(sys.executable).parent / "hinge"
HINGE = [str(_SCRIPT)] if _SCRIPT.exists() else [sys.executable, "-m", "hinge"]


def run_hinge(*args):
    return subprocess.run([*HINGE, *map(str, args)], capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("name", EXAMPLES)
def test_example_sessions_are_small_closed_and_raw_decodes_to_samples(name):
    path = example_session_path(name)
    assert sum(f.stat().st_size for f in path.iterdir()) < 500_000
    session = read_session(path)
    assert session.status == "closed" and session.placement == "sacrum" and session.warnings == ()
    assert 60.0 <= session.duration_s <= 90.0
    it = iter_raw_records(path / "raw.log")
    records = list(it)
    assert it.problem is None
    t_s, acc, gyr, gaps, _ = decode_raw_records(records, "hinge_open")
    np.testing.assert_array_equal(t_s, session.t_s)  # exactly what a recorder wrote
    np.testing.assert_allclose(acc, session.acc_mps2, rtol=1e-6, atol=1e-6)
    assert [tuple(np.round(g, 6)) for g in gaps] == [
        tuple(r) for r in session.annotations.loc[session.annotations["description"] == "BAD_gap",
                                                  ["onset_s", "duration_s"]].to_numpy().round(6)]


@pytest.mark.parametrize("name, majority", [("hip_led", "hip-led"),
                                            pytest.param("spine_led", "spine-led", marks=pytest.mark.slow)])
def test_analyse_example_session_matches_truth(name, majority):
    path = example_session_path(name)
    result = run_hinge("analyse", path, "--json")
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["params"]["placement"] == "sacrum"  # from session.json
    assert document["input"]["n_samples"] == read_session(path).t_s.size
    truth = pd.read_csv(path / "truth.csv", index_col="event_id")
    detected = pd.DataFrame(document["bends"]).set_index("bend_id")
    matched = match_bends(detected, truth)
    assert f1(*detection_counts(matched, truth)) >= 0.8
    bends = matched[matched["true_label"].notna()]
    assert (bends["label"] == bends["true_label"]).mean() >= 0.7
    assert (detected["label"] == majority).mean() > 0.5


@pytest.mark.slow
def test_analyse_session_table_output_and_placement_override(tmp_path):
    result = run_hinge("analyse", example_session_path("hip_led"), "--placement", "L5", "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["params"]["placement"] == "L5"
    result = run_hinge("analyse", example_session_path("hip_led"))
    assert result.returncode == 0 and "bends:" in result.stdout


def test_recover_of_a_clean_session_changes_nothing(tmp_path):
    import shutil
    shutil.copytree(example_session_path("spine_led"), tmp_path / "s")
    before = {f.name: f.read_bytes() for f in (tmp_path / "s").iterdir()}
    result = run_hinge("recover", tmp_path / "s")
    assert result.returncode == 0 and "nothing to recover" in result.stdout
    assert {f.name: f.read_bytes() for f in (tmp_path / "s").iterdir()} == before


def _copy(tmp_path):
    import shutil
    shutil.copytree(example_session_path("hip_led"), tmp_path / "s")
    return tmp_path / "s"


def _missing(p):
    return p / "nothing"


def _empty_dir(p):
    (p / "empty").mkdir()
    return p / "empty"


def _bad_json(p):
    (p / "s").mkdir()
    (p / "s" / "session.json").write_text("{")
    return p / "s"


def _no_samples(p):
    (_copy(p) / "samples.bin").unlink()
    return p / "s"


def _garbage_samples(p):
    (_copy(p) / "samples.bin").write_bytes(b"HINGSMP1" + b"\0" * 50)
    return p / "s"


def _bad_annotations(p):
    (_copy(p) / "annotations.tsv").write_text("nonsense\n")
    return p / "s"


@pytest.mark.parametrize("command, build, phrase", [
    ("recover", _missing, "session directory not found"),
    ("recover", _empty_dir, "without session.json"),
    ("analyse", _bad_json, "not valid JSON"),
    ("analyse", _no_samples, "run `hinge recover"),
    ("analyse", _garbage_samples, "damaged"),
    ("analyse", _bad_annotations, "missing header"),
])
@pytest.mark.slow
def test_bad_session_dirs_exit_2_with_one_line(tmp_path, command, build, phrase):
    result = run_hinge(command, build(tmp_path))
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("hinge: error: ") and phrase in lines[0], result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.slow  # the console script per case, as test_bad_session_dirs_exit_2_with_one_line
def test_session_with_units_option_is_refused(tmp_path):
    result = run_hinge("analyse", example_session_path("hip_led"), "--acc-unit", "g")
    assert result.returncode == 2 and "m/s^2 and rad/s" in result.stderr


@pytest.mark.slow  # the console script per case, as test_bad_session_dirs_exit_2_with_one_line
def test_too_short_session_is_refused(tmp_path):
    from hinge.recordings import SessionWriter

    with SessionWriter.create(tmp_path / "s", {"profile": "hinge_open", "placement": "sacrum"}) as writer:
        writer.append_samples(np.arange(50) / 100.0, np.tile([0, 0, 9.8], (50, 1)), np.zeros((50, 3)))
    result = run_hinge("analyse", tmp_path / "s")
    assert result.returncode == 2 and "too few samples" in result.stderr


@pytest.mark.slow  # the console script per case, as test_bad_session_dirs_exit_2_with_one_line
def test_session_without_gyroscope_is_refused(tmp_path):
    from hinge.recordings import SessionWriter

    n = 3000
    with SessionWriter.create(tmp_path / "s", {"profile": "polar_h10", "placement": "sacrum"}) as writer:
        writer.append_samples(np.arange(n) / 100.0, np.tile([0, 0, 9.8], (n, 1)), np.full((n, 3), np.nan))
    assert np.isnan(read_session(tmp_path / "s").gyr_rad_s).all()
    result = run_hinge("analyse", tmp_path / "s")
    assert result.returncode == 2 and "no gyroscope values" in result.stderr
