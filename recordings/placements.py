"""Where on the lower back a recording's sensor sits: the names hinge analyses (one table).

A plain table without imports, so that the command line can offer the choices without
loading numpy. `analysis.anatomy` maps each name to the body segment the skin point moves
with; the readers (`recordings.validation.resolve_placement`) refuse any other name.
"""
from __future__ import annotations

__all__ = ["PLACEMENTS", "DEFAULT_PLACEMENT", "UPPER_PLACEMENTS", "DEFAULT_UPPER_PLACEMENT"]

#: Skin sites over the sacrum (S1-S2 midline) and the spinous processes of L5, L4 and L3,
#: from the pelvis upwards.
PLACEMENTS: tuple[str, ...] = ("sacrum", "L5", "L4", "L3")

#: The site assumed when neither the caller nor the recording's metadata names one: the
#: recommended placement (README, "Recommended placement").
DEFAULT_PLACEMENT = "sacrum"

#: Sites of the optional second, upper sensor: over the spinous process of T12 (the
#: thoracolumbar junction, T12/L1), above the lumbar spine, as in the two-sensor systems
#: validated against optical motion capture (ViMove: Mjosund et al. 2017, BMC
#: Musculoskeletal Disorders 18:124). Lumbar flexion is its pitch minus the lower sensor's.
UPPER_PLACEMENTS: tuple[str, ...] = ("T12",)

#: The upper site assumed when a two-sensor recording does not name one.
DEFAULT_UPPER_PLACEMENT = "T12"
