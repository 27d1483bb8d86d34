"""Two-sensor sessions: one session directory, one complete one-sensor session per sensor.

Layout (FORMAT.md, "Two sensors")::

    2026-12-01_1000/
      session.json     {"format": "hinge-session", "format_version": 1,
                        "sensors": [{"site": "sacrum", "dir": "sacrum"}, {"site": "T12", "dir": "T12"}],
                        "time_origin_host_s": ..., participant, created_utc, status, ...}
      annotations.tsv  shared annotations (the guided calibration), onsets on the shared time base
      sacrum/          a complete v1 session (session.json, raw.log, samples.bin, annotations.tsv)
      T12/             a complete v1 session

Each sensor has its own `SessionWriter` (its own raw log, samples, flushing and lock), so a
crash costs each at most its last second, and `hinge recover` repairs each alone. The
**shared time base** is the host monotonic clock through each sensor's own clock fit
(``acquisition.clock_fit``: host_s = host_offset_s + scale * t_s) minus one common origin,
``time_origin_host_s`` (the host monotonic time, s, when the session was created; for simulated sensors run ``time_speed``
times faster than real time, that many times the host seconds): so both sensors' samples
are in s since the session began, on one clock, each corrected for its own device clock's
drift.
"""
from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from hinge.errors import HingeInputError

from ._annotations import ANNOTATIONS_HEADER, CALIBRATION_ANNOTATION, COLUMNS, format_annotation, parse_annotations
from ._files import (ANNOTATIONS, FORMAT_NAME, FORMAT_VERSION, METADATA, SENSORS_KEY, TIME_ORIGIN_KEY, TIME_SPEED_KEY,
                     fsync_dir,
                     write_json_atomic)
from .placements import PLACEMENTS, UPPER_PLACEMENTS
from .reader import Session, read_metadata, read_session
from .writer import SessionWriter, utc_now

__all__ = ["SENSORS_KEY", "TIME_ORIGIN_KEY", "PairWriter", "PairSession", "is_pair_session", "read_pair",
           "shared_t_s", "recover_pair", "PairRecoveryReport"]

def is_pair_session(metadata: dict) -> bool:
    """True when a session.json describes a multi-sensor session (it lists ``sensors``)."""
    return isinstance(metadata.get(SENSORS_KEY), list)


