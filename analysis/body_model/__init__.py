"""Sagittal body model that simulates labelled lower-back IMU sessions.

Conventions: world x anterior, y left, z up; gravity (0, 0, -9.81) m/s^2; specific force
f = R^T (a - g). The sensor's segment frame equals the world frame in the quiet upright
reference pose; forward flexion is positive rotation about +y. Mounting
``sensor_from_segment`` maps segment vectors to sensor vectors.

Public API::

    simulate_session(SessionSpec(...)) -> SimulatedSession
    simulate_pair(SessionSpec(...), upper_placement="T12", offset_s=0.0, drift_ppm=0.0) -> SimulatedPair
    random_mounting(rng) -> (3, 3)
    BodyModelStream(rate_hz, seed, placement).get(k0, n) -> (acc, gyr)   # for simulated sensors
    MOVEMENT_KINDS, PLACEMENTS

Lower-level (pure) pieces for tests and studies: :func:`make_body`, :class:`Posture`,
:func:`forward_kinematics` (balance solved in closed form at the ankle),
:func:`segment_signals` (exact specific force and angular rate at a skin point),
:func:`draw_movement`, :func:`minimum_jerk`.
"""

from ._anthropometry import LUMBAR_LEVEL_SHARES, Body, make_body
from ._kinematics import GRAVITY_MPS2, ChainState, Posture, forward_kinematics, segment_signals, standing_com_x_m
from ._movements import HABITS, MOVEMENT_KINDS, Movement, draw_movement, minimum_jerk
from ._sensor import random_mounting
from ._pair import SimulatedPair, simulate_pair
from ._session import PLACEMENTS, SessionSpec, SimulatedSession, simulate_session
from ._stream import BodyModelStream

__all__ = [
    "SessionSpec",
    "SimulatedSession",
    "simulate_session",
    "SimulatedPair",
    "simulate_pair",
    "BodyModelStream",
    "random_mounting",
    "MOVEMENT_KINDS",
    "HABITS",
    "PLACEMENTS",
    "LUMBAR_LEVEL_SHARES",
    "GRAVITY_MPS2",
    "Body",
    "make_body",
    "Posture",
    "ChainState",
    "forward_kinematics",
    "standing_com_x_m",
    "segment_signals",
    "Movement",
    "draw_movement",
    "minimum_jerk",
]
