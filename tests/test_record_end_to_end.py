"""The recorder as a user runs it: a real `hinge record --simulate` process.

* analysing the recorded session gives the same bends as analysing the simulated
  signal directly (nothing lost or altered between sensor and analysis);
* killing the recorder with SIGKILL and running `hinge recover` loses at most the last
  second.
"""
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from hinge.acquisition import SIMULATED_SET_BENDS

from hinge.analysis.body_model import BodyModelStream
from hinge.analysis.pipeline import analyse
from hinge.recordings import iter_raw_records, read_session
import pytest

# `make test-fast` leaves these out: a real `hinge record` process in real time.
pytestmark = pytest.mark.slow


HINGE = str(Path(sys.executable).with_name("hinge"))
RATE_HZ = 100.0


def only_session(directory: Path) -> Path:
    sessions = [p for p in directory.iterdir() if p.is_dir()]
    assert len(sessions) == 1, sessions
    return sessions[0]


def test_recorded_session_gives_the_same_bends_as_the_signal(tmp_path):
    out = subprocess.run([HINGE, "record", "--simulate", "--speed", "20", "--duration", "5", "--seed", "3",
                          "-o", str(tmp_path)], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    session = read_session(only_session(tmp_path))
    recorded = analyse(session.t_s, session.acc_mps2, session.gyr_rad_s)
    acc, gyr = BodyModelStream(RATE_HZ, seed=3, bends_per_chunk=SIMULATED_SET_BENDS).get(0, len(session.t_s))
    direct = analyse(np.arange(len(acc)) / RATE_HZ, acc, gyr)
    assert len(recorded.bends) >= 5
    assert recorded.bends["label"].tolist() == direct.bends["label"].tolist()
    # Times differ only by the session's time origin (the device clock) and its ppm error.
    shift = recorded.bends["peak_s"].to_numpy() - direct.bends["peak_s"].to_numpy()
    assert np.ptp(shift) < 0.05
    assert np.allclose(recorded.bends["score"], direct.bends["score"], atol=2.0)


def test_sigkill_then_recover_loses_at_most_one_second(tmp_path):
    recorder = subprocess.Popen([HINGE, "record", "--simulate", "--seed", "1", "-o", str(tmp_path)],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        # Wait until the session exists and samples flow, then record a few more seconds.
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not any(tmp_path.iterdir()):
            time.sleep(0.1)
        time.sleep(4.0)
        session_dir = only_session(tmp_path)
        killed_at = time.monotonic()
        os.kill(recorder.pid, signal.SIGKILL)
        recorder.wait(timeout=10)
    finally:
        if recorder.poll() is None:
            recorder.kill()
    out = subprocess.run([HINGE, "recover", str(session_dir)], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    session = read_session(session_dir)
    # The recorder stamps arrivals with the system-wide monotonic clock, as this test does,
    # so the first notification's host time tells when streaming began.
    first = next(r for r in iter_raw_records(session_dir / "raw.log") if r.kind == "notify")
    streamed_s = killed_at - first.host_ns / 1e9
    recorded_s = session.t_s[-1] - session.t_s[0]
    assert streamed_s > 3.0
    print(f"streamed {streamed_s:.2f} s, recovered {recorded_s:.2f} s, lost {streamed_s - recorded_s:.2f} s")
    # At most the last second is lost (plus one 10 ms sample period of rounding).
    assert streamed_s - recorded_s <= 1.01, (streamed_s, recorded_s)
    assert (np.diff(session.t_s) > 0).all()
