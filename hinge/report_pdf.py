"""The HTML report printed to a PDF by headless Chromium.

Why Chromium and not matplotlib's PdfPages: the PDF is then the very report a browser
shows, laid out by its own A4 print style sheet (`@page`, headings kept with their text,
rows unsplit, collapsed tables opened), with real, selectable text. A figures-and-tables
PDF from matplotlib would be a second layout of every table and sentence to keep in step.
Chromium is a maintained engine but not a Python package: when it is not installed,
`hinge report -o FILE.pdf` is refused in one line saying how to install it.

Chromium runs headless with a throw-away profile, every host name resolving to nothing
(the report needs no network), and `--print-to-pdf` (Chromium command-line switches:
https://peter.sh/experiments/chromium-command-line-switches/).
"""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from hinge.errors import HingeInputError, HingeWriteError

__all__ = ["find_chromium", "print_pdf", "CHROMIUM_ENV", "CHROMIUM_NAMES", "PRINT_TIMEOUT_S"]

# Set to a browser binary to use that one (also how tests point at a missing browser).
CHROMIUM_ENV = "HINGE_CHROMIUM"
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
PRINT_TIMEOUT_S = 120.0
INSTALL_HINT = ("install Chromium (Debian/Ubuntu: apt-get install chromium) or set HINGE_CHROMIUM to its path, "
                "or write -o FILE.html and print it from a browser")


def find_chromium() -> str | None:
    """Path of a Chromium/Chrome binary: $HINGE_CHROMIUM when set, else the first on PATH."""
    chosen = os.environ.get(CHROMIUM_ENV)
    if chosen is not None:
        return chosen if os.path.isfile(chosen) and os.access(chosen, os.X_OK) else None
    return next((path for path in map(shutil.which, CHROMIUM_NAMES) if path), None)


def require_chromium(out: Path) -> str:
    """The browser to print with, or a one-line refusal naming the file and the fix."""
    chromium = find_chromium()
    if chromium is None:
        where = f" ({CHROMIUM_ENV}={os.environ[CHROMIUM_ENV]} is not an executable file)" \
            if os.environ.get(CHROMIUM_ENV) is not None else ""
        raise HingeInputError(f"{out}: a PDF report needs the Chromium browser, which was not found{where}; "
                              f"{INSTALL_HINT}")
    return chromium


def print_pdf(html: str, pdf_path: Path, chromium: str, shown_as: Path | None = None) -> None:
    """Print the HTML document ``html`` to ``pdf_path`` (A4, from the page's own print CSS).

    shown_as: the file named in error messages (the final name when ``pdf_path`` is a
        temporary file beside it).

    Raises:
        HingeWriteError: Chromium failed or wrote no PDF (one line, with its last message).
    """
    name = shown_as or pdf_path
    with tempfile.TemporaryDirectory(prefix="hinge-pdf-") as tmp:
        page = Path(tmp) / "report.html"
        page.write_text(html, encoding="utf-8")
        args = [chromium, "--headless", "--disable-gpu", "--no-first-run", "--no-default-browser-check",
                "--disable-extensions", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--disable-default-apps", "--mute-audio", "--host-resolver-rules=MAP * ~NOTFOUND",
                f"--user-data-dir={Path(tmp) / 'profile'}", "--no-pdf-header-footer",
                f"--print-to-pdf={pdf_path}", page.as_uri()]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            args.insert(1, "--no-sandbox")  # Chromium refuses to start its sandbox as root
        try:
            done = subprocess.run(args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                  timeout=PRINT_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            raise HingeWriteError(f"{name}: Chromium did not finish printing within {PRINT_TIMEOUT_S:.0f} s") \
                from None
        except OSError as error:
            raise HingeInputError(f"{name}: could not start {chromium} ({error.strerror}); {INSTALL_HINT}") \
                from None
    if done.returncode != 0 or not pdf_path.is_file() or _head(pdf_path) != b"%PDF-":
        lines = [line for line in done.stderr.decode(errors="replace").splitlines() if line.strip()]
        last = lines[-1].strip() if lines else "no message"
        raise HingeWriteError(f"{name}: Chromium did not print the report (exit {done.returncode}: {last})")


def _head(path: Path) -> bytes:
    with open(path, "rb") as file:
        return file.read(5)
