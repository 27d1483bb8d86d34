"""The `hinge` command line: analyse a recording, or simulate one.

Only this module prints; reading lives in hinge.recordings and the numerics in hinge.analysis.
Heavy modules are imported inside the subcommands so that `hinge --help` and input
errors answer quickly.
"""
from __future__ import annotations

import argparse
import errno
import json
import math
import os
import sys

from hinge import __version__
from hinge.cli_options import add_height_argument, add_unit_arguments, height_used
from hinge.errors import HingeInputError, HingeWriteError
from hinge.recordings.wording import count
from hinge.threads import limit_native_threads

from hinge.recordings.placements import PLACEMENTS  # noqa: E402 - a plain table: `hinge --help` stays light
EXIT_INPUT_ERROR = 2
EXIT_WRITE_ERROR = 3
EXIT_INTERRUPTED = 130


class _HelpFormatter(argparse.RawDescriptionHelpFormatter, argparse.ArgumentDefaultsHelpFormatter):
    """Keep the examples' line breaks and show defaults."""


# The subcommands whose arguments come from their own modules (imported to build them), with
# their line in `hinge --help`.
IMPORTED_SUBCOMMANDS = {
    "report": "write one self-contained HTML report of one or more sessions",
    "scan": "list nearby supported sensors",
    "record": "record a sensor into a session folder",
    "live": "record a sensor and judge every bend as it ends (guided calibration first)",
    "batch": "analyse a whole study into one table",
}


