"""The report's plots: matplotlib figures rendered off-screen to PNG bytes.

The Agg canvas is used directly (no pyplot, no display, no global figure state), so the
report renders the same on a headless server as on a laptop. matplotlib is imported only
when a figure is drawn, so importing the report package costs nothing until then.
Colours are the product's one palette (`analysis.palette`, Okabe-Ito).
"""
from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
import pandas as pd

from ..palette import CALIBRATION_COLOUR, CLASS_COLOURS, NEUTRAL_COLOUR
from ..pipeline import CALIBRATION_HINGE
from .base import HIP_LED, SPINE_LED, UNCERTAIN, ReportSession

__all__ = ["CLASS_COLOURS", "timeline_png", "score_histogram_png", "share_vs_depth_png", "trend_png",
           "envelope", "sensor_segment", "shaded_kinds", "CALIBRATION", "NOT_COUNTED"]

# Stretches of the timeline that are not bends: the guided calibration hinge and the other
# movements the pipeline dropped.
CALIBRATION, NOT_COUNTED = "calibration", "not counted"
STRETCH_COLOURS = {CALIBRATION: CALIBRATION_COLOUR, NOT_COUNTED: NEUTRAL_COLOUR}
LEGEND = {HIP_LED: "hip-led bend", SPINE_LED: "spine-led bend", UNCERTAIN: "bend, class uncertain",
          CALIBRATION: "calibration", NOT_COUNTED: "movement not counted (squat, small, walking ...)"}
SPAN_ALPHA = 0.25
# The strip marking a movement not counted: this fraction of the row's height, at its foot.
NOT_COUNTED_STRIP = 0.07
LINE_COLOUR = "#222222"
DPI = 144
# The trace is thinned to a min/max pair per pixel column: more points than pixels only
# slow the drawing and bloat the PNG, and the pairs keep every peak.
POINTS_PER_PIXEL = 2


def _figure(**kwargs):
    from matplotlib.figure import Figure

    return Figure(**kwargs)


def _small_figure(width_in: float, height_in: float = 3.0):
    """A one-axes figure with fixed margins, in inches: a layout engine would measure every
    text twice to find them, a third of the drawing time of a report's small figures."""
    fig = _figure(figsize=(width_in, height_in))
    fig.subplots_adjust(left=0.62 / width_in, right=1 - 0.15 / width_in, top=1 - 0.32 / height_in,
                        bottom=0.48 / height_in)
    return fig


def _png(fig) -> bytes:
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(fig)
    buffer = io.BytesIO()
    # zlib level 3 instead of 6: about 40 ms less for an hour's report, 4 % larger images.
    fig.savefig(buffer, format="png", dpi=DPI, metadata={"Software": None}, pil_kwargs={"compress_level": 3})
    return buffer.getvalue()


def _style(ax) -> None:
    ax.spines[["top", "right"]].set_visible(False)
    ax.grid(True, color="#e6e6e6", linewidth=0.8)
    ax.set_axisbelow(True)
    ax.tick_params(labelsize=8)


