"""The small public API: analyse a recording in one call.

    >>> import hinge
    >>> result = hinge.analyse_file("session.csv", placement="sacrum")
    >>> result.bends[["start_s", "label", "score", "lumbar_share"]]

Reading and checking is `hinge.recordings.load_recording`'s; the numerics are
`hinge.analysis.pipeline.analyse`'s; this module joins the two.

Native thread pools are the caller's: the command line runs one BLAS thread, which is
several times faster for hinge's small matrices; set ``OPENBLAS_NUM_THREADS=1`` before
importing numpy, or call inside ``threadpoolctl.threadpool_limits(1)`` (hinge.threads).
"""
from __future__ import annotations

from pathlib import Path

from hinge.analysis.pipeline import AnalysisResult
from hinge.recordings.load import load_recording
from hinge.recordings.recording import LoadedRecording

__all__ = ["analyse_file", "analyse_loaded"]


def analyse_file(
    path: str | Path, placement: str | None = None, acc_unit: str = "m/s2", gyro_unit: str = "rad/s"
) -> AnalysisResult:
    """Read a recording (CSV file, session directory or BIDS *_motion.tsv, see README "Input")
    and analyse it.

    ``placement`` None: the recording's own metadata, else sacrum.

    Raises:
        HingeInputError: the file is missing, malformed or in the wrong units (one line).
    """
    return analyse_loaded(load_recording(path, acc_unit=acc_unit, gyro_unit=gyro_unit, placement=placement))


def analyse_loaded(loaded: LoadedRecording, placement: str | None = None) -> AnalysisResult:
    """Run the offline pipeline on a loaded recording, at ``placement`` if given, else at
    the recording's (`LoadedRecording.placement`).

    Returns the `AnalysisResult` with the reader's warnings put first.
    """
    from hinge.analysis import pipeline

    recording = loaded.recording
    # A `hinge live` session (or its BIDS export) is analysed from its guided calibration, as
    # the live view was. Only passed when there is one, so that stand-ins for `analyse`
    # without it still work.
    window = loaded.calibration_window_s
    extra = {} if window is None else {"calibration_window_s": window}
    result = pipeline.analyse(recording.t_s, recording.acc_mps2, recording.gyr_rad_s, fs_hz=recording.fs_hz,
                              placement=placement or loaded.placement, saturated=recording.saturated, **extra)
    result.warnings[:0] = list(recording.warnings)
    return result