def _build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The command line's parser; with `command` (the subcommand being run), the other
    subcommands of IMPORTED_SUBCOMMANDS get their name and help line only, without the
    imports their arguments need (about 20 ms of `hinge analyse`: the live, report and
    recorder modules)."""

    parser = argparse.ArgumentParser(
        prog="hinge",
        description="Classify each forward bend in a lower-back IMU recording as hip-led or spine-led.",
        epilog="example:\n  hinge simulate -o demo.csv --bends 10 --seed 7 && hinge analyse demo.csv",
        formatter_class=_HelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"hinge {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    analyse = sub.add_parser(
        "analyse", aliases=["analyze"], formatter_class=_HelpFormatter,
        help="classify every forward bend in a CSV recording, a session directory or a BIDS-Motion file",
        description="Read a CSV recording (header time_s,acc_x,acc_y,acc_z,gyr_x,gyr_y,gyr_z; "
                    "s, m/s^2, rad/s unless told otherwise; a second sensor at T12 adds its columns "
                    "t12_acc_x,...,t12_gyr_z on the same rows, in the same units, cells empty where it has "
                    "no sample: README, 'Two sensors in one CSV') or a recorded session directory "
                    "(recordings/FORMAT.md) or a BIDS-Motion *_motion.tsv (units and time from its "
                    "_channels.tsv and _motion.json) and print one verdict per bend.",
        epilog="example:\n  hinge analyse session.csv --placement L5 --acc-unit g --gyro-unit deg/s --json",
    )
    analyse.add_argument("file", metavar="FILE", help="CSV recording, session directory, or BIDS *_motion.tsv")
    analyse.add_argument("--placement", choices=PLACEMENTS, default=None,
                         help="skin site of the sensor on the lower back "
                              "(None: the session's placement, else sacrum)")
    add_unit_arguments(analyse)
    add_height_argument(analyse)
    analyse.add_argument("--json", action="store_true",
                         help="print one JSON document instead of the table")
    analyse.add_argument("--progress", choices=("auto", "always", "never"), default="auto",
                         help="progress bar on stderr: auto draws it when stderr is a terminal")
    analyse.set_defaults(run=_run_analyse)

    simulate = sub.add_parser(
        "simulate", formatter_class=_HelpFormatter,
        help="write a simulated recording with known bend classes",
        description="Simulate a labelled lower-back IMU session with the sagittal body model "
                    "and write it in the CSV interchange format. With --upper-placement T12 the same "
                    "simulated person also wears a second sensor over the spinous process of T12 (its own "
                    "mounting, sensor errors and lost samples): the two-sensor CSV (the lower sensor's columns "
                    "plus t12_acc_x,...,t12_gyr_z on the same time_s rows, cells empty where a sensor lost "
                    "the sample), and --truth adds per bend the true pelvic tilt, T12 pitch and lumbar flexion "
                    "(T12 pitch minus pelvic tilt), deg, at the bend's peak.",
        epilog="example:\n  hinge simulate -o demo.csv --bends 10 --seed 7 --truth demo_truth.csv\n"
               "  hinge simulate -o pair.csv --upper-placement T12 --truth pair_truth.csv && hinge analyse pair.csv",
    )
    simulate.add_argument("-o", "--output", required=True, metavar="FILE.csv", help="CSV file to write")
    simulate.add_argument("--bends", type=int, default=10, help="number of bends")
    simulate.add_argument("--seed", type=int, default=0, help="random seed")
    simulate.add_argument("--placement", choices=PLACEMENTS, default="sacrum",
                          help="skin site of the simulated (lower) sensor")
    from hinge.recordings.placements import UPPER_PLACEMENTS  # a plain table

    simulate.add_argument("--upper-placement", choices=UPPER_PLACEMENTS, default=None,
                          help="also simulate a second sensor at this site (T12: over the spinous process of T12) "
                               "and write the two-sensor CSV (None: one sensor)")
    simulate.add_argument("--fs-hz", type=float, default=100.0, help="sample rate, Hz (both sensors)")
    simulate.add_argument("--mounting", choices=("upright", "random"), default="upright",
                          help="sensor mounting: aligned with the body, or randomly rotated")
    simulate.add_argument("--truth", metavar="TRUTH.csv", help="also write the true bend table here")
    simulate.add_argument("--force", action="store_true", help="replace existing output files")
    simulate.set_defaults(run=_run_simulate)

    _add_imported(sub, command, "report", _report_parts)

    recover = sub.add_parser(
        "recover", formatter_class=_HelpFormatter,
        help="repair a session whose recording was interrupted",
        description="Cut damaged tails of a session's files, rebuild its samples from raw.log when "
                    "they are shorter, annotate the interruption as BAD_gap and mark it recovered "
                    "(recordings/FORMAT.md).",
        epilog="example:\n  hinge recover sessions/2026-11-24_0930 && hinge analyse sessions/2026-11-24_0930",
    )
    recover.add_argument("dir", metavar="DIR", help="session directory")
    recover.set_defaults(run=_run_recover)

    export = sub.add_parser(
        "export", formatter_class=_HelpFormatter,
        help="write a recording and its bends into a BIDS-Motion dataset",
        description="Analyse a session directory (or CSV recording) and write it as one BIDS-Motion entry "
                    "(BIDS 1.11.1): _motion.tsv, _channels.tsv, _motion.json, _events.tsv with one row per "
                    "bend, plus dataset_description.json, participants.tsv and scans.tsv. DIR is created or "
                    "added to; an existing entry is replaced only with --force. A FOLDER of sessions (or CSV "
                    "recordings, found as `hinge batch` finds them) exports each under its own participant; "
                    "a participant with several recordings gets one ses-<date> per recording "
                    "(e.g. ses-20261124T0930Z). A recording that fails is reported and the others go on.\n\n"
                    "exit status: 0 all exported; 1 some recordings of a FOLDER failed; 2 bad arguments.",
        epilog="example:\n  hinge export sessions/P01_20261124T093000Z --bids study\n"
               "  hinge export sessions/ --bids study\n"
               "  hinge export recording.csv --bids study --subject P01 --session 1 --acc-unit g --gyro-unit deg/s\n"
               "  hinge analyse study/sub-P01/ses-1/motion/sub-P01_ses-1_task-bending_tracksys-imu_motion.tsv",
    )
    export.add_argument("source", metavar="SESSION|FOLDER",
                        help="session directory, CSV recording, or a folder of them (searched recursively)")
    export.add_argument("--bids", required=True, metavar="DIR", help="BIDS dataset folder (created if missing)")
    export.add_argument("--subject", metavar="ID", default=None,
                        help="participant label, letters and digits (None: the session's participant)")
    export.add_argument("--session", metavar="ID", default=None,
                        help="session label, letters and digits (None: none, or in a FOLDER the recording's date "
                             "when a participant has several)")
    export.add_argument("--task", metavar="ID", default="bending", help="task label, letters and digits")
    export.add_argument("--placement", choices=PLACEMENTS, default=None,
                        help="skin site of the sensor (None: the session's placement, else sacrum)")
    add_unit_arguments(export)
    add_height_argument(export)
    export.add_argument("--force", action="store_true", help="replace an existing entry of the same name")
    export.set_defaults(run=_run_export)

    for name, parts in (("scan", _scan_parts), ("record", _record_parts), ("live", _live_parts),
                        ("batch", _batch_parts)):
        _add_imported(sub, command, name, parts)
    return parser


def _add_imported(sub, command: str | None, name: str, parts) -> None:
    """Add the subcommand `name` of IMPORTED_SUBCOMMANDS to `sub`: in full when it is the one
    being run (`command`; None: all are), else its name and help line only, without the
    imports `parts` makes. parts() -> (description, epilog, add_arguments(parser), run)."""
    if command is not None and command != name:
        sub.add_parser(name, help=IMPORTED_SUBCOMMANDS[name])
        return
    description, epilog, add_arguments, run = parts()
    parser = sub.add_parser(name, formatter_class=_HelpFormatter, help=IMPORTED_SUBCOMMANDS[name],
                            description=description, epilog=epilog)
    add_arguments(parser)
    parser.set_defaults(run=run)


def _report_parts():
    from hinge.reporting import REPORT_DESCRIPTION, REPORT_EPILOG, add_report_arguments, run_report_command

    return (REPORT_DESCRIPTION, REPORT_EPILOG, lambda parser: add_report_arguments(parser, PLACEMENTS),
            run_report_command)


def _scan_parts():
    from hinge.acquisition import add_scan_arguments  # argparse only; no bleak import

    return ("Listen for Bluetooth LE advertisements and list the sensors hinge can record "
            "(name, address, device profile, signal strength).",
            "example:\n  hinge scan --timeout 10", add_scan_arguments, _run_scan)


def _record_parts():
    from hinge.acquisition import add_record_arguments  # argparse only; no bleak import

    return ("Connect to a sensor (the only supported one in range unless --device names one), "
            "configure and start it, show a live status line (rate, lost packets, elapsed time) "
            "and record into a new session folder until Ctrl-C or --duration. A dropped link is "
            "reconnected and the gap annotated BAD_reconnect.",
            "example:\n  hinge record --participant P01 --placement L5 -o sessions --duration 600\n"
            "  hinge record --simulate --duration 30 -o /tmp\n"
            "  hinge record --device hinge-51M0 --upper-device hinge-7T12 -o sessions   # sacrum and T12",
            lambda parser: add_record_arguments(parser, PLACEMENTS), _run_record)


def _live_parts():
    from hinge.live import LIVE_DESCRIPTION, LIVE_EPILOG, add_live_arguments  # argparse only

    return LIVE_DESCRIPTION, LIVE_EPILOG, lambda parser: add_live_arguments(parser, PLACEMENTS), _run_live


def _batch_parts():
    from hinge.batch_cli import BATCH_DESCRIPTION, BATCH_EPILOG, add_batch_arguments  # argparse only

    return BATCH_DESCRIPTION, BATCH_EPILOG, lambda parser: add_batch_arguments(parser, PLACEMENTS), _run_batch


def _command_in(argv: list[str]) -> str | None:
    """The subcommand named on the command line (its first word not starting with "-"), or None."""
    return next((arg for arg in argv if not arg.startswith("-")), None)


def _jsonable(value):
    """Plain Python for json: numpy scalars and arrays unwrapped, NaN/inf as null."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if hasattr(value, "tolist"):  # numpy arrays and scalars
        return _jsonable(value.tolist())
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


