"""Throughput of `hinge batch` over a simulated study: 1 process, all local cores, Dask.

Simulates a study of 200 ten-minute recordings (100 Hz, each its own subject draw, seed
and random mounting; 50 subjects x 4 sessions, BIDS-style names) into a temporary folder,
then times the whole `hinge batch` command in a new process (start-up, discovery,
analysis, writing the Parquet tables) three ways: in one process (--jobs 1), in local
worker processes on every core, and on a 2-worker Dask LocalCluster on loopback (started
before the clock starts; its start-up is printed separately), the latter with and without
the MALLOC_TRIM_THRESHOLD_ that Dask's nanny sets by default. The 1-process and local
runs are then repeated while busy-loop processes (benchmarks/machine_load.py) keep every
core but one busy, so the speed-up is printed with and without load, each pair measured
in the same run. Prints recordings/s, the speed-ups and the machine's load average (other
work on the machine slows every run), and checks that all runs wrote identical tables. Every recording is simulated
afresh, none is a copy: the analysis has no cache, but distinct files keep the
comparison honest anyway.

    python benchmarks/batch.py [--recordings 200] [--minutes 10] [--no-dask]
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
import warnings
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from hinge.analysis.body_model import SessionSpec, simulate_session
from hinge.threads import available_cores

sys.path.insert(0, str(Path(__file__).resolve().parent))
from machine_load import busy_cores, load_line  # noqa: E402

SESSIONS_PER_SUBJECT = 4


def _simulate(task: tuple[Path, int, float]) -> float:
    """Write one recording; its duration, s."""
    path, seed, minutes = task
    # About 6 bends a minute with pauses, squats, fidgets and weight shifts, as benchmarks/speed.py.
    session = simulate_session(SessionSpec(n_bends=int(minutes * 6.4), n_squats=int(minutes), n_fidgets=int(minutes),
                                           n_weight_shifts=int(minutes // 2), fs_hz=100.0, mounting="random",
                                           seed=seed))
    path.parent.mkdir(parents=True, exist_ok=True)
    session.to_csv(path)
    return float(session.t_s[-1] - session.t_s[0])


def _study(root: Path, n: int, minutes: float) -> list[float]:
    tasks = []
    for i in range(n):
        subject, session = f"{i // SESSIONS_PER_SUBJECT + 1:03d}", i % SESSIONS_PER_SUBJECT + 1
        name = f"sub-{subject}_ses-{session}_task-work_imu.csv"
        tasks.append((root / f"sub-{subject}" / name, 5000 + i, minutes))
    with ProcessPoolExecutor(available_cores()) as pool:
        return list(pool.map(_simulate, tasks))


def _timed(label: str, n: int, baseline: float | None, study: Path, output: Path, *options: str) -> float:
    """Time `hinge batch` end to end in a new process, as a user runs it; recordings/s."""
    hinge = Path(sys.executable).with_name("hinge")
    started = time.perf_counter()
    run = subprocess.run([str(hinge), "batch", str(study), "-o", str(output), "--progress", "never", *options],
                         capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if run.returncode != 0:
        raise SystemExit(f"{label}: hinge batch failed ({run.returncode}): {run.stderr.strip()}")
    rate = n / elapsed
    speedup = f"; {rate / baseline:.2f}x the 1-process rate" if baseline else ""
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"{label:<32} {elapsed:7.1f} s  {rate:6.2f} recordings/s{speedup}  (load average {load:.1f})",
          flush=True)
    return rate


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recordings", type=int, default=200)
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--no-dask", dest="dask", action="store_false", help="leave out the two Dask runs")
    args = parser.parse_args(argv)
    cores = available_cores()
    with tempfile.TemporaryDirectory() as tmp:
        root, out = Path(tmp) / "study", Path(tmp) / "out"
        out.mkdir()
        started = time.perf_counter()
        durations = _study(root, args.recordings, args.minutes)
        size_mb = sum(p.stat().st_size for p in root.rglob("*.csv")) / 1e6
        print(f"simulated {len(durations)} recordings of {min(durations) / 60:.1f}-{max(durations) / 60:.1f} min "
              f"at 100 Hz ({size_mb:.0f} MB of CSV) in {time.perf_counter() - started:.0f} s; {cores} cores")
        one = _timed("1 process (--jobs 1)", args.recordings, None, root, out / "one.parquet", "--jobs", "1")
        local = _timed(f"local processes (--jobs {cores})", args.recordings, one, root, out / "local.parquet",
                       "--jobs", str(cores))
        names = ["one", "local"]
        with busy_cores() as busy:
            print(f"under load: {load_line(busy)}", flush=True)
            one_loaded = _timed("  1 process, under load", args.recordings, None, root, out / "one_loaded.parquet",
                                "--jobs", "1")
            local_loaded = _timed("  local processes, under load", args.recordings, one_loaded, root,
                                  out / "local_loaded.parquet", "--jobs", str(cores))
        names += ["one_loaded", "local_loaded"]
        print(f"speed-up of {cores} local processes over 1: {local / one:.2f}x without load, "
              f"{local_loaded / one_loaded:.2f}x with {busy} busy-loop process(es)")
        if args.dask:
            _dask_runs(args, root, out, one)
            names += ["dask", "dask_default"]
        import pandas as pd

        # Row-for-row equality (the Parquet files differ only in their created_utc metadata).
        tables = {name: pd.read_parquet(out / f"{name}.parquet") for name in names}
        same = all(tables[name].equals(tables["one"]) for name in names)
        print(f"{len(tables['one'])} bends; tables identical across all runs: {same}")
    return 0


def _dask_runs(args, root: Path, out: Path, one: float) -> None:
    """The two Dask LocalCluster runs, with and without Dask's default malloc setting."""
    import dask
    import distributed

    # Dask's nanny starts workers with MALLOC_TRIM_THRESHOLD_=65536 (its default), which
    # doubles the analysis' CPU time; measured both with it and without it.
    for name, label, setting in (("dask", "Dask LocalCluster, 2 workers", None),
                                 ("dask_default", "  same, Dask's default malloc", 65536)):
        started = time.perf_counter()
        with warnings.catch_warnings(), \
                dask.config.set({"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": setting}):
            warnings.simplefilter("ignore")  # "port 8787 in use": the health server then takes another port
            cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                               host="127.0.0.1", dashboard_address=None, silence_logs=40)
        with cluster:
            print(f"(Dask LocalCluster with 2 workers, MALLOC_TRIM_THRESHOLD_={setting}, started in "
                  f"{time.perf_counter() - started:.1f} s, before the clock)", flush=True)
            _timed(label, args.recordings, one, root, out / f"{name}.parquet", "--scheduler",
                   cluster.scheduler_address)


if __name__ == "__main__":
    raise SystemExit(main())
