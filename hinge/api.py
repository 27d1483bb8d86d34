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

__all__ = ["analyse_file", "analyse_loaded", "analyse_pair_loaded", "analyse_with_pair", "analysis_params"]


def analyse_file(
    path: str | Path, placement: str | None = None, acc_unit: str = "m/s2", gyro_unit: str = "rad/s",
    height_m: float | None = None,
) -> AnalysisResult:
    """Read a recording (CSV file, session directory or BIDS *_motion.tsv, see README "Input")
    and analyse it.

    ``placement`` None: the recording's own metadata, else sacrum. ``acc_unit``,
    ``gyro_unit``: a CSV's units, any spelling of `hinge.recordings.units` ("m/s^2", "g",
    "deg/s", "dps", ...). ``height_m``: body height, m (None: the session's stored one,
    else the population default of `AnalysisParams`).

    Raises:
        HingeInputError: the file is missing, malformed or in the wrong units (one line).
    """
    return analyse_loaded(load_recording(path, acc_unit=acc_unit, gyro_unit=gyro_unit, placement=placement),
                          height_m=height_m)


def analysis_params(loaded: LoadedRecording, placement: str | None = None, height_m: float | None = None):
    """The `AnalysisParams` a recording is analysed with: the placement preset at
    ``placement`` (else the recording's), scaled to ``height_m`` (m; else the height stored
    with the recording, else the population default). `hinge live` builds its own the same way."""
    from hinge.analysis.params import params_for_placement

    height_m = height_m if height_m is not None else loaded.height_m
    extra = {} if height_m is None else {"height_m": float(height_m)}
    return params_for_placement(placement or loaded.placement, **extra)


def analyse_loaded(loaded: LoadedRecording, placement: str | None = None,
                   height_m: float | None = None) -> AnalysisResult:
    """Run the offline pipeline on a loaded recording, at ``placement`` if given, else at
    the recording's (`LoadedRecording.placement`), for a body of ``height_m`` if given, else
    of the recording's stored height, else of the population default (`analysis_params`).

    Returns the `AnalysisResult` with the reader's warnings put first.
    """
    from hinge.analysis import pipeline

    recording = loaded.recording
    # A `hinge live` session (or its BIDS export) is analysed from its guided calibration, as
    # the live view was. Only passed when there is one, so that stand-ins for `analyse`
    # without it still work.
    window = loaded.calibration_window_s
    extra = {} if window is None else {"calibration_window_s": window}
    params = analysis_params(loaded, placement, height_m)
    result = pipeline.analyse(recording.t_s, recording.acc_mps2, recording.gyr_rad_s, fs_hz=recording.fs_hz,
                              placement=params.placement, saturated=recording.saturated, params=params, **extra)
    result.warnings[:0] = list(recording.warnings)
    return result


def analyse_pair_loaded(loaded: LoadedRecording, placement: str | None = None, height_m: float | None = None):
    """The two-sensor analysis (`hinge.analysis.two_sensor.analyse_pair`) of a loaded
    recording with an upper sensor, as `analyse_loaded` runs the one-sensor one: its
    ``sacral`` result is exactly `analyse_loaded`'s, with the reader's warnings put first;
    the upper sensor's reader warnings lead the pair's own. None for one sensor.

    Raises:
        HingeInputError: the two sensors cannot be analysed as a pair (e.g. they do not
            overlap in time), one line naming the recording.
    """
    if loaded.upper is None:
        return None
    from hinge.analysis.two_sensor import PairInputError, analyse_pair
    from hinge.errors import HingeInputError

    recording, upper = loaded.recording, loaded.upper
    window = loaded.calibration_window_s
    params = analysis_params(loaded, placement, height_m)
    try:
        result = analyse_pair(recording.t_s, recording.acc_mps2, recording.gyr_rad_s, upper.t_s, upper.acc_mps2,
                              upper.gyr_rad_s, placement=params.placement, upper_placement=loaded.upper_placement,
                              fs_hz=recording.fs_hz, saturated=recording.saturated, params=params,
                              calibration_window_s=window, upper_saturated=upper.saturated)
    except PairInputError as error:
        raise HingeInputError(f"{loaded.path}: {error}") from None
    result.sacral.warnings[:0] = list(recording.warnings)
    result.warnings[:0] = list(upper.warnings)
    return result


def analyse_with_pair(loaded: LoadedRecording, placement: str | None = None, height_m: float | None = None):
    """A recording of one sensor or two, as `hinge analyse`, `hinge batch` and `hinge report`
    take it: (the one-sensor `AnalysisResult`, the two-sensor `PairResult` or None). With an
    upper sensor the one-sensor result is the pair's ``sacral`` (`analyse_pair_loaded`), else
    `analyse_loaded`'s.

    Raises:
        HingeInputError: as `analyse_loaded` and `analyse_pair_loaded` (one line).
    """
    pair = analyse_pair_loaded(loaded, placement, height_m)
    return (pair.sacral if pair is not None else analyse_loaded(loaded, placement, height_m)), pair
