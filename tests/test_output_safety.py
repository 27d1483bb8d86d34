"""Every `-o`: never over an input, never over an existing file without --force, never over
anything but a regular file, and "DIR/" means a directory (hinge.output_paths).

The installed command in a subprocess, as a user runs it; one line on stderr and exit 2 for
each refusal, and the refused target left byte for byte as it was.
"""
from __future__ import annotations

import os
import shutil

import pytest
from test_cli_errors import run_hinge


# `make test-fast` leaves these out: each case runs the real console script; output_paths is also used by the fast CLI tests.
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def recording(tmp_path_factory):
    """A simulated recording with bends (CSV), made once."""
    folder = tmp_path_factory.mktemp("rec")
    run = run_hinge("simulate", "-o", folder / "rec.csv", "--bends", "4", "--seed", "3")
    assert run.returncode == 0, run.stderr
    return folder / "rec.csv"


def refused(run, *words):
    assert run.returncode == 2, run.stdout + run.stderr
    assert len(run.stderr.strip().splitlines()) == 1 and "Traceback" not in run.stderr
    for word in words:
        assert word in run.stderr, run.stderr


def test_a_report_never_writes_over_its_input(recording, tmp_path):
    before = recording.read_bytes()
    refused(run_hinge("report", recording, "-o", recording), "is an input")
    refused(run_hinge("report", recording, "-o", recording, "--force"), "is an input")
    assert recording.read_bytes() == before


def test_a_report_never_writes_into_a_session_it_reads(tmp_path):
    session = tmp_path / "session"
    shutil.copytree(os.path.join(os.path.dirname(__file__), "..", "recordings", "examples", "hip_led"), session)
    samples = (session / "samples.bin").read_bytes()
    refused(run_hinge("report", session, "-o", session / "samples.bin", "--force"), "is an input")
    assert (session / "samples.bin").read_bytes() == samples


def test_an_existing_file_is_replaced_only_with_force(recording, tmp_path):
    other = tmp_path / "notes.html"
    other.write_text("keep me")
    refused(run_hinge("report", recording, "-o", other), "exists; pass --force")
    assert other.read_text() == "keep me"
    run = run_hinge("report", recording, "-o", other, "--force")
    assert run.returncode == 0, run.stderr
    assert other.read_text().startswith("<!DOCTYPE html>")


def test_a_fifo_or_device_is_never_replaced(recording, tmp_path):
    fifo = tmp_path / "pipe.html"
    os.mkfifo(fifo)
    refused(run_hinge("report", recording, "-o", fifo, "--force"), "not a regular file")
    assert fifo.is_fifo()
    refused(run_hinge("report", recording, "-o", "/dev/null", "--force"), "not a regular file")


def test_a_trailing_slash_names_a_directory(recording, tmp_path):
    out = tmp_path / "reports"
    refused(run_hinge("report", recording, "-o", f"{out}/"), "directory does not exist")
    assert not out.exists()
    out.mkdir()
    run = run_hinge("report", recording, "-o", f"{out}/")
    assert run.returncode == 0, run.stderr
    assert (out / "report.html").is_file()


def test_simulate_does_not_replace_an_existing_recording(recording, tmp_path):
    target = tmp_path / "existing.csv"
    shutil.copy(recording, target)
    before = target.read_bytes()
    refused(run_hinge("simulate", "-o", target), "exists; pass --force")
    assert target.read_bytes() == before
    assert run_hinge("simulate", "-o", target, "--force", "--seed", "9").returncode == 0
    assert target.read_bytes() != before


def test_batch_never_writes_over_an_input_or_an_existing_table(recording, tmp_path):
    study = tmp_path / "study"
    study.mkdir()
    shutil.copy(recording, study / "a.csv")
    before = (study / "a.csv").read_bytes()
    refused(run_hinge("batch", study, "-o", study / "a.csv", "--jobs", "1", "--force"), "is an input")
    assert (study / "a.csv").read_bytes() == before
    # The per-recording table beside the bends table is protected too.
    (tmp_path / "bends_recordings.csv").write_text("keep me")
    refused(run_hinge("batch", study, "-o", tmp_path / "bends.csv", "--jobs", "1"), "bends_recordings.csv", "--force")
    assert (tmp_path / "bends_recordings.csv").read_text() == "keep me"
    run = run_hinge("batch", study, "-o", tmp_path / "bends.csv", "--jobs", "1", "--force")
    assert run.returncode == 0, run.stderr
    assert (tmp_path / "bends_recordings.csv").read_text() != "keep me"
