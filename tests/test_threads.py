"""Native thread pools: every command runs with one BLAS/OpenMP thread unless the user says otherwise.

Each check runs the real entry path in a new process (numpy must not be loaded before
`hinge.cli.main` runs) and asks the loaded libraries themselves, through threadpoolctl,
how many threads their pools have.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from importlib.metadata import entry_points

import pytest

from hinge.batch_discovery import FoundRecording
from hinge.batch_job import BatchJob, JobResult
from hinge.batch_runner import _run_processes
from hinge.threads import THREAD_LIMIT_VARIABLES, available_cores, limit_native_threads

# Runs `python -m hinge ARGS` as runpy does, then prints the pools the command left loaded.
PROBE = """
import json, os, runpy, sys
sys.argv = ["hinge", *sys.argv[1:]]
try:
    runpy.run_module("hinge", run_name="__main__")
except SystemExit as stop:
    code = stop.code
from threadpoolctl import threadpool_info
print(json.dumps({"code": code, "pools": threadpool_info(),
                  "environ": {name: os.environ.get(name) for name in %r}}))
""" % (THREAD_LIMIT_VARIABLES,)


def _probe(args: list[str], **environ: str) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in THREAD_LIMIT_VARIABLES}
    env.update(environ)
    run = subprocess.run([sys.executable, "-c", PROBE, *args], capture_output=True, text=True, env=env, timeout=120)
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout.strip().splitlines()[-1])


def _blas_threads(report: dict) -> list[int]:
    return [pool["num_threads"] for pool in report["pools"] if pool["user_api"] == "blas"]


@pytest.mark.parametrize("command", [
    ["simulate", "-o", "{tmp}/sim.csv", "--bends", "1"],
    # the acquisition path of `hinge record` and `hinge live` (simulated sensor, 10x real time)
    pytest.param(["record", "--simulate", "--speed", "10", "--duration", "1", "-o", "{tmp}"], marks=pytest.mark.slow),
], ids=["simulate", "record"])
def test_every_command_runs_with_one_native_thread(command, tmp_path):
    report = _probe([arg.format(tmp=tmp_path) for arg in command])
    assert report["code"] == 0
    assert _blas_threads(report), "numpy's BLAS was not loaded: the probe checked nothing"
    assert {pool["num_threads"] for pool in report["pools"]} == {1}, report["pools"]
    assert set(report["environ"].values()) == {"1"}


def test_a_users_own_thread_setting_is_kept(tmp_path):
    report = _probe(["simulate", "-o", str(tmp_path / "sim.csv"), "--bends", "1"], OPENBLAS_NUM_THREADS="2")
    assert report["environ"]["OPENBLAS_NUM_THREADS"] == "2"
    assert report["environ"]["OMP_NUM_THREADS"] == "1"             # the ones the user left unset are still set
    if available_cores() >= 2:                                      # OpenBLAS caps its pool at the core count
        assert set(_blas_threads(report)) == {2}


def test_the_hinge_script_enters_through_the_same_main():
    (script,) = [e for e in entry_points(group="console_scripts") if e.name == "hinge"]
    assert script.value == "hinge.cli:main"


def test_importing_the_command_line_loads_no_numpy():
    # main() must come before numpy, or the variables come too late for this process.
    code = "import sys, hinge.cli; print(sorted(m for m in ('numpy', 'scipy', 'pandas') if m in sys.modules))"
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert run.stdout.strip() == "[]"


def test_limit_sets_only_what_the_user_left_unset():
    environ = {"OPENBLAS_NUM_THREADS": "4", "MKL_NUM_THREADS": "", "PATH": "/bin"}
    added = limit_native_threads(environ)
    assert environ["OPENBLAS_NUM_THREADS"] == "4" and "OPENBLAS_NUM_THREADS" not in added
    assert environ["MKL_NUM_THREADS"] == "1"                        # empty counts as unset, as the libraries read it
    assert set(added) == set(THREAD_LIMIT_VARIABLES) - {"OPENBLAS_NUM_THREADS"}
    assert limit_native_threads(environ) == {}                      # once set, nothing more to do


def _pool_threads(job: BatchJob) -> JobResult:
    """Run in a batch worker: instead of analysing, report the worker's thread pools."""
    import numpy
    from threadpoolctl import threadpool_info

    numpy.ones((3, 3)) @ numpy.ones((3, 3))  # the BLAS is loaded and used, as the analysis does
    return JobResult(summary={"threads": [pool["num_threads"] for pool in threadpool_info()]})


@pytest.mark.slow  # starts a fork server and two workers, as test_batch's process backends (slow too)
def test_batch_workers_run_one_thread_even_for_a_python_caller(tmp_path):
    # hinge.batch's own worker processes are hinge's business, also under the Python API.
    job = BatchJob(FoundRecording("a.csv", str(tmp_path / "a.csv"), "csv", "", "", "", ""))
    results = _run_processes([job, job], 2, lambda result: None, function=_pool_threads)
    assert [set(r.summary["threads"]) for r in results] == [{1}, {1}]
