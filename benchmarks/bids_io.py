"""Speed and size of the BIDS-Motion writer and reader on a one-hour 100 Hz recording.

Synthetic samples (float32 values, as sessions store them, with a few lost ones) are
written as one entry with `hinge.recordings.bids.write_motion_entry` and read back with
`read_motion`; prints the best of three times, the motion file's size and whether the
samples came back exactly.

    python benchmarks/bids_io.py [--minutes 60]
"""
from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np

from hinge.recordings.bids import MotionEntry, read_motion, write_motion_entry


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=60.0)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    rng = np.random.default_rng(0)
    n = int(args.minutes * 60 * 100)
    t_s = np.delete(1000.0 + np.arange(n) / 100.0, np.arange(5000, 5019))  # one lost notification
    acc = (rng.normal(0.0, 1.0, (t_s.size, 3)) + [0.0, 0.0, 9.81]).astype(np.float32).astype(float)
    gyr = rng.normal(0.0, 0.3, (t_s.size, 3)).astype(np.float32).astype(float)
    entry = MotionEntry(t_s, acc, gyr, 100.0, "LowerBack", "sacrum")
    write_s, read_s = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(args.repeats):
            start = time.perf_counter()
            paths = write_motion_entry(Path(tmp) / f"study{i}", entry, "01", None, "bending")
            write_s.append(time.perf_counter() - start)
            start = time.perf_counter()
            motion = read_motion(paths["motion"])
            read_s.append(time.perf_counter() - start)
        size_mb = paths["motion"].stat().st_size / 1e6
        exact = (np.array_equal(motion.acc_mps2.astype(np.float32), acc.astype(np.float32))
                 and np.allclose(motion.t_s, t_s - t_s[0], atol=1e-6))
    print(f"{t_s.size} samples ({args.minutes:g} min at 100 Hz): write {min(write_s):.2f} s, "
          f"read {min(read_s):.2f} s, motion.tsv {size_mb:.1f} MB, samples back exactly: {exact}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
