"""`SessionWriter`: append raw notifications, decoded samples and annotations crash-safely.

Guarantees (see FORMAT.md): every append is one framed, checksummed record (or one
newline-terminated annotation line) written with a single ``write``. Appends flush the
Python buffers to the OS when the last flush is older than ``flush_interval_s`` (0.5 s),
and a flush calls ``os.fsync`` when the last fsync is older than ``fsync_interval_s``
(1 s). So a killed process loses at most the last ``flush_interval_s`` (+ one append),
a power loss at most the last ``fsync_interval_s``; a half-written tail is detected by its
length and CRC and cut by `recover_session`. A recorder loop that may sit idle (no
notifications) should call `flush_if_due` every few hundred ms.
"""
from __future__ import annotations

import os
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from hinge import __version__
from hinge.errors import HingeInputError

from ._annotations import ANNOTATIONS_HEADER, format_annotation
from ._files import (ANNOTATIONS, FORMAT_NAME, FORMAT_VERSION, METADATA, RAW, SAMPLES, fsync_dir, lock_for_writing,
                     write_json_atomic)
from ._rawlog import RAW_SIGNATURE, encode_raw_record
from ._samplesfile import SAMPLES_SIGNATURE, encode_sample_blocks

__all__ = ["SessionWriter", "utc_now"]


def utc_now() -> str:
    """Current UTC time, ISO 8601 to the second."""
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


