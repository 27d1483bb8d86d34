"""A virtual monotonic clock and an asyncio event loop that runs on it.

When the loop has nothing to do but wait for a timer, it moves the clock to that timer
instead of sleeping, so minutes of simulated streaming pass as fast as the CPU work
allows. Everything that reads the time must read this clock: pass ``clock.monotonic_ns``
to the simulated sensor and to the `StreamRecorder` (``clock_ns``); ``loop.time()`` is
the same clock. Real I/O (the loop's own self-pipe, sockets) is still polled on every
turn, so a callback from another thread is never missed.

    clock = VirtualClock()
    with asyncio.Runner(loop_factory=lambda: VirtualTimeLoop(clock)) as runner:
        runner.run(main())
"""
from __future__ import annotations

import asyncio
import math
import selectors
import time


class VirtualClock:
    """Monotonic time in ns that moves only when `advance` is called (by `VirtualTimeLoop`)."""

    def __init__(self, start_ns: int | None = None):
        self.now_ns = time.monotonic_ns() if start_ns is None else int(start_ns)

    def monotonic_ns(self) -> int:
        return self.now_ns

    def monotonic(self) -> float:
        return self.now_ns / 1e9

    def advance(self, seconds: float) -> None:
        # At least 1 ns, rounded up: the timer that set the wait must be due afterwards.
        self.now_ns += max(1, math.ceil(seconds * 1e9))


class _IdleAdvancingSelector:
    """Polls the real selector without blocking; a wait for a timer advances the clock instead."""

    def __init__(self, clock: VirtualClock):
        self._clock = clock
        self._selector = selectors.DefaultSelector()

    def select(self, timeout: float | None = None):
        ready = self._selector.select(0)
        if ready or (timeout is not None and timeout <= 0):
            return ready
        if timeout is None:  # no timer at all: only real I/O (another thread) can wake the loop
            return self._selector.select(None)
        self._clock.advance(timeout)
        return []

    def __getattr__(self, name):  # register, unregister, modify, get_map, close, ...
        return getattr(self._selector, name)


class VirtualTimeLoop(asyncio.SelectorEventLoop):
    """An event loop whose ``time()`` is ``clock`` and whose idle waits advance it."""

    def __init__(self, clock: VirtualClock):
        super().__init__(_IdleAdvancingSelector(clock))
        self.clock = clock

    def time(self) -> float:
        return self.clock.monotonic()
