"""Each command imports only what it needs: help needs no numerics, analysing a CSV no plotting or Bluetooth.

Runs the command in a new process (as the `hinge` script does) and lists the heavy
modules loaded when it ends.
"""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

# hinge.recordings itself is light (names load on first use); its session and BIDS readers
# are not what a CSV needs.
HEAVY = ("numpy", "pandas", "scipy", "asyncio", "matplotlib", "bleak", "rich", "distributed",
         "hinge.recordings.load", "hinge.recordings.reader", "hinge.recordings.bids_read",
         "hinge.analysis.body_model", "hinge.imu")

# The modules that only give the other subcommands their arguments.
OTHER_COMMANDS = ("hinge.live", "hinge.reporting", "hinge.acquisition", "hinge.batch_cli")

PROBE = """
import json, sys
from hinge.cli import main
try:
    main(sys.argv[2:])
except SystemExit:
    pass
print(json.dumps(sorted(m for m in sys.argv[1].split(",") if m in sys.modules)))
"""


def _loaded(*args: str, modules: tuple[str, ...] = HEAVY) -> set[str]:
    run = subprocess.run([sys.executable, "-c", PROBE, ",".join(modules), *args], capture_output=True, text=True,
                         timeout=120)
    assert run.returncode == 0, run.stderr
    return set(json.loads(run.stdout.strip().splitlines()[-1]))


@pytest.mark.parametrize("command", ["", "analyse", "report", "live", "record", "batch"])
def test_help_loads_no_numerics_and_no_event_loop(command):
    assert _loaded(*command.split(), "--help") == set()


def test_analysing_a_csv_loads_no_plotting_bluetooth_or_simulator(tmp_path, upright_session):
    path = tmp_path / "walk.csv"
    upright_session.to_csv(path)
    loaded = _loaded("analyse", str(path), "--json")
    assert {"numpy", "pandas", "hinge.recordings.load"} <= loaded
    assert loaded.isdisjoint({"asyncio", "matplotlib", "bleak", "rich", "distributed", "hinge.recordings.reader",
                              "hinge.recordings.bids_read", "hinge.analysis.body_model", "hinge.imu"}), loaded


def test_analysing_builds_no_other_subcommand(tmp_path, upright_session):
    # `hinge analyse` registers the other subcommands by name only: their modules cost
    # about 20 ms of every run (issue 12), and `hinge live --help` still gets its own.
    path = tmp_path / "walk.csv"
    upright_session.to_csv(path)
    assert _loaded("analyse", str(path), "--json", modules=OTHER_COMMANDS) == set()
    live = _loaded("live", "--help", modules=OTHER_COMMANDS)
    assert "hinge.live" in live and live.isdisjoint({"hinge.reporting", "hinge.batch_cli"}), live



def test_analyse_imports_without_the_garbage_collector_and_then_collects_again(tmp_path, upright_session):
    # A new process imports numpy and pandas with the cyclic collector off and their objects
    # frozen out of it (80+ ms of CPU, issue 12); the analysis, and whatever runs after it
    # in the same process, has it back.
    path = tmp_path / "walk.csv"
    upright_session.to_csv(path)
    probe = ("import gc, sys\nfrom hinge.cli import main\nstatus = main(['analyse', sys.argv[1], '--json'])\n"
             "print(status, gc.isenabled(), gc.get_freeze_count() > 10000, file=sys.stderr)")
    run = subprocess.run([sys.executable, "-c", probe, str(path)], capture_output=True, text=True, timeout=120)
    assert run.stderr.split() == ["0", "True", "True"], run.stderr
