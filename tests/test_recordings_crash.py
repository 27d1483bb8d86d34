"""Kill a real recorder process with SIGKILL mid-session; `hinge recover` loses at most the last second.

The child writes a 100 Hz hinge-open stream through SessionWriter exactly as a recorder
does (raw notification, then the decoded samples) and prints each sample index after
appending it; the parent kills it after about 2.5 s and compares what was generated with
what `hinge recover` brings back.
"""
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

from hinge.recordings import read_session

# `make test-fast` leaves these out: a real recorder process killed mid-session.
pytestmark = pytest.mark.slow


RATE_HZ = 100.0
_SCRIPT = Path(sys.executable).parent / "hinge"
HINGE = [str(_SCRIPT)] if _SCRIPT.exists() else [sys.executable, "-m", "hinge"]

CHILD = textwrap.dedent("""
    import sys, time
    import numpy as np
    from hinge.firmware_protocol import hinge_open
    from hinge.recordings import SessionWriter, RawSampleDecoder, RawRecord

    rate_hz, clock_hz = 100.0, 32768
    info = hinge_open.encode_info(hinge_open.HingeInfo(1, (1, 0, 0), clock_hz, int(rate_hz), 8.0, 2000.0,
                                                       True, True, True, 1))
    writer = SessionWriter.create(sys.argv[1], {"profile": "hinge_open", "placement": "sacrum",
                                                "nominal_rate_hz": rate_hz})
    decoder = RawSampleDecoder("hinge_open")

    def log(host_ns, char, payload, kind="notify"):
        writer.append_raw(host_ns, char, payload, kind)
        for block in decoder.feed(RawRecord(0, host_ns, char, payload, kind)):
            writer.append_samples(block.t_s, block.acc_mps2, block.gyr_rad_s)

    log(time.monotonic_ns(), hinge_open.INFO_UUID, info, "read")
    start_ns = time.monotonic_ns()
    print("start", flush=True)
    k = 0
    while True:
        due_ns = start_ns + k * 10_000_000
        now_ns = time.monotonic_ns()
        if now_ns < due_ns:
            time.sleep((due_ns - now_ns) / 1e9)
        phase = 2 * np.pi * 0.5 * k / rate_hz
        acc = [[9.80665 * np.sin(0.5 * np.sin(phase)), 0.0, 9.80665 * np.cos(0.5 * np.sin(phase))]]
        gyr = [[0.0, 0.5 * np.pi * np.cos(phase), 0.0]]
        payload = hinge_open.encode_data(acc, gyr, sequence=k, t_first_ticks=k * 32768 // 100,
                                         acc_range_g=8.0)
        log(time.monotonic_ns(), hinge_open.DATA_UUID, payload)
        print(k, flush=True)
        k += 1
""")


@pytest.fixture(scope="module")
def killed_session(tmp_path_factory):
    """(session dir of a SIGKILLed recorder, number of samples it had appended)."""
    root = tmp_path_factory.mktemp("crash")
    (root / "child.py").write_text(CHILD)
    child = subprocess.Popen([sys.executable, str(root / "child.py"), str(root / "session")],
                             stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == "start"
        time.sleep(2.5)
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=10)
    printed = [line for line in child.stdout.read().split() if line.isdigit()]
    assert child.returncode == -signal.SIGKILL
    generated = int(printed[-1]) + 1
    assert generated > 150  # the child really streamed for ~2.5 s
    return root / "session", generated


def recover(path):
    result = subprocess.run([*HINGE, "recover", str(path)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return result.stdout


def check_loss(path, generated):
    session = read_session(path)
    assert session.status == "recovered"
    n = session.t_s.size
    # Contiguous from the first sample: nothing lost in the middle, nothing invented.
    np.testing.assert_allclose(np.diff(session.t_s), 1 / RATE_HZ, atol=1e-4)
    assert n <= generated + 1
    lost_s = (generated - n) / RATE_HZ
    assert lost_s <= 1.0, f"lost {lost_s:.2f} s"
    gap = session.annotations.iloc[-1]
    assert gap["description"] == "BAD_gap" and gap["onset_s"] > session.t_s[-1]
    return lost_s


def test_sigkill_then_recover_loses_at_most_one_second(killed_session, tmp_path):
    path, generated = killed_session
    copy = tmp_path / "session"
    shutil.copytree(path, copy)
    out = recover(copy)
    assert "session marked recovered" in out
    lost_s = check_loss(copy, generated)
    print(f"SIGKILL after {generated} samples: lost {lost_s:.2f} s")


def test_sigkill_then_recover_rebuilds_samples_from_raw_log(killed_session, tmp_path):
    path, generated = killed_session
    copy = tmp_path / "session"
    shutil.copytree(path, copy)
    (copy / "samples.bin").unlink()
    assert "rebuilt from raw.log" in recover(copy)
    check_loss(copy, generated)
