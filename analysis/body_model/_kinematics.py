"""Planar chain forward kinematics with quasi-static balance, and exact sensor signals.

Chain: foot fixed -> ankle -> shank -> knee -> thigh -> hip joint centre (HJC) ->
pelvis -> L5 .. L1 vertebral segments -> thorax+head+arms. Angles are pitch
about +y (left); positive = forward flexion (the segment's up axis tips anteriorly).

A frontal-plane component (lateral shift of the HJC and roll of the trunk about an
anterior axis through the HJC) is layered on top for weight shifts and sway.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from ._anthropometry import PLACEMENT_SEGMENT, Body

from ..constants import GRAVITY_MPS2
_G_VEC = np.array([0.0, 0.0, -GRAVITY_MPS2])


@dataclass(frozen=True)
class Posture:
    """Joint angles at N instants; every field is an (N,) array (or a scalar).

    knee_rad: knee flexion (both knees), rad, ≥ 0 bends the knees.
    pelvis_rad: absolute pelvic pitch relative to quiet standing, rad (forward +).
    lumbar_rad: total lumbar flexion L5S1..L1L2, rad (forward +).
    lateral_m: lateral (+y, left) displacement of the HJC, m.
    roll_rad: trunk roll about +x through the HJC, rad.
    com_shift_m: anterior shift of the balance target (postural sway), m.
    """

    knee_rad: np.ndarray | float = 0.0
    pelvis_rad: np.ndarray | float = 0.0
    lumbar_rad: np.ndarray | float = 0.0
    lateral_m: np.ndarray | float = 0.0
    roll_rad: np.ndarray | float = 0.0
    com_shift_m: np.ndarray | float = 0.0


def _rot(theta: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rotate planar (x, z) vector(s) ``v`` by pitch ``theta`` about +y. Returns (x, z)."""
    c, s = np.cos(theta), np.sin(theta)
    return c * v[0] + s * v[1], -s * v[0] + c * v[1]


@dataclass(frozen=True)
class ChainState:
    """Result of :func:`forward_kinematics` at N instants (planar arrays are (N,)).

    hip_x_m, hip_z_m: HJC position (world, ankle at x = 0).
    shank_rad: shank inclination from vertical solved by the balance (forward +).
    com_x_m: whole-body centre-of-mass x; com_target_x_m: where balance wants it.
    segment_rad: (7, N) pitch of pelvis, L5..L1, thorax.
    point_x_m, point_z_m: the skin point of the placement (planar, before roll).
    """

    hip_x_m: np.ndarray
    hip_z_m: np.ndarray
    shank_rad: np.ndarray
    com_x_m: np.ndarray
    com_target_x_m: np.ndarray
    segment_rad: np.ndarray
    point_x_m: np.ndarray
    point_z_m: np.ndarray


def standing_com_x_m(body: Body) -> float:
    """Whole-body COM x (m, ankle at 0) in the upright reference pose."""
    st = forward_kinematics(Posture(), body, "sacrum", balance=False, com_target_x_m=0.0)
    return float(st.com_x_m)


def forward_kinematics(
    posture: Posture,
    body: Body,
    placement: str,
    balance: bool = True,
    com_target_x_m: float | None = None,
) -> ChainState:
    """Positions of the chain for ``posture``.

    With ``balance`` the shank angle is solved in closed form so that the COM x equals
    ``com_target_x_m + posture.com_shift_m`` (default target: the standing COM), i.e. the
    hips move back as the trunk leans forward. Without it the shank stays vertical.
    """
    kappa = np.asarray(posture.knee_rad, float)
    th_p = np.asarray(posture.pelvis_rad, float)
    phi = np.asarray(posture.lumbar_rad, float)
    shape = np.broadcast(kappa, th_p, phi, np.asarray(posture.com_shift_m)).shape
    kappa, th_p, phi = (np.broadcast_to(a, shape) for a in (kappa, th_p, phi))

    # Trunk chain relative to the HJC (independent of the shank angle because the
    # pelvic and lumbar angles are absolute).
    seg = np.empty((7,) + shape)
    seg[0] = th_p
    lumbar_cum = np.cumsum(body.lumbar_level_shares)
    for i in range(5):
        seg[1 + i] = th_p + lumbar_cum[i] * phi
    seg[6] = th_p + phi
    J = body.lumbar_joints_m
    jx, jz = _rot(th_p, J[0])
    joints = [(jx, jz)]
    for i in range(5):
        dx, dz = _rot(seg[1 + i], J[i + 1] - J[i])
        jx, jz = jx + dx, jz + dz
        joints.append((jx, jz))
    # Mass moment of the trunk about the HJC (x only matters for balance).
    px, _ = _rot(th_p, body.pelvis_com_m)
    mom = body.m_pelvis * px
    for i in range(5):
        cx, _ = _rot(seg[1 + i], body.lumbar_com_m[i] - J[i])
        mom = mom + body.m_lumbar[i] * (joints[i][0] + cx)
    ux, _ = _rot(seg[6], body.upper_com_m - J[5])
    mom = mom + body.m_upper * (joints[5][0] + ux)
    trunk_cx = mom / body.m_trunk  # trunk COM x relative to the HJC

    Ls, Lt = body.shank_m, body.thigh_m
    a_s = (1 - 0.433) * Ls  # shank COM from the ankle
    b_t = (1 - 0.433) * Lt  # thigh COM from the knee
    M_t = body.m_trunk
    foot_x = 0.05 * body.height_m / 1.75  # foot COM a little ahead of the ankle; constant
    # M x_com = m_f x_f + A sin(beta) + B sin(beta - kappa) + M_t trunk_cx
    A = body.m_shank * a_s + (body.m_thigh + M_t) * Ls
    B = body.m_thigh * b_t + M_t * Lt
    const = body.m_foot * foot_x + M_t * trunk_cx
    target = np.broadcast_to(
        (standing_com_x_m(body) if com_target_x_m is None else com_target_x_m)
        + np.asarray(posture.com_shift_m, float),
        shape,
    )
    if balance:
        P = A + B * np.cos(kappa)
        Q = B * np.sin(kappa)
        R = np.hypot(P, Q)
        delta = np.arctan2(Q, P)
        beta = delta + np.arcsin(np.clip((target - const) / R, -1.0, 1.0))
    else:
        beta = np.zeros(shape)
    com_x = const + A * np.sin(beta) + B * np.sin(beta - kappa)

    hip_x = Ls * np.sin(beta) + Lt * np.sin(beta - kappa)
    hip_z = body.ankle_height_m + Ls * np.cos(beta) + Lt * np.cos(beta - kappa)

    k = PLACEMENT_SEGMENT[placement]
    skin = body.skin_m[placement]
    if k == 0:
        ox, oz = _rot(th_p, skin)
    else:
        j = min(k - 1, 5)  # proximal joint of the segment (thorax: T12L1)
        ox, oz = _rot(seg[k], skin - J[j])
        ox, oz = ox + joints[j][0], oz + joints[j][1]
    return ChainState(
        hip_x_m=hip_x,
        hip_z_m=hip_z,
        shank_rad=beta,
        com_x_m=com_x,
        com_target_x_m=np.asarray(target),
        segment_rad=seg,
        point_x_m=hip_x + ox,
        point_z_m=hip_z + oz,
    )


