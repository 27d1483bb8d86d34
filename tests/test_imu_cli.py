"""`hinge scan` and `hinge record` on the simulated sensor (in-process backend: no Bluetooth, no bluezoo)."""
from __future__ import annotations

import json

import numpy as np
import pytest

from hinge.cli import main
from hinge.recordings import iter_raw_records, read_session
from hinge.recordings.decode import decode_raw_records


# `make test-fast` leaves these out: real-time recordings of the simulated sensor and signals to real processes.
pytestmark = pytest.mark.slow


def test_scan_simulate_lists_the_simulated_sensor(capsys):
    assert main(["scan", "--simulate", "--timeout", "0.4"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].split() == ["name", "address", "profile", "RSSI"]
    assert out[1].split()[:3] == ["hinge-51M0", "F0:0D:51:40:00:01", "hinge_open"] and out[1].endswith("dBm")


def test_record_simulate_writes_a_session_that_recovery_decodes_identically(tmp_path, capsys):
    assert main(["record", "--simulate", "--duration", "1.5", "--speed", "10", "--participant", "P07",
                 "--placement", "L5", "-o", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    (path,) = tmp_path.iterdir()
    assert path.name.startswith("P07_") and f"wrote {path}" in out
    session = read_session(path)
    n = session.t_s.size
    assert 1000 <= n <= 1600                                   # ~1.5 s × 100 Hz × 10
    np.testing.assert_allclose(np.diff(session.t_s), 0.01, atol=1e-4)
    meta = json.loads((path / "session.json").read_text())
    assert meta["status"] == "closed" and meta["profile"] == "hinge_open" and meta["placement"] == "L5"
    assert meta["participant"] == "P07" and meta["device"]["simulated"] is True and meta["timebase"] == "sensor"
    assert meta["acquisition"]["samples"] == n and meta["acquisition"]["lost_packets"] == 0
    # The raw log alone gives the same samples (what `hinge recover` rebuilds from).
    t, acc, gyr, gaps, _ = decode_raw_records(iter_raw_records(path / "raw.log"), "hinge_open")
    np.testing.assert_array_equal(t, session.t_s)
    np.testing.assert_allclose(acc, session.acc_mps2, rtol=1e-6, atol=1e-5)
    assert gaps == []


@pytest.mark.parametrize("argv, message", [
    (["record", "--duration", "0"], "--duration 0: must be > 0 s"),
    (["record", "--speed", "3"], "--speed 3: must be > 0, and only with --simulate"),
    (["record", "--simulate", "--profile", "polar_h10"], "--profile polar_h10: no simulated sensor for it"),
    (["record", "--simulate", "--profile", "witmotion", "--speed", "5"], "the simulated witmotion sensor has no clock"),
    (["record", "--simulate", "--rate-hz", "30"], "--rate-hz 30: hinge_open supports 25, 50, 100, 200, 400 Hz"),
    (["record", "--simulate", "-o", "notes.txt/sessions"], "notes.txt/sessions: cannot create the output directory"),
    (["record", "--simulate", "--participant", "../x"], "a BIDS label may hold only letters and digits"),
    (["record", "--simulate", "--participant", "Jane Doe"], "--participant 'Jane Doe': a BIDS label"),
    (["record", "--simulate", "--participant", "pt007 "], "--participant 'pt007 ': a BIDS label"),
    (["record", "--profile", "fitbit"], "--profile fitbit: unknown; choose one of hinge_open, witmotion"),
    (["scan", "--timeout", "-1"], "--timeout -1: must be > 0 s"),
    (["record", "--simulate", "--device", "hinge-NONE", "--timeout", "0.3"], "no 'hinge-NONE' found in 0.3 s"),
])
def test_record_and_scan_errors_are_one_line_exit_2(argv, message, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "notes.txt").write_text("a file, so no directory can be made under it\n")
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("hinge: error: ") and message in err and err.count("\n") == 1


def test_no_bluetooth_stack_is_one_line_exit_2(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("DBUS_SYSTEM_BUS_ADDRESS", f"unix:path={tmp_path / 'no-bus.sock'}")
    for argv in (["scan", "--timeout", "0.5"], ["record", "--timeout", "0.5", "-o", str(tmp_path)]):
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert err.startswith("hinge: error: Bluetooth is not available: cannot reach BlueZ") and err.count("\n") == 1
    assert list(tmp_path.iterdir()) == []                      # no session folder left behind


def test_help_of_scan_and_record_ends_with_an_example(capsys):
    for cmd in ("scan", "record"):
        with pytest.raises(SystemExit):
            main([cmd, "--help"])
        text = capsys.readouterr().out.rstrip()
        assert "example:" in text and text.splitlines()[-1].strip().startswith("hinge ")


def test_profile_keys_in_the_help_are_the_protocol_profiles():
    from hinge.firmware_protocol import PROFILES
    from hinge.acquisition import PROFILE_KEYS

    assert PROFILE_KEYS == tuple(p.key for p in PROFILES)


def _start_recording(tmp_path, *extra):
    import os
    import subprocess
    import sys

    return subprocess.Popen([sys.executable, "-m", "hinge", "record", "--simulate", "--speed", "5", "-o", str(tmp_path),
                             *extra], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"})


@pytest.mark.parametrize("name", ["SIGINT", "SIGTERM", "SIGHUP"])
def test_ctrl_c_sigterm_and_sighup_stop_the_recording_cleanly(tmp_path, name):
    import signal
    import time

    proc = _start_recording(tmp_path)
    try:
        deadline = time.monotonic() + 30
        assert proc.stdout.readline().startswith("recording hinge-51M0")
        while not list(tmp_path.glob("*/samples.bin")) or next(tmp_path.glob("*/samples.bin")).stat().st_size < 2000:
            assert time.monotonic() < deadline and proc.poll() is None
            time.sleep(0.05)
        proc.send_signal(getattr(signal, name))
        out, err = proc.communicate(timeout=15)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, err
    assert "wrote" in out and "0 lost packets" in out
    (path,) = tmp_path.iterdir()
    meta = json.loads((path / "session.json").read_text())
    assert meta["status"] == "closed" and meta["n_samples"] > 0


def _wait_until_stop_handlers_are_installed(proc, timeout_s: float = 60.0) -> None:
    """Until `hinge record` catches SIGHUP (Linux: /proc/PID/status SigCgt): its stop handlers
    are in place and the scan begins, however long a loaded machine takes to start it."""
    import signal
    import time
    from pathlib import Path

    status = Path(f"/proc/{proc.pid}/status")
    if not status.exists():  # pragma: no cover - not Linux: give it time instead
        time.sleep(2.0)
        return
    deadline = time.monotonic() + timeout_s
    while proc.poll() is None and time.monotonic() < deadline:
        caught = next(line for line in status.read_text().splitlines() if line.startswith("SigCgt:"))
        if int(caught.split()[1], 16) >> (signal.SIGHUP - 1) & 1:
            return
        time.sleep(0.02)
    raise AssertionError("hinge record never installed its stop handlers")


def test_ctrl_c_during_the_scan_stops_at_once_and_records_nothing(tmp_path):
    import signal

    # A sensor that never shows up: the scan would go on for 60 s.
    proc = _start_recording(tmp_path, "--device", "no-such-sensor", "--timeout", "60")
    try:
        _wait_until_stop_handlers_are_installed(proc)
        assert proc.poll() is None
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=15)  # long before the 60 s scan would end
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 130, out + err
    assert "stopped before a sensor was found" in err and "Traceback" not in err
    assert not list(tmp_path.iterdir())
