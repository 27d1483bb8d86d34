"""`hinge live --web`: the live session in a browser, on this computer or on a phone.

The page shows the last verdict large in its class colour (with the class word, never
colour alone), its score, main reason and the cue for the next bend, the set so far
(count, mean score, trend), the pelvis pitch of the last 20 s, and beeps for every final
spine-led verdict (as the terminal's --beep) once a tap has allowed sound. It reconnects by itself (a reload, a restarted `hinge live`) and then gets
the current state at once.

* messages.py: the contract, the JSON messages from the live analysis' events, and the
  state a page connecting later gets;
* _address.py: where to listen; a token and a QR code for any address but loopback;
* _server.py: aiohttp serving the page and the WebSocket on its own thread;
* _page.py and page/: the page (HTML, CSS, JS), with the report's class colours.

Nothing here may stop the recording: an error is one line and the page goes away, the
session goes on.
"""
from __future__ import annotations

import argparse
import importlib
import sys
from contextlib import contextmanager

from hinge.errors import HingeInputError

from ._address import DEFAULT_PORT

__all__ = ["add_web_arguments", "check_web_arguments", "open_live_web", "LiveWeb"]

INSTALL_HINT = "pip install 'hinge[web]'"


def add_web_arguments(p: argparse.ArgumentParser) -> None:
    group = p.add_argument_group("web view", "the session on a browser too, e.g. a phone's")
    group.add_argument("--web", action="store_true",
                       help="serve a live page: the last verdict large, the set so far, the pelvis pitch, and a beep "
                            f"for every spine-led bend (needs `{INSTALL_HINT}`)")
    group.add_argument("--host", metavar="ADDRESS",
                       help="with --web: address to serve on; default 127.0.0.1 (this computer only). Any other "
                            "(0.0.0.0: every network) needs the token in the link printed")
    group.add_argument("--lan", action="store_true",
                       help="with --web: serve on this computer's network address, for a phone on the same Wi-Fi; "
                            "prints the link (with its token) and a QR code")
    group.add_argument("--port", type=int, metavar="N", help=f"with --web: port; default {DEFAULT_PORT}, 0 picks a free one")


def check_web_arguments(args: argparse.Namespace) -> None:
    """--host, --lan and --port belong to --web."""
    if not args.web:
        for name, given in (("--host", args.host is not None), ("--lan", args.lan), ("--port", args.port is not None)):
            if given:
                raise HingeInputError(f"{name}: only with --web")


class LiveWeb:
    """The web view of one live session, fed from the recording's thread. Never raises:
    a failure is printed once (one line) and the view stops; the recording goes on."""

    def __init__(self, server, url: str, token: str | None):
        from .messages import LiveMessages

        self.server, self.url, self.token = server, url, token
        self.messages = LiveMessages()
        self.failed = False

    def lines(self) -> list[str]:
        """What the terminal shows about the page: the link, and for a network address the QR code."""
        if self.token is None:
            return [f"web view: {self.url} (this computer only; --lan serves it to a phone on the same network)"]
        from ._address import qr_text

        return [f"web view: {self.url}",
                "  open it on a phone on the same network (scan the code); the link works for this session only",
                qr_text(self.url).rstrip("\n")]

    def update(self, events, analyser) -> None:
        """The live analysis' events of one block of samples, and the pitch it has analysed."""
        self._send(lambda: self.messages.from_events(events) + self.messages.trace(analyser))

    def status(self, text: str) -> None:
        """The sensor link, as the terminal's status line says it."""
        self._send(lambda: [self.messages.status(text)])

    def note(self, text: str) -> None:
        self._send(lambda: [self.messages.note(text)])

    def ended(self) -> None:
        self._send(lambda: [self.messages.ended()])

    def close(self) -> None:
        try:
            self.server.close()
        except Exception as error:  # noqa: BLE001 - closing must not hide the session's own result
            self._fail(error)

    def _send(self, make) -> None:
        if self.failed:
            return
        try:
            self.server.publish(make())
        except Exception as error:  # noqa: BLE001 - the recording must go on whatever the page does
            self._fail(error)

    def _fail(self, error: BaseException) -> None:
        self.failed = True
        text = " ".join(str(error).split()) or type(error).__name__
        print(f"hinge live --web: the web view stopped ({type(error).__name__}: {text}); the recording goes on",
              file=sys.stderr, flush=True)


def start_live_web(args: argparse.Namespace, force_token: bool = False) -> LiveWeb:
    """Serve the page as `args` ask (--host, --lan, --port); raises `HingeInputError` in one line."""
    for package in ("aiohttp", "segno"):
        try:
            importlib.import_module(package)
        except ImportError:
            raise HingeInputError(f"--web needs the optional web packages ({package} is missing): "
                                  f"{INSTALL_HINT}") from None
    from ._address import page_url, plan_bind
    from ._page import build_page, content_security_policy
    from ._server import WebServer

    plan = plan_bind(args.host, DEFAULT_PORT if args.port is None else args.port, args.lan, force_token)
    page, script_hash, style_hash = build_page()
    server = WebServer(plan, page, lambda host: content_security_policy(script_hash, style_hash, host))
    port = server.start()
    return LiveWeb(server, page_url(plan.public_host, port, plan.token), plan.token)


@contextmanager
def open_live_web(args: argparse.Namespace):
    """With --web: the `LiveWeb` (its link printed), closed at the end; else None."""
    check_web_arguments(args)
    if not args.web:
        yield None
        return
    web = start_live_web(args)
    for line in web.lines():
        print(line, flush=True)
    try:
        yield web
    finally:
        web.close()
