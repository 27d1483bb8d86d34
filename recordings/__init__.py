"""The session format: crash-safe write, read, recover, and bundled example sessions.

A session is a directory (FORMAT.md has the byte layout and the guarantees)::

    session.json      metadata (device, firmware, profile, placement, participant, status, ...)
    raw.log           every BLE value: host time, characteristic, bytes; checksummed records
    samples.bin       decoded samples (t_s, acc m/s^2, gyr rad/s); checksummed blocks
    annotations.tsv   onset_s, duration_s, description (BAD_gap, BAD_reconnect, BAD_saturation)

Public API::

    SessionWriter.create(path, metadata) -> SessionWriter   (append_raw, append_samples,
        annotate, flush, flush_if_due, close; a context manager)
    read_session(path) -> Session
    iter_raw_records(path) -> iterator of RawRecord (stops before a damaged tail; .problem)
    recover_session(path) -> RecoveryReport
    RawSampleDecoder(profile_key, ...)  raw records -> samples on the session timebase
    example_session_path(name) -> Path   bundled examples: EXAMPLES
"""
from pathlib import Path

from ._files import FORMAT_VERSION
from ._rawlog import RawRecord, RawRecordIterator, iter_raw_records
from .decode import DecodedBlock, RawSampleDecoder, decode_raw_records
from .reader import Session, read_metadata, read_session
from .recover import RecoveryReport, recover_session
from .writer import SessionWriter

EXAMPLES = ("hip_led", "spine_led")


def example_session_path(name: str) -> Path:
    """Directory of a bundled example session (``EXAMPLES``), made with the simulated sensor."""
    if name not in EXAMPLES:
        raise KeyError(f"no example session {name!r}; known: {', '.join(EXAMPLES)}")
    return Path(__file__).resolve().parent / "examples" / name


__all__ = ["FORMAT_VERSION", "SessionWriter", "Session", "read_session", "read_metadata", "RawRecord",
           "RawRecordIterator", "iter_raw_records", "recover_session", "RecoveryReport", "RawSampleDecoder",
           "DecodedBlock", "decode_raw_records", "EXAMPLES", "example_session_path"]
