"""`recover_session`: make an interrupted or damaged session readable again.

Steps: cut the damaged tail of raw.log, samples.bin and annotations.tsv (the cut bytes
are kept beside them as ``<file>.cut-at-<byte>``); if samples.bin is missing, rebuild it
from raw.log with the profile's decoder, and if raw.log holds samples beyond its end,
append those (the recorder's own samples are kept); annotate the rebuilt part as the recorder
would have (BAD_gap, BAD_gap_uncertain, BAD_reconnect, BAD_clock_jump) and the interruption
as BAD_gap; mark
the session "recovered" in session.json. Running it again changes nothing.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from hinge.errors import HingeInputError

from ._annotations import ANNOTATIONS_HEADER, format_annotation, parse_annotations
from ._files import ANNOTATIONS, METADATA, RAW, SAMPLES, fsync_dir, is_locked, write_bytes_atomic, write_json_atomic
from ._framing import FrameScan
from ._rawlog import RAW_SIGNATURE, resync_raw_log, scan_raw_log
from ._samplesfile import SAMPLES_SIGNATURE, encode_sample_blocks, scan_samples
from .decode import decode_raw_records
from .reader import read_metadata
from .writer import utc_now
from .wording import count

__all__ = ["recover_session", "RecoveryReport"]


@dataclass
class RecoveryReport:
    """What `recover_session` found and did (byte counts in bytes, times in s)."""

    path: Path
    status_before: str
    raw_records: int = 0
    cut: dict = field(default_factory=dict)          # file name -> (valid bytes, cut bytes, problem)
    samples_before: int = 0
    samples_after: int = 0
    rebuilt_from_raw: bool = False   # samples.bin was missing or empty: all samples decoded from raw.log
    extended_from_raw: bool = False  # samples raw.log holds beyond samples.bin's end were appended
    decode_note: str | None = None
    annotations_added: list = field(default_factory=list)  # (onset_s, duration_s, description)
    changed: bool = False

    def lines(self) -> list[str]:
        """Human-readable summary, one fact per line."""
        out = [f"{self.path}: status was '{self.status_before}'", *cut_lines(self.cut)]
        out.append(f"raw.log: {count(self.raw_records, 'valid record')}")
        if self.rebuilt_from_raw:
            out.append(f"samples.bin: rebuilt from raw.log, {self.samples_before} -> {self.samples_after} samples")
        elif self.extended_from_raw:
            out.append(f"samples.bin: extended from raw.log, {self.samples_before} -> {self.samples_after} samples")
        else:
            out.append(f"samples.bin: {self.samples_after} samples kept")
        if self.decode_note:
            out.append(self.decode_note)
        for onset_s, duration_s, description in self.annotations_added:
            out.append(f"annotated {description} at {onset_s:.3f} s for {duration_s:.3f} s")
        out.append("session marked recovered" if self.changed else "nothing to recover; session left as it was")
        return out


def cut_lines(cut: dict) -> list[str]:
    """One line per file a recovery cut: ``cut`` maps file name -> (valid bytes, cut bytes, problem)."""
    return [f"{name}: cut {count(n, 'damaged byte')} at byte {valid} ({problem})"
            for name, (valid, n, problem) in cut.items()]


def _cut(path: Path, valid_bytes: int, report: RecoveryReport, problem: str) -> None:
    """Keep bytes [0, valid_bytes) of ``path``; save the rest beside it, durably, before the
    cut (never over an earlier cut-off file: a second one gets a new name)."""
    size = path.stat().st_size
    if size <= valid_bytes:
        return
    with open(path, "rb") as handle:
        handle.seek(valid_bytes)
        tail = handle.read()
    aside = path.parent / f"{path.name}.cut-at-{valid_bytes}"
    k = 1
    while aside.exists():
        k += 1
        aside = path.parent / f"{path.name}.cut-at-{valid_bytes}.{k}"
    with open(aside, "xb") as handle:
        handle.write(tail)
        handle.flush()
        os.fsync(handle.fileno())
    fsync_dir(path.parent)
    with open(path, "r+b") as handle:
        handle.truncate(valid_bytes)
        handle.flush()
        os.fsync(handle.fileno())
    report.cut[path.name] = (valid_bytes, size - valid_bytes, problem)
    report.changed = True


def _repair_framed(path: Path, signature: bytes, scan: FrameScan, report: RecoveryReport) -> None:
    if scan.problem is None:
        return
    if scan.valid_bytes == 0:  # bad or missing signature: keep the bytes aside, start an empty file
        _cut(path, 0, report, scan.problem)
        write_bytes_atomic(path, signature)
        report.changed = True
        return
    _cut(path, scan.valid_bytes, report, scan.problem)


def repair_annotations(ann_path: Path, report) -> None:
    """Cut a damaged tail of an annotations.tsv (bytes kept aside, `_cut`), or start one
    with its header when it is missing or unreadable; ``report`` (``cut``, ``changed``)
    says so. Shared by one-sensor sessions and a two-sensor session's shared file."""
    raw_text = ann_path.read_bytes() if ann_path.is_file() else b""
    try:
        text, not_utf8 = raw_text.decode("utf-8"), None
    except UnicodeDecodeError as error:
        # Trust the text up to the first byte that is not UTF-8: the line holding it is cut
        # (what `hinge analyse` asks to be repaired).
        text, not_utf8 = raw_text[:error.start].decode("utf-8"), f"byte {error.start} is not UTF-8"
    _, valid_chars, problem = parse_annotations(text)
    if not_utf8 is not None:
        problem = not_utf8
    if not ann_path.is_file() or valid_chars == 0:
        if ann_path.is_file():
            _cut(ann_path, 0, report, problem or "unreadable")
        write_bytes_atomic(ann_path, ANNOTATIONS_HEADER.encode())
        report.changed = True
    elif problem is not None:
        _cut(ann_path, len(text[:valid_chars].encode("utf-8")), report, problem)


