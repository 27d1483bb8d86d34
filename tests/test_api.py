"""The public API gives the same verdicts as the command line."""
import json
import subprocess
import sys
from pathlib import Path

import pytest

import hinge
from hinge.analysis.body_model import SessionSpec, simulate_session


def test_analyse_file_matches_the_command_line(tmp_path):
    path = tmp_path / "s.csv"
    simulate_session(SessionSpec(n_bends=5, seed=9, mounting="random")).to_csv(path)
    result = hinge.analyse_file(path)
    out = subprocess.run([str(Path(sys.executable).with_name("hinge")), "analyse", str(path), "--json"],
                         capture_output=True, text=True, check=True)
    cli = json.loads(out.stdout)["bends"]
    assert len(cli) == len(result.bends) >= 4
    assert [b["label"] for b in cli] == result.bends["label"].tolist()
    assert [b["score"] for b in cli] == pytest.approx(result.bends["score"].tolist())


def test_bad_file_raises_the_documented_error(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("a,b\n1,2\n")
    with pytest.raises(hinge.HingeInputError, match="bad.csv"):
        hinge.analyse_file(path)
