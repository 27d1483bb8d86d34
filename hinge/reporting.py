"""`hinge report`: analyse sessions and write one self-contained HTML report, or a PDF of it.

`write_report` is the one entry point (the command line, `hinge live` and `make demo`
call it): each input is read with `hinge.recordings.load` (CSV, session directory, or any format
the loader knows), analysed, and rendered by `hinge.analysis.report`, one section per
participant with a progress section when a participant has several sessions. The output's
suffix picks the format: .html (or .htm), or .pdf, printed by headless Chromium
(`hinge.report_pdf`); anything else is refused before any work is done.
"""
from __future__ import annotations

import sys
import re
from datetime import datetime
from pathlib import Path

from hinge.analysis.provenance import provenance, utc_now
from hinge.errors import HingeInputError
from hinge.progress import progress_bar, want_progress

__all__ = ["write_report", "report_session", "report_format", "add_report_arguments", "run_report_command",
           "REPORT_DESCRIPTION", "REPORT_EPILOG"]

REPORT_DESCRIPTION = (
    "Analyse one or more recordings (session directories, CSV files, or anything `hinge analyse` reads; a "
    "folder of them, such as a BIDS dataset, stands for every recording inside) and "
    "write one self-contained HTML file (no network, plots embedded; reads on a phone, prints on A4) to open in a "
    "browser or send by e-mail, or a PDF of it (-o FILE.pdf; needs the Chromium browser): "
    "participant, date, device, placement and calibration quality; a timeline of the pelvis (sensor) pitch with "
    "every bend shaded by class; a table of bends with score, trunk angle, hips back and reasons; score and "
    "lumbar-share distributions; a "
    "plain-language summary of what to work on. Recordings of several participants get one section each; "
    "a participant with two or more sessions also gets a progress section (mean score and hip-led share per "
    "session, by date)."
)
REPORT_EPILOG = ("example:\n  hinge report sessions/session_20261124T0930Z -o report.html\n"
                 "  hinge report sessions/ -o all_sessions.html\n"
                 "  hinge report sessions/P01_* -o P01.pdf")
HTML_SUFFIXES = (".html", ".htm")
PDF_SUFFIX = ".pdf"


def report_format(out: Path) -> str:
    """"html" or "pdf" from the output file's suffix; anything else refused in one line."""
    suffix = out.suffix.lower()
    if suffix in HTML_SUFFIXES:
        return "html"
    if suffix == PDF_SUFFIX:
        return "pdf"
    raise HingeInputError(f"{out}: a report is written as HTML or PDF; name the file "
                          f"{out.with_suffix('.html').name} or {out.with_suffix('.pdf').name}")


def _device(metadata: dict) -> str | None:
    device = metadata.get("device")
    name = device.get("name") if isinstance(device, dict) else device
    parts = [str(name)] if name else []
    if metadata.get("profile"):
        parts.append(f"profile {metadata['profile']}")
    if metadata.get("firmware"):
        parts.append(f"firmware {metadata['firmware']}")
    if isinstance(device, dict) and device.get("simulated"):
        parts.append("simulated")
    return ", ".join(parts) or None


def _bids_entity(path: Path, key: str) -> str | None:
    match = re.search(rf"(?:^|_){key}-([A-Za-z0-9]+)(?=_)", path.name)
    return match.group(1) if match else None


def _context(loaded) -> dict:
    """participant, started_utc, device and display name from the input's own metadata."""
    from hinge.recordings.recording_context import bids_acq_time, started_utc

    metadata = loaded.metadata or {}
    path = Path(loaded.path)
    if loaded.kind == "bids":
        from hinge.recordings.bids_layout import MOTION_SUFFIX

        device = metadata.get("TrackingSystemName") or metadata.get("ManufacturersModelName")
        name = path.name.removesuffix(MOTION_SUFFIX)
        return {"participant": _bids_entity(path, "sub"), "started_utc": bids_acq_time(path),
                "device": str(device) if device else None, "name": name}
    participant = metadata.get("participant") or metadata.get("subject")
    return {"participant": str(participant) if participant else None, "started_utc": started_utc(metadata),
            "device": _device(metadata), "name": path.name or str(path)}


