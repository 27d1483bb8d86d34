"""Importing a command's heavy modules in a new process without the garbage collector."""
from __future__ import annotations

import contextlib
import gc
import sys

__all__ = ["imports_without_collector"]


@contextlib.contextmanager
def imports_without_collector(module: str):
    """Import the modules of a command without the cyclic garbage collector when `module` is
    not loaded yet (a new process); collection resumes afterwards, with what the imports
    made frozen out of it (`gc.freeze`). numpy, pandas, pyarrow and matplotlib create a few
    hundred thousand objects that live as long as the process: collecting while they loaded
    found nothing to free, and scanning them again in every later full collection cost
    `hinge analyse` of an hour about 65 ms of CPU in all (issue 12)."""
    if module in sys.modules or not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        gc.enable()
