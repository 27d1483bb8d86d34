"""Errors raised at the edges of hinge (file reading, command-line arguments)."""
from __future__ import annotations


class HingeInputError(ValueError):
    """An input the user can fix: a bad file, a wrong unit, a missing directory.

    The message is one line: the thing (usually the file name), the problem, and the fix,
    e.g. ``data.csv: column 'gyr_z' is missing (found: time_s, acc_x); expected header ...``.
    The command line prints it as ``hinge: error: <message>`` and exits with status 2.
    """


class HingeWriteError(HingeInputError):
    """An output could not be written (a full disk, a quota, a file-size limit): one line
    naming the file and what was kept; the command line exits with status 3."""
