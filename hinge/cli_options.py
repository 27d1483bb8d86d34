"""Options several commands share, defined once: the CSV units and the body height.

`--acc-unit`/`--gyro-unit` sit on every command that reads recordings (analyse, report,
export, batch) and accept every spelling of `hinge.recordings.units`; `--height-cm` sits
on the commands that record (record, live: stored in session.json) and on those that
analyse (analyse, report, batch: an override of the stored height). Argparse only, and
light: building the parser imports no numerics.
"""
from __future__ import annotations

import argparse

from hinge.analysis.params import AnalysisParams
from hinge.errors import HingeInputError
from hinge.recordings import units
from hinge.recordings.schema import MAX_HEIGHT_M, MIN_HEIGHT_M

__all__ = ["add_unit_arguments", "add_height_argument", "height_cm", "height_used", "heights_used"]

MIN_HEIGHT_CM, MAX_HEIGHT_CM = round(100 * MIN_HEIGHT_M), round(100 * MAX_HEIGHT_M)


def _acc_unit(text: str) -> str:
    try:
        return units.acc_unit(text, "")
    except HingeInputError as error:
        raise argparse.ArgumentTypeError(str(error).strip()) from None


def _gyro_unit(text: str) -> str:
    try:
        return units.gyro_unit(text, "")
    except HingeInputError as error:
        raise argparse.ArgumentTypeError(str(error).strip()) from None


def height_cm(text: str) -> float:
    """A body height given in cm (argparse type), returned in m; a typo is refused in one line."""
    try:
        value_cm = float(text)
    except ValueError:
        value_cm = float("nan")
    if not MIN_HEIGHT_CM <= value_cm <= MAX_HEIGHT_CM:
        raise argparse.ArgumentTypeError(f"'{text}' is not a body height in cm; give {MIN_HEIGHT_CM}-"
                                         f"{MAX_HEIGHT_CM} (e.g. 172)")
    return value_cm / 100.0


def add_unit_arguments(parser: argparse.ArgumentParser) -> None:
    """``--acc-unit``/``--gyro-unit``: units of a CSV's columns, stored as their canonical names."""
    parser.add_argument("--acc-unit", type=_acc_unit, default=units.DEFAULT_ACC_UNIT, metavar="UNIT",
                        help=f"unit of a CSV's acc_* columns: {', '.join(units.ACC_UNIT_SPELLINGS)} "
                             "(sessions and BIDS files declare their own)")
    parser.add_argument("--gyro-unit", type=_gyro_unit, default=units.DEFAULT_GYRO_UNIT, metavar="UNIT",
                        help=f"unit of a CSV's gyr_* columns: {', '.join(units.GYRO_UNIT_SPELLINGS)}")


def add_height_argument(parser: argparse.ArgumentParser, *, recording: bool = False) -> None:
    """``--height-cm`` (stored as ``args.height_m``, m, or None): stored with a new session
    (``recording``), else the height to analyse at."""
    if recording:
        text = "participant's body height, cm; stored in session.json and used by every later analysis"
    else:
        text = ("participant's body height, cm, to scale the body model (None: the height stored with the "
                "recording, in session.json or a BIDS dataset's participants.tsv, "
                f"else the population mean {100 * AnalysisParams.height_m:.0f})")
    parser.add_argument("--height-cm", type=height_cm, default=None, dest="height_m", metavar="CM",
                        help=f"{text}; {MIN_HEIGHT_CM}-{MAX_HEIGHT_CM}")


def height_used(height_m: float, given_m: float | None, stored_m: float | None) -> str:
    """How the summary states the body height analysed at, m, and where it came from."""
    origin = ("--height-cm" if given_m is not None else "stored with the recording" if stored_m is not None
              else "population mean; pass --height-cm to scale to the participant")
    return f"{100 * height_m:.0f} cm ({origin})"


def heights_used(given_m: float | None) -> str:
    """How a many-recording summary (report, batch) states the body height analysed at."""
    if given_m is not None:
        return f"body height {100 * given_m:.0f} cm (--height-cm)"
    return f"each session's stored body height, else {100 * AnalysisParams.height_m:.0f} cm"
