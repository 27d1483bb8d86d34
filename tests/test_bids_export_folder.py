"""`hinge export`: the subject defaults to the session's participant; a folder exports every session.

Sessions are copies of the bundled examples with their participant and start time set, as
`hinge record --participant` writes them. The official BIDS validator must accept the
multi-session dataset (skipped when bids-validator-deno, a test extra, is not installed).
"""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from hinge.bids_export import date_label, export_bids
from hinge.cli import main
from hinge.errors import HingeInputError
from hinge.recordings import example_session_path

from bids_validator import validator_errors


def _session(folder: Path, example: str, participant: str | None, created_utc: str) -> Path:
    path = folder / f"{participant or 'session'}_{created_utc[:10]}_{example}"
    shutil.copytree(example_session_path(example), path)
    meta = json.loads((path / "session.json").read_text())
    meta.update(participant=participant, created_utc=created_utc)
    (path / "session.json").write_text(json.dumps(meta))
    return path


@pytest.fixture(scope="module")
def study(tmp_path_factory) -> Path:
    """P01 twice (two dates), P02 once, and one session without a participant."""
    folder = tmp_path_factory.mktemp("sessions")
    _session(folder, "hip_led", "P01", "2026-11-24T09:30:12+00:00")
    _session(folder, "spine_led", "P01", "2026-12-01T10:05:00+01:00")
    _session(folder, "spine_led", "P02", "2026-11-25T08:00:00+00:00")
    _session(folder, "hip_led", None, "2026-11-26T08:00:00+00:00")
    return folder


@pytest.fixture(scope="module")
def exported(study, tmp_path_factory):
    """`hinge export STUDY --bids DIR` run once: (exit status, stdout, stderr, DIR)."""
    root = tmp_path_factory.mktemp("out") / "bids"
    done = subprocess.run([sys.executable, "-m", "hinge", "export", str(study), "--bids", str(root)],
                          capture_output=True, text=True, timeout=300)
    return done.returncode, done.stdout, done.stderr, root


def test_date_label_is_letters_and_digits_in_utc():
    assert date_label("2026-11-24T09:30:12+00:00") == "20261124T0930Z"
    assert date_label("2026-12-01T10:05:00+01:00") == "20261201T0905Z"
    assert date_label("not a date") is None and date_label(None) is None


def test_the_subject_defaults_to_the_sessions_participant(study, tmp_path, capsys):
    session = next(study.glob("P02_*"))
    assert main(["export", str(session), "--bids", str(tmp_path / "bids")]) == 0
    assert "7 bends" in capsys.readouterr().out
    assert (tmp_path / "bids/sub-P02/motion/sub-P02_task-bending_tracksys-imu_motion.tsv").is_file()


@pytest.mark.parametrize("source, expected", [
    ("session_without_participant", "the recording names no participant; pass --subject"),
    ("bundled_example", "participant 'sim-hip_led' (session.json) is not a BIDS label (letters and digits only); "
                        "pass --subject, e.g. --subject simhipled"),
])
def test_without_a_participant_the_export_asks_for_subject_in_one_line(study, tmp_path, capsys, source, expected):
    path = next(study.glob("session_*")) if source == "session_without_participant" else example_session_path("hip_led")
    assert main(["export", str(path), "--bids", str(tmp_path / "bids")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("hinge: error: ") and err.count("\n") == 1 and err.rstrip().endswith(expected)
    with pytest.raises(HingeInputError, match="pass --subject"):
        export_bids(path, tmp_path / "bids")
    assert not (tmp_path / "bids").exists()


def test_a_folder_exports_each_session_under_its_participant(exported):
    status, out, err, root = exported
    # The session without a participant fails in one line; the others are written; exit 1 as in batch.
    assert status == 1
    lines = out.strip().splitlines()
    assert len(lines) == 4
    assert sorted(line.split(" -> ")[1].split(":")[0] for line in lines[:3]) == [
        "sub-P01/ses-20261124T0930Z", "sub-P01/ses-20261201T0905Z", "sub-P02"]
    assert all("bends" in line and "body height 175 cm" in line for line in lines[:3])
    assert lines[3] == f"exported 3 of 4 recordings into {root} (2 participants); 1 failed (listed above)"
    (failure,) = err.strip().splitlines()
    assert failure.startswith("hinge: failed: ") and failure.endswith("names no participant; pass --subject")
    participants = pd.read_csv(root / "participants.tsv", sep="\t")
    assert list(participants["participant_id"]) == ["sub-P01", "sub-P02"]
    scans = pd.read_csv(root / "sub-P01/ses-20261124T0930Z/sub-P01_ses-20261124T0930Z_scans.tsv", sep="\t")
    assert scans["acq_time"].tolist() == ["2026-11-24T09:30:12.000000Z"]


def test_a_folder_export_again_refuses_each_entry_and_force_replaces_them(study, exported, tmp_path, capsys):
    root = tmp_path / "bids"
    shutil.copytree(exported[3], root)
    assert main(["export", str(study), "--bids", str(root)]) == 1
    err = capsys.readouterr().err
    assert err.count("already exists") == 3
    assert main(["export", str(study), "--bids", str(root), "--force"]) == 1
    assert "exported 3 of 4 recordings" in capsys.readouterr().out


def test_the_official_validator_accepts_the_multi_session_export(exported):
    assert validator_errors(exported[3]) == []
