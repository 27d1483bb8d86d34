"""Where on the lower back a recording's sensor sits: the names hinge analyses (one table).

A plain table without imports, so that the command line can offer the choices without
loading numpy. `analysis.anatomy` maps each name to the body segment the skin point moves
with; the readers (`recordings.validation.resolve_placement`) refuse any other name.
"""
from __future__ import annotations

__all__ = ["PLACEMENTS", "DEFAULT_PLACEMENT"]

#: Skin sites over the sacrum (S1-S2 midline) and the spinous processes of L5, L4 and L3,
#: from the pelvis upwards.
PLACEMENTS: tuple[str, ...] = ("sacrum", "L5", "L4", "L3")

#: The site assumed when neither the caller nor the recording's metadata names one: the
#: recommended placement (README, "Recommended placement").
DEFAULT_PLACEMENT = "sacrum"
