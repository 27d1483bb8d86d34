"""Accuracy of hinge on a simulated cohort, per placement.

Simulates varied subjects (height 1.55-1.95 m), random mounting orientations and sample
rates 50-200 Hz with the body model, runs the offline pipeline, and prints per placement:
detection F1; balanced accuracy of the class the estimated share implies (forced) and of
the verdicts hinge gives when it does not say "uncertain" (confident), with the share of
uncertain bends; Spearman correlation of the score with (1 - true lumbar share); and the
mounting-calibration error.

    python benchmarks/accuracy.py [--sessions 24] [--bends 12] [--placements sacrum L5 L4 L3]
    python benchmarks/accuracy.py --fit      # refit the decision threshold and timing weight

The reported cohort uses seeds 1000+; `--fit` uses the disjoint training seeds 2000+,
so the numbers printed without it are held-out.
"""
from __future__ import annotations

import argparse
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.stats import spearmanr

sys.path.insert(0, str(Path(__file__).resolve().parent))
from evaluation import balanced_accuracy, detection_counts, f1, match_bends  # noqa: E402

from hinge.analysis.body_model import SessionSpec, simulate_session  # noqa: E402
from hinge.analysis.calibration import rotation_angle_deg  # noqa: E402
from hinge.analysis.params import params_for_placement  # noqa: E402
from hinge.analysis.pipeline import MAX_LAG_S, analyse  # noqa: E402


def fit(args) -> int:
    """Grid-search the decision threshold and timing weight on the training cohort (sacrum)."""
    jobs = [("sacrum", TRAIN_SEED_BASE + i, args.bends, {"timing_weight_per_s": 0.0}) for i in range(args.sessions)]
    with ProcessPoolExecutor(args.workers) as pool:
        matched = pd.concat([r["matched"] for r in pool.map(run_one, jobs)], ignore_index=True)
    lag = matched["pelvic_lag_s"].astype(float).fillna(0.0).clip(-MAX_LAG_S, MAX_LAG_S)
    best = max(
        (balanced_accuracy(matched["true_label"], np.where(matched["lumbar_share"] + w * lag > t, "spine-led", "hip-led")), t, w)
        for t in np.arange(0.40, 0.521, 0.01) for w in np.arange(0.0, 1.01, 0.1)
    )
    print(f"training cohort: {len(matched)} bends; best balanced accuracy {best[0]:.3f} "
          f"at decision_share={best[1]:.2f}, timing_weight_per_s={best[2]:.1f}")
    return 0


TEST_SEED_BASE, TRAIN_SEED_BASE = 1000, 2000


def run_one(args: tuple) -> dict:
    placement, seed, n_bends, *overrides = args
    params = params_for_placement(placement, **(overrides[0] if overrides else {}))
    rng = np.random.default_rng(seed)
    fs_hz = float(rng.choice([50.0, 100.0, 200.0]))
    session = simulate_session(SessionSpec(n_bends=n_bends, placement=placement, fs_hz=fs_hz,
                                           mounting="random", seed=seed))
    result = analyse(session.t_s, session.acc_mps2, session.gyr_rad_s, placement=placement, params=params)
    matched = match_bends(result.bends, session.truth)
    tp, fp, fn = detection_counts(matched, session.truth)
    calib_err = np.nan
    if result.calibration.get("ok"):
        calib_err = rotation_angle_deg(np.asarray(result.calibration["segment_from_sensor"]),
                                       session.sensor_from_segment.T)
    good = matched[matched["true_kind"].isin(["hip-led", "spine-led"])] if len(matched) else matched
    return {"placement": placement, "seed": seed, "fs_hz": fs_hz, "tp": tp, "fp": fp, "fn": fn,
            "calibration_error_deg": calib_err, "matched": good}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=24, help="sessions per placement")
    parser.add_argument("--bends", type=int, default=12, help="bends per session")
    parser.add_argument("--placements", nargs="+", default=["sacrum", "L5", "L4", "L3"])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--fit", action="store_true", help="fit the decision parameters on the training seeds")
    args = parser.parse_args(argv)
    if args.fit:
        return fit(args)
    jobs = [(p, TEST_SEED_BASE + i, args.bends) for p in args.placements for i in range(args.sessions)]
    started = time.perf_counter()
    with ProcessPoolExecutor(args.workers) as pool:
        results = list(pool.map(run_one, jobs))
    rows = []
    for placement in args.placements:
        mine = [r for r in results if r["placement"] == placement]
        tp, fp, fn = (sum(r[k] for r in mine) for k in ("tp", "fp", "fn"))
        matched = pd.concat([r["matched"] for r in mine if len(r["matched"])], ignore_index=True)
        rho = spearmanr(matched["score"], 1 - matched["true_lumbar_share"]).statistic if len(matched) > 2 else np.nan
        share_mae = float(np.mean(np.abs(matched["lumbar_share"] - matched["true_lumbar_share"])))
        errors = np.array([r["calibration_error_deg"] for r in mine], float)
        decision = params_for_placement(placement).decision_share
        forced = np.where(matched["lumbar_share"] > decision, "spine-led", "hip-led")
        decided = matched[matched["label"] != "uncertain"]
        rows.append({
            "placement": placement, "sessions": len(mine), "true bends": tp + fn,
            "detection F1": f1(tp, fp, fn),
            "BA forced": balanced_accuracy(matched["true_label"], forced),
            "BA confident": balanced_accuracy(decided["true_label"], decided["label"]),
            "uncertain share": float(np.mean(matched["label"] == "uncertain")),
            "Spearman(score, 1-share)": rho,
            "lumbar share MAE": share_mae,
            "calibration error median deg": float(np.nanmedian(errors)),
            "calibration error max deg": float(np.nanmax(errors)),
            "calibration failures": int(np.isnan(errors).sum()),
        })
    table = pd.DataFrame(rows).set_index("placement")
    with pd.option_context("display.float_format", "{:.3f}".format, "display.width", 200):
        print(table.to_string())
    print(f"\n{len(jobs)} sessions in {time.perf_counter() - started:.0f} s")
    for placement in args.placements[:1]:
        matched = pd.concat([r["matched"] for r in results if r["placement"] == placement and len(r["matched"])])
        decision = params_for_placement(placement).decision_share
        correct = np.where(matched["lumbar_share"] > decision, "spine-led", "hip-led") == matched["true_label"]
        correct = pd.Series(correct, index=matched.index)
        share_band = pd.cut(matched["true_lumbar_share"], [0, 0.2, 0.35, 0.5, 0.65, 0.8, 1.0])
        depth_band = pd.cut(matched["true_trunk_deg"], [0, 50, 70, 90, 120])
        print(f"\nwhere one sensor fails ({placement}): forced class accuracy by true lumbar share and by trunk depth")
        print(correct.groupby(share_band, observed=True).agg(["mean", "size"]).rename(columns={"mean": "accuracy", "size": "bends"}).round(3).to_string())
        print(correct.groupby(depth_band, observed=True).agg(["mean", "size"]).rename(columns={"mean": "accuracy", "size": "bends"}).round(3).to_string())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
