"""Progress bars on stderr for work that takes longer than a second.

Bars go to stderr only, so `--json` on stdout stays one clean document, and by default
only when stderr is a terminal, so logs and pipes get no control characters.
"""
from __future__ import annotations

import sys
from contextlib import contextmanager
from typing import Callable, Iterator

__all__ = ["PROGRESS_MODES", "want_progress", "progress_bar"]

PROGRESS_MODES = ("auto", "always", "never")


def want_progress(mode: str | bool | None = "auto") -> bool:
    """Whether to draw bars: "auto"/True/None on a terminal stderr, "always", "never"/False."""
    if mode is False or mode == "never":
        return False
    if mode == "always":
        return True
    return bool(getattr(sys.stderr, "isatty", lambda: False)())


@contextmanager
def progress_bar(description: str, total: int, enabled: bool | str) -> Iterator[Callable[..., None]]:
    """A bar of ``total`` steps on stderr; yields ``advance(description=None)``.

    enabled: True draws on stderr as it is; "always" also draws when stderr is not a
    terminal (asked for explicitly). When not enabled, ``advance`` does nothing and rich is
    not even imported.
    """
    if not enabled:
        yield lambda description=None: None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=Console(stderr=True, force_terminal=True if enabled == "always" else None), transient=True) as bar:
        task = bar.add_task(description, total=total)

        def advance(description: str | None = None) -> None:
            if description is not None:
                bar.update(task, description=description)
            bar.advance(task)

        yield advance
