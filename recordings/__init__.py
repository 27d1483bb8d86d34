"""Everything on disk: the session format (crash-safe write, read, recover), BIDS-Motion,
the CSV interchange format, and one checked way to load any of them for analysis.

A session is a directory (FORMAT.md has the byte layout and the guarantees)::

    session.json      metadata (device, firmware, profile, placement, participant, status, ...)
    raw.log           every BLE value: host time, characteristic, bytes; checksummed records
    samples.bin       decoded samples (t_s, acc m/s^2, gyr rad/s); checksummed blocks
    annotations.tsv   onset_s, duration_s, description (BAD_gap, BAD_reconnect, BAD_saturation)

Public API::

    load_recording(path, acc_unit, gyro_unit, placement) -> LoadedRecording
        CSV file, "-" (standard input), pipe or FIFO, session directory or BIDS *_motion.tsv,
        checked by `validation` (one set of limits for every format)
    read_imu_csv(path, acc_unit, gyro_unit) -> ImuRecording      (the lower sensor)
    read_csv_sensors(path, acc_unit, gyro_unit) -> CsvSensors    (lower, upper or None, upper_placement)
    pair_rows(t_s, lower, upper_t_s, upper) -> (R, 13) rows; write_pair_csv(path, rows, upper_site)
        the two-sensor CSV (csv_write; empty cells where a sensor has no sample)
    SessionWriter.create(path, metadata) -> SessionWriter   (append_raw, append_samples,
        annotate, flush, flush_if_due, close; a context manager)
    read_session(path) -> Session
    iter_raw_records(path) -> iterator of RawRecord (stops before a damaged tail; .problem)
    recover_session(path) -> RecoveryReport
    RawSampleDecoder(profile_key, ...)  raw records -> samples on the session timebase
    PairWriter.create(path, metadata, [(site, metadata), ...]) -> PairWriter   two sensors, one
        SessionWriter each (.writers[site]) plus shared annotations on the shared time base
    read_pair(path) -> PairSession   both sensors on one time base (load_recording fills
        LoadedRecording.upper from it); recover_session of a two-sensor session recovers each
    example_session_path(name) -> Path   bundled examples: EXAMPLES

Names are imported on first use (PEP 562), so that `hinge.recordings.placements` stays
as light as the command line's `--help` needs.
"""
from __future__ import annotations

import importlib
from pathlib import Path

EXAMPLES = ("hip_led", "spine_led")

# Public name -> the submodule that defines it.
_HOMES = {
    "FORMAT_VERSION": "._files",
    "CALIBRATION_ANNOTATION": "._annotations",
    "RawRecord": "._rawlog", "RawRecordIterator": "._rawlog", "iter_raw_records": "._rawlog",
    "DecodedBlock": ".decode", "RawSampleDecoder": ".decode", "decode_raw_records": ".decode",
    "Session": ".reader", "read_metadata": ".reader", "read_session": ".reader",
    "RecoveryReport": ".recover", "recover_session": ".recover",
    "SessionWriter": ".writer",
    "ImuRecording": ".recording", "LoadedRecording": ".recording",
    "read_imu_csv": ".csv_read", "read_csv_sensors": ".csv_read", "CsvSensors": ".csv_read",
    "read_stream": ".csv_read",
    "pair_rows": ".csv_write", "write_pair_csv": ".csv_write",
    "load_recording": ".load",
    "PairWriter": ".pair", "PairSession": ".pair", "read_pair": ".pair", "recover_pair": ".pair",
    "is_pair_session": ".pair",
}


def example_session_path(name: str) -> Path:
    """Directory of a bundled example session (``EXAMPLES``), made with the simulated sensor."""
    if name not in EXAMPLES:
        raise KeyError(f"no example session {name!r}; known: {', '.join(EXAMPLES)}")
    return Path(__file__).resolve().parent / "examples" / name


def __getattr__(name: str):
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(home, __name__), name)
    globals()[name] = value
    return value


__all__ = [*_HOMES, "EXAMPLES", "example_session_path"]
