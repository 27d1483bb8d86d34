"""Physical constants shared by the analysis and the body model (one home each)."""

# Standard gravity, m/s^2 (CGPM 1901; the "g" of accelerometer datasheets). Defined where the
# packet decoders convert g to m/s^2, the lowest layer, so that every layer uses the same value.
from hinge.firmware_protocol.samples import STANDARD_GRAVITY_MPS2 as GRAVITY_MPS2

__all__ = ["GRAVITY_MPS2"]