def _print_table(records: list[dict], result, warnings: list[str], recording, height: str) -> None:
    print(f"{recording.source}: {len(recording.t_s)} samples, {recording.duration_s:.1f} s at {recording.fs_hz:.1f} Hz")
    print()
    if records:
        header = f"{'bend':>4}  {'start s':>8}  {'peak s':>8}  {'end s':>8}  {'class':<9}  {'score':>6}  {'lumbar':>6}  {'depth':>6}  main reasons"
        print(header)
        print("-" * len(header))
        for r in records:
            reasons = "; ".join(r["reasons"][:2]) or "-"
            if r["quality_flags"]:
                reasons += f" [{', '.join(r['quality_flags'])}]"
            print(f"{r['bend_id']:>4}  {r['start_s']:>8.2f}  {r['peak_s']:>8.2f}  {r['end_s']:>8.2f}  "
                  f"{r['label']:<9}  {r['score']:>4.0f}/100 {100 * r['lumbar_share']:>5.0f}%  "
                  f"{r['depth_deg']:>5.0f}°  {reasons}")
    else:
        print("no bends found")
    print()
    from hinge.analysis.bend_table import set_summary

    summary = set_summary([r["label"] for r in records], [r["score"] for r in records])
    unsure = f", {summary['n_uncertain']} uncertain" if summary["n_uncertain"] else ""
    print(f"bends: {summary['n_bends']} ({summary['n_hip_led']} hip-led, {summary['n_spine_led']} spine-led{unsure})")
    if records:
        print(f"mean score: {summary['mean_score']:.0f}/100")
    print(f"calibration: {_calibration_summary(result.calibration)}")
    print(f"body height: {height}")
    if len(result.dropped):
        print(f"not counted as bends: {count(len(result.dropped), 'movement')}")
    if warnings:
        print("warnings:")
        for warning in warnings:
            print(f"  - {warning}")


