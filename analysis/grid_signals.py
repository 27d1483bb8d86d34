"""A recording's specific force and angular rate, read one window at a time.

The offline analysis reads its signals in windows: every long stage (gait, steadiness,
stillness, orientation) in chunks of CHUNK_SAMPLES plus the seconds its filters reach on
either side (REACH_S), every bend and still stretch in its own window. So no stage holds
more than a chunk's intermediates, and 24 h at 100 Hz (8.6 M samples) fit in 1 GB with
the input arrays themselves (56 bytes a sample) taking half of it.

`GridWindows` is the input resampled onto the analysis grid (`resampling`): up to
MATERIALISE_MAX_SAMPLES it is interpolated once and kept (48 bytes a sample), beyond
that every window is interpolated again from the input. `numpy.interp` is pointwise, so
the values are the same to the last bit either way; and since the chunks are the same
too, so is every result. `ArrayWindows` wraps arrays already on a grid (the guided
calibration's stretch, tests); `corrected` and `in_segment_axes` apply the sensor
correction and the mounting to whatever they wrap, window by window, and to a kept grid
once, in place (both work sample by sample, so the numbers are the same either way).
"""
from __future__ import annotations

from typing import Callable, Iterator

import numpy as np

from .resampling import grid_times

# Samples per chunk of the long stages (2^16: 11 min at 100 Hz; a chunk's intermediates
# take about 20 MB).
CHUNK_SAMPLES = 1 << 16
# The farthest any chunked stage's filters look before or after a sample, s (the gait
# search's 1 s high-pass plus its 0.1 s smoothing is the widest).
REACH_S = 2.0
# Grids up to this many samples (11 h at 100 Hz, 192 MB) are interpolated once and kept.
MATERIALISE_MAX_SAMPLES = 4_000_000


class SampleWindows:
    """(N, 3) specific force (m/s^2) and angular rate (rad/s) on a uniform grid, by window."""

    def __init__(self, n: int):
        self.n = int(n)

    def __len__(self) -> int:
        return self.n

    def window(self, start: int, stop: int) -> tuple[np.ndarray, np.ndarray]:
        """(stop - start, 3) acc and gyr of samples [start, stop); read-only (may be views)."""
        raise NotImplementedError

    def chunks(self, reach: int = 0, chunk: int | None = None
               ) -> Iterator[tuple[int, int, int, np.ndarray, np.ndarray]]:
        """(start, stop, lo, acc, gyr) for consecutive chunks [start, stop) covering all
        samples, acc and gyr covering [lo, min(stop + reach, N)) with lo = max(start - reach, 0)."""
        step = chunk or CHUNK_SAMPLES
        for start in range(0, self.n, step):
            stop = min(start + step, self.n)
            lo, hi = max(start - reach, 0), min(stop + reach, self.n)
            acc, gyr = self.window(lo, hi)
            yield start, stop, lo, acc, gyr

    def map_chunks(self, compute: Callable[[np.ndarray, np.ndarray], np.ndarray], reach: int = 0,
                   dtype=bool) -> np.ndarray:
        """(N,) the per-sample results of `compute(acc, gyr)` (a function whose value at a
        sample depends on at most `reach` samples on either side), chunk by chunk."""
        out = np.empty(self.n, dtype)
        for start, stop, lo, acc, gyr in self.chunks(reach):
            out[start:stop] = compute(acc, gyr)[start - lo:stop - lo]
        return out

    def gather(self, mask: np.ndarray, signal: str, column: int | None = None) -> np.ndarray:
        """Samples of `signal` ("acc" or "gyr") where `mask` (N,) is True, in order:
        (K, 3), or (K,) of one column."""
        out = np.empty((int(np.count_nonzero(mask)), 3) if column is None else int(np.count_nonzero(mask)))
        filled = 0
        for start, stop, _, acc, gyr in self.chunks():
            keep = mask[start:stop]
            count = int(np.count_nonzero(keep))
            if count:
                values = acc if signal == "acc" else gyr
                out[filled:filled + count] = np.compress(keep, values if column is None else values[:, column], axis=0)
                filled += count
        return out

    def corrected(self, correction) -> "SampleWindows":
        """These signals with a `sensor_correction.SensorCorrection` applied."""
        return _Transformed(self, correction.apply)

    def in_segment_axes(self, rotate: Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]
                        ) -> "SampleWindows":
        """These signals through `rotate(acc, gyr)` (the mounting: `calibration.segment_signals`)."""
        return _Transformed(self, rotate)


class ArrayWindows(SampleWindows):
    """Windows of (N, 3) arrays already on a uniform grid."""

    def __init__(self, acc_mps2: np.ndarray, gyr_rad_s: np.ndarray):
        super().__init__(len(acc_mps2))
        self.acc, self.gyr = np.asarray(acc_mps2, float), np.asarray(gyr_rad_s, float)

    def window(self, start: int, stop: int) -> tuple[np.ndarray, np.ndarray]:
        return self.acc[start:stop], self.gyr[start:stop]



