"""The one exception every decoder in `hinge.firmware_protocol` raises for bad bytes.

A truncated, oversize, wrong-header or corrupted packet raises `ProtocolError` with a
one-line reason that names the device and the field, e.g.::

    ProtocolError: witmotion: notification of 19 bytes is truncated (expected 20 or 28)

It subclasses `ValueError`, so callers that only know "bad input" still catch it. The
stream layer catches exactly this class, counts the packet as bad and skips it; any other
exception escaping a decoder is a bug (the fuzz tests and `benchmarks/fuzz_protocols.py`
check that).
"""
from __future__ import annotations

__all__ = ["ProtocolError"]


class ProtocolError(ValueError):
    """Bytes that do not form a valid packet of the expected kind.

    Parameters
    ----------
    device
        Short device key (``"hinge_open"``, ``"witmotion"``, ``"polar_pmd"``, ``"movesense"``).
    reason
        One line, naming the field and the expected value or range.
    """

    def __init__(self, device: str, reason: str):
        self.device = device
        self.reason = reason
        super().__init__(f"{device}: {reason}")
