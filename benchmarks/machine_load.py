"""Load for the benchmarks: busy-loop processes that keep the other cores busy while a measurement runs.

The speed targets of issue 12 hold "while a second process keeps the other core busy":
a user's machine runs other work, and thread pools that spin against each other only
show up then. `busy_cores` starts one pure-Python busy loop per core but the one the
measurement needs (started and stopped here, never left behind), and `load_line` says
what the machine did meanwhile.
"""
from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from collections.abc import Iterator

from hinge.threads import available_cores

BUSY_LOOP = "while True:\n    pass\n"


@contextlib.contextmanager
def busy_cores(n: int | None = None) -> Iterator[int]:
    """Keep ``n`` cores busy (None: all but one, at least one) for the ``with`` block; yields ``n``."""
    n = max(1, available_cores() - 1) if n is None else n
    loops = [subprocess.Popen([sys.executable, "-c", BUSY_LOOP]) for _ in range(n)]
    try:
        yield n
    finally:
        for loop in loops:
            loop.terminate()
        for loop in loops:
            loop.wait(10)


def load_line(busy: int) -> str:
    """The machine state, for the printout: cores, busy loops, 1-minute load average."""
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return f"{available_cores()} cores, {busy} busy-loop process(es) running, load average {load:.1f}"