def _calibration_summary(calibration: dict) -> str:
    if not calibration.get("ok", True):
        return f"failed ({calibration.get('reason', 'unknown reason')})"
    parts = []
    for key, value in calibration.items():
        if key in ("ok", "segment_from_sensor") or isinstance(value, (list, dict)):
            continue
        parts.append(f"{key}={value:.3g}" if isinstance(value, float) else f"{key}={value}")
    return "ok" + (f" ({', '.join(parts)})" if parts else "")


def _run_analyse(args: argparse.Namespace) -> int:
    from hinge.imports import imports_without_collector

    with imports_without_collector("hinge.api"):
        from hinge.api import analyse_with_pair, analysis_params
        from hinge.recordings.load import load_recording

        from hinge.progress import progress_bar, want_progress

    # Coarse stages on stderr: a one-hour recording takes a few seconds.
    mode = getattr(args, "progress", "auto")
    with progress_bar("reading", 2, "always" if mode == "always" else want_progress(mode)) as advance:
        loaded = load_recording(args.file, acc_unit=args.acc_unit, gyro_unit=args.gyro_unit,
                                placement=args.placement)
        advance("analysing")
        recording = loaded.recording
        args.placement = loaded.placement
        result, pair = analyse_with_pair(loaded, height_m=args.height_m)
        advance()
    from hinge.analysis.bend_table import BEND_SCHEMA, PAIR_BEND_SCHEMA, bend_records
    from hinge.analysis.provenance import provenance, utc_now

    warnings = list(result.warnings)
    records = bend_records(result.bends) if pair is None else bend_records(pair.bends, BEND_SCHEMA + PAIR_BEND_SCHEMA)
    if not args.json:
        height_m = analysis_params(loaded, height_m=args.height_m).height_m
        _print_table(records, result, warnings, recording, height_used(height_m, args.height_m, loaded.height_m))
        if pair is not None:
            from hinge.pair_output import pair_lines

            print()
            print("\n".join(pair_lines(records, pair)))
            for warning in pair.warnings:
                print(f"  - {warning}")
        return 0
    params = {"placement": args.placement, "acc_unit": args.acc_unit, "gyro_unit": args.gyro_unit}
    if hasattr(result, "params") and hasattr(result.params, "as_dict"):
        params["analysis"] = result.params.as_dict()
    document = {
        "bends": records,
        "calibration": result.calibration,
        "warnings": warnings,
        "dropped": [
            {"start_s": round(float(d.start_s), 6), "end_s": round(float(d.end_s), 6), "reason": str(d.reason)}
            for d in result.dropped.itertuples()
        ],
        "input": {
            "file": str(args.file),
            "fs_hz": round(recording.fs_hz, 6),
            "n_samples": int(len(recording.t_s)),
            "duration_s": round(recording.duration_s, 6),
        },
        **provenance(params, loaded.sha256, utc_now()),
    }
    if pair is not None:
        from hinge.pair_output import pair_summary

        document["two_sensor"] = pair_summary(pair)
        document["input"]["upper"] = {"fs_hz": round(loaded.upper.fs_hz, 6), "n_samples": int(len(loaded.upper.t_s)),
                                      "duration_s": round(loaded.upper.duration_s, 6)}
    print(json.dumps(_jsonable(document), indent=2, allow_nan=False))
    return 0