class _KeptGrid(ArrayWindows):
    """A kept grid's arrays, corrected in place and owned by these windows alone
    (`GridWindows.corrected`)."""

    def in_segment_axes(self, rotate: Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]
                        ) -> "ArrayWindows":
        """The arrays through `rotate`, in place chunk by chunk, handed over to the windows
        returned; this object holds nothing afterwards. The mounting works sample by sample,
        so every window holds the numbers rotating it alone gives, and the bends' windows
        (about 500 an hour) are views instead of being rotated one by one, at no memory cost."""
        acc, gyr = self.acc, self.gyr
        for start in range(0, len(acc), CHUNK_SAMPLES):
            stop = min(start + CHUNK_SAMPLES, len(acc))
            acc[start:stop], gyr[start:stop] = rotate(acc[start:stop], gyr[start:stop])
        self.acc = self.gyr = None
        return _KeptGrid(acc, gyr)


class GridWindows(SampleWindows):
    """An irregularly sampled recording on the uniform grid t_s[0] + (first + k) / fs_hz,
    k = 0 .. n - 1, linearly interpolated (as `resampling.resample_uniform`).

    Args:
        t_s: (M,) strictly increasing input times, s; acc_mps2, gyr_rad_s: (M, 3) input
            samples; neither copied nor modified.
        first: grid index of window sample 0 (a guided calibration starts the analysis there).
    """

    def __init__(self, t_s: np.ndarray, acc_mps2: np.ndarray, gyr_rad_s: np.ndarray, fs_hz: float,
                 first: int, n: int):
        super().__init__(n)
        self.t_s, self.acc_in, self.gyr_in = t_s, acc_mps2, gyr_rad_s
        self.fs_hz, self.first = float(fs_hz), int(first)
        self._kept: tuple[np.ndarray, np.ndarray] | None = None
        if n <= MATERIALISE_MAX_SAMPLES:
            acc, gyr = np.empty((n, 3)), np.empty((n, 3))
            for start in range(0, n, CHUNK_SAMPLES):
                stop = min(start + CHUNK_SAMPLES, n)
                acc[start:stop], gyr[start:stop] = self._interpolate(start, stop)
            self._kept = acc, gyr

    def times(self, start: int, stop: int) -> np.ndarray:
        """Grid times of samples [start, stop), s (the same numbers `resample_uniform` makes)."""
        return grid_times(self.t_s[0], self.fs_hz, self.first + start, self.first + stop)

    def window(self, start: int, stop: int) -> tuple[np.ndarray, np.ndarray]:
        if self._kept is not None:
            return self._kept[0][start:stop], self._kept[1][start:stop]
        return self._interpolate(start, stop)

    def corrected(self, correction) -> SampleWindows:
        """These signals with a `sensor_correction.SensorCorrection` applied. A kept grid is
        corrected in place (the same arithmetic as `SensorCorrection.apply`) and handed over;
        this object then interpolates its raw windows again."""
        if self._kept is None:
            return super().corrected(correction)
        acc, gyr = self._kept
        self._kept = None
        acc -= correction.acc_offset_mps2
        acc *= correction.acc_gain
        gyr -= correction.gyro_bias_rad_s
        return _KeptGrid(acc, gyr)

    def flagged(self, flags: np.ndarray) -> np.ndarray:
        """(n,) bool: grid points next to a flagged input sample (`flags` (M,) bool, e.g. a
        clipped channel): the flags interpolated like the signals, then > 0."""
        values = np.asarray(flags, float)
        out = np.empty(self.n, bool)
        for start in range(0, self.n, CHUNK_SAMPLES):
            stop = min(start + CHUNK_SAMPLES, self.n)
            grid, lo, hi = self._span(start, stop)
            out[start:stop] = np.interp(grid, self.t_s[lo:hi], values[lo:hi]) > 0
        return out

    def _span(self, start: int, stop: int) -> tuple[np.ndarray, int, int]:
        grid = self.times(start, stop)
        if len(grid) == 0:
            return grid, 0, 0
        # The input samples around the window: interpolation only uses the two around a point.
        lo = max(int(np.searchsorted(self.t_s, grid[0], side="right")) - 1, 0)
        hi = min(int(np.searchsorted(self.t_s, grid[-1], side="left")) + 1, len(self.t_s))
        return grid, lo, hi

    def _interpolate(self, start: int, stop: int) -> tuple[np.ndarray, np.ndarray]:
        grid, lo, hi = self._span(start, stop)
        t = self.t_s[lo:hi]
        acc, gyr = np.empty((len(grid), 3)), np.empty((len(grid), 3))
        for c in range(3):
            acc[:, c] = np.interp(grid, t, self.acc_in[lo:hi, c])
            gyr[:, c] = np.interp(grid, t, self.gyr_in[lo:hi, c])
        return acc, gyr


class _Transformed(SampleWindows):
    def __init__(self, source: SampleWindows, transform):
        super().__init__(len(source))
        self.source, self.transform = source, transform

    def window(self, start: int, stop: int) -> tuple[np.ndarray, np.ndarray]:
        return self.transform(*self.source.window(start, stop))

    def chunks(self, reach: int = 0, chunk: int | None = None):
        for start, stop, lo, acc, gyr in self.source.chunks(reach, chunk):
            yield (start, stop, lo, *self.transform(acc, gyr))


def reach_samples(fs_hz: float) -> int:
    """REACH_S in samples at `fs_hz`."""
    return int(np.ceil(REACH_S * fs_hz))
