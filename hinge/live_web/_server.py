"""The live web view's server: one page and one WebSocket, on aiohttp.

aiohttp serves HTTP and WebSockets from one asyncio library (https://docs.aiohttp.org/).
It runs here on its own thread and event loop rather than in the recording's: the
recording loop belongs to `hinge.acquisition` (one ``asyncio.run`` per command), the
page must be served before the sensor is found, and a slow or vanished phone must never
delay a sample. The recording thread only hands over ready messages
(``loop.call_soon_threadsafe``); everything else (the state a new page gets, every
client's queue) lives on the server's loop, so a page that connects gets the state and
then every later message, none twice.

Requests are refused (403) without the token when one is set, with a Host that is not
an address (a DNS-rebinding page) and, for the WebSocket, from another site's page.
"""
from __future__ import annotations

import asyncio
import errno
import json
import logging
import secrets
import sys
import threading

from aiohttp import WSCloseCode, web

from hinge.errors import HingeInputError

from ._address import BindPlan
from .messages import WebState

__all__ = ["WebServer"]

# Messages a page may fall behind before it is sent the whole state afresh instead.
CLIENT_QUEUE = 256
# WebSocket pings, s: a phone that went away (screen off, out of Wi-Fi) is noticed.
HEARTBEAT_S = 10.0
# Seconds to start, and to close the connections at the end.
START_TIMEOUT_S = 10.0
CLOSE_TIMEOUT_S = 5.0
PAGE_HEADERS = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer", "X-Content-Type-Options": "nosniff",
                "X-Frame-Options": "DENY"}


class _OneLine(logging.Handler):
    """aiohttp's own warnings and errors as one line each on stderr (never a traceback)."""

    def emit(self, record: logging.LogRecord) -> None:
        error = record.exc_info[1] if record.exc_info else None
        text = record.getMessage() + (f" ({type(error).__name__}: {error})" if error else "")
        print(f"hinge live --web: {' '.join(text.split())}", file=sys.stderr, flush=True)


def _quiet_aiohttp() -> None:
    logger = logging.getLogger("aiohttp")
    if not any(isinstance(h, _OneLine) for h in logger.handlers):
        logger.addHandler(_OneLine(logging.WARNING))
        logger.propagate = False


