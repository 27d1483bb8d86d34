"""An in-memory `SessionSink` for the imu tests (same methods as `hinge.recordings.SessionWriter`)."""
from __future__ import annotations

import numpy as np


class MemorySink:
    def __init__(self):
        self.raw: list[tuple[int, str, bytes, str]] = []
        self._t, self._acc, self._gyr = [], [], []
        self.annotations: list[tuple[float, float, str]] = []
        self.last_t = -np.inf

    def append_raw(self, host_ns, characteristic, payload, kind="notify"):
        self.raw.append((int(host_ns), characteristic, bytes(payload), kind))

    def append_samples(self, t_s, acc_mps2, gyr_rad_s):
        t = np.asarray(t_s, dtype=float)
        assert t.size and t[0] > self.last_t and np.all(np.diff(t) > 0), "times must increase strictly"
        self.last_t = t[-1]
        self._t.append(t)
        self._acc.append(np.asarray(acc_mps2, dtype=float))
        self._gyr.append(np.asarray(gyr_rad_s, dtype=float))

    def annotate(self, onset_s, duration_s, description):
        self.annotations.append((float(onset_s), float(duration_s), description))

    @property
    def t_s(self):
        return np.concatenate(self._t) if self._t else np.zeros(0)

    @property
    def acc_mps2(self):
        return np.vstack(self._acc) if self._acc else np.zeros((0, 3))

    @property
    def gyr_rad_s(self):
        return np.vstack(self._gyr) if self._gyr else np.zeros((0, 3))
