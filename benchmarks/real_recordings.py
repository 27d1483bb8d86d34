"""hinge on real people's recordings: Mobilise-D lab data, sensor at L5 (tests/data/mobilised_lab).

Prints per file: bends reported, how many of them lie inside a reference walking bout
(INDIP; every one is false), the calibration outcome; then false bends per hour of
reference walking and whether HA001's three deep forward bends were found.

    python benchmarks/real_recordings.py [--dir tests/data/mobilised_lab | ../shared/real-recordings/mobilised-lab]
"""
from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

from hinge.analysis.pipeline import analyse

DATA = Path(__file__).resolve().parent.parent / "tests" / "data" / "mobilised_lab"
# HA001 Test11: peaks of the held deep forward bends that return to standing (gravity
# tilted 75 and 83 deg), s; a detection within 1.5 s counts. The 60 deg forward lean at
# 4.8 s raises the sacrum by 0.3 m from a still start straight into walking: standing up
# from a chair, not a bend (it must not be counted as one).
HA001_DEEP_BENDS_S = (123.8, 127.1)
HA001_STAND_UP_S = 4.8


def read(path: Path):
    frame = pd.read_csv(path)
    values = frame[["acc_x", "acc_y", "acc_z", "gyr_x", "gyr_y", "gyr_z"]].to_numpy(float)
    return frame["time_s"].to_numpy(float), values[:, :3], values[:, 3:]


def recording_name(path: Path) -> str:
    """HA001_Test11_Trial1 for HA001_Test11_Trial1.csv or .csv.gz."""
    return path.name.split(".csv")[0]


def walking_bouts(path: Path) -> np.ndarray:
    bouts = pd.read_csv(path.with_name(recording_name(path) + "_walking.csv"))
    return bouts[["start_s", "end_s"]].to_numpy(float).reshape(-1, 2)


def evaluate(path: Path) -> dict:
    t_s, acc, gyr = read(path)
    result = analyse(t_s, acc, gyr, placement="L5")
    bouts = walking_bouts(path)
    peaks = result.bends["peak_s"].to_numpy(float) if len(result.bends) else np.empty(0)
    in_walk = np.array([np.any((bouts[:, 0] <= p) & (p <= bouts[:, 1])) for p in peaks], bool)
    if path.name.startswith("HA001_Test11"):  # a reference bout bridges the deep bend at 123.8 s
        in_walk &= np.array([all(abs(p - s) > 1.5 for s in HA001_DEEP_BENDS_S) for p in peaks], bool)
    labels = result.bends["label"].tolist() if len(result.bends) else []
    return {
        "file": recording_name(path), "duration_s": float(t_s[-1] - t_s[0]),
        "walking_s": float(np.sum(bouts[:, 1] - bouts[:, 0])),
        "bends": len(peaks), "in_walking": int(in_walk.sum()),
        "uncertain": labels.count("uncertain"),
        "calibration": "ok" if result.calibration.get("ok") else result.calibration.get("reason", "failed")[:60],
        "peaks_s": peaks, "result": result,
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", type=Path, default=DATA)
    args = parser.parse_args(argv)
    rows = [evaluate(p) for p in sorted(args.dir.glob("*_Trial?.csv*"))]
    table = pd.DataFrame([{k: v for k, v in r.items() if k not in ("peaks_s", "result")} for r in rows])
    with pd.option_context("display.width", 200, "display.max_colwidth", 60):
        print(table.to_string(index=False, float_format="{:.1f}".format))
    walking_h = table["walking_s"].sum() / 3600.0
    print(f"\nreference walking {table['walking_s'].sum():.0f} s: {table['in_walking'].sum()} bends inside walking bouts "
          f"= {table['in_walking'].sum() / walking_h:.0f} false bends per hour of walking")
    ha001 = next(r for r in rows if r["file"] == "HA001_Test11_Trial1")
    found = [any(abs(p - s) <= 1.5 for p in ha001["peaks_s"]) for s in HA001_DEEP_BENDS_S]
    print(f"HA001 deep bends found: {sum(found)} of {len(found)}; stand-up at {HA001_STAND_UP_S} s counted as a bend: "
          f"{any(abs(p - HA001_STAND_UP_S) <= 1.5 for p in ha001['peaks_s'])}")
    for r in rows:
        bends = r["result"].bends
        if len(bends):
            print(f"\n{r['file']}:")
            print(bends[["peak_s", "label", "score", "lumbar_share", "sensor_pitch_deg", "confidence", "quality_flags"]]
                  .to_string(float_format="{:.2f}".format))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
