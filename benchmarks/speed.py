"""Speed and memory of `hinge analyse`, measured while another process keeps a core busy.

1. Simulates one hour at 100 Hz with the body model (about 6 movements a minute, squats,
   fidgets and weight shifts, random mounting, seed 3) and writes it as CSV.
2. Starts a busy loop in a child process (a shared machine: the other core is taken) and
   alternates, `--repeats` times, two new processes: `hinge analyse FILE --json` (the real
   command line: reading, checks, analysis, output, whatever thread settings it makes) and
   one that imports pandas and reads the same CSV. Prints the medians and their ratio
   (target <= 2.5) and the command's peak memory.
3. Where the time goes: one more `hinge analyse` in a new process with a timer around each
   stage (Python start, imports, reading, each analysis stage, output).
4. Memory and time against duration (10 min, 1 h, 6 h, 24 h): the simulated hour repeated
   with continuous time, passed as float64 arrays to `hinge.analysis.pipeline.analyse` in
   a new process (the arrays, 56 bytes a sample, are part of what is measured; the CSV
   reader is not). Prints the peak resident memory (ru_maxrss) of that process, the bytes
   per sample, and the growth per added sample from one duration to the next. Target:
   24 h in <= 1 GB.

The measured processes are started from this one, which imports nothing heavy and leaves
the simulation to a child of its own: on Linux a new process inherits its parent's peak
resident memory (ru_maxrss survives fork and exec), so a parent that had simulated an
hour would add its own ~300 MB to every figure.

    python benchmarks/speed.py [--repeats 3] [--durations 10m,1h,6h,24h]
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HINGE = Path(sys.executable).with_name("hinge")
READ_CSV = "import sys, pandas; pandas.read_csv(sys.argv[1])"

# Run in a new process: one simulated hour, as CSV and as arrays.
SIMULATE = r"""
import json, sys, time
import numpy as np
from hinge.analysis.body_model import SessionSpec, simulate_session
folder = sys.argv[1]
started = time.perf_counter()
session = simulate_session(SessionSpec(n_bends=384, n_squats=60, n_fidgets=60, n_weight_shifts=30,
                                       fs_hz=100.0, mounting="random", seed=3))
session.to_csv(folder + "/hour.csv")
np.save(folder + "/t.npy", session.t_s)
np.save(folder + "/values.npy", np.column_stack([session.acc_mps2, session.gyr_rad_s]))
print(json.dumps({"minutes": (session.t_s[-1] - session.t_s[0]) / 60, "n": len(session.t_s),
                  "seconds": time.perf_counter() - started}))
"""

# Run inside a new `hinge analyse`: timers around the stages, then the command itself.
STAGES = r"""
import json, sys, time
started = time.perf_counter()
import hinge.cli, hinge.imports
with hinge.imports.imports_without_collector("hinge.api"):  # as `hinge analyse` imports them (collector off, then frozen)
    import hinge.api, hinge.recordings.load
    import hinge.analysis.pipeline as pipeline, hinge.analysis.bend_verdict as bend_verdict
imported = time.perf_counter() - started
spent = {}

def timed(module, name, stage):
    inner = getattr(module, name)
    def wrapper(*args, **kwargs):
        t0 = time.perf_counter()
        try:
            return inner(*args, **kwargs)
        finally:
            spent[stage] = spent.get(stage, 0.0) + time.perf_counter() - t0
    setattr(module, name, wrapper)

timed(hinge.recordings.load, "load_recording", "read and check the CSV")
timed(hinge.api, "analyse_loaded", "analysis")
timed(pipeline, "GridWindows", "resample to the grid")
timed(pipeline, "step_signal", "gait (steps)")
timed(pipeline, "steps_in", "gait (steps)")
timed(pipeline, "estimate_correction", "sensor errors")
timed(pipeline, "still_candidate", "still and settled")
timed(pipeline, "settled_mask", "still and settled")
timed(pipeline, "calibrate_mounting", "mounting calibration")
timed(pipeline, "gyro_to_gravity_ratio", "mounting calibration")
timed(pipeline, "estimate_pitch_deg", "orientation (Fusion AHRS)")
timed(pipeline, "segment_with_params", "segmentation")
timed(pipeline, "judge_candidate", "per bend")
timed(bend_verdict, "invert_pose", "per-bend inversion")
with open("/dev/null", "w") as sink:
    stdout, sys.stdout = sys.stdout, sink
    t0 = time.perf_counter()
    hinge.cli.main(["analyse", sys.argv[1], "--json"])
    command = time.perf_counter() - t0
    sys.stdout = stdout
