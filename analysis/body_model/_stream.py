"""The body model as an endless stream of sensor samples, for simulated devices.

A simulated sensor asks for samples k0 .. k0+n at its configured rate; consecutive
body-model sessions (quiet standing, bends, pauses) are generated as needed, or, for one
set (``one_set``), the first session is followed by quiet standing for as long as asked.
"""
from __future__ import annotations

import numpy as np

from ._session import SessionSpec, simulate_session


class BodyModelStream:
    """Samples k = 0, 1, 2, ... at ``rate_hz`` from consecutive body-model sessions.

    Attributes after `get`: acc (n, 3) m/s^2 and gyr (n, 3) rad/s in sensor axes.
    """

    def __init__(self, rate_hz: float, seed: int = 0, placement: str = "sacrum", bends_per_chunk: int = 6,
                 guided_calibration: bool = False, one_set: bool = False):
        self.rate_hz, self.seed, self.placement, self.bends = float(rate_hz), seed, placement, bends_per_chunk
        # After the first session the person stands: its last second (still, with the
        # sensor's noise) repeated, so samples read after the set's end hold no bend.
        self.one_set = one_set
        # The first session starts with the guided calibration of `hinge live`.
        self.guided_calibration = guided_calibration
        self._acc = np.zeros((0, 3))
        self._gyr = np.zeros((0, 3))
        self._chunks = 0

    def _extend(self) -> None:
        if self.one_set and self._chunks:
            second = max(1, int(self.rate_hz))
            self._acc = np.vstack([self._acc, self._acc[self._first_n - second:self._first_n]])
            self._gyr = np.vstack([self._gyr, self._gyr[self._first_n - second:self._first_n]])
            return
        s = simulate_session(SessionSpec(n_bends=self.bends, seed=self.seed + self._chunks, fs_hz=self.rate_hz,
                                         placement=self.placement, loss_rate=0.0,
                                         guided_calibration=self.guided_calibration and self._chunks == 0))
        if self._chunks == 0:
            self._first_n = len(s.acc_mps2)
        self._chunks += 1
        self._acc = np.vstack([self._acc, s.acc_mps2])
        self._gyr = np.vstack([self._gyr, s.gyr_rad_s])

    def get(self, k0: int, n: int) -> tuple[np.ndarray, np.ndarray]:
        """Specific force (n, 3) m/s^2 and angular rate (n, 3) rad/s of samples k0 .. k0+n-1."""
        while self._acc.shape[0] < k0 + n:
            self._extend()
        return self._acc[k0:k0 + n], self._gyr[k0:k0 + n]

    def first_session_s(self) -> float:
        """Duration of the first simulated session (its set of bends), s on the sensor clock."""
        if self._chunks == 0:
            self._extend()
        return self._first_n / self.rate_hz
