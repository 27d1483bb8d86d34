"""The small public API: analyse a recording file in one call.

    >>> import hinge
    >>> result = hinge.analyse_file("session.csv", placement="sacrum")
    >>> result.bends[["start_s", "label", "score", "lumbar_share"]]

Native thread pools are the caller's: the command line runs one BLAS thread, which is
several times faster for hinge's small matrices; set ``OPENBLAS_NUM_THREADS=1`` before
importing numpy, or call inside ``threadpoolctl.threadpool_limits(1)`` (hinge.threads).
"""
from __future__ import annotations

from pathlib import Path

from hinge.analysis.pipeline import AnalysisResult
from hinge.loading import analyse_loaded, load_recording


def analyse_file(
    path: str | Path, placement: str | None = None, acc_unit: str = "m/s2", gyro_unit: str = "rad/s"
) -> AnalysisResult:
    """Read a recording (CSV file or session directory, see README "Input") and analyse it.

    ``placement`` None: the recording's own metadata, else sacrum.

    Raises:
        HingeInputError: the file is missing, malformed or in the wrong units (one line).
    """
    return analyse_loaded(load_recording(path, acc_unit=acc_unit, gyro_unit=gyro_unit), placement)
