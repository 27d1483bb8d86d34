"""Two-sensor test data: a sacral and a T12 sensor on one simulated body, and the CSV of both.

The pair is two `simulate_session` runs with the same seed (the same person, movement
plan and sensor clock) at the placements sacrum and T12, so both sensors sample at the
same instants; their rows are the samples both kept (each run loses the same samples).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from hinge.analysis.body_model import SessionSpec, simulate_session
from hinge.recordings.csv_read import EXPECTED_HEADER, pair_header

#: The upper site of every test pair.
UPPER = "T12"


@dataclass(frozen=True)
class Pair:
    """t_s (N,) s; lower/upper (N, 6): acc m/s^2 then gyr rad/s, sensor axes; the runs' truth tables."""

    t_s: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    lower_truth: object
    upper_truth: object


def simulated_pair(seed: int = 5, n_bends: int = 6, **spec) -> Pair:
    """A sacral and a T12 sensor on the same simulated body (`SessionSpec` keywords in ``spec``)."""
    lower = simulate_session(SessionSpec(n_bends=n_bends, seed=seed, placement="sacrum", **spec))
    upper = simulate_session(SessionSpec(n_bends=n_bends, seed=seed, placement=UPPER, **spec))
    assert np.array_equal(lower.t_s, upper.t_s), "same seed: same clock and losses"
    return Pair(lower.t_s, np.column_stack([lower.acc_mps2, lower.gyr_rad_s]),
                np.column_stack([upper.acc_mps2, upper.gyr_rad_s]), lower.truth, upper.truth)


def pair_rows(pair: Pair) -> np.ndarray:
    """(N, 13) rows of the two-sensor CSV: time_s, the lower sensor's six, the upper's six."""
    return np.column_stack([pair.t_s, pair.lower, pair.upper])


def write_pair_csv(path: Path, rows: np.ndarray, header: str | None = None) -> Path:
    """Write (N, 13) rows (NaN: an empty cell) under the two-sensor header, or ``header``."""
    header = header or pair_header(UPPER)
    lines = [header]
    for row in rows:
        lines.append(",".join("" if np.isnan(v) else repr(v) for v in row.tolist()))
    Path(path).write_text("\n".join(lines) + "\n")
    return Path(path)


def write_lower_csv(path: Path, pair: Pair) -> Path:
    """The lower sensor alone, as a one-sensor CSV."""
    np.savetxt(path, np.column_stack([pair.t_s, pair.lower]), delimiter=",", fmt="%.17g", header=EXPECTED_HEADER,
               comments="")
    return Path(path)


#: Issue 14: the two sensors' times of the same true instant at most this far apart, s.
ALIGNMENT_TARGET_S = 0.005


def shared_base_errors(pair_session, sensors: dict, rate_hz: float) -> dict:
    """Each sensor's samples against the simulated sensors' truth, on the shared time base.

    Checks every sample each simulated hinge-open sensor sent is in its part of the
    session once and in order (its ``t_s`` is k / rate on its own clock), and returns
    {site: (true_s, error_s)}: when each sample existed, on the shared base (the lower
    sensor's clock through its own fit), and how far the stored shared time is from it, s.
    ``sensors``: {"sacrum": lower simulated sensor, "T12": upper one}.
    """
    fit = pair_session.lower.metadata["acquisition"]["clock_fit"]
    errors = {}
    for site, part, t_shared in (("sacrum", pair_session.lower, pair_session.lower_t_s),
                                 (UPPER, pair_session.upper, pair_session.upper_t_s)):
        k = np.rint(part.t_s * rate_hz).astype(np.int64)
        np.testing.assert_array_equal(k, sensors[site].sent_indices())  # every sample once, in order
        true_s = (sensors[site].sample_host_s(k) - fit["host_offset_s"]) / fit["scale"]
        errors[site] = (true_s, t_shared - true_s)
    return errors


def residual_between(errors: dict, step_s: float) -> tuple[np.ndarray, np.ndarray]:
    """(instants, residual_s): the lower minus the upper sensor's error at the same true
    instants, every ``step_s`` over the span both cover, s."""
    (t_lo, e_lo), (t_up, e_up) = errors["sacrum"], errors[UPPER]
    instants = np.arange(max(t_lo[0], t_up[0]), min(t_lo[-1], t_up[-1]), step_s)
    return instants, np.interp(instants, t_lo, e_lo) - np.interp(instants, t_up, e_up)
