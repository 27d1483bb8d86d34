"""A full disk (here: a file-size limit, EFBIG, the same path as ENOSPC) never ends in a
traceback: one line, exit status 3, no half-written output, no temporary file, and a
recording that can be recovered (issue 11, class 2)."""
from __future__ import annotations

import resource
import signal
import subprocess

import pytest
from test_cli_errors import COMMAND, run_hinge


# `make test-fast` leaves these out: real processes under a file-size limit.
pytestmark = pytest.mark.slow


def run_limited(limit_bytes: int, *args):
    def limit():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # EFBIG instead of a kill
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit_bytes, limit_bytes))

    return subprocess.run([*COMMAND, *map(str, args)], capture_output=True, text=True, timeout=120, preexec_fn=limit)


def one_line_exit_3(run):
    assert run.returncode == 3, run.stdout + run.stderr
    assert len(run.stderr.strip().splitlines()) == 1 and "Traceback" not in run.stderr, run.stderr


@pytest.fixture(scope="module")
def recording(simulated_csv):
    return simulated_csv


def test_simulate_report_and_batch_leave_nothing_half_written(recording, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    one_line_exit_3(run_limited(20_000, "simulate", "-o", out / "sim.csv", "--bends", "4"))
    one_line_exit_3(run_limited(20_000, "report", recording, "-o", out / "report.html"))
    one_line_exit_3(run_limited(2_000, "batch", recording, "-o", out / "bends.csv", "--jobs", "1"))
    assert sorted(p.name for p in out.iterdir()) == []


def test_a_recording_on_a_full_disk_stops_in_one_line_and_can_be_recovered(tmp_path):
    run = run_limited(60_000, "record", "--simulate", "--speed", "5", "--duration", "20", "-o", tmp_path)
    one_line_exit_3(run)
    assert "hinge recover" in run.stderr
    (session,) = tmp_path.iterdir()
    assert not list(session.glob("*.tmp"))
    recovered = run_hinge("recover", session)
    assert recovered.returncode == 0, recovered.stderr
    assert "recovered" in recovered.stdout