def report_session(loaded, result, placement: str, pair=None):
    """A `ReportSession` from a `LoadedRecording` and its `AnalysisResult` (for two sensors
    ``pair``, the `PairResult` whose ``sacral`` is ``result``)."""
    from hinge.analysis.report import ReportSession

    recording = loaded.recording
    context = _context(loaded)
    fields = dict(
        name=context["name"], source=str(loaded.path), participant=context["participant"],
        started_utc=context["started_utc"], device=context["device"], placement=placement,
        fs_hz=float(result.fs_hz), duration_s=float(recording.duration_s), calibration=dict(result.calibration),
        warnings=tuple(result.warnings), bends=result.bends, dropped=result.dropped,
        t_s=result.t_s, pitch_deg=result.pitch_deg, decision_share=float(result.params.decision_share),
        height_m=float(result.params.height_m),
    )
    if pair is not None:
        from hinge.pair_output import pair_summary

        fields.update(bends=pair.bends, pair=pair_summary(pair), rhythm=pair.rhythm,
                      warnings=(*result.warnings, *pair.warnings))
    return ReportSession(**fields)


def _expand(paths, notes: bool = True) -> list[Path]:
    """Folders that are not sessions themselves (a folder of sessions, a BIDS dataset, a
    study tree) stand for every recording found inside them, as in `hinge batch`.
    notes: say on stderr which inputs are left out (once per command)."""
    out = []
    for p in map(Path, paths):
        try:
            p.resolve()  # inputs are compared resolved (duplicates, the output)
        except (RuntimeError, OSError):  # a link loop: RuntimeError up to Python 3.12, OSError after
            raise HingeInputError(f"{p}: is a symbolic link loop; name the recording itself") from None
        if p.suffix.lower() in (".html", ".htm", ".pdf") and p.is_file():
            # `hinge report sessions/P01_*` also matches the reports `hinge live` wrote beside
            # the sessions: a report is never an input.
            if notes:
                print(f"hinge: note: {p}: a report, not a recording; left out", file=sys.stderr)
            continue
        if p.is_dir() and not (p / "session.json").exists():
            from hinge.batch_discovery import discover

            out.extend(Path(found.file) for found in discover([str(p)]).recordings)
        else:
            out.append(p)
    return out


