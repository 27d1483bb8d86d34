"""`hinge batch` over a small simulated study: discovery, tables, failures, backends.

The study holds short simulated CSV recordings in three naming styles, a truth table (not
a recording), a broken CSV, a copy of a bundled session and one BIDS-Motion entry in its
own dataset. Every backend (in-process, local processes, a real Dask
LocalCluster on loopback) must give byte-identical tables.
"""
from __future__ import annotations

import dataclasses
import json
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import hinge
from hinge import batch_runner
from hinge.analysis.body_model import SessionSpec, simulate_session
from hinge.batch_discovery import discover
from hinge.batch_job import BatchJob, JobResult, analyse_job
from hinge.analysis.bend_table import LIST_SEPARATOR
from hinge.batch_tables import BEND_TABLE_COLUMNS, RECORDING_TABLE_COLUMNS, bends_table, read_table
from hinge.cli import main

EXAMPLES = Path(hinge.__file__).resolve().parents[1] / "recordings" / "examples"
BROKEN = "broken.csv"


def _short(seed: int, fs_hz: float = 50.0):
    return simulate_session(SessionSpec(n_bends=3, n_squats=0, n_fidgets=0, n_weight_shifts=0, fs_hz=fs_hz,
                                        seed=seed))


def _write_bids_entry(tmp: Path) -> Path:
    """One BIDS-Motion entry (hinge's own writer) in a dataset named "Lifting pilot"."""
    from hinge.recordings.bids import MotionEntry, write_motion_entry

    session = _short(seed=5, fs_hz=100.0)
    entry = MotionEntry(t_s=session.t_s, acc_mps2=session.acc_mps2, gyr_rad_s=session.gyr_rad_s,
                        nominal_fs_hz=100.0, tracked_point="LowerBack", placement="sacrum")
    paths = write_motion_entry(tmp / "bids", entry, subject="03", session="a", task="lift",
                               dataset_name="Lifting pilot")
    return paths["motion"]


