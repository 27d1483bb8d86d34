"""Moving means: the one smoothing filter of the analysis, in numpy.

The window and edge rules are those of `scipy.ndimage.uniform_filter1d` (SciPy reference
guide, "scipy.ndimage.uniform_filter1d": `size`, `mode` "nearest" or "reflect", `origin`),
and so is the arithmetic: the first window summed in order, each next sum as the previous
plus (entering - leaving sample), each sum divided by size. The results equal SciPy's to the last
bit (tested), so thresholds on them decide as before; importing `scipy.ndimage` (and the
SciPy core it pulls in) cost the analysis more time than it spends filtering.
"""
from __future__ import annotations

import numpy as np

# SciPy's mode names -> numpy.pad's: "nearest" repeats the edge sample, "reflect" mirrors
# about the edge (d c b a | a b c d | d c b a).
_PAD_MODES = {"nearest": "edge", "reflect": "symmetric"}


def moving_mean(x: np.ndarray, size: int, axis: int = 0, mode: str = "nearest", origin: int = 0) -> np.ndarray:
    """Mean over a window of `size` samples around each sample, along `axis`.

    Args:
        x: (..., N, ...) samples, any units; not modified.
        size: window length, samples (>= 1).
        mode: how the window is filled beyond the ends, "nearest" or "reflect".
        origin: shifts the window towards earlier samples by this many (0: centred,
            ahead by one sample for even sizes; (size - 1) // 2: trailing, the sample last).

    Returns:
        float64 array of x's shape: output i is the mean of samples
        i - size // 2 - origin ... i - size // 2 - origin + size - 1.
    """
    x = np.asarray(x, dtype=np.float64)
    if axis != 0:
        return np.moveaxis(moving_mean(np.moveaxis(x, axis, 0), size, 0, mode, origin), 0, axis)
    if x.shape[0] == 0:
        return x.copy()
    before = size // 2 + origin
    after = size - 1 - before
    padded = _extended(x, before, after, mode)
    out = np.empty(x.shape)
    out[0] = np.cumsum(padded[:size], axis=0)[-1]
    np.subtract(padded[size:], padded[:-size], out=out[1:])
    np.cumsum(out, axis=0, out=out)
    out /= size
    return out


def _extended(x: np.ndarray, before: int, after: int, mode: str) -> np.ndarray:
    """x with `before` and `after` samples added along axis 0 by `mode` (numpy.pad's
    result, without its overhead in the common cases: a bend's window is filtered often)."""
    n = len(x)
    if mode == "nearest":
        out = np.empty((before + n + after, *x.shape[1:]))
        out[:before] = x[0]
        out[before:before + n] = x
        out[before + n:] = x[-1]
        return out
    if before <= n and after <= n:
        parts = [x[:before][::-1], x, x[::-1][:after]]
    else:
        return np.pad(x, [(before, after)] + [(0, 0)] * (x.ndim - 1), mode=_PAD_MODES[mode])
    return np.concatenate(parts)
