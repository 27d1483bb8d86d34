"""The small public API: analyse a recording file in one call.

    >>> import hinge
    >>> result = hinge.analyse_file("session.csv", placement="sacrum")
    >>> result.bends[["start_s", "label", "score", "lumbar_share"]]
"""
from __future__ import annotations

from pathlib import Path

from hinge.analysis.pipeline import AnalysisResult, analyse
from hinge.inputs import read_imu_csv


def analyse_file(
    path: str | Path, placement: str = "sacrum", acc_unit: str = "m/s2", gyro_unit: str = "rad/s"
) -> AnalysisResult:
    """Read a CSV recording (see README, "Input") and analyse it.

    Raises:
        HingeInputError: the file is missing, malformed or in the wrong units (one line).
    """
    recording = read_imu_csv(path, acc_unit=acc_unit, gyro_unit=gyro_unit)
    result = analyse(recording.t_s, recording.acc_mps2, recording.gyr_rad_s, fs_hz=recording.fs_hz,
                     placement=placement, saturated=recording.saturated)
    result.warnings[:0] = list(recording.warnings)
    return result
