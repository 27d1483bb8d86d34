"""Driving a StreamRecorder in tests: wait for a condition, run a recording until told."""
from __future__ import annotations

import asyncio
import time


async def until(cond, timeout_s: float, what) -> None:
    """Wait until ``cond()`` holds; fail naming ``what`` (a str, or a callable giving one)."""
    deadline = time.monotonic() + timeout_s
    while not cond():
        assert time.monotonic() < deadline, f"timed out waiting for {what() if callable(what) else what}"
        await asyncio.sleep(0.02)


def tamper(sensor, after_samples: int, change):
    """A ``during`` hook: from ``after_samples`` received on, route each notification of
    the sensor's data characteristic through ``change(value, deliver)`` (duplicate it,
    hold it back, swap it, drop it); other characteristics pass unchanged."""

    async def go(rec):
        while rec.stats.samples < after_samples:
            await asyncio.sleep(0.005)
        deliver = sensor._notify

        def routed(uuid, value):
            if uuid == sensor.data_uuid:
                change(value, lambda v: deliver(uuid, v))
            else:
                deliver(uuid, value)

        sensor._notify = routed

    return go


async def run_recorder(rec, *, until, timeout_s: float, during=None, poll_s: float = 0.02):
    """Run ``rec`` until ``until(rec)`` or its own end; ``during(rec)`` is awaited first.

    ``until`` is checked every ``poll_s`` of event-loop time; ``timeout_s`` is real time.
    Returns what ``rec.run`` returned (its stats). Stops the recorder whatever happens.
    """
    stop = asyncio.Event()
    task = asyncio.create_task(rec.run(stop))
    deadline = time.monotonic() + timeout_s
    try:
        if during is not None:
            await during(rec)
        while not until(rec) and not task.done():
            assert time.monotonic() < deadline, f"timed out; stats: {rec.stats}"
            await asyncio.sleep(poll_s)
    finally:
        stop.set()
        stats = await asyncio.wait_for(task, 5)
    return stats
