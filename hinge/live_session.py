"""What `hinge live` adds to a recorded session.

* `AnalysingSink` wraps the session writer: every call goes to the writer first, then
  appended samples go to the live analysis, whose failure can never stop or lose the
  recording (the writer has already taken the samples; the error is reported once and
  the analysis stops, the recording goes on).
* The guided calibration's stretch is stored as an annotation ``calibration``
  (`hinge.recordings.CALIBRATION_ANNOTATION`: onset_s, duration_s on the samples'
  timebase), written the moment it is found (`hinge.live`). `load_recording` reads it with
  the session's other annotations, so that `hinge analyse` of the session (and the
  report) starts the analysis there and takes the mounting from the same samples: the
  live verdicts and the offline ones agree.
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

__all__ = ["AnalysingSink", "UpperBuffer"]

# Upper-sensor samples kept while they wait for both clock fits (the first seconds), at most,
# s of its clock: the longest movement the streaming analysis holds (120 s) plus margin.
UPPER_BUFFER_S = 150.0


class AnalysingSink:
    """A session sink (append_raw, append_samples, annotate) that also feeds `on_samples`.

    `on_samples(t_s, acc_mps2, gyr_rad_s)` runs after the writer has the samples; an
    exception in it is passed once to `on_error(exception)` and the analysis is not
    called again.
    """

    def __init__(self, writer, on_samples: Callable, on_error: Callable[[BaseException], None]):
        self.writer, self.on_samples, self.on_error = writer, on_samples, on_error
        self.analysing = True

    def append_raw(self, host_ns: int, characteristic: str, payload: bytes, kind: str = "notify") -> Any:
        return self.writer.append_raw(host_ns, characteristic, payload, kind)

    def append_samples(self, t_s, acc_mps2, gyr_rad_s) -> Any:
        result = self.writer.append_samples(t_s, acc_mps2, gyr_rad_s)
        if self.analysing:
            try:
                # Half-empty samples (a lost frame of one stream) are gaps to the analysis,
                # exactly as `hinge analyse` of the session treats them.
                complete = np.isfinite(acc_mps2).all(axis=1) & np.isfinite(gyr_rad_s).all(axis=1)
                if not complete.all():
                    t_s, acc_mps2, gyr_rad_s = (np.asarray(t_s)[complete], np.asarray(acc_mps2)[complete],
                                                np.asarray(gyr_rad_s)[complete])
                if len(t_s):
                    self.on_samples(t_s, acc_mps2, gyr_rad_s)
            except Exception as error:  # noqa: BLE001 - the recording must go on whatever the analysis does
                self.analysing = False
                self.on_error(error)
        return result

    def annotate(self, onset_s: float, duration_s: float, description: str) -> Any:
        return self.writer.annotate(onset_s, duration_s, description)

    def __getattr__(self, name: str) -> Any:  # flush, flush_if_due, path, metadata, ...
        return getattr(self.writer, name)


class UpperBuffer:
    """The upper sensor's session sink: every call goes to its writer; appended samples are
    also kept until `take` hands them on to the two-sensor verdict (at most the last
    `UPPER_BUFFER_S` of its clock while they wait).

    ``take()`` -> (t_s (N,) on the sensor's own clock, s; acc (N, 3) m/s^2; gyr (N, 3) rad/s),
    the samples appended since the last ``take``, oldest first.
    """

    def __init__(self, writer):
        self.writer = writer
        self._t: list[np.ndarray] = []
        self._acc: list[np.ndarray] = []
        self._gyr: list[np.ndarray] = []

    def append_samples(self, t_s, acc_mps2, gyr_rad_s) -> Any:
        # The writer refuses times that do not increase past its last one, so what is kept
        # here always follows what was taken before.
        result = self.writer.append_samples(t_s, acc_mps2, gyr_rad_s)
        if len(t_s):
            self._t.append(np.asarray(t_s, float))
            self._acc.append(np.asarray(acc_mps2, float))
            self._gyr.append(np.asarray(gyr_rad_s, float))
            while len(self._t) > 1 and self._t[-1][-1] - self._t[1][0] > UPPER_BUFFER_S:
                del self._t[0], self._acc[0], self._gyr[0]
        return result

    def take(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        if not self._t:
            return np.zeros(0), np.zeros((0, 3)), np.zeros((0, 3))
        taken = np.concatenate(self._t), np.vstack(self._acc), np.vstack(self._gyr)
        self._t, self._acc, self._gyr = [], [], []
        return taken

    def __getattr__(self, name: str) -> Any:  # append_raw, annotate, flush, flush_if_due, path, metadata, ...
        return getattr(self.writer, name)
