"""Speed of `hinge analyse` on a one-hour 100 Hz recording.

Simulates one hour with the body model, writes it as CSV, then times the whole command
line (`hinge analyse FILE --json`, a fresh process: reading, validation, analysis,
output) and a bare `pandas.read_csv` of the same file, and prints both, their ratio and
the peak resident memory of the command. Targets: <= 3 s and <= 500 MB.

    python benchmarks/speed.py [--minutes 60]
"""
from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

from hinge.analysis.body_model import SessionSpec, simulate_session


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=60.0)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    # About 8 movements a minute with pauses, as in a training session.
    n_bends = int(args.minutes * 6.4)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "hour.csv"
        started = time.perf_counter()
        session = simulate_session(SessionSpec(n_bends=n_bends, n_squats=int(args.minutes), n_fidgets=int(args.minutes),
                                               n_weight_shifts=int(args.minutes // 2), fs_hz=100.0, mounting="random", seed=3))
        session.to_csv(path)
        duration_s = session.t_s[-1] - session.t_s[0]
        print(f"simulated {duration_s / 60:.1f} min, {len(session.t_s)} samples, "
              f"{path.stat().st_size / 1e6:.1f} MB CSV in {time.perf_counter() - started:.1f} s")
        hinge = Path(sys.executable).with_name("hinge")
        analyse_s, read_s = [], []
        for _ in range(args.repeats):
            started = time.perf_counter()
            subprocess.run([str(hinge), "analyse", str(path), "--json"], check=True, stdout=subprocess.DEVNULL)
            analyse_s.append(time.perf_counter() - started)
            started = time.perf_counter()
            pd.read_csv(path)
            read_s.append(time.perf_counter() - started)
        peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    best_analyse, best_read = min(analyse_s), min(read_s)
    print(f"hinge analyse (end to end, new process): {best_analyse:.2f} s (target <= 3 s)")
    print(f"pandas.read_csv of the same file:        {best_read:.2f} s")
    print(f"ratio analyse / read_csv:                {best_analyse / best_read:.1f}x")
    print(f"peak memory of hinge analyse:            {peak_mb:.0f} MB (target <= 500 MB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
