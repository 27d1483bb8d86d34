"""The report's plots: matplotlib figures rendered off-screen to PNG bytes.

The Agg canvas is used directly (no pyplot, no display, no global figure state), so the
report renders the same on a headless server as on a laptop. Colours are from the
Okabe-Ito palette, which stays distinguishable with the common colour-vision deficiencies.
"""
from __future__ import annotations

import io
from datetime import datetime, timedelta

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from .base import HIP_LED, SPINE_LED, UNCERTAIN, ReportSession

__all__ = ["CLASS_COLOURS", "timeline_png", "score_histogram_png", "share_vs_depth_png", "progress_png",
           "envelope"]

CLASS_COLOURS = {HIP_LED: "#0072B2", SPINE_LED: "#D55E00", UNCERTAIN: "#999999"}
DROPPED_COLOUR = "#9a9a9a"
LINE_COLOUR = "#222222"
DPI = 144
# More points than pixels only bloat the PNG and slow drawing; 3000 min/max pairs keep
# every peak of an hour-long recording visible.
MAX_TIMELINE_POINTS = 6000


def _png(fig: Figure) -> bytes:
    FigureCanvasAgg(fig)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI, metadata={"Software": None})
    return buffer.getvalue()


def _style(ax) -> None:
    ax.spines[["top", "right"]].set_visible(False)
    ax.grid(True, color="#e6e6e6", linewidth=0.8)
    ax.set_axisbelow(True)
    ax.tick_params(labelsize=8)


def envelope(t: np.ndarray, y: np.ndarray, max_points: int = MAX_TIMELINE_POINTS) -> tuple[np.ndarray, np.ndarray]:
    """Thin a long trace to at most ``max_points`` points, keeping each bucket's min and max.

    t, y: (N,) arrays. Returns (t', y') with the extremes of every bucket in time order, so
    no bend peak is lost however long the recording.
    """
    t, y = np.asarray(t, float), np.asarray(y, float)
    n = len(t)
    if n <= max_points:
        return t, y
    n_buckets = max_points // 2
    edges = np.linspace(0, n, n_buckets + 1).astype(int)
    idx = []
    for lo, hi in zip(edges[:-1], edges[1:]):
        if hi <= lo:
            continue
        segment = y[lo:hi]
        if not np.isfinite(segment).any():
            idx.extend((lo, hi - 1))
            continue
        idx.extend(sorted((lo + int(np.nanargmin(segment)), lo + int(np.nanargmax(segment)))))
    idx = np.asarray(idx)
    return t[idx], y[idx]


# A long recording is drawn as stacked rows of this length, so each bend stays a few
# pixels wide and its number readable; at most MAX_ROWS rows (longer rows beyond that).
ROW_S = 600.0
SINGLE_ROW_MAX_S = 900.0
MAX_ROWS = 12
# Smallest distance between two bend numbers, as a fraction of the row's length (about
# 25 px at the report's width), so they never overlap into a smear.
MIN_LABEL_GAP = 0.02


def label_every(peaks_s: pd.Series, min_gap_s: float) -> list:
    """Bend ids to number on the timeline: all of them when they fit ``min_gap_s`` apart,
    else every k-th (k = 2, 5, 10, 20, 50, 100: round numbers are easy to count on from).

    peaks_s: peak times, s, indexed by bend id.
    """
    if len(peaks_s) == 0:
        return []
    ids = list(peaks_s.index)
    for k in (1, 2, 5, 10, 20, 50, 100):
        chosen = [i for i in ids if k == 1 or int(i) % k == 0]
        times = np.sort(peaks_s.loc[chosen].to_numpy(float))
        if len(times) < 2 or np.diff(times).min() >= min_gap_s:
            return chosen
    return []


def timeline_rows(duration_s: float) -> tuple[int, float]:
    """(rows, row length in s) of the timeline: one row up to 15 min, else 10-min rows."""
    if duration_s <= SINGLE_ROW_MAX_S:
        return 1, max(duration_s, 1e-9)
    rows = min(MAX_ROWS, int(np.ceil(duration_s / ROW_S)))
    return rows, max(ROW_S, duration_s / rows)


