"""Two-sensor sessions: one session directory, one complete one-sensor session per sensor.

Layout (FORMAT.md, "Two sensors")::

    2026-12-01_1000/
      session.json     {"format": "hinge-session", "format_version": 1,
                        "sensors": [{"site": "sacrum", "dir": "sacrum"}, {"site": "T12", "dir": "T12"}],
                        participant, created_utc, status, ...}
      annotations.tsv  shared annotations (the guided calibration), onsets on the shared time base
      sacrum/          a complete v1 session (session.json, raw.log, samples.bin, annotations.tsv)
      T12/             a complete v1 session

Each sensor has its own `SessionWriter` (its own raw log, samples, flushing and lock), so a
crash costs each at most its last second, and `hinge recover` repairs each alone.

**One time base.** Each sensor's clock is fitted to the host monotonic clock on its own
(``acquisition.clock_fit``: host_s = host_offset_s + scale * t_s, drift per sensor). The
shared time base is the *lower sensor's* session clock (its ``t_s``, s): the upper sensor's
samples go onto it through the host clock, t = (host_up(t_up) - host_offset_lo) / scale_lo.
So the lower sensor's samples, annotations and one-sensor verdicts are exactly those of
its own folder (`hinge analyse DIR/sacrum`), live and offline alike, and a simulated pair
run faster than real time keeps its movements' own seconds.
"""
from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from hinge.errors import HingeInputError

from ._annotations import ANNOTATIONS_HEADER, CALIBRATION_ANNOTATION, COLUMNS, format_annotation, parse_annotations
from ._files import (ANNOTATIONS, FORMAT_NAME, FORMAT_VERSION, METADATA, SENSORS_KEY, fsync_dir,
                     write_json_atomic)
from .placements import PLACEMENTS, UPPER_PLACEMENTS
from .reader import Session, is_pair_session, read_metadata, read_session
from .writer import SessionWriter, utc_now

__all__ = ["SENSORS_KEY", "PairWriter", "PairSession", "is_pair_session", "read_pair", "to_lower_clock",
           "recover_pair", "PairRecoveryReport"]


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
               **writer_options) -> "PairWriter":
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
                     SENSORS_KEY: [{"site": site, "dir": site} for site in sites], "status": "recording"})
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

    def annotate(self, onset_s: float, duration_s: float, description: str) -> None:
        """A shared annotation, onset on the shared time base (the lower sensor's clock), s;
        on disk at once (it is rare)."""
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


def _host_fit(session: Session, name: str, path: Path) -> tuple[float, float]:
    """(host_offset_s, scale) of a sensor's clock fit: host_s = host_offset_s + scale * t_s.
    A session timed by host arrival (``timebase`` "host") without a fit is on the host clock."""
    fit = (session.metadata.get("acquisition") or {}).get("clock_fit")
    if fit:
        offset, scale = fit.get("host_offset_s"), fit.get("scale")
        if all(isinstance(v, (int, float)) and not isinstance(v, bool) and np.isfinite(v) for v in (offset, scale)) \
                and scale > 0:
            return float(offset), float(scale)
        raise HingeInputError(f"{name}/{METADATA}: acquisition.clock_fit needs numbers host_offset_s and scale > 0; "
                              "the session metadata is damaged")
    if session.metadata.get("timebase") == "host":
        return 0.0, 1.0
    raise HingeInputError(f"{name}: no clock fit (acquisition.clock_fit), so it cannot be put on the other "
                          f"sensor's time base; run `hinge recover {path}`")


def to_lower_clock(t_s, fit: tuple[float, float], lower_fit: tuple[float, float]) -> np.ndarray:
    """Times ``t_s`` (s) of a sensor whose clock fit is ``fit`` on the lower sensor's clock (s),
    through the host clock: each fit is (host_offset_s, scale)."""
    host = fit[0] + fit[1] * np.asarray(t_s, dtype=float)
    return (host - lower_fit[0]) / lower_fit[1]


@dataclass(frozen=True)
class PairSession:
    """A two-sensor session read: each sensor's `Session` (own clock), and the shared base.

    lower, upper: the sensors' sessions (samples on their own device clocks).
    lower_t_s, upper_t_s: (N,), (M,) their sample times on the shared time base, s (the
        lower sensor's clock: ``lower_t_s`` is ``lower.t_s``).
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
    lower, upper = read_session(lower_dir), read_session(upper_dir)
    lower_fit = _host_fit(lower, str(lower_dir), path)
    upper_t = to_lower_clock(upper.t_s, _host_fit(upper, str(upper_dir), path), lower_fit)
    lower_t = lower.t_s
    annotations = _shared_annotations(path, meta, lower)
    return PairSession(path, lower, upper, lower_site, upper_site, lower_t, upper_t, annotations, meta)


def _shared_annotations(path: Path, meta: dict, lower: Session) -> pd.DataFrame:
    """The top-level annotations plus the lower sensor's own (its gaps, saturation), all on
    the lower sensor's clock. A calibration in the top level (written there by `hinge
    live`) replaces the copy in the lower sensor's own file."""
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
    own = lower.annotations
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
    cut: dict = field(default_factory=dict)  # shared file name -> (valid bytes, cut bytes, problem)

    def lines(self) -> list[str]:
        from .recover import cut_lines

        out = [f"{self.path}: two-sensor session, status was '{self.status_before}'", *cut_lines(self.cut)]
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
    from .recover import recover_session, repair_annotations

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
    shared = PairRecoveryReport(path, status, reports, fits)
    repair_annotations(path / ANNOTATIONS, shared)  # the shared file, repaired as a sensor's is
    changed = changed or shared.changed
    if changed:
        meta["status"] = "recovered"
        meta.setdefault("recoveries", []).append({"recovered_utc": utc_now(), "status_before": status,
                                                  "clock_fit_rebuilt": sorted(fits)})
        write_json_atomic(path / METADATA, meta)
    shared.changed = changed
    return shared