def _run_simulate(args: argparse.Namespace) -> int:
    from hinge.output_paths import check_new_file, write_atomically

    output = check_new_file(args.output, force=args.force, default_name="simulated.csv")
    truth = check_new_file(args.truth, force=args.force, default_name="truth.csv", flag="--truth") if args.truth else None
    if truth is not None and truth.resolve() == output.resolve():
        raise HingeInputError(f"{truth}: --truth and -o name the same file; choose two files")
    if args.bends < 1:
        raise HingeInputError(f"--bends {args.bends}: need at least 1 bend")
    from hinge.recordings.validation import MAX_FS_HZ, MIN_FS_HZ  # what `hinge analyse` accepts

    if not MIN_FS_HZ <= args.fs_hz <= MAX_FS_HZ:
        raise HingeInputError(f"--fs-hz {args.fs_hz:g}: sample rate must be within {MIN_FS_HZ:.0f}-{MAX_FS_HZ:.0f} Hz")
    from hinge.analysis.body_model import SessionSpec, simulate_pair, simulate_session

    spec = SessionSpec(n_bends=args.bends, placement=args.placement, fs_hz=args.fs_hz, mounting=args.mounting,
                       seed=args.seed)
    sites = args.placement
    if args.upper_placement is None:
        session = simulate_session(spec)
        write_atomically(output, session.to_csv)
        truth_table = session.truth
    else:
        import numpy as np

        from hinge.recordings.csv_write import pair_rows, write_pair_csv

        # One person, two sensors: each its own mounting draw, errors and losses (simulate_pair).
        pair = simulate_pair(spec, upper_placement=args.upper_placement)
        rows = pair_rows(pair.lower.t_s, np.column_stack([pair.lower.acc_mps2, pair.lower.gyr_rad_s]),
                         pair.upper.t_s, np.column_stack([pair.upper.acc_mps2, pair.upper.gyr_rad_s]))
        write_atomically(output, lambda path: write_pair_csv(path, rows, args.upper_placement))
        truth_table = pair.truth
        sites = f"{args.placement} and {args.upper_placement}, two-sensor CSV"
    message = f"wrote {output} ({args.bends} bends, {sites}, {args.fs_hz:g} Hz, {args.mounting} mounting, seed {args.seed})"
    if truth is not None:
        write_atomically(truth, truth_table.to_csv)
        message += f" and the true bend table to {truth}"
    print(message)
    return 0


def _run_recover(args: argparse.Namespace) -> int:
    from hinge.recordings import recover_session

    for line in recover_session(args.dir).lines():
        print(line)
    return 0


