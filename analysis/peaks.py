"""Peaks of a sampled signal, selected by height, distance and prominence, in numpy.

The definitions are SciPy's (reference guide: "scipy.signal.find_peaks",
"scipy.signal.peak_prominences"), so `find_peaks` returns what
`scipy.signal.find_peaks(x, height=, distance=, prominence=)[0]` returns (tested on
random signals with flat tops and ties); importing `scipy.signal` cost the analysis
more time than all its peak searches together.

* A peak is a sample higher than the sample before it and than the first different
  sample after it; of a flat top, the middle sample (rounding down). The first and last
  samples are never peaks.
* height: the peak's value is at least this.
* distance: of peaks closer than this many samples, the higher one is kept, from the
  highest down (ties in the order `numpy.argsort` gives, as SciPy's).
* prominence: the peak's height above the higher of the lowest points on either side,
  each taken between the peak and the nearest strictly higher sample (or the signal's
  end) on that side; at least this.

Filters apply in that order. Everything is vectorised: the nearest higher peak and the
lowest point between come from two segment trees, O(N + P log P) for P local maxima.
"""
from __future__ import annotations

import math

import numpy as np

from .stillness import runs

__all__ = ["find_peaks", "local_maxima"]

# Up to this many peaks, or peaks x samples, the selection uses dense tables (a bend's
# window: far less overhead than the trees and rounds a whole recording needs).
DENSE_MAX_PEAKS = 1000
DENSE_MAX_CELLS = 2_000_000
# Up to this many peaks the distance selection is a plain loop (a bend's window holds a
# median 4): cheaper than the tables' numpy calls.
LOOP_MAX_PEAKS = 64
# Up to this many peaks their prominences are found one by one (over half of a bend's
# searches have at most 4): fewer numpy calls than the tables.
LOOP_MAX_PEAKS_PROMINENCE = 4


def find_peaks(x: np.ndarray, height: float | None = None, distance: float | None = None,
               prominence: float | None = None) -> np.ndarray:
    """Indices (K,) of the peaks of `x` (N,) that pass the given minimum height (x's unit),
    distance (samples, >= 1) and prominence (x's unit)."""
    x = np.ascontiguousarray(x, dtype=np.float64)
    maxima = local_maxima(x)
    peaks = maxima
    if height is not None:
        peaks = peaks[x[peaks] >= height]
    if distance is not None:
        peaks = peaks[_kept_by_distance(peaks, x[peaks], math.ceil(distance))]
    if prominence is not None:
        peaks = peaks[_prominences(x, peaks, maxima) >= prominence]
    return peaks


def local_maxima(x: np.ndarray) -> np.ndarray:
    """(P,) sorted indices of every peak of `x` (N,), as defined in the module docstring."""
    n = len(x)
    if n < 3:
        return np.empty(0, np.intp)
    middle = x[1:-1]
    single = np.flatnonzero((middle > x[:-2]) & (middle > x[2:])) + 1
    equal = x[1:] == x[:-1]
    if not equal.any():  # no flat top possible (most float signals): skip the run search
        return single
    # Flat tops: runs of equal neighbours, x[first..last] equal, higher than both sides.
    flat = runs(equal)
    first, last = flat[:, 0], flat[:, 1]
    inside = (first >= 1) & (last <= n - 2)
    first, last = first[inside], last[inside]
    top = (x[first - 1] < x[first]) & (x[last + 1] < x[first])
    tops = (first[top] + last[top]) // 2
    return np.sort(np.concatenate([single, tops])) if len(tops) else single