class WebServer:
    """Serves `page` (HTML bytes; `csp(host)` its Content-Security-Policy) and the message stream.

    `start()` returns the bound port (or raises `HingeInputError` in one line);
    `publish(messages)` may be called from any thread; `close()` ends the connections.
    """

    def __init__(self, plan: BindPlan, page: bytes, csp):
        self.plan, self.page, self.csp = plan, page, csp
        self.state = WebState()
        self.port: int | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._ready = threading.Event()
        self._error: str | None = None
        self._clients: dict[web.WebSocketResponse, asyncio.Queue] = {}
        self._thread: threading.Thread | None = None

    # -- called from the recording's thread ------------------------------------------------
    def start(self) -> int:
        _quiet_aiohttp()
        self._thread = threading.Thread(target=self._run, name="hinge-live-web", daemon=True)
        self._thread.start()
        if not self._ready.wait(START_TIMEOUT_S):
            raise HingeInputError(f"--web: the web server did not start within {START_TIMEOUT_S:g} s")
        if self._error is not None:
            raise HingeInputError(self._error)
        return self.port

    def publish(self, messages: list[dict]) -> None:
        loop = self._loop
        if messages and loop is not None:
            try:
                loop.call_soon_threadsafe(self._publish, messages)
            except RuntimeError:  # the server has closed: nobody to tell
                pass

    def close(self) -> None:
        loop, stop = self._loop, self._stop
        if loop is not None and stop is not None:
            try:
                loop.call_soon_threadsafe(stop.set)
            except RuntimeError:
                pass
        if self._thread is not None:
            self._thread.join(CLOSE_TIMEOUT_S + 1.0)

    # -- the server's thread ---------------------------------------------------------------
    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        try:
            loop.run_until_complete(self._serve(loop))
        except Exception as error:  # noqa: BLE001 - the recording goes on without the page
            text = f"{type(error).__name__}: {' '.join(str(error).split())}"
            if not self._ready.is_set():
                self._error = f"--web: the web server could not start ({text})"
            else:
                print(f"hinge live --web: the web view stopped ({text}); the recording goes on",
                      file=sys.stderr, flush=True)
        finally:
            self._ready.set()
            self._loop = None
            loop.close()

    async def _serve(self, loop: asyncio.AbstractEventLoop) -> None:
        self._stop = asyncio.Event()
        app = web.Application(middlewares=[self._guard])
        app.router.add_get("/", self._page)
        app.router.add_get("/ws", self._socket)
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=CLOSE_TIMEOUT_S)
        await runner.setup()
        try:
            await web.TCPSite(runner, self.plan.host, self.plan.port).start()
        except OSError as error:
            await runner.cleanup()
            where = f"[{self.plan.host}]" if ":" in self.plan.host else self.plan.host
            self._error = (f"--port {self.plan.port}: cannot listen on {where}:{self.plan.port} "
                           f"({error.strerror or error}); choose another --port (0 picks a free one)"
                           if error.errno == errno.EADDRINUSE else
                           f"--host {self.plan.host}: cannot listen there ({error.strerror or error}); "
                           "give an address of this computer, or --lan")
            return
        self.port = int(runner.addresses[0][1])
        self._loop = loop
        self._ready.set()
        try:
            await self._stop.wait()
            await asyncio.wait_for(asyncio.gather(*(ws.close(code=WSCloseCode.GOING_AWAY, message=b"session ended")
                                                    for ws in list(self._clients)), return_exceptions=True),
                                   CLOSE_TIMEOUT_S)
        finally:
            await runner.cleanup()

    def _publish(self, messages: list[dict]) -> None:
        for message in messages:
            text = json.dumps(self.state.apply(message), separators=(",", ":"))
            for queue in self._clients.values():
                try:
                    queue.put_nowait(text)
                except asyncio.QueueFull:  # a page far behind: the state afresh instead
                    while not queue.empty():
                        queue.get_nowait()
                    queue.put_nowait(json.dumps(self.state.snapshot(), separators=(",", ":")))

    @web.middleware
    async def _guard(self, request: web.Request, handler):
        host = request.url.host or ""
        if not (host in ("localhost", self.plan.public_host) or _is_address(host)):
            raise web.HTTPForbidden(text="hinge live: open the address printed in the terminal\n")
        token = self.plan.token
        if token is not None and not secrets.compare_digest(request.query.get("token", "").encode(), token.encode()):
            raise web.HTTPForbidden(text="hinge live: this link needs the token printed in the terminal "
                                         "(a new one every session)\n")
        return await handler(request)

    async def _page(self, request: web.Request) -> web.Response:
        return web.Response(body=self.page, content_type="text/html", charset="utf-8",
                            headers={**PAGE_HEADERS, "Content-Security-Policy": self.csp(request.host)})

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        origin = request.headers.get("Origin")
        if origin is not None and origin != f"{request.scheme}://{request.host}":
            raise web.HTTPForbidden(text="hinge live: the live stream is for the hinge page only\n")
        ws = web.WebSocketResponse(heartbeat=HEARTBEAT_S, compress=False)
        await ws.prepare(request)
        queue: asyncio.Queue = asyncio.Queue(CLIENT_QUEUE)
        queue.put_nowait(json.dumps(self.state.snapshot(), separators=(",", ":")))
        self._clients[ws] = queue
        sender = asyncio.create_task(self._send(ws, queue))
        try:
            async for _ in ws:  # the page sends nothing; this ends when it goes away
                pass
        finally:
            self._clients.pop(ws, None)
            sender.cancel()
        return ws

    @staticmethod
    async def _send(ws: web.WebSocketResponse, queue: asyncio.Queue) -> None:
        try:
            while True:
                await ws.send_str(await queue.get())
        except (ConnectionError, RuntimeError):  # the page went away mid-send
            await ws.close()


def _is_address(host: str) -> bool:
    import ipaddress

    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True