def envelope(t: np.ndarray, y: np.ndarray, max_points: int) -> tuple[np.ndarray, np.ndarray]:
    """Thin a long trace to at most ``max_points`` points, keeping each bucket's min and max.

    t, y: (N,) arrays. Returns (t', y') with the extremes of every bucket of consecutive
    samples in time order, so no bend peak is lost however long the recording. A bucket
    with no finite value keeps its first and last sample (NaN: the line breaks there).
    """
    t, y = np.asarray(t, float), np.asarray(y, float)
    n = len(t)
    if n <= max_points:
        return t, y
    size = -(-n // (max_points // 2))  # samples per bucket, rounded up: at most max_points / 2 buckets
    n_buckets = -(-n // size)
    padded = np.full(n_buckets * size, np.nan)
    padded[:n] = y
    buckets = padded.reshape(n_buckets, size)
    finite = np.isfinite(buckets)
    lowest = np.where(finite, buckets, np.inf).argmin(axis=1)
    highest = np.where(finite, buckets, -np.inf).argmax(axis=1)
    empty = ~finite.any(axis=1)
    lowest[empty], highest[empty] = 0, size - 1
    starts = np.arange(n_buckets) * size
    pairs = np.stack([np.minimum(lowest, highest), np.maximum(lowest, highest)], axis=1) + starts[:, None]
    idx = np.minimum(pairs.ravel(), n - 1)
    return t[idx], y[idx]


# A long recording is drawn as stacked rows of this length, so each bend stays a few
# pixels wide and its number readable; at most MAX_ROWS rows (longer rows beyond that).
ROW_S = 600.0
SINGLE_ROW_MAX_S = 900.0
MAX_ROWS = 12
ROW_SLACK_S = 30.0
# Blank between two stacked rows, as a fraction of a row's height.
ROW_GAP = 0.3
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
    """(rows, row length in s) of the timeline: one row up to 15 min, else 10-min rows
    (a few seconds over a whole number of rows stretch the rows instead of starting a
    nearly empty one)."""
    if duration_s <= SINGLE_ROW_MAX_S:
        return 1, max(duration_s, 1e-9)
    rows = min(MAX_ROWS, int(np.ceil((duration_s - ROW_SLACK_S) / ROW_S)))
    return rows, max(ROW_S, duration_s / rows)


def sensor_segment(placement: str) -> str:
    """What the sensor's pitch is the pitch of, in words: the pelvis at the sacrum, the
    lumbar vertebra under it higher up (pelvis plus the lumbar flexion below it)."""
    return "pelvis" if placement == "sacrum" else f"lower back at {placement}"


def _stretches(session: ReportSession, t0: float) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """(start, end) times since the start, s, of every shaded stretch, by kind: bend class,
    calibration, or movement not counted."""
    out = {}
    bends = session.bends
    for label in (HIP_LED, SPINE_LED, UNCERTAIN):
        rows = bends[bends["label"] == label] if len(bends) else bends
        out[label] = (rows["start_s"].to_numpy(float) - t0, rows["end_s"].to_numpy(float) - t0)
    dropped = session.dropped
    calibration = (dropped["reason"] == CALIBRATION_HINGE).to_numpy(bool) if len(dropped) else np.zeros(0, bool)
    for kind, rows in ((CALIBRATION, dropped[calibration]), (NOT_COUNTED, dropped[~calibration])):
        out[kind] = (rows["start_s"].to_numpy(float) - t0, rows["end_s"].to_numpy(float) - t0)
    return out


def _span_style(kind: str) -> dict:
    """Fill of a shaded stretch: a tint of its colour; movements not counted are a solid
    strip along the bottom of the row instead (`_span_height`), so they never look like a
    bend of uncertain class (both grey)."""
    colour = {**CLASS_COLOURS, **STRETCH_COLOURS}[kind]
    if kind == NOT_COUNTED:
        return {"facecolor": colour, "linewidth": 0}
    return {"facecolor": colour, "alpha": SPAN_ALPHA, "linewidth": 0}


def _span_height(kind: str) -> float:
    """Height of a shaded stretch, fraction of the row: the full row for bends and the
    calibration, a strip for the movements not counted (drawn as hatching before, which
    cost an hour's report about 40 ms of its 0.55 s of plotting)."""
    return NOT_COUNTED_STRIP if kind == NOT_COUNTED else 1.0


def shaded_kinds(session: ReportSession) -> set[str]:
    """The kinds of stretch (bend classes, calibration, not counted) the timeline shades."""
    return {kind for kind, (starts, _) in _stretches(session, 0.0).items() if len(starts)}


def _span_polygons(x0: np.ndarray, x1: np.ndarray, kind: str, y0: float, row_height: float) -> np.ndarray:
    """(K, 4, 2) corners of the shaded stretches [x0, x1) of one timeline row, from ``y0``
    up (data units, deg); all rows' of a kind are drawn as one collection (one artist
    however many spans: hundreds of separate patches make drawing and layout slow)."""
    bottom, top = np.full_like(x0, y0), np.full_like(x0, y0 + _span_height(kind) * row_height)
    return np.stack([np.stack([x0, bottom], 1), np.stack([x0, top], 1),
                     np.stack([x1, top], 1), np.stack([x1, bottom], 1)], axis=1)


def _clock(seconds: float) -> str:
    """A time since the start as min:s, or h:min:s from an hour on ("10:03", "1:00:15")."""
    minutes, secs = divmod(int(round(seconds)), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def _row_ticks(low: float, high: float, offsets: np.ndarray) -> tuple[np.ndarray, list[str]]:
    """Pitch ticks of every row of the timeline: (positions on the stacked axis, labels, deg)."""
    from matplotlib.ticker import MaxNLocator

    values = MaxNLocator(nbins=4, steps=[1, 2, 2.5, 5, 10]).tick_values(low, high)
    values = values[(values >= low) & (values <= high)]
    return (offsets[:, None] + values).ravel(), [f"{v:g}" for v in values] * len(offsets)


@dataclass(frozen=True)
class StackedRows:
    """What the timeline draws, on its stacked axis (x: time into the row in the axis's
    unit; y: pitch in deg plus the row's offset).

    Attributes:
        x, y: (M,) the thinned trace, row after row, a NaN between rows.
        polygons: per kind of stretch, (K, 4, 2) corners of its shaded spans in every row.
        numbers: (x, y, bend id) of the bend numbers, at the top of the bend's row.
    """

    x: np.ndarray
    y: np.ndarray
    polygons: dict[str, np.ndarray]
    numbers: list[tuple[float, float, str]]


def _stacked_rows(session: ReportSession, t: np.ndarray, pitch: np.ndarray, row_s: float, n_rows: int,
                  scale: float, offsets: np.ndarray, low: float, high: float, top: float) -> StackedRows:
    """Cut the thinned trace (t since the start, s; pitch, deg), the shaded stretches and
    the bend numbers into rows of ``row_s`` s, row i moved ``offsets[i]`` deg up; ``low``
    and ``high`` bound one row's pitch (deg), ``top`` is the highest pitch (deg, the bend
    numbers' foot), ``scale`` s per unit of the time axis."""
    t0 = float(session.t_s[0]) if len(session.t_s) else 0.0
    stretches = _stretches(session, t0)
    peaks_all = session.bends["peak_s"] - t0 if len(session.bends) else pd.Series(dtype=float)
    xs, ys, numbers = [], [], []
    polygons = {kind: [] for kind in stretches}
    for i, offset in enumerate(offsets):
        lo, hi = i * row_s, (i + 1) * row_s
        for kind, (x0, x1) in stretches.items():
            in_row = (x1 >= lo) & (x0 <= hi)
            polygons[kind].append(_span_polygons((x0[in_row] - lo) / scale, (x1[in_row] - lo) / scale, kind,
                                                 offset + low, high - low))
        keep = (t >= lo - row_s * 0.01) & (t <= hi + row_s * 0.01)
        xs += [(t[keep] - lo) / scale, [np.nan]]
        ys += [pitch[keep] + offset, [np.nan]]
        peaks = peaks_all[(peaks_all >= lo) & (peaks_all < hi)] if n_rows > 1 else peaks_all
        numbers += [((peaks[bend_id] - lo) / scale, top + offset, str(bend_id))
                    for bend_id in label_every(peaks, MIN_LABEL_GAP * row_s)]
    return StackedRows(np.concatenate(xs), np.concatenate(ys),
                       {kind: np.concatenate(parts) for kind, parts in polygons.items()}, numbers)


def timeline_png(session: ReportSession, width_in: float = 10.0) -> bytes:
    """Pitch of the sensor's segment over time, each bend shaded by its class, PNG bytes.

    Up to 15 min in one row with seconds on the axis; longer recordings in stacked 10-min
    rows, minutes into the row on the axis and each row's start beside it. The rows share one
    axes, stacked as on a seismograph's helicorder: six axes with their own ticks, grids
    and labels cost an hour's timeline 45 ms more to draw (of about 0.2 s). The trace is
    thinned to a min/max pair per pixel column; the calibration hinge and the movements
    not counted are shaded too.
    """
    from matplotlib.collections import PolyCollection
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch
    from matplotlib.transforms import blended_transform_factory, offset_copy

    n_rows, row_s = timeline_rows(session.duration_s)
    stacked = n_rows > 1
    height_in = 3.0 if not stacked else 0.7 + 1.55 * n_rows
    fig = _figure(figsize=(width_in, height_in))
    # Fixed margins, in inches: a layout engine measures every text of the figure twice
    # (half the drawing time of an hour-long timeline) to find what these constants say.
    left_in, right_in = (0.85, 0.62) if stacked else (0.75, 0.12)
    top_in, bottom_in = 0.42, 0.5
    fig.subplots_adjust(left=left_in / width_in, right=1 - right_in / width_in, top=1 - top_in / height_in,
                        bottom=bottom_in / height_in)
    ax = fig.add_subplot()
    _style(ax)
    scale = 1.0 if not stacked and session.duration_s <= 300 else 60.0
    unit = "s" if scale == 1.0 else "min"
    t0 = float(session.t_s[0]) if len(session.t_s) else 0.0
    t, pitch = envelope(session.t_s - t0, session.pitch_deg, POINTS_PER_PIXEL * int(width_in * DPI) * n_rows)
    finite = np.isfinite(session.pitch_deg)
    top = float(np.nanmax(session.pitch_deg)) if finite.any() else 0.0
    low = float(np.nanmin(session.pitch_deg)) if finite.any() else 0.0
    low, high = min(low, 0.0) - 3, top * 1.12 + 4  # one row's pitch range, deg, with room for the numbers
    # Row i (from the top) is drawn ``offsets[i]`` deg up the stacked axis.
    offsets = (n_rows - 1 - np.arange(n_rows)) * (high - low) * (1 + ROW_GAP)
    span_s = row_s if stacked else max(session.duration_s, 1e-9)
    rows = _stacked_rows(session, t, pitch, row_s, n_rows, scale, offsets, low, high, top)
    beside = blended_transform_factory(ax.transAxes, ax.transData)
    above = offset_copy(ax.transData, fig=fig, y=3, units="points")  # bend numbers, 3 pt over the top
    for x, y, text in rows.numbers:
        ax.text(x, y, text, transform=above, ha="center", va="bottom", fontsize=7, color="#444444")
    if stacked:
        for i, offset in enumerate(offsets):
            ax.text(1.0, offset + (low + high) / 2, f" from\n {_clock(i * row_s)}", transform=beside,
                    ha="left", va="center", fontsize=8)
    for kind, verts in rows.polygons.items():
        if len(verts):
            style = {f"{k}s" if k in ("facecolor", "edgecolor", "linewidth") else k: v
                     for k, v in _span_style(kind).items()}
            ax.add_collection(PolyCollection(verts, **style), autolim=False)
    ax.plot(rows.x, rows.y, color=LINE_COLOUR, lw=0.8)
    ax.set_xlim(0, span_s / scale)
    ax.set_ylim(low, offsets[0] + high)
    ax.set_yticks(*_row_ticks(low, high, offsets))
    if stacked:
        # Each row's own axis lines, where the stacked axes' spines would run through the gaps.
        ax.spines["left"].set_visible(False)
        ax.hlines(offsets[:-1] + low, 0, span_s / scale, color="black", lw=0.8, clip_on=False)
        ax.vlines(np.zeros(n_rows), offsets + low, offsets + high, color="black", lw=0.8, clip_on=False)
        fig.text(0.12 / width_in, 0.5, f"{sensor_segment(session.placement)} pitch (sensor), deg, forward +",
                 rotation=90, ha="left", va="center", fontsize=9)
        ax.set_xlabel("minutes into the row (where each row starts, as [h:]min:s since the start, is on its right)",
                      fontsize=9)
    else:
        ax.set_ylabel(f"{sensor_segment(session.placement)} pitch, deg\n(sensor; forward +)", fontsize=9)
        ax.set_xlabel(f"time since start, {unit}", fontsize=9)
    shown = [kind for kind in (HIP_LED, SPINE_LED, UNCERTAIN, CALIBRATION, NOT_COUNTED)
             if len(rows.polygons[kind]) or kind in (HIP_LED, SPINE_LED)]
    # The strip of a movement not counted shows as a thick short line, as flat as on the plot.
    handles = [Line2D([], [], color=_span_style(kind)["facecolor"], lw=3.5, solid_capstyle="butt", label=LEGEND[kind])
               if kind == NOT_COUNTED else Patch(label=LEGEND[kind], **_span_style(kind)) for kind in shown]
    fig.legend(handles=handles, loc="upper left", bbox_to_anchor=(left_in / width_in - 0.01, 1.0), fontsize=7,
               frameon=False, ncols=len(handles), borderaxespad=0.3)
    return _png(fig)


def score_histogram_png(bends: pd.DataFrame, width_in: float = 4.8) -> bytes:
    """Histogram of hinge scores (0-100 in steps of 10), stacked by class, PNG bytes."""
    fig = _small_figure(width_in)
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
    """Lumbar share (%) against trunk angle (deg), one dot per bend coloured by class, PNG bytes."""
    fig = _small_figure(width_in)
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
    ax.set_xlabel("trunk angle at the deepest point, deg", fontsize=9)
    ax.set_ylabel("lumbar share, %", fontsize=9)
    ax.legend(fontsize=7, frameon=False, loc="upper right")
    ax.set_title("Lumbar share vs trunk angle", fontsize=10, loc="left")
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


def trend_png(dates: list[datetime | None], values: list[float], label: str, title: str, colour: str = "#333333",
              width_in: float = 4.8) -> bytes:
    """One value per session (mean score, points /100, or hip-led share, %) in session order, PNG bytes.

    dates: session start per session (None when unknown: the axis then numbers sessions).
    values: on a 0-100 scale; NaN (a session without bends) leaves a gap.
    """
    fig = _figure(figsize=(width_in, 3.0), layout="constrained")
    ax = fig.add_subplot()
    _style(ax)
    use_dates = all(d is not None for d in dates)
    x = list(dates) if use_dates else list(range(1, len(dates) + 1))
    ax.plot(x, values, marker="o", color=colour, lw=1.5, ms=5)
    ax.set_ylim(-4, 104)
    ax.set_ylabel(label, fontsize=9)
    if use_dates:
        _date_ticks(ax, dates)
        ax.set_xlabel("session start (UTC)", fontsize=9)
    else:
        ax.set_xticks(x)
        ax.set_xlabel("session, in order given", fontsize=9)
    ax.set_title(title, fontsize=10, loc="left")
    return _png(fig)
