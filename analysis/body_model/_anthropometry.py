"""Segment lengths, masses and landmark offsets of the sagittal body model, scaled by height.

Sources (see /work/shared/research/biomechanics.md §3.1, §3.2):

- Joint heights as fractions of height H (Winter, after Drillis & Contini):
  hip (greater trochanter) 0.530H, knee 0.285H, ankle 0.039H, shoulder 0.818H,
  hence thigh 0.245H and shank 0.246H.
- Mass fractions (Dempster via Winter, BMClab/BMC data/BSP_DempsterWinter.txt):
  foot 0.0145, leg 0.0465, thigh 0.100 (each side), pelvis 0.142, abdomen 0.139,
  thorax 0.216, head-neck 0.081, arm 0.050 (each side); HAT 0.678 with its
  centre of mass 0.626 of the GTR-to-shoulder distance above the GTR.
- Segment centres of mass 0.433 of segment length from the proximal joint (Winter).
- Hip joint centre (HJC) to skin points for a 1.75 m person [DERIVED in §3.2]:
  S1/S2 skin (-0.11, +0.11) m, L3 skin (-0.07, +0.21) m, T12 skin (-0.07, +0.28) m,
  lumbosacral joint (-0.025, +0.12) m; L5/L4 skin interpolated. All scale with H/1.75 m.
- Lumbar flexion shared by L5S1..L1L2 as 0.18/0.24/0.22/0.19/0.17 [assumed, §3.3].

Planar coordinates are (x, z): x anterior, z up, metres, relative to the HJC in
the quiet upright reference pose unless stated otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..anatomy import LUMBAR_LEVEL_SHARES  # noqa: F401 - re-exported
from ..anatomy import PLACEMENT_SEGMENT as _ANALYSED

#: Sensor placements and the segment each skin point is rigid with: hinge's placements
#: plus T12 on the thorax (6), the second sensor's site.
PLACEMENT_SEGMENT: dict[str, int] = {**_ANALYSED, "T12": 6}

_REF_HEIGHT_M = 1.75

# Standing lumbar joint centres L5S1, L4L5, L3L4, L2L3, L1L2, T12L1 relative to the
# HJC for a 1.75 m person; a gentle lordosis between the §3.2 end points.
_LUMBAR_JOINTS_REF_M = np.array(
    [
        [-0.025, 0.120],
        [-0.012, 0.155],
        [-0.008, 0.190],
        [-0.010, 0.222],
        [-0.016, 0.252],
        [-0.024, 0.282],
    ]
)

_SKIN_REF_M: dict[str, tuple[float, float]] = {
    "sacrum": (-0.110, 0.110),
    "L5": (-0.097, 0.143),  # interpolated sacrum -> L3
    "L4": (-0.083, 0.177),
    "L3": (-0.070, 0.210),
    "T12": (-0.070, 0.280),
}

# Mass fractions of the whole body (both legs counted).
_M_FOOT = 2 * 0.0145
_M_SHANK = 2 * 0.0465
_M_THIGH = 2 * 0.100
_M_PELVIS = 0.142
_M_ABDOMEN = 0.139
_M_UPPER = 0.216 + 0.081 + 2 * 0.050  # thorax + head-neck + both arms
_M_HAT = 0.678
_HAT_COM_FRACTION = 0.626


@dataclass(frozen=True)
class Body:
    """Geometry and mass distribution of one person (sagittal plane).

    All lengths in metres, masses as fractions of body mass (they sum to 1).
    Positions are (x, z) relative to the HJC in the standing reference pose.
    """

    height_m: float
    ankle_height_m: float
    shank_m: float
    thigh_m: float
    lumbar_joints_m: np.ndarray = field(repr=False)  # (6, 2): L5S1 .. T12L1
    pelvis_com_m: np.ndarray = field(repr=False)  # (2,)
    lumbar_com_m: np.ndarray = field(repr=False)  # (5, 2): vertebral segments L5 .. L1 (abdomen mass)
    upper_com_m: np.ndarray = field(repr=False)  # (2,): thorax + head + arms
    skin_m: dict = field(repr=False)  # placement -> (2,) skin point
    m_foot: float = _M_FOOT
    m_shank: float = _M_SHANK
    m_thigh: float = _M_THIGH
    m_pelvis: float = _M_PELVIS
    m_lumbar: tuple = (_M_ABDOMEN / 5,) * 5
    m_upper: float = _M_UPPER
    lumbar_level_shares: tuple = LUMBAR_LEVEL_SHARES  # of lumbar flexion, L5S1 .. L1L2

    @property
    def m_trunk(self) -> float:
        """Mass fraction carried by the hip joints (pelvis + abdomen + upper)."""
        return self.m_pelvis + sum(self.m_lumbar) + self.m_upper


def make_body(height_m: float, skin_jitter_m: np.ndarray | None = None,
              lumbar_level_shares: tuple | None = None) -> Body:
    """Build the body of a person of height ``height_m`` (m).

    ``skin_jitter_m`` (2,) shifts every skin point by the same (x, z) amount, m,
    to represent person-to-person uncertainty of the HJC-to-skin geometry (±2–3 cm, §3.2).
    ``lumbar_level_shares`` (5,) replaces how lumbar flexion spreads over L5S1 .. L1L2
    (they must sum to 1), for robustness studies.
    """
    shares = LUMBAR_LEVEL_SHARES if lumbar_level_shares is None else tuple(float(v) for v in lumbar_level_shares)
    if len(shares) != 5 or abs(sum(shares) - 1.0) > 1e-6:
        raise ValueError(f"body_model: lumbar_level_shares {shares} must be 5 values summing to 1")
    scale = height_m / _REF_HEIGHT_M
    joints = _LUMBAR_JOINTS_REF_M * scale
    # Abdominal mass sits in front of the spine: segment midpoints moved 7 cm anterior.
    lumbar_com = 0.5 * (joints[:-1] + joints[1:]) + np.array([0.07, 0.0]) * scale
    pelvis_com = np.array([0.0, 0.07]) * scale
    # Place the upper-body COM so the whole HAT COM lies 0.626 of GTR->shoulder above the GTR.
    hat_com_z = _HAT_COM_FRACTION * (0.818 - 0.530) * height_m
    m_lumbar = _M_ABDOMEN / 5
    upper_z = (
        _M_HAT * hat_com_z - _M_PELVIS * pelvis_com[1] - m_lumbar * lumbar_com[:, 1].sum()
    ) / _M_UPPER
    upper_com = np.array([0.02 * scale, upper_z])
    jitter = np.zeros(2) if skin_jitter_m is None else np.asarray(skin_jitter_m, float)
    skin = {k: np.array(v) * scale + jitter for k, v in _SKIN_REF_M.items()}
    return Body(
        height_m=float(height_m),
        ankle_height_m=0.039 * height_m,
        shank_m=0.246 * height_m,
        thigh_m=0.245 * height_m,
        lumbar_joints_m=joints,
        pelvis_com_m=pelvis_com,
        lumbar_com_m=lumbar_com,
        upper_com_m=upper_com,
        skin_m=skin,
        lumbar_level_shares=shares,
    )