@pytest.fixture(scope="module")
def study(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("batch") / "study"
    (root / "P01" / "morning").mkdir(parents=True)
    (root / "sub-02").mkdir()
    first = _short(seed=0)
    first.to_csv(root / "P01" / "morning" / "a.csv")
    first.truth.to_csv(root / "P01" / "morning" / "a_truth.csv")  # not a recording: skipped
    _short(seed=1).to_csv(root / "P01" / "b.csv")
    _short(seed=2).to_csv(root / "sub-02" / "sub-02_ses-1_task-lift_imu.csv")
    (root / BROKEN).write_text("time_s,acc_x,acc_y,acc_z,gyr_x,gyr_y,gyr_z\n0,1,2\n")
    shutil.copytree(EXAMPLES / "hip_led", root / "sessions" / "hip_led")
    _write_bids_entry(root)
    return root


@pytest.fixture(scope="module")
def serial(study, tmp_path_factory):
    """The in-process run (--jobs 1) that every other backend is compared with."""
    out = tmp_path_factory.mktemp("serial") / "bends.csv"
    status = main(["batch", str(study), "-o", str(out), "--jobs", "1", "--progress", "never"])
    return status, out


def _bytes(path: Path) -> tuple[bytes, bytes]:
    return path.read_bytes(), path.with_name(f"{path.stem}_recordings{path.suffix}").read_bytes()


def test_discovery_finds_each_recording_once_with_identity(study):
    found = discover([str(study), str(study / "P01" / "b.csv")])
    by_file = {Path(r.file).relative_to(study).as_posix(): r for r in found.recordings}
    expected = {"P01/morning/a.csv", "P01/b.csv", "sub-02/sub-02_ses-1_task-lift_imu.csv", BROKEN, "sessions/hip_led"}
    bids = {name for name in by_file if name.endswith("_motion.tsv")}
    assert bids == {"bids/sub-03/ses-a/motion/sub-03_ses-a_task-lift_tracksys-imu_motion.tsv"}
    assert set(by_file) - bids == expected
    assert [r.file for r in found.recordings] == sorted(r.file for r in found.recordings)
    assert found.skipped_csv == [str(study / "P01" / "morning" / "a_truth.csv")]
    a, b = by_file["P01/morning/a.csv"], by_file["P01/b.csv"]
    assert (a.study, a.subject, a.session, a.kind) == ("study", "P01", "morning", "csv")
    assert (b.subject, b.session) == ("P01", "")
    bids_style = by_file["sub-02/sub-02_ses-1_task-lift_imu.csv"]
    assert (bids_style.subject, bids_style.session, bids_style.task) == ("02", "1", "lift")
    session = by_file["sessions/hip_led"]
    assert (session.kind, session.subject, session.session) == ("session", "sim-hip_led", "hip_led")
    for name in bids:
        entry = by_file[name]
        assert (entry.kind, entry.study, entry.subject, entry.session, entry.task) == \
            ("bids", "Lifting pilot", "03", "a", "lift")
        assert "motion" in Path(name).parts


def test_discovery_by_glob_and_its_errors(study, tmp_path):
    found = discover([str(study / "**" / "*.csv")])
    names = {Path(r.file).name for r in found.recordings}
    assert names == {"a.csv", "b.csv", "sub-02_ses-1_task-lift_imu.csv", BROKEN}  # truth skipped, session not entered
    with pytest.raises(hinge.HingeInputError, match="matches no file"):
        discover([str(tmp_path / "*.csv")])
    with pytest.raises(hinge.HingeInputError, match="no recordings found"):
        discover([str(tmp_path)])


def test_every_bend_of_every_file_is_in_the_table(study, serial, capsys):
    status, out = serial
    bends, recordings = read_table(out), read_table(out.with_name("bends_recordings.csv"))
    assert list(bends.columns) == BEND_TABLE_COLUMNS and list(recordings.columns) == RECORDING_TABLE_COLUMNS
    ok = recordings[recordings["status"] == "ok"]
    assert len(ok) == len(recordings) - 1 and len(bends) == ok["n_bends"].sum() > 0
    for file in ok["file"]:
        assert main(["analyse", file, "--json"]) == 0
        document = json.loads(capsys.readouterr().out)
        rows = bends[bends["file"] == file]
        assert len(rows) == len(document["bends"]) > 0
        # One bend table: every column of the JSON record is the batch row's, lists joined.
        for row, record in zip(rows.to_dict("records"), document["bends"]):
            for column, value in record.items():
                if isinstance(value, list):
                    assert row[column] == LIST_SEPARATOR.join(value), column
                elif value is None:
                    assert row[column] == "" or np.isnan(row[column]), column
                else:
                    assert row[column] == pytest.approx(value, abs=1e-9) if isinstance(value, float) \
                        else row[column] == value, column
        assert set(rows["input_sha256"]) == {document["input_sha256"]}
        params = json.loads(rows["params"].iloc[0])
        assert params == document["params"]["analysis"]
    assert set(bends["hinge_version"]) == {hinge.__version__}


def test_a_failing_file_is_reported_and_skipped(study, serial, tmp_path, capsys):
    status, out = serial
    assert status == 1
    recordings = read_table(out.with_name("bends_recordings.csv"))
    failed = recordings[recordings["status"] == "failed"]
    assert list(failed["file"]) == [str(study / BROKEN)]
    assert "acc_z" in failed["error"].iloc[0] and failed["n_bends"].iloc[0] == 0
    assert str(study / BROKEN) not in set(read_table(out)["file"])
    # What a user sees: the tables are written, the failure is listed, one line each.
    assert main(["batch", str(study), "-o", str(tmp_path / "b.csv"), "--jobs", "1", "--progress", "never"]) == 1
    captured = capsys.readouterr()
    assert "1 of" in captured.err and f"- {study / BROKEN}: line 2" in captured.err
    assert "skipped 1 CSV file" in captured.err and "wrote" in captured.out


def test_session_placement_and_placement_option(study, serial, tmp_path):
    _, out = serial
    bends = read_table(out)
    assert set(bends["placement"]) == {"sacrum"}
    out_l5 = tmp_path / "l5.csv"
    assert main(["batch", str(study / "P01"), "-o", str(out_l5), "--jobs", "1", "--progress", "never",
                 "--placement", "L5"]) == 0
    l5 = read_table(out_l5)
    assert set(l5["placement"]) == {"L5"} and {json.loads(p)["placement"] for p in l5["params"]} == {"L5"}
    # P01 is now the search root: the study, and the folder below it the subject.
    subjects = dict(zip(l5["file"], l5["subject"]))
    assert subjects == {str(study / "P01" / "b.csv"): "", str(study / "P01" / "morning" / "a.csv"): "morning"}
    assert set(l5["study"]) == {"P01"}


def test_csv_and_parquet_hold_the_same_tables(study, serial, tmp_path):
    import pyarrow.parquet as pq

    _, out = serial
    parquet = tmp_path / "bends.parquet"
    assert main(["batch", str(study), "-o", str(parquet), "--jobs", "1", "--progress", "never"]) == 1
    pd.testing.assert_frame_equal(read_table(out), read_table(parquet), check_exact=True)
    pd.testing.assert_frame_equal(read_table(out.with_name("bends_recordings.csv")),
                                  read_table(tmp_path / "bends_recordings.parquet"), check_exact=True)
    metadata = json.loads(pq.read_schema(parquet).metadata[b"hinge"])
    assert metadata["hinge_version"] == hinge.__version__ and metadata["n_failed"] == 1


@pytest.mark.slow
def test_local_processes_give_identical_tables(study, serial, tmp_path):
    _, out = serial
    parallel = tmp_path / "bends.csv"
    assert main(["batch", str(study), "-o", str(parallel), "--jobs", "2", "--progress", "never"]) == 1
    assert _bytes(parallel) == _bytes(out)


@pytest.mark.slow
def test_dask_local_cluster_gives_identical_tables(study, serial, tmp_path, capsys):
    distributed = pytest.importorskip("distributed")
    _, out = serial
    on_dask = tmp_path / "bends.csv"
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                  dashboard_address=None) as cluster:
        assert cluster.scheduler_address.startswith("tcp://127.0.0.1:")
        assert main(["batch", str(study), "-o", str(on_dask), "--scheduler", cluster.scheduler_address,
                     "--progress", "never"]) == 1
        workers = cluster.scheduler_info["workers"]
        assert len(workers) == 2 and all(address.startswith("tcp://127.0.0.1:") for address in workers)
        # Nothing listens beyond loopback: the scheduler's comm and its HTTP (health) server.
        assert all(listener.listen_address.startswith("tcp://127.0.0.1:") for listener in cluster.scheduler.listeners)
        http_hosts = {sock.getsockname()[0] for sock in cluster.scheduler.http_server._sockets.values()}
        assert http_hosts == {"127.0.0.1"}
    assert _bytes(on_dask) == _bytes(out)
    # The cluster runs with Dask's default worker environment, which halves the speed.
    assert "hinge: note: the Dask workers run with MALLOC_TRIM_THRESHOLD_=65536" in capsys.readouterr().err