def recover_session(path: str | os.PathLike) -> RecoveryReport:
    """Repair the session directory ``path`` in place and say what was done (a two-sensor
    session: each sensor's, `pair.recover_pair`, whose report has the same ``lines()``).

    Raises HingeInputError when ``path`` is not a session (no readable session.json).
    """
    path = Path(path)
    meta = read_metadata(path)
    from .pair import is_pair_session, recover_pair

    if is_pair_session(meta):  # a two-sensor session: every sensor's session, then the shared files
        return recover_pair(path)
    if is_locked(path / RAW):
        raise HingeInputError(f"{path}: is still being recorded (its recorder holds raw.log open); "
                              "stop the recorder first")
    status = str(meta.get("status", "recording"))
    report = RecoveryReport(path=path, status_before=status)

    # raw.log
    raw_path = path / RAW
    records = []
    if raw_path.is_file():
        data = raw_path.read_bytes()
        records, raw_scan = scan_raw_log(data)
        resynced, clean = resync_raw_log(data) if raw_scan.problem is not None else (records, b"")
        if len(resynced) > len(records):
            # Valid records after the damage (a flipped bit in the signature, a torn record in
            # the middle): keep them all; the damaged file is kept aside whole.
            _cut(raw_path, 0, report, f"{raw_scan.problem}; {count(len(resynced) - len(records), 'valid record')} "
                                      "after it kept")
            write_bytes_atomic(raw_path, clean)
            records = resynced
        else:
            _repair_framed(raw_path, RAW_SIGNATURE, raw_scan, report)
    report.raw_records = len(records)

    # samples.bin
    samples_path = path / SAMPLES
    if samples_path.is_file():
        t_s, acc, gyr, samples_scan = scan_samples(samples_path.read_bytes())
        _repair_framed(samples_path, SAMPLES_SIGNATURE, samples_scan, report)
    else:
        t_s, acc, gyr = np.empty(0), np.empty((0, 3)), np.empty((0, 3))
        report.changed = True
    report.samples_before = report.samples_after = len(t_s)

    repair_annotations(path / ANNOTATIONS, report)

    # Rebuild samples from the raw log when it holds more.
    new_notes: list[tuple[float, float, str]] = []
    profile_key = meta.get("profile")
    if records and profile_key:
        try:
            rt, racc, rgyr, gaps, decoder = decode_raw_records(
                records, profile_key, meta.get("nominal_rate_hz"), meta.get("device_clock_hz"))
        except KeyError as error:
            report.decode_note = f"raw.log not decoded: {error.args[0]}"
        else:
            if decoder.skipped_frames and len(rt) == 0:
                report.decode_note = (f"raw.log not decoded: {profile_key} frames do not carry acc and gyro "
                                      "together; kept the recorder's samples")
            elif len(t_s) == 0 and len(rt):
                t_s, acc, gyr = rt, racc, rgyr
                new_notes = list(decoder.annotations)
                write_bytes_atomic(samples_path, SAMPLES_SIGNATURE + encode_sample_blocks(t_s, acc, gyr))
                report.rebuilt_from_raw = True
                report.samples_after = len(t_s)
                report.changed = True
            elif len(rt):
                # Keep what the recorder wrote; append the samples raw.log holds beyond it,
                # but only if the two agree on the timebase (the last written sample is in both).
                half_period_s = 0.5 / decoder.rate_hz
                last_s = float(t_s[-1])
                tail = rt > last_s + half_period_s
                if tail.any() and np.min(np.abs(rt - last_s)) <= half_period_s:
                    with open(samples_path, "ab") as handle:
                        handle.write(encode_sample_blocks(rt[tail], racc[tail], rgyr[tail]))
                        handle.flush()
                        os.fsync(handle.fileno())
                    new_notes = [a for a in decoder.annotations if a[0] > last_s]
                    t_s = np.concatenate([t_s, rt[tail]])
                    report.extended_from_raw = True
                    report.samples_after = len(t_s)
                    report.changed = True
                elif tail.any():
                    report.decode_note = ("raw.log decodes to another timebase than samples.bin (its last sample "
                                          "is not among the decoded ones); kept samples.bin as it is")
            if decoder.bad_packets:
                report.decode_note = f"raw.log: {count(decoder.bad_packets, 'undecodable packet')} skipped"
    elif records and not profile_key:
        report.decode_note = "raw.log not decoded: session.json names no device profile"

    if not samples_path.is_file():
        # Nothing to rebuild it from: an empty samples.bin, so that the session reads (as 0
        # samples) and a second run finds nothing left to do.
        write_bytes_atomic(samples_path, SAMPLES_SIGNATURE)
        report.changed = True

    additions = list(new_notes)
    rate_hz = float(meta.get("nominal_rate_hz") or 100.0)
    if len(t_s):
        end_s = float(t_s[-1]) + 1.0 / rate_hz
        if status == "recording":
            # The recorder stopped without closing: the window that may not have reached
            # the disk is at most the fsync interval (1 s) after the last saved sample.
            additions.append((end_s, float(meta.get("fsync_interval_s", 1.0)), "BAD_gap"))
        elif meta.get("last_t_s") is not None and float(meta["last_t_s"]) > float(t_s[-1]):
            additions.append((end_s, float(meta["last_t_s"]) - float(t_s[-1]), "BAD_gap"))
    if additions:
        with open(path / ANNOTATIONS, "ab") as handle:
            for onset_s, duration_s, description in additions:
                handle.write(format_annotation(onset_s, duration_s, description).encode("utf-8"))
            handle.flush()
            os.fsync(handle.fileno())
        report.annotations_added = additions
        report.changed = True

    if status == "recording":
        report.changed = True
    if report.changed:
        meta.update({"status": "recovered", "n_samples": int(len(t_s)), "n_raw_records": len(records),
                     "first_t_s": float(t_s[0]) if len(t_s) else None,
                     "last_t_s": float(t_s[-1]) if len(t_s) else None})
        meta.setdefault("recoveries", []).append({
            "recovered_utc": utc_now(), "status_before": status,
            "cut": {k: {"valid_bytes": v[0], "cut_bytes": v[1], "problem": v[2]} for k, v in report.cut.items()},
            "rebuilt_from_raw": report.rebuilt_from_raw, "extended_from_raw": report.extended_from_raw,
            "samples_before": report.samples_before,
            "samples_after": report.samples_after,
            "annotations_added": [list(a) for a in additions],
        })
        write_json_atomic(path / METADATA, meta)
    return report
