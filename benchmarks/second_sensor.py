"""What a second sensor at T12 adds to the sacral one.

Simulates the same sessions (same seeds, so the same movements) with a sensor at the
sacrum and one at T12, each randomly mounted, finds the bends from the sacral sensor,
and compares the class and lumbar share from one sensor with those from the pitch
difference of two.

    python benchmarks/second_sensor.py [--sessions 16]
"""
from __future__ import annotations

import argparse
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.stats import spearmanr

sys.path.insert(0, str(Path(__file__).resolve().parent))
from evaluation import balanced_accuracy, match_bends  # noqa: E402

from hinge.analysis.body_model import SessionSpec, simulate_session  # noqa: E402
from hinge.analysis.params import params_for_placement  # noqa: E402
from hinge.analysis.two_sensor import analyse_pair  # noqa: E402


def run_one(seed: int) -> pd.DataFrame:
    spec = dict(n_bends=12, fs_hz=100.0, mounting="random", seed=seed)
    sacrum = simulate_session(SessionSpec(placement="sacrum", **spec))
    upper = simulate_session(SessionSpec(placement="T12", **spec))
    result = analyse_pair(sacrum.t_s, sacrum.acc_mps2, sacrum.gyr_rad_s, upper.t_s, upper.acc_mps2, upper.gyr_rad_s)
    matched = match_bends(result.bends, sacrum.truth)
    matched = matched[matched["true_kind"].isin(["hip-led", "spine-led"])].copy()
    matched["two_sensor_share"] = matched["measured_lumbar_share"].astype(float)
    return matched


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=16)
    args = parser.parse_args(argv)
    with ProcessPoolExecutor(2) as pool:
        matched = pd.concat(pool.map(run_one, range(3000, 3000 + args.sessions)), ignore_index=True)
    truth = matched["true_lumbar_share"]
    rows = []
    decision = params_for_placement("sacrum").decision_share
    for name, share, label in (
        # One sensor: the class its share implies (hinge itself says "uncertain" for some).
        ("sacrum only", matched["lumbar_share"], np.where(matched["lumbar_share"] > decision, "spine-led", "hip-led")),
        ("sacrum + T12", matched["two_sensor_share"],
         np.where(matched["two_sensor_share"] > 0.5, "spine-led", "hip-led")),
    ):
        rows.append({
            "configuration": name, "bends": len(matched),
            "balanced accuracy": balanced_accuracy(matched["true_label"], label),
            "Spearman(share, true share)": spearmanr(share, truth).statistic,
            "lumbar share MAE": float(np.mean(np.abs(share - truth))),
        })
    with pd.option_context("display.float_format", "{:.3f}".format, "display.width", 200):
        print(pd.DataFrame(rows).set_index("configuration").to_string())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