def timeline_png(session: ReportSession, width_in: float = 10.0) -> bytes:
    """Sagittal pitch of the sensor over time, each bend shaded by its class, PNG bytes.

    Up to 15 min in one row with seconds on the axis; longer recordings in stacked 10-min
    rows with minutes on the axis.
    """
    n_rows, row_s = timeline_rows(session.duration_s)
    fig = Figure(figsize=(width_in, 3.0 if n_rows == 1 else 0.7 + 1.55 * n_rows), layout="constrained")
    axes = np.atleast_1d(fig.subplots(n_rows, 1, squeeze=False)[:, 0])
    scale = 1.0 if n_rows == 1 and session.duration_s <= 300 else 60.0
    unit = "s" if scale == 1.0 else "min"
    t0 = float(session.t_s[0]) if len(session.t_s) else 0.0
    t, pitch = envelope(session.t_s - t0, session.pitch_deg, MAX_TIMELINE_POINTS * n_rows)
    finite = np.isfinite(session.pitch_deg)
    top = float(np.nanmax(session.pitch_deg)) if finite.any() else 0.0
    bottom = float(np.nanmin(session.pitch_deg)) if finite.any() else 0.0
    bends = session.bends
    for i, ax in enumerate(axes):
        _style(ax)
        lo, hi = i * row_s, (i + 1) * row_s
        for row in session.dropped.itertuples():
            if row.end_s - t0 >= lo and row.start_s - t0 <= hi:
                ax.axvspan((row.start_s - t0) / scale, (row.end_s - t0) / scale, color=DROPPED_COLOUR,
                           alpha=0.18, lw=0)
        in_row = bends[(bends["end_s"] - t0 >= lo) & (bends["start_s"] - t0 <= hi)] if len(bends) else bends
        for _, row in in_row.iterrows():
            colour = CLASS_COLOURS.get(str(row["label"]), DROPPED_COLOUR)
            ax.axvspan((row["start_s"] - t0) / scale, (row["end_s"] - t0) / scale, color=colour, alpha=0.25, lw=0)
        keep = (t >= lo - row_s * 0.01) & (t <= hi + row_s * 0.01)
        ax.plot(t[keep] / scale, pitch[keep], color=LINE_COLOUR, lw=0.8)
        peaks = in_row["peak_s"] - t0 if len(in_row) else in_row
        if n_rows > 1 and len(peaks):
            peaks = peaks[(peaks >= lo) & (peaks < hi)]
        for bend_id in label_every(peaks, MIN_LABEL_GAP * row_s):
            ax.annotate(str(bend_id), (peaks[bend_id] / scale, top), xytext=(0, 3),
                        textcoords="offset points", ha="center", va="bottom", fontsize=7, color="#444444")
        ax.set_ylim(min(bottom, 0.0) - 3, top * 1.12 + 4)
        ax.set_xlim(lo / scale, (hi if n_rows > 1 else max(session.duration_s, 1e-9)) / scale)
        ax.set_ylabel("pitch, deg" if n_rows > 1 else "sensor pitch, deg\n(forward +)", fontsize=9)
    axes[-1].set_xlabel(f"time since start, {unit}", fontsize=9)
    handles = [Patch(color=CLASS_COLOURS[HIP_LED], alpha=0.35, label="hip-led bend"),
               Patch(color=CLASS_COLOURS[SPINE_LED], alpha=0.35, label="spine-led bend"),
               Patch(color=CLASS_COLOURS[UNCERTAIN], alpha=0.35, label="bend, class uncertain"),
               Patch(color=DROPPED_COLOUR, alpha=0.3, label="not a bend (squat, small)")]
    fig.legend(handles=handles, loc="outside upper left", fontsize=7, frameon=False, ncols=4)
    return _png(fig)


def score_histogram_png(bends: pd.DataFrame, width_in: float = 4.8) -> bytes:
    """Histogram of hinge scores (0-100 in steps of 10), stacked by class, PNG bytes."""
    fig = Figure(figsize=(width_in, 3.0), layout="constrained")
    ax = fig.add_subplot()
    _style(ax)
    bins = np.arange(0, 101, 10)
    labels = (HIP_LED, SPINE_LED, UNCERTAIN)
    data = [bends.loc[bends["label"] == label, "score"].to_numpy(float) for label in labels]
    ax.hist(data, bins=bins, stacked=True, color=[CLASS_COLOURS[label] for label in labels],
            label=list(labels), edgecolor="white", linewidth=0.8)
    ax.set_xlim(0, 100)
    ax.set_xlabel("hinge score, points /100", fontsize=9)
    ax.set_ylabel("bends", fontsize=9)
    ax.yaxis.get_major_locator().set_params(integer=True)
    ax.legend(fontsize=7, frameon=False)
    ax.set_title("Score distribution", fontsize=10, loc="left")
    return _png(fig)