def _kept_by_distance(peaks: np.ndarray, priority: np.ndarray, distance: int) -> np.ndarray:
    """(P,) bool: the peaks a greedy pass keeps, highest priority first, each removing the
    peaks closer than `distance` samples.

    The greedy result is the set of peaks with no kept peak of higher priority within
    reach, which rounds of "keep every undecided peak that outranks its undecided
    neighbours, drop their neighbours" build without a loop over peaks.
    """
    m = len(peaks)
    kept = np.zeros(m, bool)
    if m == 0:
        return kept
    order = np.argsort(priority)  # SciPy's own call, so equal priorities rank alike
    if m <= LOOP_MAX_PEAKS:
        return _kept_greedily(peaks.tolist(), order.tolist(), distance)
    rank = np.empty(m, np.intp)
    rank[order] = np.arange(m)
    if m <= DENSE_MAX_PEAKS:
        # Few peaks (a bend's window): the same rounds on an (m, m) table of neighbours.
        close = np.abs(peaks[:, None] - peaks[None, :]) < distance
        outranked = close & (rank[None, :] > rank[:, None])
        undecided = np.ones(m, bool)
        while undecided.any():
            top = undecided & ~(outranked & undecided[None, :]).any(axis=1)
            kept |= top
            undecided &= ~top & ~(close & top[None, :]).any(axis=1)
        return kept
    # Neighbour pairs (j, j + d), for every offset d at which peaks can still be close.
    pairs = []
    d = 1
    while d < m:
        close = (peaks[d:] - peaks[:-d]) < distance
        if not close.any():
            break
        pairs.append((d, close, rank[d:] > rank[:-d]))
        d += 1
    undecided = np.ones(m, bool)
    while undecided.any():
        top = undecided.copy()
        for d, close, right_higher in pairs:
            both = close & undecided[:-d] & undecided[d:]
            top[:-d] &= ~(both & right_higher)
            top[d:] &= ~(both & ~right_higher)
        kept |= top
        undecided &= ~top
        for d, close, _ in pairs:
            undecided[d:] &= ~(close & top[:-d])
            undecided[:-d] &= ~(close & top[d:])
    return kept


def _kept_greedily(positions: list[int], order: list[int], distance: int) -> np.ndarray:
    """`_kept_by_distance` for a handful of peaks: the greedy pass itself, in plain Python
    (sorted `positions`, `order` lowest priority first)."""
    m = len(positions)
    keep = [True] * m
    for j in reversed(order):
        if not keep[j]:
            continue
        here = positions[j]
        k = j - 1
        while k >= 0 and here - positions[k] < distance:
            keep[k] = False
            k -= 1
        k = j + 1
        while k < m and positions[k] - here < distance:
            keep[k] = False
            k += 1
    return np.array(keep, bool)


def _prominences(x: np.ndarray, peaks: np.ndarray, maxima: np.ndarray) -> np.ndarray:
    """(K,) prominence of each of `peaks`, a subset of `maxima` (all local maxima of x).

    The nearest strictly higher sample on a side lies on the flank of the nearest higher
    local maximum (or the signal's end), so the lowest point up to it is the lowest of the
    valleys between the peak and that maximum: valley k (1 <= k < P) is the lowest sample
    from maximum k - 1 up to maximum k, valley 0 the lowest before the first maximum and
    valley P the lowest after the last.
    """
    if len(peaks) == 0:
        return np.empty(0)
    if len(peaks) <= LOOP_MAX_PEAKS_PROMINENCE:
        return _prominences_each(x, peaks)
    if len(peaks) * len(x) <= DENSE_MAX_CELLS:
        return _prominences_dense(x, peaks)
    n_max = len(maxima)
    valleys = np.empty(n_max + 1)
    valleys[0] = x[:maxima[0]].min()
    valleys[1:n_max] = np.minimum.reduceat(x, maxima)[:-1] if n_max > 1 else valleys[1:n_max]
    valleys[n_max] = x[maxima[-1]:].min()
    index = np.searchsorted(maxima, peaks)
    height = x[peaks]
    highs = _Tree(x[maxima], np.maximum, -np.inf)
    left = highs.nearest_above(index, height, step=-1)  # -1: none
    right = highs.nearest_above(index, height, step=+1)  # n_max: none
    lows = _Tree(valleys, np.minimum, np.inf)
    left_min = lows.reduce(left + 1, index + 1)
    right_min = lows.reduce(index + 1, right + 1)
    return height - np.maximum(left_min, right_min)


