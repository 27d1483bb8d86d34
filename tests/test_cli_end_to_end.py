"""The real console script: simulate a session, analyse it, and check the verdicts."""
import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
from evaluation import detection_counts, f1, match_bends
import pytest

# `make test-fast` leaves these out: the console script on a long simulated session; test_api compares API and CLI.
pytestmark = pytest.mark.slow


HINGE = str(Path(sys.executable).with_name("hinge"))


def run(*args):
    return subprocess.run([HINGE, *args], capture_output=True, text=True, timeout=120)


def test_simulate_then_analyse_json(tmp_path):
    data, truth_path = tmp_path / "s.csv", tmp_path / "truth.csv"
    made = run("simulate", "-o", str(data), "--bends", "8", "--seed", "4", "--mounting", "random", "--truth", str(truth_path))
    assert made.returncode == 0, made.stderr
    out = run("analyse", str(data), "--json")
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    assert {"bends", "calibration", "warnings", "dropped", "input", "hinge_version", "params", "created_utc"} <= doc.keys()
    bends = pd.DataFrame(doc["bends"])
    assert {"start_s", "peak_s", "end_s", "label", "score", "lumbar_share", "depth_deg", "reasons"} <= set(bends.columns)
    assert bends["score"].between(0, 100).all() and bends["lumbar_share"].between(0, 1).all()
    truth = pd.read_csv(truth_path, index_col=0)
    matched = match_bends(bends, truth)
    assert f1(*detection_counts(matched, truth)) >= 0.85
    clear = matched[(matched["true_lumbar_share"] < 0.2) | (matched["true_lumbar_share"] > 0.75)]
    assert (clear["label"] == clear["true_label"]).all()
    assert doc["calibration"]["ok"] is True


def test_table_output_has_units_and_summary(tmp_path):
    data = tmp_path / "s.csv"
    assert run("simulate", "-o", str(data), "--bends", "4", "--seed", "2").returncode == 0
    out = run("analyse", str(data))
    assert out.returncode == 0, out.stderr
    assert "/100" in out.stdout and "%" in out.stdout and "°" in out.stdout
    assert "bends:" in out.stdout and "mean score" in out.stdout