def share_vs_depth_png(bends: pd.DataFrame, decision_share: float | None = None, width_in: float = 4.8) -> bytes:
    """Lumbar share (%) against trunk depth (deg), one dot per bend coloured by class, PNG bytes."""
    fig = Figure(figsize=(width_in, 3.0), layout="constrained")
    ax = fig.add_subplot()
    _style(ax)
    for label in (HIP_LED, SPINE_LED, UNCERTAIN):
        part = bends[bends["label"] == label]
        ax.scatter(part["depth_deg"].astype(float), 100 * part["lumbar_share"].astype(float), s=26,
                   color=CLASS_COLOURS[label], label=label, edgecolor="white", linewidth=0.5, zorder=3)
    if decision_share is not None:
        ax.axhline(100 * decision_share, color="#666666", lw=0.8, ls="--")
        ax.annotate("class boundary", (0.99, 100 * decision_share), xycoords=("axes fraction", "data"),
                    xytext=(0, 2), textcoords="offset points", ha="right", va="bottom", fontsize=7, color="#666666")
    ax.set_ylim(0, 100)
    depth = bends["depth_deg"].astype(float)
    ax.set_xlim(0, max(120.0, float(depth.max()) + 5 if len(depth) else 120.0))
    ax.set_xlabel("trunk depth at the deepest point, deg", fontsize=9)
    ax.set_ylabel("lumbar share, %", fontsize=9)
    ax.legend(fontsize=7, frameon=False, loc="upper right")
    ax.set_title("Lumbar share vs depth", fontsize=10, loc="left")
    return _png(fig)


def _date_ticks(ax, dates: list[datetime]) -> None:
    """Ticks at the session dates themselves (a few sessions), or automatic ones (many)."""
    import matplotlib.dates as mdates

    if len(dates) > 8:
        locator = mdates.AutoDateLocator(minticks=3, maxticks=8)
        ax.xaxis.set_major_locator(locator)
        ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
        return
    days = [d.date() for d in dates]
    fmt = "%d %b %H:%M" if len(set(days)) < len(days) else "%d %b %Y"
    ax.set_xticks(dates, [d.strftime(fmt) for d in dates], rotation=25, ha="right")
    span = (max(dates) - min(dates)) or timedelta(days=1)
    ax.set_xlim(min(dates) - span * 0.08, max(dates) + span * 0.08)


def progress_png(dates: list[datetime | None], mean_scores: list[float], hip_led_pcts: list[float],
                 width_in: float = 10.0) -> bytes:
    """Mean score and hip-led share per session, in session order, PNG bytes.

    dates: session start per session (None when unknown: the axis then numbers sessions);
    mean_scores: points /100; hip_led_pcts: %. NaN (a session without bends) leaves a gap.
    """
    fig = Figure(figsize=(width_in, 2.8), layout="constrained")
    axes = fig.subplots(1, 2)
    use_dates = all(d is not None for d in dates)
    x = list(dates) if use_dates else list(range(1, len(dates) + 1))
    for ax, values, label, colour in ((axes[0], mean_scores, "mean hinge score, points /100", "#333333"),
                                      (axes[1], hip_led_pcts, "hip-led bends, %", CLASS_COLOURS[HIP_LED])):
        _style(ax)
        ax.plot(x, values, marker="o", color=colour, lw=1.5, ms=5)
        ax.set_ylim(-4, 104)
        ax.set_ylabel(label, fontsize=9)
        if use_dates:
            _date_ticks(ax, dates)
            ax.set_xlabel("session start (UTC)", fontsize=9)
        else:
            ax.set_xticks(x)
            ax.set_xlabel("session, in order given", fontsize=9)
    axes[0].set_title("Score over sessions", fontsize=10, loc="left")
    axes[1].set_title("Hip-led share over sessions", fontsize=10, loc="left")
    return _png(fig)