class PairWriter:
    """Writes a two-sensor session: one `SessionWriter` per sensor plus the shared files.

    ``sensors``: [(site, metadata), ...], lower sensor first; each metadata is what a
    one-sensor session would hold (device, profile, nominal_rate_hz, ...); the writer adds
    the site as ``placement`` and the shared keys (participant, height_m). ``clock`` is
    the host monotonic clock, s (the recorder's ``clock_ns`` / 1e9).
    """

    def __init__(self, path: Path, metadata: dict, writers: dict[str, SessionWriter], annotations):
        self.path, self.metadata, self.writers, self._annotations = path, metadata, writers, annotations
        self.closed = False

    @classmethod
    def create(cls, path, metadata: dict, sensors: list[tuple[str, dict]], *, clock=time.monotonic,
               time_speed: float = 1.0, **writer_options) -> "PairWriter":
        path = Path(path)
        sites = [site for site, _ in sensors]
        if len(sites) != len(set(sites)) or len(sites) < 2:
            raise ValueError(f"a two-sensor session needs distinct sites, got {sites}")
        if not path.parent.is_dir():
            raise HingeInputError(f"{path}: directory '{path.parent}' does not exist; create it first")
        if path.exists() and (not path.is_dir() or any(path.iterdir())):
            raise HingeInputError(f"{path}: already exists and is not an empty directory; choose a new session path")
        path.mkdir(exist_ok=True)
        from hinge import __version__

        meta = dict(metadata)
        meta.update({"format": FORMAT_NAME, "format_version": FORMAT_VERSION, "hinge_version": __version__,
                     SENSORS_KEY: [{"site": site, "dir": site} for site in sites],
                     TIME_ORIGIN_KEY: float(clock()), "status": "recording"})
        if time_speed != 1.0:
            meta[TIME_SPEED_KEY] = float(time_speed)
        meta.setdefault("created_utc", utc_now())
        write_json_atomic(path / METADATA, meta)
        shared = {k: meta[k] for k in ("participant", "height_m", "created_utc") if meta.get(k) is not None}
        writers = {site: SessionWriter.create(path / site, {**sub, **shared, "placement": site}, clock=clock,
                                              **writer_options) for site, sub in sensors}
        annotations = open(path / ANNOTATIONS, "xb")
        annotations.write(ANNOTATIONS_HEADER.encode())
        annotations.flush()
        os.fsync(annotations.fileno())
        fsync_dir(path)
        return cls(path, meta, writers, annotations)

    def shared_s(self, host_s):
        """Host monotonic time(s), s, on the session's shared time base, s."""
        return (host_s - self.metadata[TIME_ORIGIN_KEY]) * self.metadata.get(TIME_SPEED_KEY, 1.0)

    def annotate(self, onset_s: float, duration_s: float, description: str) -> None:
        """A shared annotation, onset on the shared time base, s; on disk at once (it is rare)."""
        self._annotations.write(format_annotation(onset_s, duration_s, description).encode("utf-8"))
        self._annotations.flush()
        os.fsync(self._annotations.fileno())

    def close(self) -> None:
        """Close every sensor's writer (all of them, whatever fails) and mark the session closed."""
        if self.closed:
            return
        self.closed = True
        error = None
        for writer in self.writers.values():
            try:
                writer.close()
            except OSError as e:
                error = error or e
        try:
            self._annotations.close()
        except OSError as e:
            error = error or e
        if error is not None:
            raise error
        self.metadata.update({"status": "closed", "closed_utc": utc_now()})
        write_json_atomic(self.path / METADATA, self.metadata)


def shared_t_s(session: Session, origin_s: float, name: str, speed: float = 1.0) -> np.ndarray:
    """(N,) a sensor's sample times on the pair's shared time base, s: its host times
    (`Session.host_t_s`, through its clock fit) minus ``origin_s``, times ``speed``. A
    session timed by host arrival (``timebase`` "host") without a fit is on the host clock already."""
    host = session.host_t_s()
    if host is None:
        if session.metadata.get("timebase") == "host":
            host = session.t_s
        else:
            raise HingeInputError(f"{name}: no clock fit (acquisition.clock_fit), so it cannot be put on the "
                                  f"other sensor's time base; run `hinge recover {Path(name).parent}`")
    return (host - float(origin_s)) * float(speed)


@dataclass(frozen=True)
class PairSession:
    """A two-sensor session read: each sensor's `Session` (own clock), and the shared base.

    lower, upper: the sensors' sessions (samples on their own device clocks).
    lower_t_s, upper_t_s: (N,), (M,) their sample times on the shared time base, s.
    annotations: shared annotations plus the lower sensor's own, on the shared time base.
    metadata: the top-level session.json.
    """

    path: Path
    lower: Session
    upper: Session
    lower_site: str
    upper_site: str
    lower_t_s: np.ndarray
    upper_t_s: np.ndarray
    annotations: pd.DataFrame
    metadata: dict


