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

__all__ = ["AnalysingSink"]


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
