"""Shared fixtures: body-model sessions are simulated once per test session."""
from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

from hinge.threads import limit_native_threads

# As every hinge command runs (hinge.threads): one BLAS/OpenMP thread, set before numpy loads.
limit_native_threads()

from hinge.analysis.body_model import SessionSpec, simulate_session  # noqa: E402

# The benchmarks' evaluation helpers (truth matching, F1) are reused by the tests.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))


@pytest.fixture(scope="session")
def upright_session():
    """A 12-bend session with the sensor mounted in body axes, 100 Hz, commodity noise."""
    return simulate_session(SessionSpec(n_bends=12, mounting="upright", fs_hz=100.0, seed=11))


@pytest.fixture(scope="session")
def random_mount_session():
    """The same kind of session with a random mounting and 200 Hz."""
    return simulate_session(SessionSpec(n_bends=12, mounting="random", fs_hz=200.0, seed=12))


@pytest.fixture(scope="session")
def simulated_csv(tmp_path_factory):
    """A short simulated recording (4 bends) written by the real `hinge simulate` command."""
    from test_cli_errors import run_hinge

    path = tmp_path_factory.mktemp("rec") / "rec.csv"
    assert run_hinge("simulate", "-o", path, "--bends", "4", "--seed", "3").returncode == 0
    return path


def pytest_collection_modifyitems(config, items):
    """Every test that uses the emulated BlueZ is a `ble` test (`make test-fast` leaves them out)."""
    for item in items:
        if "bluez" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.ble)


@pytest.fixture
def bluez(tmp_path, monkeypatch):
    """An emulated BlueZ (bluezoo) on a private D-Bus system bus for the test's duration."""
    if shutil.which("dbus-daemon") is None:
        pytest.skip("dbus-daemon not installed (apt-get install dbus-daemon)")
    from imu_ble.fake_peripheral import start_bluez

    stop = start_bluez(tmp_path, monkeypatch)
    yield
    stop()
