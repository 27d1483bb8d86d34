"""Discovery on hostile trees (issue 11, class 6): link loops, FIFOs named like recordings,
reports beside sessions. Each run is bounded by the subprocess timeout: a hang fails."""
from __future__ import annotations

import os
import shutil

import pytest
from test_cli_errors import run_hinge


# `make test-fast` leaves these out: hostile trees through the real console script; test_batch covers discovery.
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def recording(simulated_csv):
    return simulated_csv


@pytest.fixture
def study(tmp_path, recording):
    root = tmp_path / "study"
    (root / "sub-01").mkdir(parents=True)
    (root / "sub-02").mkdir()
    shutil.copy(recording, root / "sub-01" / "a.csv")
    shutil.copy(recording, root / "sub-02" / "b.csv")
    # Link loops: each folder links back to the root and to the other.
    os.symlink(root, root / "sub-01" / "loop")
    os.symlink(root / "sub-01", root / "sub-02" / "loop")
    os.mkfifo(root / "sub-02" / "x.csv")  # nobody ever writes to it
    return root


def test_a_recursive_glob_through_link_loops_finds_each_recording_once(study, tmp_path):
    run = run_hinge("batch", f"{study}/**/*.csv", "-o", tmp_path / "bends.csv", "--jobs", "1")
    assert run.returncode == 0, run.stderr
    table = (tmp_path / "bends_recordings.csv").read_text().splitlines()
    assert len(table) == 1 + 2  # header + a.csv and b.csv, not the FIFO, nothing twice


def test_a_folder_with_a_fifo_named_like_a_recording_does_not_block(study, tmp_path):
    run = run_hinge("batch", study, "-o", tmp_path / "bends.csv", "--jobs", "1")
    assert run.returncode == 0, run.stderr
    assert len((tmp_path / "bends_recordings.csv").read_text().splitlines()) == 3


def test_a_fifo_named_explicitly_is_refused_in_one_line(study, tmp_path):
    run = run_hinge("batch", study / "sub-02" / "x.csv", "-o", tmp_path / "bends.csv", "--jobs", "1")
    assert run.returncode == 2 and "not a regular file" in run.stderr and "Traceback" not in run.stderr


def test_report_leaves_out_the_reports_beside_the_sessions(recording, tmp_path):
    beside = tmp_path / "P01_report.html"
    beside.write_text("<!DOCTYPE html><p>an earlier report</p>")
    run = run_hinge("report", recording, beside, "-o", tmp_path / "new.html")
    assert run.returncode == 0, run.stderr
    assert "a report, not a recording; left out" in run.stderr
    assert (tmp_path / "new.html").is_file()


def test_a_session_and_its_bids_copy_under_one_root_are_counted_once(tmp_path):
    root = tmp_path / "study"
    session = root / "sessions" / "P01_session"
    shutil.copytree(os.path.join(os.path.dirname(__file__), "..", "recordings", "examples", "hip_led"), session)
    assert run_hinge("export", session, "--bids", root / "bids", "--subject", "P01").returncode == 0
    run = run_hinge("batch", root, "-o", tmp_path / "bends.csv", "--jobs", "1")
    assert run.returncode == 0, run.stderr
    assert len((tmp_path / "bends_recordings.csv").read_text().splitlines()) == 2  # header + the session
    assert "the BIDS copy of session" in run.stderr
