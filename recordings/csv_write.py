"""Write the two-sensor CSV interchange format (the layout `csv_read` reads; `pair_header`).

One ``time_s`` column (the shared time base, s) and the two sensors' six columns each:
the lower sensor's ``acc_x..gyr_z`` and the upper's prefixed by its site (``t12_acc_x..``),
m/s^2 and rad/s in each sensor's own axes. The rows are the union of both sensors' sample
times; a sensor without a sample at a row's time (a sample it lost) has its six cells
empty, as `csv_read` expects. Times equal to within `SAME_ROW_S` share a row.
"""
from __future__ import annotations

import io
import os
import re

import numpy as np

from .csv_read import pair_header

__all__ = ["SAME_ROW_S", "pair_rows", "write_pair_csv"]

#: Two sample times closer than this share one row, s: the file's time resolution
#: (``time_s`` is written with 6 decimals), far below any supported sample interval.
SAME_ROW_S = 1e-6
_EMPTY_CELL = re.compile(r"(?<=,)nan(?=,|$)", re.MULTILINE)


def pair_rows(t_s: np.ndarray, lower: np.ndarray, upper_t_s: np.ndarray, upper: np.ndarray) -> np.ndarray:
    """(R, 13) rows: time_s, the lower sensor's six channels, the upper's six (NaN: no sample).

    ``t_s`` (N,) and ``upper_t_s`` (M,) are increasing times on one time base, s; ``lower``
    (N, 6) and ``upper`` (M, 6) hold acc (m/s^2) then gyr (rad/s). Inputs are not modified.
    """
    keys = [np.rint(np.asarray(t, float) / SAME_ROW_S).astype(np.int64) for t in (t_s, upper_t_s)]
    rows_key = np.union1d(*keys)
    out = np.full((rows_key.size, 13), np.nan)
    out[:, 0] = rows_key * SAME_ROW_S
    # The upper sensor first: where both have a sample, the row keeps the lower sensor's own time.
    for key, t, values, columns in ((keys[1], upper_t_s, upper, slice(7, 13)), (keys[0], t_s, lower, slice(1, 7))):
        where = np.searchsorted(rows_key, key)
        out[where, 0] = t  # the sensor's own time
        out[where, columns] = values
    return out


def write_pair_csv(path: str | os.PathLike, rows: np.ndarray, upper_site: str) -> None:
    """Write `pair_rows` under the two-sensor header of ``upper_site`` (NaN: an empty cell)."""
    text = io.StringIO()
    np.savetxt(text, rows, fmt=["%.6f"] + ["%.7f"] * 12, delimiter=",", header=pair_header(upper_site), comments="")
    with open(path, "w", encoding="ascii", newline="") as f:
        f.write(_EMPTY_CELL.sub("", text.getvalue()))
