"""`hinge scan --simulate` and `hinge record --simulate --profile NAME` for every simulated device profile.

In-process bleak backend (no BlueZ): the simulated sensors speak their devices' own wire
protocols through the same decoding path as real ones; the BlueZ end-to-end runs are in
test_imu_bluez_profiles.py.
"""
from __future__ import annotations

import json

import numpy as np
import pytest

from hinge.cli import main
from hinge.imu.simulated import SIMULATED_PROFILES
from hinge.recordings import read_session


def test_scan_simulate_lists_every_simulated_profile_with_name_address_and_rssi(capsys):
    assert main(["scan", "--simulate", "--timeout", "0.5"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["name", "address", "profile", "RSSI"]
    rows = {line.split()[-3]: line for line in lines[1:]}
    assert sorted(rows) == sorted(SIMULATED_PROFILES)
    assert rows["polar_verity"].startswith("Polar Sense ") and rows["movesense"].startswith("Movesense ")
    assert rows["witmotion"].startswith("WT901BLE") and all(r.endswith(" dBm") for r in rows.values())


@pytest.mark.parametrize("profile, speed, duration_s, rate_hz", [
    ("polar_verity", 10.0, 2.0, 104.0),
    ("movesense", 10.0, 1.5, 104.0),
    ("witmotion", 1.0, 1.5, 100.0),
])
def test_record_simulate_profile_writes_a_six_axis_session_at_the_profile_rate(profile, speed, duration_s, rate_hz,
                                                                               tmp_path, capsys):
    assert main(["record", "--simulate", "--profile", profile, "--speed", f"{speed:g}", "--rate-hz", f"{rate_hz:g}",
                 "--duration", f"{duration_s:g}", "-o", str(tmp_path)]) == 0
    (path,) = tmp_path.iterdir()
    session = read_session(path)
    meta = json.loads((path / "session.json").read_text())
    assert meta["profile"] == profile and meta["device"]["simulated"] is True
    assert meta["acquisition"]["malformed_packets"] == 0 and meta["acquisition"]["lost_packets"] == 0
    assert session.t_s.size >= 0.5 * duration_s * speed * rate_hz
    assert np.isfinite(session.acc_mps2).all() and np.isfinite(session.gyr_rad_s).all()  # Polar: gyro merged in
    np.testing.assert_allclose(np.median(np.diff(session.t_s)), 1.0 / rate_hz, rtol=0.02)
    g = np.linalg.norm(session.acc_mps2, axis=1)
    assert 8.0 < np.median(g) < 11.6                                   # m/s^2: gravity, in the right unit
