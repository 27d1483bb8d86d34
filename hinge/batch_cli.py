"""`hinge batch` on the command line: arguments, help and what is printed.

Kept apart from hinge.batch so that building the parser imports neither pandas nor numpy.
"""
from __future__ import annotations

import argparse
import sys

from hinge.cli_options import add_height_argument, add_unit_arguments, heights_used
from hinge.recordings.wording import count
from hinge.threads import available_cores

__all__ = ["add_batch_arguments", "run_batch_command", "BATCH_DESCRIPTION", "BATCH_EPILOG",
           "EXIT_OK", "EXIT_SOME_FAILED"]

EXIT_OK = 0
EXIT_SOME_FAILED = 1

BATCH_DESCRIPTION = """\
Find every recording under the given folders or glob patterns (CSV files, session
directories, BIDS-Motion *_motion.tsv), analyse them in parallel and write one row per
bend (study, subject, session, task, file, session start, the bend table of `hinge analyse
--json`: bend_id, times, label, score, ..., reasons, quality_flags; warnings, hinge_version,
params; participants.tsv columns for BIDS) as CSV or Parquet by the extension of
-o, plus one row per recording beside it (NAME_recordings.EXT). A recording that cannot
be analysed is reported and skipped; the tables are written anyway.

exit status: 0 every recording analysed; 1 tables written but some recordings failed
(listed on stderr and in the recordings table); 2 bad arguments or nothing to analyse."""
BATCH_EPILOG = """\
examples:
  hinge batch study/ -o bends.csv
  hinge batch 'study/sub-*/**/*_motion.tsv' -o bends.parquet --jobs 4
  hinge batch /shared/study -o bends.parquet --scheduler tcp://10.0.0.5:8786"""


def add_batch_arguments(parser: argparse.ArgumentParser, placements: tuple[str, ...]) -> None:
    parser.add_argument("inputs", nargs="+", metavar="DIR_OR_GLOB",
                        help="study folder (searched recursively), recording, or glob pattern (quote it; ** recurses)")
    parser.add_argument("-o", "--output", required=True, metavar="BENDS.csv|BENDS.parquet",
                        help="bends table to write; the per-recording table goes beside it as NAME_recordings.EXT")
    parser.add_argument("--force", action="store_true", help="replace existing output tables")
    parser.add_argument("--jobs", "-j", type=int, default=available_cores(),
                        help="local worker processes (all cores by default; 1 = in this process)")
    parser.add_argument("--scheduler", metavar="ADDRESS", default=None,
                        help="run on an existing Dask cluster instead (tcp://HOST:8786; needs hinge[dask]); "
                             "the workers must see the input paths")
    parser.add_argument("--placement", choices=placements, default=None,
                        help="skin site of the sensor for every recording (None: each session's own, else sacrum)")
    add_unit_arguments(parser)
    add_height_argument(parser)
    parser.add_argument("--progress", choices=("auto", "always", "never"), default="auto",
                        help="progress bar on stderr (auto: when stderr is a terminal)")


def run_batch_command(args: argparse.Namespace) -> int:
    """The `hinge batch` subcommand: prints where the tables went and the failures; returns the exit status."""
    from hinge.batch import run_batch
    from hinge.progress import want_progress

    enabled = "always" if args.progress == "always" else want_progress(args.progress)

    outcome = run_batch(args.inputs, args.output, workers=args.jobs, scheduler=args.scheduler,
                        placement=args.placement, progress=enabled, force=args.force, acc_unit=args.acc_unit,
                        gyro_unit=args.gyro_unit, height_m=args.height_m)
    recordings, bends = outcome.recordings, outcome.bends
    if outcome.skipped_csv:
        print(f"hinge: skipped {count(len(outcome.skipped_csv), 'CSV file')} without IMU columns "
              f"(e.g. {outcome.skipped_csv[0]})", file=sys.stderr)
    for note in outcome.notes:
        print(f"hinge: note: {note}", file=sys.stderr)
    n_ok = int((recordings["status"] == "ok").sum())
    from hinge.analysis.bend_table import bends_summary

    s = bends_summary(bends)
    unsure = f", {s['n_uncertain']} uncertain" if s["n_uncertain"] else ""
    print(f"wrote {outcome.bends_path}: {s['n_bends']} bends ({s['n_hip_led']} hip-led, {s['n_spine_led']} spine-led{unsure}) "
          f"from {n_ok} of {len(recordings)} recordings ({heights_used(args.height_m)}); "
          f"per recording: {outcome.recordings_path}")
    if outcome.failures:
        print(f"hinge: {len(outcome.failures)} of {len(recordings)} recordings failed and were skipped:",
              file=sys.stderr)
        for _, error in outcome.failures:
            print(f"  - {error}", file=sys.stderr)
        return EXIT_SOME_FAILED
    return EXIT_OK