def _run_export(args: argparse.Namespace) -> int:
    from pathlib import Path

    from hinge.bids_export import export_bids, export_bids_folder

    options = {"task": args.task, "placement": args.placement, "force": args.force, "acc_unit": args.acc_unit,
               "gyro_unit": args.gyro_unit, "height_m": args.height_m}
    source = Path(args.source)
    if not (source.is_dir() and not (source / "session.json").exists()):
        done = export_bids(source, args.bids, args.subject, session=args.session, **options)
        also = f" and {done.upper_paths['motion']} (the {done.upper_placement} sensor)" if done.upper_paths else ""
        print(f"wrote {done.paths['motion']}{also} and its sidecars ({_exported(done)})")
        return 0

    def show(outcome) -> None:
        if outcome.error is None:
            entry = f"sub-{outcome.result.subject}" + (f"/ses-{outcome.result.session}" if outcome.result.session else "")
            print(f"{outcome.file} -> {entry}: {_exported(outcome.result)}", flush=True)
        else:
            print(f"hinge: failed: {outcome.error}", file=sys.stderr, flush=True)

    outcomes, notes = export_bids_folder(source, args.bids, args.subject, session=args.session, on_done=show,
                                         **options)
    for note in notes:
        print(f"hinge: note: {note}", file=sys.stderr)
    done = [o.result for o in outcomes if o.error is None]
    failed = len(outcomes) - len(done)
    print(f"exported {len(done)} of {count(len(outcomes), 'recording')} into {args.bids} "
          f"({count(len({d.subject for d in done}), 'participant')})"
          + (f"; {failed} failed (listed above)" if failed else ""))
    return 1 if failed else 0


def _exported(done) -> str:
    placement = f"{done.placement} and {done.upper_placement}" if done.upper_placement else done.placement
    return (f"{done.n_bends} bends, {done.n_bad} BAD_ events, {placement}, "
            f"body height {100 * done.height_m:.0f} cm")


def _run_scan(args: argparse.Namespace) -> int:
    from hinge.acquisition import run_scan

    return run_scan(args)


def _run_record(args: argparse.Namespace) -> int:
    from hinge.acquisition import run_record

    return run_record(args)


def _run_live(args: argparse.Namespace) -> int:
    from hinge.live import run_live

    return run_live(args)


def _run_batch(args: argparse.Namespace) -> int:
    from hinge.batch_cli import run_batch_command

    return run_batch_command(args)


def _one_line(error: BaseException) -> str:
    if isinstance(error, OSError) and error.filename is not None:
        text = f"{error.filename}: {error.strerror or error}"
    else:
        text = str(error)
    return " ".join(text.split())


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit status (0 ok, 2 bad input, 3 an output could not
    be written, 130 interrupted)."""
    # Before anything loads numpy: one BLAS/OpenMP thread unless the user set their own
    # (hinge.threads says why); every command, and the batch workers, inherit it.
    limit_native_threads()
    argv = sys.argv[1:] if argv is None else argv
    parser = _build_parser(_command_in(argv))
    args = parser.parse_args(argv)
    try:
        return args.run(args)
    except HingeWriteError as error:
        print(f"hinge: error: {_one_line(error)}", file=sys.stderr)
        return EXIT_WRITE_ERROR
    except (HingeInputError, FileNotFoundError, PermissionError, IsADirectoryError, NotADirectoryError) as error:
        print(f"hinge: error: {_one_line(error)}", file=sys.stderr)
        return EXIT_INPUT_ERROR
    except BrokenPipeError:
        # The reader of stdout went away (e.g. `| head`); say nothing more.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    except OSError as error:
        # A full disk, a quota, a file-size limit: outputs are written atomically, so
        # nothing half-written is left (a recording: `hinge recover` repairs it).
        hint = ("; free space (or raise the limit) and run again"
                if error.errno in (errno.ENOSPC, errno.EFBIG, errno.EDQUOT) else "")
        print(f"hinge: error: could not write {error.filename or 'an output'}: "
              f"{error.strerror or error}{hint}", file=sys.stderr)
        return EXIT_WRITE_ERROR
    except KeyboardInterrupt:
        print("hinge: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


if __name__ == "__main__":
    sys.exit(main())