def _prominences_each(x: np.ndarray, peaks: np.ndarray) -> np.ndarray:
    """`_prominences` of a few peaks, one at a time: the nearest higher sample on each side
    by a search of the signal, the lowest points up to them by `min`."""
    n = len(x)
    out = np.empty(len(peaks))
    for i, peak in enumerate(peaks.tolist()):
        height = x[peak]
        higher = np.flatnonzero(x[:peak] > height)
        left = int(higher[-1]) if len(higher) else -1
        higher = np.flatnonzero(x[peak + 1:] > height)
        right = peak + 1 + int(higher[0]) if len(higher) else n
        out[i] = height - max(x[left + 1:peak + 1].min(), x[peak:right].min())
    return out


def _prominences_dense(x: np.ndarray, peaks: np.ndarray) -> np.ndarray:
    """`_prominences` for a short signal: the nearest higher samples from a (K, N) table."""
    n = len(x)
    height = x[peaks]
    index = np.arange(n)
    higher = x[None, :] > height[:, None]
    before = higher & (index[None, :] < peaks[:, None])
    after = higher & (index[None, :] > peaks[:, None])
    left = np.where(before.any(axis=1), n - 1 - np.argmax(before[:, ::-1], axis=1), -1)
    right = np.where(after.any(axis=1), np.argmax(after, axis=1), n)
    # Lowest sample of [left + 1, peak] and of [peak, right), by one reduceat over both.
    padded = np.append(x, np.inf)
    bounds = np.column_stack([left + 1, peaks + 1, peaks, right]).ravel()
    lows = np.minimum.reduceat(padded, bounds)[::2]
    return height - np.maximum(lows[0::2], lows[1::2])


class _Tree:
    """A segment tree over (M,) values: `op` (np.maximum or np.minimum) of each node's leaves."""

    def __init__(self, values: np.ndarray, op, fill: float):
        self.m = len(values)
        self.size = 1 << max(0, (self.m - 1).bit_length())
        self.op = op
        self.nodes = np.full(2 * self.size, fill)
        self.nodes[self.size:self.size + self.m] = values
        level = self.size
        while level > 1:
            parents = np.arange(level // 2, level)
            self.nodes[parents] = op(self.nodes[2 * parents], self.nodes[2 * parents + 1])
            level //= 2
        self.fill = fill

    def reduce(self, start: np.ndarray, stop: np.ndarray) -> np.ndarray:
        """`op` over values[start:stop] for each pair of (K,) bounds (stop > start)."""
        out = np.full(len(start), self.fill)
        lo, hi = start + self.size, stop + self.size
        while np.any(lo < hi):
            take = (lo < hi) & (lo & 1 == 1)
            out[take] = self.op(out[take], self.nodes[lo[take]])
            lo = lo + take
            take = (lo < hi) & (hi & 1 == 1)
            hi = hi - take
            out[take] = self.op(out[take], self.nodes[hi[take]])
            lo, hi = lo >> 1, hi >> 1
        return out

    def nearest_above(self, index: np.ndarray, level: np.ndarray, step: int) -> np.ndarray:
        """For each (K,) leaf `index`, the nearest leaf before it (step -1) or after it (+1)
        whose value exceeds `level`; -1 or M where there is none. For a max tree."""
        nodes, size = self.nodes, self.size
        node = index + size
        found = np.full(len(index), -1)
        active = np.ones(len(index), bool)
        while np.any(active & (node > 1)):
            # The sibling on the searched side covers the leaves right next to this node's.
            beside = node + step
            sibling = (active & (node > 1) & ((node & 1) == (1 if step < 0 else 0))
                       & (nodes[np.clip(beside, 0, 2 * size - 1)] > level))
            found[sibling] = beside[sibling]
            active &= ~sibling
            node = node >> 1
        hit = found >= 0
        node, above = found[hit], level[hit]
        near, far = (1, 0) if step < 0 else (0, 1)  # the child nearer to the query first
        while np.any(node < size):
            down = node < size
            child = 2 * node + near
            go_near = down & (nodes[np.where(down, child, 0)] > above)
            node = np.where(down, np.where(go_near, child, 2 * node + far), node)
        out = np.full(len(index), -1 if step < 0 else self.m)
        out[hit] = node - size
        return out
