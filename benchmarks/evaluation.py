"""Scoring a pipeline run against body-model ground truth (shared by the benchmarks and tests).

A detected bend matches a true movement when its peak falls inside the movement's
[start, end]; each truth row matches at most one detection (the closest peak).
"""
from __future__ import annotations

import numpy as np
import pandas as pd


def match_bends(detected: pd.DataFrame, truth: pd.DataFrame) -> pd.DataFrame:
    """One row per detection: its columns plus `event_id` (or -1), `true_kind`, `true_label`, `true_lumbar_share`."""
    used: set[int] = set()
    rows = []
    for bend_id, bend in detected.iterrows():
        inside = truth[(truth["start_s"] <= bend["peak_s"]) & (bend["peak_s"] <= truth["end_s"])]
        inside = inside[~inside.index.isin(used)]
        if len(inside):
            event_id = int((inside["peak_s"] - bend["peak_s"]).abs().idxmin())
            used.add(event_id)
            event = truth.loc[event_id]
            rows.append({**bend.to_dict(), "bend_id": bend_id, "event_id": event_id, "true_kind": event["kind"],
                         "true_label": event["label"], "true_lumbar_share": event["lumbar_share"],
                         "true_trunk_deg": event["trunk_deg"]})
        else:
            rows.append({**bend.to_dict(), "bend_id": bend_id, "event_id": -1, "true_kind": None,
                         "true_label": None, "true_lumbar_share": np.nan, "true_trunk_deg": np.nan})
    return pd.DataFrame(rows)


def detection_counts(matched: pd.DataFrame, truth: pd.DataFrame) -> tuple[int, int, int]:
    """(true positives, false positives, false negatives) of bend detection."""
    is_bend = matched["true_kind"].isin(["hip-led", "spine-led"]) if len(matched) else pd.Series(dtype=bool)
    tp = int(is_bend.sum())
    fp = int(len(matched) - tp)
    fn = int(truth["is_bend"].sum() - tp)
    return tp, fp, fn


def f1(tp: int, fp: int, fn: int) -> float:
    return 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 1.0


def balanced_accuracy(true_labels, predicted) -> float:
    true_labels, predicted = np.asarray(true_labels), np.asarray(predicted)
    recalls = [np.mean(predicted[true_labels == c] == c) for c in ("hip-led", "spine-led") if np.any(true_labels == c)]
    return float(np.mean(recalls)) if recalls else float("nan")


def balanced_accuracy_interval(true_labels, predicted, sessions, n_resamples: int = 2000, level: float = 0.95,
                               seed: int = 0) -> tuple[float, float]:
    """Percentile bootstrap interval of `balanced_accuracy`, resampling whole sessions.

    Bends of one session share a person, their sensors and a calibration, so they are not
    independent draws; resampling sessions (with replacement, `sessions` (N,) a session key
    per bend) keeps that (Davison & Hinkley 1997, Bootstrap Methods and their Application,
    ch. 3.8, the cluster bootstrap). Returns (low, high) at `level`; (nan, nan) without
    bends. Deterministic for `seed`.
    """
    true_labels, predicted, sessions = np.asarray(true_labels), np.asarray(predicted), np.asarray(sessions)
    keys = np.unique(sessions)
    if not len(keys):
        return float("nan"), float("nan")
    members = [np.flatnonzero(sessions == k) for k in keys]
    rng = np.random.default_rng(seed)
    values = np.empty(n_resamples)
    for i in range(n_resamples):
        rows = np.concatenate([members[k] for k in rng.integers(0, len(keys), len(keys))])
        values[i] = balanced_accuracy(true_labels[rows], predicted[rows])
    tail = 100 * (1 - level) / 2
    low, high = np.nanpercentile(values, [tail, 100 - tail])
    return float(low), float(high)