def write_report(paths: list[Path], out: Path | str, *, placement: str | None = None,
                 progress: bool | str = True, force: bool = False, acc_unit: str = "m/s2",
                 gyro_unit: str = "rad/s", height_m: float | None = None) -> Path:
    """Analyse every recording in ``paths`` and write one report to ``out`` (.html or .pdf).

    paths: CSV files or session directories (anything `hinge.recordings.load_recording` reads),
        or folders holding them (searched like `hinge batch` does); duplicates are read once.
        placement: sensor site for all inputs; None takes each input's own metadata, else
        sacrum. progress: True/"auto" draws a bar on stderr when it is a terminal, "always"
        draws it anyway, False/"never" never. force: replace an existing report (never an
        input, never anything but a regular file; see `hinge.output_paths`). acc_unit,
        gyro_unit: units of the CSV inputs (`hinge.recordings.units`). height_m: body
        height for all inputs, m; None takes each session's stored height, else the default.
    Returns the file written (``out``, or DIR/report.html for "DIR/"). The file is written
    atomically (a complete report or none).

    Raises:
        HingeInputError: no inputs, an unreadable input (naming the file), an unusable
            output path or suffix, or a PDF without Chromium (one line each, before any
            analysis).
    """
    from hinge.imports import imports_without_collector

    with imports_without_collector("hinge.api"):
        from hinge.analysis.report import render_report
        from hinge.api import analyse_with_pair
        from hinge.recordings.load import load_recording
        # The figures' drawing library, loaded by the first figure otherwise (the report
        # package itself does not import it: `hinge.analysis.report` for the tables alone).
        import matplotlib.backends.backend_agg  # noqa: F401
        import matplotlib.figure  # noqa: F401

    from hinge.output_paths import check_new_file, write_atomically

    unique: dict[Path, Path] = {}
    for p in _expand(paths):
        unique.setdefault(p.resolve(), p)
    inputs = list(unique.values())
    if not inputs:
        raise HingeInputError("no recordings given; name at least one session directory or CSV file")
    out = check_new_file(out, force=force, inputs=inputs, default_name="report.html")
    kind = report_format(out)
    if kind == "pdf":
        from hinge.report_pdf import print_pdf, require_chromium

        chromium = require_chromium(out)
    enabled = "always" if progress == "always" else want_progress(progress)
    sessions = []
    with progress_bar("analysing", 2 * len(inputs), enabled) as advance:
        for path in inputs:
            advance(f"analysing {path.name}")
            loaded = load_recording(path, acc_unit=acc_unit, gyro_unit=gyro_unit, placement=placement)
            result, pair = analyse_with_pair(loaded, height_m=height_m)
            sessions.append(report_session(loaded, result, loaded.placement, pair))
        made = provenance({"placement": placement}, None, utc_now())
        when = datetime.fromisoformat(made["created_utc"])
        generator = (f"hinge {made['hinge_version']} · generated {when:%Y-%m-%d %H:%M} UTC · "
                     f"{len(sessions)} recording{'s' if len(sessions) != 1 else ''}")
        html = render_report(sessions, generator,
                             on_session=lambda s: advance(f"plotting {s.name}"))
    # Written beside the target and renamed, so a reader never sees half a report.
    if kind == "pdf":
        write_atomically(out, lambda tmp: print_pdf(html, tmp, chromium, shown_as=out))
    else:
        write_atomically(out, lambda tmp: tmp.write_text(html, encoding="utf-8"))
    return out


def add_report_arguments(parser, placements) -> None:
    """The `hinge report` options (argparse only; nothing heavy is imported)."""
    from hinge.cli_options import add_height_argument, add_unit_arguments
    from hinge.progress import PROGRESS_MODES

    parser.add_argument("inputs", nargs="+", metavar="SESSION",
                        help="session directory, CSV or BIDS *_motion.tsv recording, or a folder of them")
    parser.add_argument("-o", "--output", default="report.html", metavar="FILE.html|FILE.pdf",
                        help="report to write: .html, or .pdf printed by headless Chromium "
                             "(DIR/ writes DIR/report.html)")
    parser.add_argument("--force", action="store_true", help="replace an existing report file")
    parser.add_argument("--placement", choices=placements, default=None,
                        help="skin site of the sensor for all inputs (None: each session's own, else sacrum)")
    add_unit_arguments(parser)
    add_height_argument(parser)
    parser.add_argument("--progress", choices=PROGRESS_MODES, default="auto",
                        help="progress bar on stderr: auto draws it when stderr is a terminal")


def run_report_command(args) -> int:
    """`hinge report`: write the report and say where it is (one line on stdout)."""
    from hinge.cli_options import heights_used

    n = len({p.resolve() for p in _expand(args.inputs, notes=False)})
    out = write_report([Path(p) for p in args.inputs], args.output, placement=args.placement,
                       progress=args.progress, force=args.force, acc_unit=args.acc_unit, gyro_unit=args.gyro_unit,
                       height_m=args.height_m)
    how = "open it in a PDF viewer or print it" if report_format(out) == "pdf" else "open it in a web browser"
    print(f"wrote {out} ({n} recording{'s' if n != 1 else ''}; {heights_used(args.height_m)}); {how}")
    return 0
