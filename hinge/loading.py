"""One entry point for every recording format the analysis reads.

`load_recording` looks at a path and reads it as a plain CSV file, a recorded session
directory or a BIDS-Motion ``*_motion.tsv`` (the list grows with the formats hinge
reads), checked the same way; the command line, the public API, reports and batch runs
all go through it, so a format is recognised identically everywhere.
"""
from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path

from hinge.errors import HingeInputError
from hinge.inputs import ImuRecording

__all__ = ["LoadedRecording", "load_recording", "analyse_loaded"]

DEFAULT_PLACEMENT = "sacrum"


@dataclass
class LoadedRecording:
    """A checked recording and what is known about where it came from.

    ``kind``: "csv", "session" or "bids"; ``placement``: from the file's metadata or None;
    ``sha256``: digest of the sample data; ``metadata``: the format's own metadata (dict).
    """

    path: Path
    kind: str
    recording: ImuRecording
    placement: str | None
    sha256: str
    metadata: dict = field(default_factory=dict)


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def load_recording(path: str | os.PathLike, acc_unit: str = "m/s2", gyro_unit: str = "rad/s") -> LoadedRecording:
    """Read and check a recording at ``path`` (CSV file, session directory, or BIDS-Motion
    ``*_motion.tsv``, whose units and time come from its ``_channels.tsv`` and ``_motion.json``).

    Raises:
        HingeInputError: one line naming the file and the problem.
    """
    path = Path(path)
    from hinge.bids_input import is_bids_motion

    if is_bids_motion(path):
        if acc_unit != "m/s2" or gyro_unit != "rad/s":
            raise HingeInputError(f"{path}: a BIDS recording declares its units in the _channels.tsv; "
                                  "drop --acc-unit/--gyro-unit")
        from hinge.bids_input import bids_recording

        recording, placement, digest, metadata = bids_recording(path)
        return LoadedRecording(path, "bids", recording, placement, digest, metadata)
    if path.is_dir() and not (path / "session.json").exists() and any(path.rglob("*_motion.tsv")):
        found = sorted(p.name for p in path.rglob("*_motion.tsv"))
        raise HingeInputError(f"{path}: is a BIDS folder, not a session; pass one *_motion.tsv file "
                              f"(found {len(found)}: {', '.join(found[:3])}{', ...' if len(found) > 3 else ''})")
    if path.is_dir():
        if acc_unit != "m/s2" or gyro_unit != "rad/s":
            raise HingeInputError(f"{path}: a session is stored in m/s^2 and rad/s; drop --acc-unit/--gyro-unit")
        from hinge.session_input import session_recording

        recording, placement, digest, metadata = session_recording(path)
        return LoadedRecording(path, "session", recording, placement, digest, metadata)
    from hinge.inputs import read_imu_csv, read_stream

    # Standard input ("-"), a pipe or a FIFO is read once, into memory.
    data = read_stream(path, str(path))
    recording = read_imu_csv(path, acc_unit=acc_unit, gyro_unit=gyro_unit, data=data)
    digest = hashlib.sha256(data).hexdigest() if data is not None else _file_sha256(path)
    return LoadedRecording(path, "csv", recording, None, digest)


def analyse_loaded(loaded: LoadedRecording, placement: str | None = None):
    """Run the offline pipeline on a loaded recording; placement: explicit > metadata > sacrum.

    Returns the `AnalysisResult` with the reader's warnings put first.
    """
    from hinge.analysis.pipeline import analyse

    recording = loaded.recording
    window = None
    if loaded.kind == "session":
        # A `hinge live` session: analyse from its guided calibration, as the live view did.
        from hinge.live_session import session_calibration_window

        window = session_calibration_window(loaded.path)
    elif loaded.kind == "bids":
        # The same, for a live session exported to BIDS (its calibration is an event).
        from hinge.bids_input import bids_calibration_window

        window = bids_calibration_window(loaded.path)
    # Only passed when there is one, so that stand-ins for `analyse` without it still work.
    extra = {} if window is None else {"calibration_window_s": window}
    result = analyse(recording.t_s, recording.acc_mps2, recording.gyr_rad_s, fs_hz=recording.fs_hz,
                     placement=placement or loaded.placement or DEFAULT_PLACEMENT, saturated=recording.saturated,
                     **extra)
    result.warnings[:0] = list(recording.warnings)
    return result
