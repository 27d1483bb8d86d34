"""Where a command may write a file: one rule for every `-o`.

Never over an input, never over an existing file without ``--force``, never replace
anything that is not a regular file (a FIFO, a device node, a directory), and a trailing
``/`` names a directory (the file gets its default name inside it). Each refusal is one
line naming the path and the way out.
"""
from __future__ import annotations

import os
import stat
from collections.abc import Callable, Iterable
from pathlib import Path

from hinge.errors import HingeInputError


def names_directory(text: str | os.PathLike) -> bool:
    """True for a path written with a trailing separator ("out/")."""
    text = os.fspath(text)
    return text.endswith(os.sep) or text.endswith("/")


def check_new_file(path: str | os.PathLike, *, force: bool = False, inputs: Iterable[Path] = (),
                   default_name: str | None = None, flag: str = "-o") -> Path:
    """The file to write for the output argument ``path``, after checking it is safe to.

    Args:
        path: as the user gave it; "DIR/" means DIR/`default_name`.
        force: an existing regular file may be replaced.
        inputs: files or session directories the command reads; the output may be none of
            them and may not lie inside one.
        default_name: file name used inside a directory given with a trailing "/".
        flag: the option's name, for the messages.

    Raises:
        HingeInputError: one line naming the path and what to do.
    """
    text = os.fspath(path)
    target = Path(text)
    if names_directory(text):
        if default_name is None:
            raise HingeInputError(f"{text}: names a directory; give a file name for {flag}")
        if not target.is_dir():
            raise HingeInputError(f"{text}: directory does not exist; create it first or choose another {flag}")
        target = target / default_name
    elif target.is_dir():
        example = f" such as {target / default_name}" if default_name else ""
        raise HingeInputError(f"{target}: is a directory; give a file name{example}")
    parent = target.parent if str(target.parent) else Path(".")
    if not parent.exists():
        raise HingeInputError(f"{target}: directory '{parent}' does not exist; create it first or choose another {flag}")
    if not parent.is_dir():
        raise HingeInputError(f"{target}: '{parent}' is not a directory; choose another {flag}")
    resolved = target.resolve()
    for source in inputs:
        source = Path(source).resolve()
        if resolved == source or source in resolved.parents:
            raise HingeInputError(f"{target}: is an input ({source}); hinge never writes over its inputs, "
                                  f"choose another {flag}")
    if os.path.lexists(target):
        mode = os.stat(target).st_mode if target.exists() else os.lstat(target).st_mode
        if not stat.S_ISREG(mode):
            raise HingeInputError(f"{target}: exists and is not a regular file; hinge replaces only regular files, "
                                  f"choose another {flag}")
        if not force:
            raise HingeInputError(f"{target}: exists; pass --force to replace it, or choose another {flag}")
    return target


def write_atomically(path: Path, write: Callable[[Path], None]) -> None:
    """Call ``write(tmp)`` on a temporary file beside ``path``, then rename it over ``path``:
    readers see the old file or the whole new one, and a failure (a full disk) leaves
    neither half a file nor the temporary one."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        write(tmp)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
