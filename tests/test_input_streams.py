"""Inputs as users hand them over: pipes, FIFOs, quoted headers, glitches, 1000 Hz (issue 11, class 5)."""
from __future__ import annotations

import json
import os
import subprocess
import threading

import numpy as np
import pytest
from test_cli_errors import COMMAND, run_hinge

from hinge.recordings import csv_read
from hinge.errors import HingeInputError


# `make test-fast` leaves these out: each case runs the real console script on a pipe, FIFO or odd file.
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def recording(simulated_csv):
    return simulated_csv


def bends_of(run) -> list:
    assert run.returncode == 0, run.stderr
    return [(b["label"], round(b["peak_s"], 2)) for b in json.loads(run.stdout)["bends"]]


def test_standard_input_and_dev_stdin_read_the_whole_file(recording):
    expected = bends_of(run_hinge("analyse", recording, "--json"))
    assert expected
    for name in ("-", "/dev/stdin"):
        with open(recording, "rb") as stdin:
            run = subprocess.run([*COMMAND, "analyse", name, "--json"], stdin=stdin, capture_output=True,
                                 text=True, timeout=60)
        assert bends_of(run) == expected


def test_a_fifo_is_read_once_its_writer_writes(recording, tmp_path):
    fifo = tmp_path / "rec.csv"
    os.mkfifo(fifo)
    writer = threading.Thread(target=lambda: fifo.write_bytes(recording.read_bytes()))
    writer.start()
    run = run_hinge("analyse", fifo, "--json")
    writer.join(timeout=10)
    assert bends_of(run) == bends_of(run_hinge("analyse", recording, "--json"))


def test_a_fifo_nobody_writes_to_is_an_error_not_a_hang(tmp_path, monkeypatch):
    fifo = tmp_path / "rec.csv"
    os.mkfifo(fifo)
    monkeypatch.setattr(csv_read, "FIFO_WAIT_S", 0.3)
    with pytest.raises(HingeInputError, match="is a FIFO and nothing wrote to it"):
        csv_read.read_stream(fifo, str(fifo))


def test_a_quoted_header_is_read(recording, tmp_path):
    lines = recording.read_text().splitlines()
    lines[0] = ",".join(f'"{name}"' for name in lines[0].split(","))
    quoted = tmp_path / "quoted.csv"
    quoted.write_text("\n".join(lines) + "\n")
    assert bends_of(run_hinge("analyse", quoted, "--json")) == bends_of(run_hinge("analyse", recording, "--json"))


def test_impossible_values_and_gyro_spikes_are_dropped_not_analysed(recording, tmp_path):
    rows = np.loadtxt(recording, delimiter=",", skiprows=1)
    rows[500, 1] = 1e300          # beyond any full scale
    rows[900, 5] += 30.0          # a 30 rad/s single-sample spike
    glitchy = tmp_path / "glitchy.csv"
    np.savetxt(glitchy, rows, delimiter=",", fmt="%.10g", header=recording.read_text().splitlines()[0], comments="")
    run = run_hinge("analyse", glitchy, "--json")
    assert bends_of(run) == bends_of(run_hinge("analyse", recording, "--json"))
    warnings = " ".join(json.loads(run.stdout)["warnings"])
    assert "beyond any IMU's full scale" in warnings and "gyro spike" in warnings
    assert "RuntimeWarning" not in run.stderr


def test_exactly_1000_hz_is_accepted_whatever_the_time_origin(tmp_path):
    n = 12000
    for origin in (0.0, 0.1, 1234.567, 1e6 + 0.3):
        t = origin + np.arange(n) / 1000.0
        pitch = np.radians(40.0) * np.exp(-0.5 * ((t - t[0] - 6.0) / 1.0) ** 2)
        acc = np.column_stack([-9.80665 * np.sin(pitch), np.zeros(n), 9.80665 * np.cos(pitch)])
        gyr = np.column_stack([np.zeros(n), np.gradient(pitch, t), np.zeros(n)])
        path = tmp_path / f"k{origin}.csv"
        np.savetxt(path, np.column_stack([t, acc, gyr]), delimiter=",", fmt="%.6f",
                   header="time_s,acc_x,acc_y,acc_z,gyr_x,gyr_y,gyr_z", comments="")
        rec = csv_read.read_imu_csv(path)
        assert abs(rec.fs_hz - 1000.0) < 1.0
