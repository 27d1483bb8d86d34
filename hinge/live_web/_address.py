"""Where the live web view listens, and the link a phone opens.

Loopback (127.0.0.1, the default) is reachable from this computer only, so it needs no
token. Any other address is reachable from the network, so the page and its WebSocket
then require a random token in the URL (`secrets.token_urlsafe`, 128 bits), printed in
the terminal as a link and as a QR code to scan with the phone's camera.
"""
from __future__ import annotations

import io
import ipaddress
import secrets
import socket
from dataclasses import dataclass

from hinge.errors import HingeInputError

__all__ = ["BindPlan", "plan_bind", "lan_address", "page_url", "qr_text", "DEFAULT_PORT", "TOKEN_BYTES"]

# A fixed default port, so that an open page finds the next `hinge live --web` by itself.
DEFAULT_PORT = 8765
# 16 random bytes (128 bits): `secrets` recommends at least 32 bytes for long-lived
# secrets; a link that lives as long as one session and is refused after it can be
# shorter, and a shorter URL gives a smaller QR code that a phone reads more easily.
TOKEN_BYTES = 16
# Any address outside this computer: connecting a UDP socket to it sends nothing, it only
# asks the kernel which local address its route would use (TEST-NET-1, RFC 5737).
_ROUTE_PROBE = ("192.0.2.1", 9)


@dataclass(frozen=True)
class BindPlan:
    """Address and port to listen on, the address a phone should use, and the token (or None)."""

    host: str
    port: int
    public_host: str
    token: str | None


def lan_address() -> str | None:
    """This computer's IPv4 address on its default route (the Wi-Fi or LAN), or None."""
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.connect(_ROUTE_PROBE)
            address = probe.getsockname()[0]
    except OSError:
        return None
    return None if ipaddress.ip_address(address).is_loopback or address == "0.0.0.0" else address


def plan_bind(host: str | None, port: int, lan: bool, force_token: bool = False) -> BindPlan:
    """Check `--host`/`--port`/`--lan` and decide the address, the link's host and the token.

    `force_token` asks for the token on loopback too (tests, a shared computer).
    """
    if not 0 <= port <= 65535:
        raise HingeInputError(f"--port {port}: must be 0-65535 (0 picks a free port)")
    if lan and host is not None:
        raise HingeInputError("--lan and --host: give one (--lan picks this computer's network address)")
    if lan:
        address = lan_address()
        if address is None:
            raise HingeInputError("--lan: this computer has no network address (is the Wi-Fi connected?); "
                                  "or give one with --host")
        return BindPlan(address, port, address, secrets.token_urlsafe(TOKEN_BYTES))
    host = "127.0.0.1" if host in (None, "localhost") else host
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        raise HingeInputError(f"--host {host}: give an IP address of this computer (e.g. 192.168.1.20), "
                              "0.0.0.0 for every network, or use --lan") from None
    if ip.is_loopback and not force_token:
        return BindPlan(str(ip), port, str(ip), None)
    public = str(ip)
    if ip.is_unspecified:  # every interface: a phone needs the network one
        public = lan_address() or socket.gethostname()
    return BindPlan(str(ip), port, public, secrets.token_urlsafe(TOKEN_BYTES))


def page_url(host: str, port: int, token: str | None) -> str:
    """The page's URL: http://host:port/ (IPv6 in brackets), with ?token= when one is needed."""
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}/" + (f"?token={token}" if token else "")


def qr_text(url: str) -> str:
    """The URL as a QR code drawn with Unicode half blocks (two modules per character row).

    Light modules are drawn as blocks, for the light-on-dark text of most terminals; the
    quiet zone is the standard 4 modules (ISO/IEC 18004), which phone cameras need.
    """
    import segno

    out = io.StringIO()
    segno.make(url, error="l", micro=False).terminal(out=out, compact=True)
    return out.getvalue()
