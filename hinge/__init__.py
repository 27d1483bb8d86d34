"""hinge: tells from one lower-back IMU whether each forward bend is hip-led or spine-led."""

__version__ = "0.1.0"
