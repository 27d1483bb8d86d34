"""Bayesian inversion of a quasi-static sagittal body model from one lower-back sensor.

What one sensor measures in a bend: the pitch excursion S of its own segment and the
translation (dx anterior, dz up) of its skin point. The body has more degrees of
freedom than that, but a standing person keeps the whole-body centre of mass over the
feet, which couples them:

    S  = P + f * phi                        (f: share of lumbar flexion below the sensor)
    p  = hip(beta, kappa) + R(segment) r    (skin point on the pelvis or a lumbar vertebra)
    COM_x(beta, kappa, P, phi) = COM_x(upright)

with pelvic tilt P, lumbar flexion phi, knee flexion kappa and shank angle beta (solved
from the balance). A grid over (P, phi, kappa) is pushed through the forward model once;
each bend then gets a posterior over the grid from Gaussian measurement errors, and the
lumbar share phi / (P + phi), the trunk inclination P + phi and the knee flexion are
read off as posterior means, with the probability that the share exceeds the
spine-led threshold. The model is deliberately simpler than the simulator's (rigid upper
trunk, straight lumbar chain): real people differ from any model, and the benchmark
measures the cost of that mismatch.

Segment lengths and masses: Winter (2009) after Drillis & Contini and Dempster, as
collected in research/biomechanics.md section 3.1; hip-to-skin offsets section 3.2.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from .anatomy import LUMBAR_LEVEL_SHARES, PLACEMENT_SEGMENT

# Fractions of body height (Winter, Drillis & Contini).
ANKLE_HEIGHT, SHANK_LENGTH, THIGH_LENGTH = 0.039, 0.246, 0.245
# Fractions of body mass (Dempster via Winter), both legs together.
SHANK_MASS, THIGH_MASS = 2 * 0.0465, 2 * 0.100
PELVIS_MASS, ABDOMEN_MASS, UPPER_TRUNK_MASS = 0.142, 0.139, 0.216 + 0.081 + 0.050
SEGMENT_COM_FROM_PROXIMAL = 0.433  # shank and thigh
# L5S1 .. L1L2, the same assumed distribution as the simulator's.
LUMBAR_JOINT_SHARES = np.asarray(LUMBAR_LEVEL_SHARES)

# Metres for a 1.75 m adult, (anterior, up) in the segment's own frame at standing.
_REF_HEIGHT_M = 1.75
_L5S1_FROM_HIP = np.array([-0.025, 0.12])
_LUMBAR_SEGMENT_LENGTH = 0.036
_PELVIS_COM_FROM_HIP = np.array([-0.01, 0.03])
_ABDOMEN_COM_OFFSET = np.array([0.06, 0.018])  # per lumbar segment, from its lower joint
_UPPER_TRUNK_COM_FROM_T12 = np.array([0.02, 0.21])
_SACRUM_SKIN_FROM_HIP = np.array([-0.11, 0.11])
_VERTEBRA_SKIN_FROM_JOINT = np.array([-0.065, 0.018])
# Index of the lumbar segment carrying the sensor (L5 = 0), from the placement table.
SENSOR_VERTEBRA = {name: segment - 1 for name, segment in PLACEMENT_SEGMENT.items() if segment >= 1}


def lumbar_fraction_below(placement: str) -> float:
    """Share of lumbar flexion that rotates the sensor at `placement`."""
    if placement == "sacrum":
        return 0.0
    return float(LUMBAR_JOINT_SHARES[: SENSOR_VERTEBRA[placement] + 1].sum())


def _cos_sin(angle_rad: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return np.cos(angle_rad), np.sin(angle_rad)


def _turned(vec: np.ndarray, cos_sin: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    """Rotate (..., 2) vectors (anterior, up) forward (flexion > 0) by an angle given as its
    (cosine, sine), `_cos_sin`: several vectors turn by each angle."""
    c, s = cos_sin
    return np.stack([vec[..., 0] * c + vec[..., 1] * s, -vec[..., 0] * s + vec[..., 1] * c], axis=-1)


@dataclass(frozen=True)
class PoseGrid:
    """Forward model evaluated on a grid of poses (all arrays (G,), sorted by `sensor_pitch_rad`,
    so that the poses near a measured pitch are one slice).

    `cost_basis` (6, G) and `moments` (7, G) are the same grid laid out for `invert_pose`:
    the rows of the expanded squared misfit (pitch^2, pitch, dx^2 + dz^2, dx, dz, 1) and
    the quantities it averages (lumbar_share, trunk, pelvis, lumbar, knee, hip_dx, 1).
    """

    pelvis_rad: np.ndarray
    lumbar_rad: np.ndarray
    knee_rad: np.ndarray
    sensor_pitch_rad: np.ndarray
    sensor_dx_m: np.ndarray
    sensor_dz_m: np.ndarray
    hip_dx_m: np.ndarray
    log_prior: np.ndarray
    trunk_rad: np.ndarray
    lumbar_share: np.ndarray
    cost_basis: np.ndarray
    moments: np.ndarray


# Prior over poses of a *bend*: the trunk (pelvis + lumbar) inclines 30-120 deg
# (everyday reaching and lifting; shallower movements are not bends), the lumbar spine
# flexes at most about 60 deg (full-range lumbar 42-52 deg, Esola 1996, Laird 2019) and
# the pelvis does not tilt backwards. Soft edges, deg.
PRIOR_TRUNK_DEG = (30.0, 120.0)
PRIOR_LUMBAR_MAX_DEG = 60.0
PRIOR_EDGE_DEG = 5.0


def _log_sigmoid(x: np.ndarray) -> np.ndarray:
    return -np.logaddexp(0.0, -x)


def pose_log_prior(pelvis_rad, lumbar_rad) -> np.ndarray:
    """Log prior density (unnormalised) of a bend pose."""
    trunk = np.degrees(pelvis_rad + lumbar_rad)
    lumbar, pelvis = np.degrees(lumbar_rad), np.degrees(pelvis_rad)
    return (
        _log_sigmoid((trunk - PRIOR_TRUNK_DEG[0]) / PRIOR_EDGE_DEG)
        + _log_sigmoid((PRIOR_TRUNK_DEG[1] - trunk) / PRIOR_EDGE_DEG)
        + _log_sigmoid((PRIOR_LUMBAR_MAX_DEG - lumbar) / PRIOR_EDGE_DEG)
        + _log_sigmoid(pelvis / PRIOR_EDGE_DEG)
    )


def forward_pose(pelvis_rad, lumbar_rad, knee_rad, height_m: float, placement: str):
    """Balanced pose: sensor pitch and displacements relative to upright standing.

    Arrays broadcast together. Returns (sensor_pitch_rad, sensor_dx_m, sensor_dz_m, hip_dx_m).
    """
    scale = height_m / _REF_HEIGHT_M
    # The upper body depends on pelvis and lumbar flexion only: computed over their own
    # shape (pose_grid's 2 664 pairs, not its 56 000 poses), the legs over the knee's too.
    pelvis_rad, lumbar_rad = np.broadcast_arrays(np.asarray(pelvis_rad, float), np.asarray(lumbar_rad, float))
    knee_rad = np.asarray(knee_rad, float)
    shank, thigh = SHANK_LENGTH * height_m, THIGH_LENGTH * height_m

    # Upper body relative to the hip joint centre, independent of the legs. Each segment's
    # cosine and sine are taken once for all the vectors it turns (a grid of 56 000 poses
    # in every new process: 6 instead of 14 of them).
    pelvis_turn = _cos_sin(pelvis_rad)
    joint = _turned(_L5S1_FROM_HIP * scale, pelvis_turn)
    moment = PELVIS_MASS * _turned(_PELVIS_COM_FROM_HIP * scale, pelvis_turn)
    orientation = pelvis_rad.copy()
    sensor = _turned(_SACRUM_SKIN_FROM_HIP * scale, pelvis_turn)
    for level, share in enumerate(LUMBAR_JOINT_SHARES):
        orientation = orientation + share * lumbar_rad
        turn = _cos_sin(orientation)
        moment = moment + ABDOMEN_MASS / 5 * (joint + _turned(_ABDOMEN_COM_OFFSET * scale, turn))
        if SENSOR_VERTEBRA.get(placement) == level:
            sensor = joint + _turned(_VERTEBRA_SKIN_FROM_JOINT * scale, turn)
        joint = joint + _turned(np.array([0.0, _LUMBAR_SEGMENT_LENGTH * scale]), turn)
    moment = moment + UPPER_TRUNK_MASS * (joint + _turned(_UPPER_TRUNK_COM_FROM_T12 * scale, turn))
    upper_mass = PELVIS_MASS + ABDOMEN_MASS + UPPER_TRUNK_MASS
    upper_com_x, knee_rad = np.broadcast_arrays(moment[..., 0] / upper_mass, knee_rad)

    def com_x(beta):
        knee_x = shank * np.sin(beta)
        hip_x = knee_x + thigh * np.sin(beta - knee_rad)
        # Segment centres of mass lie 0.433 of the length from the proximal joint.
        legs = SHANK_MASS * (1 - SEGMENT_COM_FROM_PROXIMAL) * knee_x
        legs = legs + THIGH_MASS * (knee_x + (1 - SEGMENT_COM_FROM_PROXIMAL) * (hip_x - knee_x))
        return legs + upper_mass * (hip_x + upper_com_x), hip_x

    # Upright, with vertical legs, only the upper body's own offset moves the COM.
    reference = upper_mass * upright_upper_com_x(height_m)
    beta = np.zeros_like(upper_com_x)
    for _ in range(6):  # Newton on the balance equation; COM_x is smooth and monotonic in beta
        value, _ = com_x(beta)
        h = 1e-4
        slope = (com_x(beta + h)[0] - value) / h
        beta = beta - (value - reference) / slope
    _, hip_x = com_x(beta)
    knee_z = shank * np.cos(beta)
    hip_z = knee_z + thigh * np.cos(beta - knee_rad)
    hip = np.stack([hip_x, hip_z - (shank + thigh)], axis=-1)
    sensor_upright = (_SACRUM_SKIN_FROM_HIP * scale) if placement == "sacrum" else _upright_vertebra_skin(placement, scale)
    sensor_disp = hip + sensor - sensor_upright
    sensor_pitch = np.broadcast_to(pelvis_rad + lumbar_fraction_below(placement) * lumbar_rad, hip_x.shape)
    return sensor_pitch, sensor_disp[..., 0], sensor_disp[..., 1], hip[..., 0]


def upright_upper_com_x(height_m: float) -> float:
    """Horizontal upper-body COM offset from the hip at upright standing, m."""
    scale = height_m / _REF_HEIGHT_M
    moment = PELVIS_MASS * _PELVIS_COM_FROM_HIP * scale
    joint = _L5S1_FROM_HIP * scale
    for _ in LUMBAR_JOINT_SHARES:
        moment = moment + ABDOMEN_MASS / 5 * (joint + _ABDOMEN_COM_OFFSET * scale)
        joint = joint + np.array([0.0, _LUMBAR_SEGMENT_LENGTH * scale])
    moment = moment + UPPER_TRUNK_MASS * (joint + _UPPER_TRUNK_COM_FROM_T12 * scale)
    return float(moment[0] / (PELVIS_MASS + ABDOMEN_MASS + UPPER_TRUNK_MASS))


def _upright_vertebra_skin(placement: str, scale: float) -> np.ndarray:
    level = SENSOR_VERTEBRA[placement]
    joint = _L5S1_FROM_HIP * scale + np.array([0.0, level * _LUMBAR_SEGMENT_LENGTH * scale])
    return joint + _VERTEBRA_SKIN_FROM_JOINT * scale


@lru_cache(maxsize=16)
def pose_grid(height_m: float, placement: str) -> PoseGrid:
    """Forward model on a grid: pelvis -10..100 deg, lumbar 0..70 deg, knee 0..120 deg.

    Steps (1.5, 2, 6 deg) are below the measurement errors (3 deg pitch, 8 cm translation);
    knee flexion is coarse because one sensor barely observes it.
    """
    pelvis = np.radians(np.arange(-10.0, 100.1, 1.5))
    lumbar = np.radians(np.arange(0.0, 70.1, 2.0))
    knee = np.radians(np.arange(0.0, 120.1, 6.0))
    p, l, k = (g.ravel() for g in np.meshgrid(pelvis, lumbar, knee, indexing="ij"))
    trunk = p + l
    share = np.clip(np.where(trunk > 1e-6, l / np.maximum(trunk, 1e-6), 0.0), 0.0, 1.0)
    # The model pose by pose, on the (pelvis, lumbar, knee) axes so that the upper body is
    # computed once per (pelvis, lumbar) pair.
    pitch, dx, dz, hip_dx = (np.ravel(v) for v in forward_pose(
        pelvis[:, None, None], lumbar[None, :, None], knee, height_m, placement))
    # Sorted by sensor pitch, so that the poses a bend's pitch leaves any weight are one slice.
    order = np.argsort(pitch, kind="stable")
    p, l, k, trunk, share = p[order], l[order], k[order], trunk[order], share[order]
    pitch, dx, dz, hip_dx = pitch[order], dx[order], dz[order], hip_dx[order]
    ones = np.ones(len(p))
    cost_basis = np.vstack([pitch * pitch, pitch, dx * dx + dz * dz, dx, dz, ones])
    moments = np.vstack([share, trunk, p, l, k, hip_dx, ones])
    return PoseGrid(p, l, k, pitch, dx, dz, hip_dx, pose_log_prior(p, l), trunk, share, cost_basis, moments)


@dataclass(frozen=True)
class PoseEstimate:
    """Posterior summary of one bend (angles in deg, shares 0-1, metres); `misfit` is the
    smallest normalised squared distance (chi-square) of the measurements from any pose of
    the grid: large when no body could have produced them."""

    lumbar_share: float
    p_spine_led: float
    trunk_deg: float
    pelvis_deg: float
    lumbar_deg: float
    knee_deg: float
    hip_shift_m: float
    misfit: float = 0.0


# `invert_pose` weighs only the poses whose pitch lies within this many pitch sigmas of
# the measured one. Any pose beyond has a log posterior below -PITCH_WINDOW_SIGMAS^2 / 2
# (its pitch misfit alone; the log prior is <= 0 and the translation misfit >= 0), so all
# of them together weigh at most (their number) * exp(-50 - best) of the window's best
# pose; where that bound exceeds NEGLECTED_WEIGHT_MAX (a bend no pose near its pitch
# explains: best below about -12) the whole grid is used. A 10-sigma window holds 45-95 %
# of the grid (sigma is 3 deg + 5 % of the pitch; the grid's pitch spans 110-155 deg).
PITCH_WINDOW_SIGMAS = 10.0
NEGLECTED_WEIGHT_MAX = 1e-12


def invert_pose(
    sensor_pitch_deg: float,
    sensor_dx_m: float | None,
    sensor_dz_m: float | None,
    grid: PoseGrid,
    spine_led_share: float = 0.5,
    pitch_sigma_deg: float = 3.0,
    translation_sigma_m: float = 0.08,
) -> PoseEstimate:
    """Posterior means over the pose grid given one bend's measurements.

    Translation may be None (no still stretch around the bend): then only the pitch
    constrains the pose and the estimate falls back towards the prior.

    The squared misfit is evaluated as one matrix product, its squares expanded over
    `grid.cost_basis`, and the posterior means as another over `grid.moments`: two passes
    over the (6-7, G) tables instead of about twenty over (G,) arrays. The expansion
    rounds differently from the plain form by < 1e-12 of the misfit (tested against it).
    Only the poses within PITCH_WINDOW_SIGMAS of the measured pitch are weighed (the rest
    weigh < NEGLECTED_WEIGHT_MAX of them together, else the whole grid is); `misfit` is
    the smallest over the whole grid either way (a pose beyond the window misfits more
    than the window's best then).
    """
    sigma_pitch = np.radians(pitch_sigma_deg) + 0.05 * np.radians(abs(sensor_pitch_deg))
    pitch = np.radians(sensor_pitch_deg)
    inv_pitch, inv_translation = 1.0 / sigma_pitch**2, 1.0 / translation_sigma_m**2
    if sensor_dx_m is not None and sensor_dz_m is not None:
        dx, dz = float(sensor_dx_m), float(sensor_dz_m)
        coefficients = np.array([inv_pitch, -2.0 * pitch * inv_pitch, inv_translation, -2.0 * dx * inv_translation,
                                 -2.0 * dz * inv_translation, pitch * pitch * inv_pitch + (dx * dx + dz * dz) * inv_translation])
    else:
        coefficients = np.array([inv_pitch, -2.0 * pitch * inv_pitch, 0.0, 0.0, 0.0, pitch * pitch * inv_pitch])
    size = len(grid.sensor_pitch_rad)
    half_width = PITCH_WINDOW_SIGMAS * sigma_pitch
    lo, hi = grid.sensor_pitch_rad.searchsorted((pitch - half_width, pitch + half_width)).tolist()
    while True:
        cost = coefficients @ grid.cost_basis[:, lo:hi]
        log_post = np.multiply(cost, -0.5)
        log_post += grid.log_prior[lo:hi]
        best = float(log_post.max())
        outside = size - (hi - lo)
        # The bound in logs: the window's best may lie far below -700 (exp(-50 - best) overflows).
        if outside == 0 or math.log(outside) - 0.5 * PITCH_WINDOW_SIGMAS**2 - best <= math.log(NEGLECTED_WEIGHT_MAX):
            break
        lo, hi = 0, size
    misfit = float(cost.min())
    log_post -= best
    weight = np.exp(log_post, out=log_post)
    share, trunk, pelvis, lumbar, knee, hip_dx, total = grid.moments[:, lo:hi] @ weight
    # A masked sum, not a dot product with the indicator: OpenBLAS runs a dot of this length
    # on its thread pool, which cost the inversions 3x when another process kept a core busy.
    spine_led = float(np.add.reduce(weight, where=grid.lumbar_share[lo:hi] > spine_led_share))
    return PoseEstimate(
        lumbar_share=float(share / total),
        p_spine_led=spine_led / float(total),
        trunk_deg=float(np.degrees(trunk / total)),
        pelvis_deg=float(np.degrees(pelvis / total)),
        lumbar_deg=float(np.degrees(lumbar / total)),
        knee_deg=float(np.degrees(knee / total)),
        hip_shift_m=float(hip_dx / total),
        misfit=misfit,
    )

