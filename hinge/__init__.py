"""hinge: tells from one lower-back IMU whether each forward bend is hip-led or spine-led.

Public API: `hinge.analyse_file(path, placement=...)` returns an AnalysisResult
(`bends`, `calibration`, `warnings`, `dropped`); `hinge.HingeInputError` is raised for
bad input. The numerics live in `hinge.analysis`, the simulator in
`hinge.analysis.body_model`.
"""

__version__ = "0.1.0"
__all__ = ["HingeInputError", "analyse_file", "__version__"]

from hinge.errors import HingeInputError


def __getattr__(name: str):
    # Imported on first use so that `hinge --help` does not pay for numpy and scipy.
    if name == "analyse_file":
        from hinge.api import analyse_file

        return analyse_file
    raise AttributeError(f"module 'hinge' has no attribute {name!r}")