def _pose_3d(
    posture: Posture,
    body: Body,
    placement: str,
    balance: bool,
    pitch_gain: float,
    skin_slide_m: float = 0.0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """World position (N, 3), sensor-segment pitch (N,) and roll (N,) of the skin point."""
    st = forward_kinematics(posture, body, placement, balance)
    k = PLACEMENT_SEGMENT[placement]
    seg = st.segment_rad[k]
    pitch = seg * pitch_gain
    roll = np.broadcast_to(np.asarray(posture.roll_rad, float), pitch.shape)
    lat = np.broadcast_to(np.asarray(posture.lateral_m, float), pitch.shape)
    # Skin slides along the segment's long (z) axis in proportion to flexion (STA, §3.4:
    # ~1 cm at a full bend), so the sensor point is not quite rigid with the bone.
    slide = skin_slide_m * seg / (np.pi / 2)
    px = st.point_x_m + slide * np.sin(seg)
    dz = st.point_z_m - st.hip_z_m + slide * np.cos(seg)
    pos = np.stack([px, lat - np.sin(roll) * dz, st.hip_z_m + np.cos(roll) * dz], axis=-1)
    return pos, pitch, roll


def segment_signals(
    t_s: np.ndarray,
    posture_fn: Callable[[np.ndarray], Posture],
    body: Body,
    placement: str = "sacrum",
    balance: bool = True,
    pitch_gain: float = 1.0,
    dt_s: float = 1e-3,
    skin_slide_m: float = 0.0,
) -> tuple[np.ndarray, np.ndarray]:
    """Exact specific force and angular rate at the skin point, in SEGMENT axes.

    ``posture_fn(t)`` returns the :class:`Posture` at times ``t`` (s, any shape).
    Position and angles are differentiated by central differences with step
    ``dt_s`` (1 ms ≙ 1 kHz; truncation error ~1e-6 relative for the smooth profiles).
    ``pitch_gain`` scales the sensed pitch and ``skin_slide_m`` slides the skin point
    along the segment axis by that much per 90° of segment pitch (soft-tissue artefact;
    1 and 0 = rigid).

    Returns ``acc_mps2`` (N, 3) = R^T (a - g) and ``gyr_rad_s`` (N, 3), with
    R = R_x(roll) R_y(pitch) the world-from-segment rotation.
    """
    t_s = np.asarray(t_s, float)
    args = (body, placement, balance, pitch_gain, skin_slide_m)
    p0, th0, ps0 = _pose_3d(posture_fn(t_s), *args)
    pm, thm, psm = _pose_3d(posture_fn(t_s - dt_s), *args)
    pp, thp, psp = _pose_3d(posture_fn(t_s + dt_s), *args)
    acc = (pp - 2 * p0 + pm) / dt_s**2
    dth = (thp - thm) / (2 * dt_s)
    dps = (psp - psm) / (2 * dt_s)
    v = acc - _G_VEC
    # u = R_x(roll)^T v
    cr, sr = np.cos(ps0), np.sin(ps0)
    ux = v[:, 0]
    uy = cr * v[:, 1] + sr * v[:, 2]
    uz = -sr * v[:, 1] + cr * v[:, 2]
    # f = R_y(pitch)^T u
    cp, sp = np.cos(th0), np.sin(th0)
    f = np.stack([cp * ux - sp * uz, uy, sp * ux + cp * uz], axis=-1)
    # omega_body = roll_rate * R_y^T e_x + pitch_rate * e_y
    w = np.stack([dps * cp, dth, dps * sp], axis=-1)
    return f, w
