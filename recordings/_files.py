"""File names of a session directory and small I/O helpers (atomic JSON, fsync)."""
from __future__ import annotations

import json
import os
from pathlib import Path

__all__ = ["METADATA", "RAW", "SAMPLES", "ANNOTATIONS", "FORMAT_NAME", "FORMAT_VERSION", "SENSORS_KEY",
           "write_json_atomic", "fsync_dir", "lock_for_writing", "is_locked"]

METADATA = "session.json"
RAW = "raw.log"
SAMPLES = "samples.bin"
ANNOTATIONS = "annotations.tsv"
FORMAT_NAME = "hinge-session"
FORMAT_VERSION = 1
# session.json of a two-sensor session (FORMAT.md, "Two sensors"): the sensors' sites and folders.
SENSORS_KEY = "sensors"


def lock_for_writing(handle) -> None:
    """Hold an exclusive advisory lock on an open file for as long as it is open.

    The kernel drops the lock when the process dies (even by SIGKILL), so `is_locked`
    tells a live recorder from an interrupted one. No-op where fcntl is missing.
    """
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        return
    fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)


def is_locked(path: Path) -> bool:
    """True when another open handle holds the `lock_for_writing` lock on ``path``."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        return False
    try:
        with open(path, "rb") as handle:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return True
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
    except OSError:
        return False
    return False


def fsync_dir(path: Path) -> None:
    """Make a rename or a new file in ``path`` durable (no-op where unsupported)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def write_bytes_atomic(path: Path, data: bytes) -> None:
    """Write to ``path.tmp``, fsync, rename over ``path``: readers see old or new, never half."""
    tmp = path.with_name(path.name + ".tmp")
    try:
        with open(tmp, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        # A full disk must not leave a half (or empty) temporary file behind.
        tmp.unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)


def write_json_atomic(path: Path, document: dict) -> None:
    write_bytes_atomic(path, (json.dumps(document, indent=2, allow_nan=False) + "\n").encode("utf-8"))
