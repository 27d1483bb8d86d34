"""Physical constants shared by the analysis and the body model (one home each)."""

# Standard gravity, m/s^2 (CGPM 1901; the "g" of accelerometer datasheets).
GRAVITY_MPS2 = 9.80665