@pytest.mark.parametrize("arguments, message", [
    (["-o", "{tmp}/bends.xlsx"], "unknown output format '.xlsx'"),
    (["-o", "{tmp}/missing/bends.csv"], "does not exist"),
    (["-o", "{tmp}/bends.csv", "--jobs", "0"], "--jobs 0"),
])
def test_usage_errors_are_one_line_and_exit_2(study, tmp_path, capsys, arguments, message):
    arguments = [a.format(tmp=tmp_path) for a in arguments]
    assert main(["batch", str(study), *arguments]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("hinge: error:") and message in err
    assert not (tmp_path / "bends.csv").exists()


def test_nothing_to_analyse_exits_2(tmp_path, capsys):
    assert main(["batch", str(tmp_path), "-o", str(tmp_path / "bends.csv")]) == 2
    assert "no recordings found" in capsys.readouterr().err
    assert main(["batch", str(tmp_path / "nope"), "-o", str(tmp_path / "bends.csv")]) == 2
    assert "no such file or directory" in capsys.readouterr().err


@pytest.mark.slow
def test_unreachable_scheduler_is_one_line(study, tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(batch_runner, "DASK_CONNECT_TIMEOUT_S", 2.0)
    with socket.socket() as probe:  # a loopback port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    status = main(["batch", str(study), "-o", str(tmp_path / "bends.csv"), "--scheduler", f"tcp://127.0.0.1:{port}",
                   "--progress", "never"])
    err = capsys.readouterr().err
    assert status == 2 and err.count("\n") == 1 and "cannot reach the Dask scheduler" in err


@pytest.mark.slow
def test_without_distributed_the_scheduler_option_says_what_to_install(study, tmp_path):
    # A Python where `import distributed` fails, as on an install without the extra.
    code = ("import sys; sys.modules['distributed'] = None\n"
            "from hinge.cli import main\n"
            f"sys.exit(main(['batch', {str(study)!r}, '-o', {str(tmp_path / 'b.csv')!r}, "
            "'--scheduler', 'tcp://127.0.0.1:8786', '--progress', 'never']))")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert run.returncode == 2 and "install hinge[dask]" in run.stderr and run.stderr.count("\n") == 1


def crash_on_marked(job: BatchJob) -> JobResult:
    """Analyse, except that a recording named *crash* kills its worker process outright."""
    if "crash" in Path(job.recording.file).name:
        os._exit(3)
    return analyse_job(job)


@pytest.mark.slow
def test_a_worker_process_that_dies_fails_only_its_recording(study, serial):
    found = discover([str(study)])
    ok = [r for r in found.recordings if Path(r.file).name != BROKEN]
    crash = dataclasses.replace(ok[0], file=str(study / "crash.csv"))
    jobs = [BatchJob(recording) for recording in [crash, *ok]]  # the crash comes first, orphaning the rest
    done = []
    results = batch_runner._run_processes(jobs, 2, done.append, function=crash_on_marked)
    assert len(done) == len(jobs) and [r.summary["file"] for r in results] == [j.recording.file for j in jobs]
    assert results[0].error.startswith(f"{crash.file}: the worker process analysing it died")
    assert all(r.error is None for r in results[1:])
    in_process = [row for job in jobs[1:] for row in analyse_job(job).bends]
    pd.testing.assert_frame_equal(bends_table([row for r in results[1:] for row in r.bends]), bends_table(in_process),
                                  check_exact=True)


def test_progress_bar_goes_to_stderr_only(study, tmp_path, capsys):
    out = tmp_path / "bends.csv"
    assert main(["batch", str(study / "P01"), "-o", str(out), "--jobs", "1", "--progress", "always"]) == 0
    captured = capsys.readouterr()
    assert "analysing (1 process)" in captured.err and "2/2" in captured.err
    assert captured.out.startswith(f"wrote {out}:") and captured.out.count("\n") == 1


def test_a_glob_never_reaches_inside_a_session(study):
    found = discover([str(study / "sessions" / "**" / "*")])
    assert [Path(r.file).name for r in found.recordings] == ["hip_led"] and found.skipped_csv == []
