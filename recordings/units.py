"""The unit names people write for a CSV's columns, and the one name hinge uses for each.

One home for the spellings every command accepts (`--acc-unit`, `--gyro-unit`, and the
``acc_unit``/``gyro_unit`` of the Python API): "m/s^2" as the README writes it, "m/s2",
"m/s²", "mps2"; "deg/s", "dps" (datasheets, e.g. Bosch BMI270, ST LSM6DSO), "°/s". Each
becomes the canonical name that `validation.ACC_UNITS_TO_MPS2` and
`validation.GYR_UNITS_TO_RAD_S` convert. Plain Python, no numpy: the command line's
parser uses it.
"""
from __future__ import annotations

from hinge.errors import HingeInputError

__all__ = ["ACC_UNIT_SPELLINGS", "GYRO_UNIT_SPELLINGS", "DEFAULT_ACC_UNIT", "DEFAULT_GYRO_UNIT",
           "acc_unit", "gyro_unit"]

DEFAULT_ACC_UNIT = "m/s2"
DEFAULT_GYRO_UNIT = "rad/s"

# spelling (compared without blanks, case-insensitively) -> canonical name
ACC_UNIT_SPELLINGS = {"m/s2": "m/s2", "m/s^2": "m/s2", "m/s²": "m/s2", "mps2": "m/s2", "m*s^-2": "m/s2",
                      "g": "g"}
GYRO_UNIT_SPELLINGS = {"rad/s": "rad/s", "deg/s": "deg/s", "dps": "deg/s", "°/s": "deg/s"}


def _canonical(text: str, spellings: dict[str, str], what: str) -> str:
    key = "".join(str(text).split()).lower()
    if key in spellings:
        return spellings[key]
    raise HingeInputError(f"{what} '{text}' is not a unit hinge knows; accepted: {', '.join(spellings)}")


def acc_unit(text: str, what: str = "acc_unit") -> str:
    """"m/s2" or "g" for any accepted spelling; ``what`` names the option in the error."""
    return _canonical(text, ACC_UNIT_SPELLINGS, what)


def gyro_unit(text: str, what: str = "gyro_unit") -> str:
    """"rad/s" or "deg/s" for any accepted spelling; ``what`` names the option in the error."""
    return _canonical(text, GYRO_UNIT_SPELLINGS, what)