print(json.dumps({"imports": imported, "command": command, **spent}))
"""

ANALYSIS_STAGES = ["resample to the grid", "gait (steps)", "sensor errors", "still and settled", "mounting calibration",
                   "orientation (Fusion AHRS)", "segmentation", "per bend", "per-bend inversion"]

# Run in a new process: the simulated hour repeated to `hours`, analysed from arrays.
DURATION = r"""
import json, resource, sys, time
import numpy as np
from hinge.analysis import grid_signals
from hinge.analysis.pipeline import analyse
folder, hours = sys.argv[1], float(sys.argv[2])
t_hour, values = np.load(folder + "/t.npy"), np.load(folder + "/values.npy")
n = int(round(hours * len(t_hour)))
repeats = -(-n // len(t_hour))
period = t_hour[-1] - t_hour[0] + np.median(np.diff(t_hour))
t_s = np.concatenate([t_hour + k * period for k in range(repeats)])[:n]
acc = np.ascontiguousarray(np.tile(values[:, :3], (repeats, 1))[:n])
gyr = np.ascontiguousarray(np.tile(values[:, 3:], (repeats, 1))[:n])
del t_hour, values
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
t0 = time.perf_counter()
result = analyse(t_s, acc, gyr, fs_hz=100.0)
seconds = time.perf_counter() - t0
print(json.dumps({"n": n, "bends": len(result.bends), "seconds": seconds, "before_kib": before,
                  "peak_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                  "grid_kept": n <= grid_signals.MATERIALISE_MAX_SAMPLES}))
"""


def run_timed(command: list[str]) -> tuple[float, int]:
    """Wall time, s, and peak resident memory, KiB, of one new process."""
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode:
        raise SystemExit(f"{' '.join(command)} failed with status {process.returncode}")
    return time.perf_counter() - started, usage.ru_maxrss


def child_json(code: str, *args: str) -> dict:
    out = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def parse_hours(text: str) -> float:
    return float(text[:-1]) / 60 if text.endswith("m") else float(text.rstrip("h"))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--durations", default="10m,1h,6h,24h", help="comma-separated, m or h")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        csv = folder / "hour.csv"
        made = child_json(SIMULATE, str(folder))
        print(f"simulated {made['minutes']:.1f} min, {made['n']} samples, {csv.stat().st_size / 1e6:.1f} MB CSV "
              f"in {made['seconds']:.1f} s")
        busy = subprocess.Popen([sys.executable, "-c", "while True: pass"])
        try:
            print(f"a busy loop keeps one of the {os.cpu_count()} cores busy throughout (pid {busy.pid})")
            startup = statistics.median(run_timed([sys.executable, "-c", "pass"])[0] for _ in range(3))
            analyse_s, read_s, peak_kib = [], [], []
            for _ in range(args.repeats):
                seconds, kib = run_timed([str(HINGE), "analyse", str(csv), "--json"])
                analyse_s.append(seconds)
                peak_kib.append(kib)
                read_s.append(run_timed([sys.executable, "-c", READ_CSV, str(csv)])[0])
            analyse_med, read_med = statistics.median(analyse_s), statistics.median(read_s)
            print()
            print(f"hinge analyse --json, new process:        {analyse_med:.2f} s (runs {', '.join(f'{s:.2f}' for s in analyse_s)})")
            print(f"new process importing pandas, read_csv:  {read_med:.2f} s (runs {', '.join(f'{s:.2f}' for s in read_s)})")
            print(f"ratio analyse / read:                    {analyse_med / read_med:.2f}x (target <= 2.5x)")
            print(f"peak memory of hinge analyse (1 h CSV):  {max(peak_kib) / 1024:.0f} MB")

            stages = child_json(STAGES, str(csv))
            print()
            print("where the time of hinge analyse goes (one more run, timers around the stages):")
            inversion = stages.get("per-bend inversion", 0.0)
            parts = {name: stages.get(name, 0.0) for name in ANALYSIS_STAGES}
            parts["per bend"] -= inversion  # the inversion runs inside the per-bend step
            parts["rest (gaps, masks, tables)"] = stages["analysis"] - sum(parts.values())
            rows = [("Python start", startup), ("imports (numpy, pandas, imufusion, hinge)", stages["imports"]),
                    ("read and check the CSV (pandas)", stages["read and check the CSV"]),
                    ("analysis", stages["analysis"])]
            rows += [(f"  {name}", seconds) for name, seconds in parts.items()]
            rows.append(("output (JSON)", stages["command"] - stages["read and check the CSV"] - stages["analysis"]))
            total = startup + stages["imports"] + stages["command"]
            for name, seconds in rows:
                print(f"  {name:<44s} {seconds:6.2f} s  {100 * seconds / total:5.1f} %")
            print(f"  {'total':<44s} {total:6.2f} s")

            print()
            print("memory and time against duration (the hour repeated, analysed from float64 arrays in a new process):")
            print(f"  {'duration':>8s} {'samples':>10s} {'bends':>6s} {'s':>7s} {'s/h':>6s} {'peak MB':>8s} "
                  f"{'B/sample':>9s} {'growth B/sample':>16s}  grid")
            previous = None
            for text in args.durations.split(","):
                hours = parse_hours(text)
                got = child_json(DURATION, str(folder), str(hours))
                peak_b = got["peak_kib"] * 1024
                growth = "" if previous is None else f"{(peak_b - previous[1]) / (got['n'] - previous[0]):.0f}"
                print(f"  {text:>8s} {got['n']:>10d} {got['bends']:>6d} {got['seconds']:>7.1f} {got['seconds'] / hours:>6.2f} "
                      f"{peak_b / 2**20:>8.0f} {peak_b / got['n']:>9.0f} {growth:>16s}  "
                      f"{'kept' if got['grid_kept'] else 'windows re-interpolated'}")
                previous = (got["n"], peak_b)
            print("  (peak MB: ru_maxrss, MiB, input arrays included; 1 GB target for 24 h)")
        finally:
            busy.terminate()
            busy.wait()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