def _sensor_dirs(path: Path, meta: dict) -> tuple[tuple[str, Path], tuple[str, Path]]:
    """(site, directory) of the lower and the upper sensor, checked."""
    meta_path = path / METADATA
    entries = meta.get(SENSORS_KEY)
    sites = []
    for entry in entries:
        if not (isinstance(entry, dict) and isinstance(entry.get("site"), str) and isinstance(entry.get("dir"), str)):
            raise HingeInputError(f"{meta_path}: '{SENSORS_KEY}' needs entries {{\"site\": ..., \"dir\": ...}}; "
                                  "the session metadata is damaged")
        sub = entry["dir"]
        if sub in ("", ".", "..") or "/" in sub or "\\" in sub:
            raise HingeInputError(f"{meta_path}: sensor directory {sub!r} is not a plain folder name")
        sites.append((entry["site"], path / sub))
    lower = [s for s in sites if s[0] in PLACEMENTS]
    upper = [s for s in sites if s[0] in UPPER_PLACEMENTS]
    if len(sites) != 2 or len(lower) != 1 or len(upper) != 1:
        raise HingeInputError(f"{meta_path}: '{SENSORS_KEY}' lists {[s for s, _ in sites]}; expected one lower site "
                              f"({', '.join(PLACEMENTS)}) and one upper site ({', '.join(UPPER_PLACEMENTS)})")
    return lower[0], upper[0]


def read_pair(path: str | os.PathLike) -> PairSession:
    """Read a two-sensor session directory; HingeInputError (one line) when it is unusable."""
    path = Path(path)
    meta = read_metadata(path)
    if not is_pair_session(meta):
        raise HingeInputError(f"{path}: is a one-sensor session (its {METADATA} lists no '{SENSORS_KEY}')")
    (lower_site, lower_dir), (upper_site, upper_dir) = _sensor_dirs(path, meta)
    origin = meta.get(TIME_ORIGIN_KEY)
    if isinstance(origin, bool) or not isinstance(origin, (int, float)) or not np.isfinite(origin):
        raise HingeInputError(f"{path / METADATA}: '{TIME_ORIGIN_KEY}' is missing or not a number; "
                              "the session metadata is damaged")
    speed = meta.get(TIME_SPEED_KEY, 1.0)
    if isinstance(speed, bool) or not isinstance(speed, (int, float)) or not 0 < speed < 1e6:
        raise HingeInputError(f"{path / METADATA}: '{TIME_SPEED_KEY}' is not a positive number; "
                              "the session metadata is damaged")
    lower, upper = read_session(lower_dir), read_session(upper_dir)
    lower_t = shared_t_s(lower, origin, str(lower_dir), speed)
    upper_t = shared_t_s(upper, origin, str(upper_dir), speed)
    annotations = _shared_annotations(path, meta, lower, lower_t)
    return PairSession(path, lower, upper, lower_site, upper_site, lower_t, upper_t, annotations, meta)


def _shared_annotations(path: Path, meta: dict, lower: Session, lower_t: np.ndarray) -> pd.DataFrame:
    """The top-level annotations plus the lower sensor's own (its gaps, saturation), moved
    onto the shared base by its clock fit. A calibration in the top level (written there
    on the shared base by `hinge live`) replaces the copy in the lower sensor's own file."""
    ann_path = path / ANNOTATIONS
    unfinished = meta.get("status", "recording") == "recording"
    if ann_path.is_file():
        try:
            text = ann_path.read_bytes().decode("utf-8")
        except UnicodeDecodeError:
            raise HingeInputError(f"{ann_path}: is not UTF-8 text; run `hinge recover {path}`") from None
        shared, _, problem = parse_annotations(text)
        if problem is not None and not unfinished:
            raise HingeInputError(f"{ann_path}: damaged: {problem}; run `hinge recover {path}`")
    else:
        raise HingeInputError(f"{ann_path}: file not found; run `hinge recover {path}` to recreate it")
    own = lower.annotations.copy()
    if len(own) and len(lower.t_s) >= 2:
        # The lower sensor's clock maps onto the shared base linearly (its clock fit).
        scale = (lower_t[-1] - lower_t[0]) / (lower.t_s[-1] - lower.t_s[0])
        onset = lower_t[0] + (own["onset_s"].to_numpy(float) - lower.t_s[0]) * scale
        own = own.assign(onset_s=onset, duration_s=own["duration_s"].to_numpy(float) * scale)
    if (shared["description"].astype(str) == CALIBRATION_ANNOTATION).any():
        own = own[own["description"].astype(str) != CALIBRATION_ANNOTATION]
    both = pd.concat([own, shared], ignore_index=True) if len(shared) else own.reset_index(drop=True)
    return both.sort_values("onset_s", kind="stable").reset_index(drop=True)[COLUMNS]


