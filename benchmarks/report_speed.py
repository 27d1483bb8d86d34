"""Speed of `hinge report` against `hinge analyse --json` on one hour at 100 Hz.

Simulates one hour with the body model (the same session as benchmarks/speed.py), writes
it as CSV, then times both commands end to end in fresh processes (start-up, reading,
analysis, output), alternating them, while a busy-loop subprocess keeps the other core
loaded as on a shared machine. Prints the best time of each, their ratio (target
<= 1.5x: the report adds only its plots and HTML to the analysis), and the report's size.
Wall and CPU times of separate processes swing with the machine's load, so it also times
the two stages inside one fresh process (CPU time of reading + analysing, then of
importing matplotlib + rendering), which is steadier.

    python benchmarks/report_speed.py [--minutes 60] [--repeats 3] [--csv FILE]
"""
from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET_RATIO = 1.5
BUSY_LOOP = "while True:\n    pass\n"


def simulate_csv(path: Path, minutes: float) -> None:
    """About 8 movements a minute with pauses, as in benchmarks/speed.py."""
    from hinge.analysis.body_model import SessionSpec, simulate_session

    session = simulate_session(SessionSpec(n_bends=int(minutes * 6.4), n_squats=int(minutes), n_fidgets=int(minutes),
                                           n_weight_shifts=int(minutes // 2), fs_hz=100.0, mounting="random", seed=3))
    session.to_csv(path)


def timed(command: list[str]) -> tuple[float, float]:
    """(wall-clock s, CPU s of the process and its children) of one run."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


STAGES = """
import sys, time
from pathlib import Path
started = time.process_time()
from hinge.api import analyse_loaded
from hinge.recordings.load import load_recording
from hinge.reporting import report_session
loaded = load_recording(Path(sys.argv[1]))
session = report_session(loaded, analyse_loaded(loaded), loaded.placement)
analysed = time.process_time()
from hinge.analysis.report import render_report
render_report([session], "benchmark")
print(analysed - started, time.process_time() - analysed)
"""


def stages(path: Path) -> tuple[float, float]:
    """(CPU s to import, read and analyse; CPU s to import matplotlib and render) in one new process."""
    out = subprocess.run([sys.executable, "-c", STAGES, str(path)], check=True, capture_output=True, text=True).stdout
    analyse, render = map(float, out.split())
    return analyse, render


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=60.0)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--csv", type=Path, default=None,
                        help="recording to use (simulated there first when missing); default: a temporary file")
    args = parser.parse_args(argv)
    hinge = str(Path(sys.executable).with_name("hinge"))
    with tempfile.TemporaryDirectory() as tmp:
        path = args.csv or Path(tmp) / "hour.csv"
        if not path.exists():
            started = time.perf_counter()
            simulate_csv(path, args.minutes)
            print(f"simulated {args.minutes:.0f} min at 100 Hz, {path.stat().st_size / 1e6:.1f} MB CSV "
                  f"in {time.perf_counter() - started:.1f} s")
        report = Path(tmp) / "report.html"
        busy = subprocess.Popen([sys.executable, "-c", BUSY_LOOP])
        try:
            analyse_s, report_s, stage_s = [], [], []
            for _ in range(args.repeats):
                analyse_s.append(timed([hinge, "analyse", str(path), "--json"]))
                report_s.append(timed([hinge, "report", str(path), "-o", str(report), "--force",
                                       "--progress", "never"]))
                stage_s.append(stages(path))
        finally:
            busy.kill()
            busy.wait()
        size_mb = report.stat().st_size / 1e6
    print(f"(other core loaded by a busy loop; best of {args.repeats} runs each, new processes; "
          f"CPU = user + system time of the command)")
    for name, runs in (("hinge analyse --json", analyse_s), ("hinge report", report_s)):
        print(f"{name + ':':22s} {min(w for w, _ in runs):.2f} s wall, {min(c for _, c in runs):.2f} s CPU "
              f"(walls: {', '.join(f'{w:.2f}' for w, _ in runs)})")
    print(f"report size:           {size_mb:.2f} MB HTML")
    wall_ratio = min(w for w, _ in report_s) / min(w for w, _ in analyse_s)
    cpu_ratio = min(c for _, c in report_s) / min(c for _, c in analyse_s)
    print(f"ratio report / analyse: {wall_ratio:.2f}x wall, {cpu_ratio:.2f}x CPU (target <= {TARGET_RATIO}x)")
    analyse_cpu, render_cpu = min(a for a, _ in stage_s), min(r for _, r in stage_s)
    print(f"in one process (CPU):   read + analyse {analyse_cpu:.2f} s, plots + HTML {render_cpu:.2f} s "
          f"-> report / analyse {(analyse_cpu + render_cpu) / analyse_cpu:.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
