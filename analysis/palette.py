"""The class colours of every view (report, terminal, web page): one palette.

Okabe & Ito (2008), *Color Universal Design*: blue and vermillion stay distinguishable
with the common colour-vision deficiencies, unlike red and green. Every view also writes
the class word, so colour is never the only cue.
"""
from __future__ import annotations

from .bend_verdict import HIP_LED, SPINE_LED, UNCERTAIN

__all__ = ["CLASS_COLOURS", "NEUTRAL_COLOUR", "CALIBRATION_COLOUR"]

CLASS_COLOURS = {HIP_LED: "#0072B2", SPINE_LED: "#D55E00", UNCERTAIN: "#999999"}
# Anything that is not a class (a movement not counted as a bend), grey.
NEUTRAL_COLOUR = "#9a9a9a"
# The guided calibration hinge: Okabe-Ito bluish green, so it is not read as a bend or a drop.
CALIBRATION_COLOUR = "#009E73"
