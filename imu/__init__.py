"""Acquisition: scan, connect, stream, timestamps, loss detection, reconnect and the simulated sensor.

Public API (imported lazily, so the command line's help needs neither bleak nor numpy)::

    hinge.imu.scan.scan(timeout_s, backend=None, adapter=None) -> list[FoundSensor]
    find_sensor(device=None, profile=None, timeout_s=5.0) -> FoundSensor
    StreamRecorder(ble_device, profile, sink, StreamSettings(...)).run(stop) -> StreamStats
    StreamSettings, StreamStats, StreamError                                  (hinge.imu.stream)
    SimulatedHingeSensor, SimulatedScanner, SimulatedClient, register, unregister  (hinge.imu.simulated)
    make_simulated_sensor(profile, motion=...), SIMULATED_PROFILES: a simulated sensor per device protocol
    timebase: unwrap_counter, Unwrapper, packet_losses, sample_times, estimate_rate_hz,
              fit_clock -> ClockFit, ArrivalClock, arrival_sample_times -> ArrivalTiming
    SampleTimeline(profile, rate_hz).feed(host_ns, characteristic, payload, kind) -> [Block]
              raw values to timed samples; the recorder and `hinge recover` share it  (hinge.imu.timeline)

The sink is anything with ``append_raw``, ``append_samples`` and ``annotate``
(`hinge.recordings.SessionWriter`). Gaps are annotated ``BAD_gap`` (lost packets, a
sequence jump, the overflow flag), ``BAD_reconnect`` (the link dropped and was
re-established), ``BAD_clock_jump`` (the device clock stepped while connected) and
``BAD_gap_uncertain`` (a device without counter or clock whose arrival timing shows a
loss of estimated size).
"""
from __future__ import annotations

import importlib

_EXPORTS = {
    "find_sensor": "scan", "FoundSensor": "scan",
    "StreamRecorder": "stream", "StreamSettings": "stream", "StreamStats": "stream", "StreamError": "stream",
    "record_stream": "stream",
    "SimulatedHingeSensor": "simulated", "SimulatedScanner": "simulated", "SimulatedClient": "simulated",
    "register": "simulated", "unregister": "simulated",
    "make_simulated_sensor": "simulated", "SIMULATED_PROFILES": "simulated",
    "SampleTimeline": "timeline",
}

__all__ = [*_EXPORTS, "timebase"]  # `scan` is the submodule hinge.imu.scan (its function: scan.scan)


def __getattr__(name: str):
    if name == "timebase":
        return importlib.import_module(".timebase", __name__)
    if name in _EXPORTS:
        return getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
