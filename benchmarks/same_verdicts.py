"""Do two versions of hinge give the same verdicts? Snapshot every table, then compare.

For speed work (issue 12): a change that only makes hinge faster must leave every bend,
class, score, drop reason, calibration value and pitch sample as it was. `snap` analyses
simulated sessions (random mountings, 50-200 Hz, every placement, sensor errors, habits,
a guided calibration), the real recordings of `--dir` (Mobilise-D lab data, sensor at
L5), the two example sessions and, with `--hour`, the one-hour CSV of
benchmarks/speed.py, and pickles the results; `diff` reports every difference beyond
float noise (relative 1e-7) and whether the pitch arrays are equal bit for bit.

    python benchmarks/same_verdicts.py snap before.pkl [--dir tests/data/mobilised_lab] [--hour hour.csv]
    ... change hinge ...
    python benchmarks/same_verdicts.py snap after.pkl
    python benchmarks/same_verdicts.py diff before.pkl after.pkl     # exit 1 if they differ
"""
from __future__ import annotations

import argparse
import pickle
import sys
from pathlib import Path

import numpy as np
import pandas as pd

DATA = Path(__file__).resolve().parent.parent / "tests" / "data" / "mobilised_lab"
# (SessionSpec overrides, placement), one session each, seeds 1000 + row.
SESSIONS = [({}, "sacrum"), ({"sensor_error_scale": 3.0}, "sacrum"), ({"habit": "graded-share"}, "L5"),
            ({"soft_tissue_scale": 2.0}, "L3"), ({"habit": "knee-swapped"}, "L4"), ({"guided_calibration": True}, "sacrum"),
            ({"sensor_error_scale": 2.0, "gyro_bias_max_dps": 5.0}, "sacrum"),
            ({"lumbar_level_shares": (0.3, 0.3, 0.2, 0.12, 0.08)}, "L5")]
RTOL, ATOL = 1e-7, 1e-9


def snapshot(data_dir: Path, hour: Path | None) -> dict:
    """{recording name: {"bends", "dropped", "calibration", "warnings", "pitch"}}."""
    import hinge
    from hinge.analysis.body_model import SessionSpec, simulate_session
    from hinge.analysis.pipeline import analyse
    from hinge.recordings import example_session_path

    results = {}
    for row, (overrides, placement) in enumerate(SESSIONS):
        seed = 1000 + row
        fs_hz = float(np.random.default_rng(seed).choice([50.0, 100.0, 200.0]))
        session = simulate_session(SessionSpec(n_bends=12, placement=placement, fs_hz=fs_hz, mounting="random",
                                               seed=seed, **overrides))
        extra = {}
        if overrides.get("guided_calibration"):  # the calibration hinge is the first truth row
            end_s = float(session.truth.iloc[0]["end_s"])
            extra["calibration_window_s"] = (float(session.t_s[0]), end_s - float(session.t_s[0]) + 1.0)
        results[f"simulated {row} ({placement}, {fs_hz:g} Hz)"] = analyse(
            session.t_s, session.acc_mps2, session.gyr_rad_s, placement=placement, **extra)
    for path in sorted(data_dir.glob("*.csv*")):
        if "_walking" in path.name:
            continue
        frame = pd.read_csv(path)
        values = frame[["acc_x", "acc_y", "acc_z", "gyr_x", "gyr_y", "gyr_z"]].to_numpy(float)
        results[path.name] = analyse(frame["time_s"].to_numpy(float), values[:, :3], values[:, 3:], placement="L5")
    for name in ("hip_led", "spine_led"):
        results[f"example {name}"] = hinge.analyse_file(example_session_path(name))
    if hour is not None:
        results[hour.name] = hinge.analyse_file(hour)
    return {name: {"bends": r.bends, "dropped": r.dropped, "calibration": r.calibration, "warnings": r.warnings,
                   "pitch": r.pitch_deg} for name, r in results.items()}


def differences(a, b, where: str = "") -> list[str]:
    """Every place where `a` and `b` differ beyond float noise, one line each."""
    if isinstance(a, pd.DataFrame):
        if list(a.columns) != list(b.columns) or len(a) != len(b):
            return [f"{where}: table {a.shape} vs {b.shape}"]
        return [d for c in a.columns for d in differences(a[c].tolist(), b[c].tolist(), f"{where}.{c}")]
    if isinstance(a, np.ndarray):
        if a.shape != b.shape or not np.allclose(a, b, rtol=RTOL, atol=ATOL, equal_nan=True):
            return [f"{where}: arrays differ"]
        return []
    if isinstance(a, dict):
        if a.keys() != b.keys():
            return [f"{where}: keys {sorted(a)} vs {sorted(b)}"]
        return [d for k in a for d in differences(a[k], b[k], f"{where}.{k}")]
    if isinstance(a, (list, tuple)):
        if len(a) != len(b):
            return [f"{where}: {len(a)} vs {len(b)} items"]
        return [d for i, (x, y) in enumerate(zip(a, b)) for d in differences(x, y, f"{where}[{i}]")]
    if isinstance(a, (float, np.floating)) and isinstance(b, (float, np.floating)):
        same = (np.isnan(a) and np.isnan(b)) or np.isclose(a, b, rtol=RTOL, atol=ATOL)
        return [] if same else [f"{where}: {a!r} vs {b!r}"]
    return [] if a == b else [f"{where}: {a!r} vs {b!r}"]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    snap = sub.add_parser("snap", help="analyse every recording and pickle the results")
    snap.add_argument("out", type=Path)
    snap.add_argument("--dir", type=Path, default=DATA, help="folder of real recordings (CSV, sensor at L5)")
    snap.add_argument("--hour", type=Path, default=None, help="also this CSV (e.g. benchmarks/speed.py's hour)")
    compare = sub.add_parser("diff", help="compare two snapshots")
    compare.add_argument("before", type=Path)
    compare.add_argument("after", type=Path)
    args = parser.parse_args(argv)
    if args.command == "snap":
        results = snapshot(args.dir, args.hour)
        args.out.write_bytes(pickle.dumps(results))
        print(f"{len(results)} recordings, {sum(len(r['bends']) for r in results.values())} bends -> {args.out}")
        return 0
    before, after = (pickle.loads(path.read_bytes()) for path in (args.before, args.after))
    found = differences(before, after)
    bitwise = before.keys() == after.keys() and all(
        np.array_equal(before[k]["pitch"], after[k]["pitch"]) for k in before)
    print(f"{len(before)} recordings, {sum(len(r['bends']) for r in before.values())} bends: "
          f"{len(found)} differences; pitch equal bit for bit: {'yes' if bitwise else 'no'}")
    for line in found[:40]:
        print("  " + line)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