class SessionWriter:
    """Writes one session directory. Create with `SessionWriter.create(path, metadata)`.

    Not thread-safe: call it from one task (the decoder/writer task of the recorder).
    """

    def __init__(self, path: Path, metadata: dict, handles: dict, *, flush_interval_s: float,
                 fsync_interval_s: float, clock):
        self.path = path
        self.metadata = metadata
        self._raw, self._samples, self._annotations = handles["raw"], handles["samples"], handles["annotations"]
        self.flush_interval_s = float(flush_interval_s)
        self.fsync_interval_s = float(fsync_interval_s)
        self._clock = clock
        self._last_flush = self._last_fsync = clock()
        self._dirty = False
        self.n_raw_records = 0
        self.n_samples = 0
        self.n_annotations = 0
        self.first_t_s: float | None = None
        self.last_t_s: float | None = None
        self.closed = False

    # ------------------------------------------------------------------ creation
    @classmethod
    def create(cls, path, metadata: dict | None = None, *, flush_interval_s: float = 0.5,
               fsync_interval_s: float = 1.0, clock=time.monotonic) -> "SessionWriter":
        """Create the session directory ``path`` (its parent must exist) and open its files.

        ``metadata`` holds what the caller knows (device, firmware, profile, placement,
        participant, nominal_rate_hz, ...; see FORMAT.md). The writer adds format,
        format_version, hinge_version, created_utc (unless given), status "recording" and
        the flush settings. Raises HingeInputError if ``path`` exists and is not an empty
        directory, or its parent is missing.
        """
        path = Path(path)
        if not path.parent.is_dir():
            raise HingeInputError(f"{path}: directory '{path.parent}' does not exist; create it first")
        if path.exists() and (not path.is_dir() or any(path.iterdir())):
            raise HingeInputError(f"{path}: already exists and is not an empty directory; choose a new session path")
        if flush_interval_s <= 0 or fsync_interval_s <= 0:
            raise ValueError("flush_interval_s and fsync_interval_s must be > 0")
        path.mkdir(exist_ok=True)
        meta = dict(metadata or {})
        meta.update({"format": FORMAT_NAME, "format_version": FORMAT_VERSION, "hinge_version": __version__})
        meta.setdefault("created_utc", utc_now())
        meta.update({"status": "recording", "flush_interval_s": flush_interval_s,
                     "fsync_interval_s": fsync_interval_s})
        write_json_atomic(path / METADATA, meta)
        handles = {}
        for key, name, head in (("raw", RAW, RAW_SIGNATURE), ("samples", SAMPLES, SAMPLES_SIGNATURE),
                                ("annotations", ANNOTATIONS, ANNOTATIONS_HEADER.encode())):
            handle = open(path / name, "xb")
            if key == "raw":
                lock_for_writing(handle)  # held until close or death: recovery refuses a live session
            handle.write(head)
            handle.flush()
            os.fsync(handle.fileno())
            handles[key] = handle
        fsync_dir(path)
        return cls(path, meta, handles, flush_interval_s=flush_interval_s, fsync_interval_s=fsync_interval_s,
                   clock=clock)

    # ------------------------------------------------------------------ appends
    def _check_open(self) -> None:
        if self.closed:
            raise ValueError(f"{self.path}: session writer is closed")

    def append_raw(self, host_ns: int, characteristic: str, payload: bytes, kind: str = "notify") -> None:
        """Log one BLE value: host monotonic time (ns), characteristic UUID, bytes.

        ``kind`` is "notify" (notifications and indications), "read" or "write".
        """
        self._check_open()
        self._raw.write(encode_raw_record(int(host_ns), characteristic.lower(), bytes(payload), kind))
        self.n_raw_records += 1
        self._dirty = True
        self.flush_if_due()

    def append_samples(self, t_s, acc_mps2, gyr_rad_s) -> None:
        """Append n decoded samples: t_s (n,) s, strictly increasing and after the last
        sample; acc_mps2 (n, 3) m/s^2; gyr_rad_s (n, 3) rad/s. Raises ValueError otherwise."""
        self._check_open()
        t = np.asarray(t_s, dtype=np.float64).reshape(-1)
        acc = np.asarray(acc_mps2, dtype=np.float64)
        gyr = np.asarray(gyr_rad_s, dtype=np.float64)
        n = t.size
        if n == 0:
            return
        if acc.shape != (n, 3) or gyr.shape != (n, 3):
            raise ValueError(f"samples: t_s ({n},) needs acc_mps2 and gyr_rad_s of shape ({n}, 3), "
                             f"got {acc.shape} and {gyr.shape}")
        if not (np.isfinite(t).all()):
            raise ValueError("samples: t_s must be finite")
        if n > 1 and np.any(np.diff(t) <= 0):
            raise ValueError("samples: t_s must increase strictly")
        if self.last_t_s is not None and t[0] <= self.last_t_s:
            raise ValueError(f"samples: t_s {t[0]:.6f} s is not after the last written sample ({self.last_t_s:.6f} s)")
        self._samples.write(encode_sample_blocks(t, acc, gyr))
        self.n_samples += n
        if self.first_t_s is None:
            self.first_t_s = float(t[0])
        self.last_t_s = float(t[-1])
        self._dirty = True
        self.flush_if_due()

    def annotate(self, onset_s: float, duration_s: float, description: str) -> None:
        """Add an annotation (onset and duration in s on the samples' timebase), e.g. BAD_gap."""
        self._check_open()
        self._annotations.write(format_annotation(onset_s, duration_s, description).encode("utf-8"))
        self.n_annotations += 1
        self._dirty = True
        self.flush_if_due()

    # ------------------------------------------------------------------ flushing
    def flush_if_due(self) -> bool:
        """Flush when the last flush is older than ``flush_interval_s``; True if it flushed."""
        if self._dirty and self._clock() - self._last_flush >= self.flush_interval_s:
            self.flush()
            return True
        return False

    def flush(self, fsync: bool | None = None) -> None:
        """Hand buffered bytes to the OS; fsync too when due (or when ``fsync`` is True)."""
        self._check_open()
        for handle in (self._raw, self._samples, self._annotations):
            handle.flush()
        now = self._clock()
        self._last_flush = now
        self._dirty = False
        if fsync or (fsync is None and now - self._last_fsync >= self.fsync_interval_s):
            for handle in (self._raw, self._samples, self._annotations):
                os.fsync(handle.fileno())
            self._last_fsync = now

    def close(self) -> None:
        """Flush, fsync, close the files and mark the session closed in session.json."""
        if self.closed:
            return
        try:
            self.flush(fsync=True)
        finally:
            # Closed whatever happens (a full disk): the files stay as far as they got, the
            # session stays "recording" for `hinge recover`, and no second error hides the first.
            for handle in (self._raw, self._samples, self._annotations):
                try:
                    handle.close()
                except OSError:
                    pass
            self.closed = True
        self.metadata.update({
            "status": "closed", "closed_utc": utc_now(), "n_samples": self.n_samples,
            "n_raw_records": self.n_raw_records, "n_annotations": self.n_annotations,
            "first_t_s": self.first_t_s, "last_t_s": self.last_t_s,
        })
        write_json_atomic(self.path / METADATA, self.metadata)

    def __enter__(self) -> "SessionWriter":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
