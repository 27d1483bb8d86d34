"""One simulated person wearing several simulated sensors (e.g. sacrum and T12).

Each simulated sensor asks its motion source for samples k0 .. k0+n by its *own* sample
index, which its own device clock (``clock_ppm``, power-on time) turns into instants. For
two sensors on one body those instants differ (the clocks drift apart, the sensors are
switched on at different times), yet both must see the same movement at the same true
time, or the shared motion that aligns them would lie. `SharedMotion` does that: the
person's time runs on the host clock from the reference sensor's power-on (times the
sensors' ``speed``); each sensor's sample k is the person's signal at the host instant
the sensor takes it (`SimulatedSensor.sample_host_s`), linearly interpolated between
the samples of a per-site source on the person's time grid (sample j at j / rate_hz).

The per-site sources are any `MotionSource` factories (the body model in practice,
`BodyModelStream(rate, seed, placement=site)` with one seed for all sites: one movement
plan, each site's skin point); this module does not know where motion comes from.
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from .simulated_base import MotionSource, SimulatedSensor

__all__ = ["SharedMotion"]


class SharedMotion:
    """The movements of one person, sampled by several simulated sensors at their own instants.

    ``sources``: site -> factory(rate_hz) -> `MotionSource` whose sample j is at person
    time j / rate_hz, s. ``reference``: the site whose sensor's power-on starts the
    person (the recording's lower sensor, so `hinge record --simulate --bends N` ends with
    its set); ``speed``: person time per host second (the sensors' ``speed``).
    """

    def __init__(self, sources: dict[str, Callable[[float], MotionSource]], reference: str, speed: float = 1.0):
        if reference not in sources:
            raise KeyError(f"reference site {reference!r} is not among {sorted(sources)}")
        self._factories, self.reference, self.speed = dict(sources), reference, float(speed)
        self.sensors: dict[str, SimulatedSensor] = {}

    def motion(self, site: str) -> Callable[[float], MotionSource]:
        """The ``motion`` argument of the simulated sensor worn at ``site``."""
        if site not in self._factories:
            raise KeyError(f"no motion for site {site!r}; known: {sorted(self._factories)}")
        return lambda rate_hz: _SensorView(self, site, float(rate_hz))

    def bind(self, site: str, sensor: SimulatedSensor) -> SimulatedSensor:
        """Tell the shared motion which sensor is worn at ``site`` (after building it)."""
        self.sensors[site] = sensor
        return sensor

    def person_s(self, site: str, k: np.ndarray) -> np.ndarray:
        """Person time, s, of samples ``k`` of the sensor at ``site`` (before the reference
        sensor's power-on: negative, the person standing still at the start)."""
        sensor, reference = self.sensors[site], self.sensors[self.reference]
        return (sensor.sample_host_s(k) - reference.sample_host_s(0)) * self.speed


class _SensorView:
    """The `MotionSource` of one sensor: the site's source resampled at the sensor's instants."""

    def __init__(self, shared: SharedMotion, site: str, rate_hz: float):
        self.shared, self.site, self.rate_hz = shared, site, rate_hz
        self.source = shared._factories[site](rate_hz)

    def get(self, k0: int, n: int) -> tuple[np.ndarray, np.ndarray]:
        """Specific force (n, 3) m/s^2 and angular rate (n, 3) rad/s of samples k0 .. k0+n-1."""
        if self.site not in self.shared.sensors or self.shared.reference not in self.shared.sensors:
            return self.source.get(k0, n)  # not worn yet (the sensor's own construction)
        j = np.maximum(self.shared.person_s(self.site, np.arange(k0, k0 + n)) * self.rate_hz, 0.0)
        j0 = int(np.floor(j[0]))
        acc, gyr = self.source.get(j0, int(np.ceil(j[-1])) - j0 + 2)
        grid = np.arange(j0, j0 + len(acc), dtype=float)
        return (np.column_stack([np.interp(j, grid, acc[:, c]) for c in range(3)]),
                np.column_stack([np.interp(j, grid, gyr[:, c]) for c in range(3)]))
