"""The page, as one HTML document: page/index.html with page/live.css and page/live.js inlined.

One document means one request, no other file for the token to guard and nothing from a
network. The class colours are every view's (`hinge.analysis.palette`, Okabe-Ito), so a
class looks the same on the phone as in the terminal and the report; the text on each is
black or white, whichever contrasts more (WCAG 2.1 relative luminance). The
Content-Security-Policy allows exactly the inlined script and style (by their SHA-256)
and connections back to this server.
"""
from __future__ import annotations

import base64
import hashlib
from importlib.resources import files

__all__ = ["build_page", "content_security_policy"]

_INKS = ("#000000", "#ffffff")


def _luminance(hex_colour: str) -> float:
    """WCAG 2.1 relative luminance of an sRGB colour "#rrggbb", 0-1."""
    channels = [int(hex_colour.lstrip("#")[i:i + 2], 16) / 255 for i in (0, 2, 4)]
    r, g, b = (c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def _contrast(a: str, b: str) -> float:
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def palette_css() -> str:
    """CSS custom properties --<class> and --<class>-ink for every class colour."""
    from hinge.analysis.palette import CLASS_COLOURS

    lines = []
    for label, colour in CLASS_COLOURS.items():
        ink = max(_INKS, key=lambda candidate: _contrast(colour, candidate))
        lines.append(f"--{label}: {colour}; --{label}-ink: {ink};")
    return ":root { " + " ".join(lines) + " }\n"


def _sha256(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


def build_page() -> tuple[bytes, str, str]:
    """(the HTML document, the hash source of its script, that of its style)."""
    folder = files("hinge.live_web") / "page"
    html = (folder / "index.html").read_text(encoding="utf-8")
    style = palette_css() + (folder / "live.css").read_text(encoding="utf-8")
    script = (folder / "live.js").read_text(encoding="utf-8")
    html = html.replace("/*STYLE*/", style, 1).replace("/*SCRIPT*/", script, 1)
    return html.encode(), _sha256(script), _sha256(style)


def content_security_policy(script_hash: str, style_hash: str, host: str) -> str:
    """Only the inlined script and style run; the page connects to its own server only.

    `host` is the request's host:port: its ws:// URL is named as well, for browsers
    whose 'self' does not cover WebSockets (CSP level 2).
    """
    return (f"default-src 'none'; script-src {script_hash}; style-src {style_hash}; img-src data:; "
            f"connect-src 'self' ws://{host}; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