# ------------------------------------------------------------------------------------ recovery

@dataclass
class PairRecoveryReport:
    """What `recover_pair` did: one `recover.RecoveryReport` per sensor, plus the shared files."""

    path: Path
    status_before: str
    sensors: dict
    clock_fits: dict
    changed: bool = False

    def lines(self) -> list[str]:
        out = [f"{self.path}: two-sensor session, status was '{self.status_before}'"]
        for site, report in self.sensors.items():
            out += [f"  {line}" for line in report.lines()]
            if site in self.clock_fits:
                out.append(f"  {site}: clock fit rebuilt from raw.log ({self.clock_fits[site]:+.1f} ppm)")
        out.append("session marked recovered" if self.changed else "nothing to recover; session left as it was")
        return out


def recover_pair(path: str | os.PathLike) -> PairRecoveryReport:
    """Recover every sensor's session (`recover.recover_session`), rebuild a missing clock
    fit from raw.log (an interrupted recorder never wrote one: without it the sensors
    cannot be aligned), repair the shared annotations and mark the session recovered."""
    from .decode import decode_raw_records
    from ._rawlog import scan_raw_log
    from .recover import recover_session

    path = Path(path)
    meta = read_metadata(path)
    (lower_site, lower_dir), (upper_site, upper_dir) = _sensor_dirs(path, meta)
    status = str(meta.get("status", "recording"))
    reports, fits = {}, {}
    for site, sub in ((lower_site, lower_dir), (upper_site, upper_dir)):
        reports[site] = recover_session(sub)
        sub_meta = read_metadata(sub)
        acquisition = sub_meta.get("acquisition") or {}
        if acquisition.get("clock_fit") or not sub_meta.get("profile"):
            continue
        records, _ = scan_raw_log((sub / "raw.log").read_bytes())
        try:
            *_, decoder = decode_raw_records(records, sub_meta["profile"], sub_meta.get("nominal_rate_hz"),
                                             sub_meta.get("device_clock_hz"))
        except KeyError:
            continue
        fit = decoder.timeline.clock_fit(None)  # whatever the data say (a simulated sensor may run fast)
        if fit is None:
            continue
        acquisition["clock_fit"] = {"device_clock_drift_ppm": round(fit.drift_ppm, 3), "host_offset_s": fit.offset_s,
                                    "scale": fit.scale, "median_latency_s": round(fit.latency_s, 6),
                                    "rebuilt_from_raw": True}
        sub_meta["acquisition"] = acquisition
        write_json_atomic(sub / METADATA, sub_meta)
        fits[site] = fit.drift_ppm
    changed = status == "recording" or any(r.changed for r in reports.values()) or bool(fits)
    ann_path = path / ANNOTATIONS
    text = ann_path.read_bytes().decode("utf-8", errors="replace") if ann_path.is_file() else ""
    _, valid_chars, problem = parse_annotations(text)
    if not ann_path.is_file() or valid_chars == 0 or problem is not None:
        from ._files import write_bytes_atomic

        keep = text[:valid_chars] if valid_chars else ANNOTATIONS_HEADER
        write_bytes_atomic(ann_path, keep.encode("utf-8"))
        changed = True
    if changed:
        meta["status"] = "recovered"
        meta.setdefault("recoveries", []).append({"recovered_utc": utc_now(), "status_before": status,
                                                  "clock_fit_rebuilt": sorted(fits)})
        write_json_atomic(path / METADATA, meta)
    return PairRecoveryReport(path, status, reports, fits, changed)
