"""Which segment each sensor placement moves with, and how the lumbar spine shares a flexion.

Imported by the estimator (`inverse_model`), the settings (`params`) and the body model
alike, so that none of them needs another's code (the estimator
must not depend on the simulator it is tested against).

Sources: Winter (2009) after Drillis & Contini and Dempster for segment data; the
lumbar distribution is an assumption, between the level ranges of motion of Pearcy et
al. (1984, Spine 9:294) and Troke et al. (2001, Clin Biomech 16:465).
"""
from __future__ import annotations

from hinge.recordings.placements import PLACEMENTS

#: Fraction of the total lumbar flexion taken by L5S1, L4L5, L3L4, L2L3, L1L2.
LUMBAR_LEVEL_SHARES: tuple[float, ...] = (0.18, 0.24, 0.22, 0.19, 0.17)

#: The segment each placement's skin point is rigid with, in PLACEMENTS order (sacrum, L5,
#: L4, L3; the names' one home is `recordings.placements`): 0 pelvis, 1..5 vertebrae L5..L1
#: (the body model adds T12 on the thorax, 6).
PLACEMENT_SEGMENT: dict[str, int] = dict(zip(PLACEMENTS, (0, 1, 2, 3), strict=True))
