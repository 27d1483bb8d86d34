"""Every limit a recording is held to before analysis, one home for all readers.

The CSV reader, the session loader and the BIDS-Motion loader call these same checks, so
a recording is refused, cleaned or warned about the same way whatever its format. Each
problem is one line naming the file, the problem and the fix (`HingeInputError`); the
fix names the format's own way to declare a thing (a command-line option, a channels
file). After this edge the analysis trusts its inputs.

Units are checked against gravity and the speed of a bend: the median |specific force|
of a body-worn sensor is 1 g, its angular rate stays far below a consumer gyroscope's
2000 deg/s full scale (e.g. Bosch BMI270 and ST LSM6DSO datasheets: +-2000 deg/s,
+-16 g), and any bend turns faster than a few deg/s.
"""
from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

from hinge.errors import HingeInputError
from hinge.firmware_protocol.samples import STANDARD_GRAVITY_MPS2 as GRAVITY_MPS2

from .placements import DEFAULT_PLACEMENT, PLACEMENTS
from .sample_rate import estimate_sample_rate
from .wording import count

__all__ = ["MIN_SAMPLES", "MIN_DURATION_S", "MIN_FS_HZ", "MAX_FS_HZ", "MAX_RATE_MISMATCH", "GRAVITY_TOLERANCE",
           "MAX_GYRO_RAD_S", "MIN_PEAK_GYRO_DEG_S", "MAX_INCOMPLETE_FRACTION", "ACC_UNITS_TO_MPS2",
           "GYR_UNITS_TO_RAD_S", "check_timing", "check_declared_rate", "check_units", "resolve_placement",
           "incomplete_samples", "beyond_full_scale", "impossible_samples", "clipped_plateaus"]

# Enough data to calibrate the mounting (a few seconds of standing) and see a bend.
MIN_SAMPLES = 250
MIN_DURATION_S = 10.0
# Slower cannot follow a bend; faster is beyond every body-worn IMU hinge reads.
MIN_FS_HZ = 25.0
MAX_FS_HZ = 1000.0
# A measured rate this far (fraction) from the declared one is a wrong declaration.
MAX_RATE_MISMATCH = 0.02
# The median |specific force| of a body-worn sensor is gravity to within ~30 %
# (most of a session is standing or slow bending).
GRAVITY_TOLERANCE = 0.3
# Consumer gyroscopes top out at 2000 deg/s = 34.9 rad/s: more than that cannot be rad/s.
MAX_GYRO_RAD_S = 35.0
# A lower-back recording with any bend turns faster than 4 deg/s; rad/s numbers
# (a few units at most) read as deg/s would stay below it.
MIN_PEAK_GYRO_DEG_S = 4.0
# Above this share of samples without accelerometer or gyroscope values (a stream the
# device lost, or does not have) a recording is refused rather than analysed with gaps.
MAX_INCOMPLETE_FRACTION = 0.05

# Unit spellings the readers accept, as factors to SI. BIDS writes the spec's own example
# spellings, "m/s^2" and "rad/s"; the command line offers "m/s2" and "g", "rad/s" and "deg/s".
ACC_UNITS_TO_MPS2 = {"m/s^2": 1.0, "m/s2": 1.0, "m/s²": 1.0, "m*s^-2": 1.0, "g": GRAVITY_MPS2}
GYR_UNITS_TO_RAD_S = {"rad/s": 1.0, "deg/s": math.pi / 180.0, "°/s": math.pi / 180.0}

# Beyond any body-worn IMU's full scale (the largest common ranges are +-32 g and
# +-4000 deg/s): such values are transmission garbage, not motion.
MAX_ACC_MPS2 = 32 * GRAVITY_MPS2
MAX_RATE_RAD_S = math.radians(4000.0)
# A gyro sample that jumps this far from both neighbours, in the same direction, is a
# glitch: no body segment reverses 10 rad/s (573 deg/s) within two samples.
GLITCH_RAD_S = 10.0
# A clipped plateau lies at a sensor's full-scale range; the smallest common ranges are
# +-2 g and +-125 deg/s, so repeated extremes below these floors are quantised noise, not clipping.
MIN_SATURATION_RUN = 3
MIN_SATURATION_ACC_MPS2 = 1.5 * GRAVITY_MPS2
MIN_SATURATION_GYR_RAD_S = 2.0


def _fail(name: str, problem: str) -> HingeInputError:
    return HingeInputError(f"{name}: {problem}")


def check_timing(t_s: np.ndarray, name: str, *, what: str = "samples", rate_fix: str = "") -> float:
    """Check there are enough samples, at a plausible rate, for long enough; return the rate, Hz.

    Args:
        t_s: (N,) strictly increasing sample times, s (each reader checks the order itself,
            naming its own line or sample).
        name: the file, for the message. what: what one sample is called there ("rows").
        rate_fix: what to check when the rate is implausible, e.g. the sidecar's field.
    """
    n = len(t_s)
    if n < MIN_SAMPLES:
        raise _fail(name, f"too few samples: only {n} {what} (need >= {MIN_SAMPLES} {what} and "
                          f">= {MIN_DURATION_S:.0f} s)")
    fs_hz = float(estimate_sample_rate(t_s))
    # A relative tolerance: exactly 1000 Hz must not depend on how the time origin rounds.
    if not MIN_FS_HZ * (1 - 1e-6) <= fs_hz <= MAX_FS_HZ * (1 + 1e-6):
        hint = ""
        if MIN_FS_HZ <= fs_hz * 1e3 <= MAX_FS_HZ:
            hint = "; time looks like milliseconds: divide the times by 1000"
        elif MIN_FS_HZ <= fs_hz * 1e6 <= MAX_FS_HZ:
            hint = "; time looks like microseconds: divide the times by 1e6"
        fix = f"; {rate_fix}" if rate_fix else ""
        raise _fail(name, f"sample rate {fs_hz:.4g} Hz (from the median interval) is outside "
                          f"{MIN_FS_HZ:.0f}-{MAX_FS_HZ:.0f} Hz{fix}{hint}")
    duration_s = float(t_s[-1] - t_s[0])
    if duration_s < MIN_DURATION_S:
        raise _fail(name, f"too few samples: only {duration_s:.2f} s of data (need >= {MIN_DURATION_S:.0f} s)")
    return fs_hz


def check_declared_rate(fs_hz: float, declared_hz: float, name: str, declared_in: str, fix: str) -> None:
    """Check the measured rate (Hz) is within MAX_RATE_MISMATCH of the one ``declared_in`` states."""
    if abs(fs_hz - declared_hz) > MAX_RATE_MISMATCH * declared_hz:
        raise _fail(name, f"the samples come at {fs_hz:.4g} Hz but {declared_in} says {declared_hz:.4g} Hz "
                          f"(more than {MAX_RATE_MISMATCH:.0%} apart); {fix}")


def check_units(acc_mps2: np.ndarray, gyr_rad_s: np.ndarray, acc_unit: str, gyro_unit: str, name: str,
                fixes: Mapping[str, str], declared_in: str | None = None) -> None:
    """Check the samples are plausible in the units they were declared in.

    Args:
        acc_mps2, gyr_rad_s: (N, 3) samples converted to SI from ``acc_unit`` and
            ``gyro_unit`` (keys of ACC_UNITS_TO_MPS2 and GYR_UNITS_TO_RAD_S); the messages
            quote them back in those units.
        fixes: how the format declares each unit the data may look like instead, keyed
            "g", "m/s^2", "deg/s", "rad/s", e.g. {"g": "pass --acc-unit g", ...}.
        declared_in: where the units were declared (named in the message), or None for
            a default the user may not know of.
    """
    def but(unit: str) -> str:
        return f", but {declared_in} says {unit}" if declared_in else ""

    acc_factor, gyr_factor = ACC_UNITS_TO_MPS2[acc_unit], GYR_UNITS_TO_RAD_S[gyro_unit]
    median = float(np.median(np.sqrt(np.einsum("ij,ij->i", acc_mps2, acc_mps2)))) / acc_factor
    looks_g = abs(median - 1.0) <= GRAVITY_TOLERANCE
    looks_mps2 = abs(median - GRAVITY_MPS2) <= GRAVITY_TOLERANCE * GRAVITY_MPS2
    if looks_g and acc_factor != GRAVITY_MPS2:
        raise _fail(name, f"accelerometer median |acc| is {median:.3g} {acc_unit}, which looks like g"
                          f"{but(acc_unit)}; {fixes['g']}")
    if looks_mps2 and acc_factor == GRAVITY_MPS2:
        raise _fail(name, f"accelerometer median |acc| is {median:.3g} {acc_unit}, which looks like m/s^2"
                          f"{but(acc_unit)}; {fixes['m/s^2']}")
    if not (looks_g or looks_mps2):
        hint = f"; looks like milli-g: divide acc by 1000 and {fixes['g']}" \
            if abs(median - 1000.0) <= GRAVITY_TOLERANCE * 1000.0 else ""
        raise _fail(name, f"accelerometer median |acc| is {median:.3g} {acc_unit}, far from gravity "
                          f"(1 g = {GRAVITY_MPS2} m/s^2): not an accelerometer in m/s^2 or g{hint}")

    # The 99.9th percentile, so that one glitch sample does not make rad/s look like deg/s.
    peak_rad_s = float(np.percentile(np.sqrt(np.einsum("ij,ij->i", gyr_rad_s, gyr_rad_s)), 99.9))
    if gyr_factor == 1.0 and peak_rad_s > MAX_GYRO_RAD_S:
        raise _fail(name, f"gyroscope peak |gyr| is {peak_rad_s:.4g} {gyro_unit}, beyond {MAX_GYRO_RAD_S:.0f} "
                          f"rad/s (2000 deg/s): looks like deg/s{but(gyro_unit)}; {fixes['deg/s']}")
    if gyr_factor != 1.0 and math.degrees(peak_rad_s) < MIN_PEAK_GYRO_DEG_S:
        raise _fail(name, f"gyroscope peak |gyr| is only {math.degrees(peak_rad_s):.3g} {gyro_unit}, too slow "
                          f"for any bend: looks like rad/s{but(gyro_unit)}; {fixes['rad/s']}")


def resolve_placement(explicit: str | None, declared: str | None, name: str, declared_in: str) -> str:
    """The placement to analyse at: ``explicit`` (the caller's) > ``declared`` (the
    recording's metadata, ``declared_in``) > DEFAULT_PLACEMENT.

    A name outside PLACEMENTS is an error listing them, whoever gave it: analysing a
    recording at a site it was not worn at would give confident wrong shares.
    """
    known = ", ".join(PLACEMENTS)
    if explicit is not None:
        if explicit not in PLACEMENTS:
            raise HingeInputError(f"placement {explicit!r} is not one of {known}")
        return explicit
    if declared is None:
        return DEFAULT_PLACEMENT
    if declared not in PLACEMENTS:
        raise _fail(name, f"placement {declared!r} in {declared_in} is not one of {known}; "
                          "pass --placement to say where the sensor sat")
    return declared


def incomplete_samples(acc_mps2: np.ndarray, gyr_rad_s: np.ndarray, name: str) -> tuple[np.ndarray, list[str]]:
    """(N,) bool samples without accelerometer or gyroscope values (NaN: a lost frame of one
    stream, e.g. a Polar gyro frame), and one note per stream. They are to be dropped and
    analysed as a gap, like a lost packet, not guessed; more than MAX_INCOMPLETE_FRACTION
    of them is an error.
    """
    n = len(acc_mps2)
    drop = np.zeros(n, bool)
    notes = []
    for values, what in ((acc_mps2, "accelerometer"), (gyr_rad_s, "gyroscope")):
        incomplete = ~np.isfinite(values).all(axis=1)
        missing = int(incomplete.sum())
        if missing > MAX_INCOMPLETE_FRACTION * n:
            raise _fail(name, f"{missing} of {n} samples have no {what} values (NaN); "
                              "the analysis needs both accelerometer and gyroscope")
        if missing:
            notes.append(f"{name}: {missing} samples without {what} values analysed as gaps")
        drop |= incomplete
    return drop, notes


def beyond_full_scale(acc_mps2: np.ndarray, gyr_rad_s: np.ndarray) -> np.ndarray:
    """(N,) bool samples beyond the largest full scale of any body-worn IMU (MAX_ACC_MPS2,
    MAX_RATE_RAD_S): transmission garbage such as 1e300, which would overflow the analysis."""
    return (np.abs(acc_mps2) > MAX_ACC_MPS2).any(axis=1) | (np.abs(gyr_rad_s) > MAX_RATE_RAD_S).any(axis=1)


def impossible_samples(acc_mps2: np.ndarray, gyr_rad_s: np.ndarray, name: str,
                       first_line: int | np.ndarray = 2) -> tuple[np.ndarray, list[str]]:
    """(N,) bool samples no sensor on a body can have produced, and one warning per kind.

    Beyond the largest full scale of any body-worn IMU (MAX_ACC_MPS2, MAX_RATE_RAD_S), or a
    single-sample gyro spike (GLITCH_RAD_S from both neighbours, same sign): transmission
    glitches, to be dropped, never analysed. ``first_line``: the file line of sample 0, or
    (N,) the file line of each sample (rows of a file holding other rows between them).
    """
    def line(i: int) -> int:
        return int(first_line[i]) if isinstance(first_line, np.ndarray) else i + first_line

    notes = []
    beyond = beyond_full_scale(acc_mps2, gyr_rad_s)
    if beyond.any():
        first = int(np.argmax(beyond))
        notes.append(f"{name}: dropped {count(int(beyond.sum()), 'row')} with values beyond any IMU's full scale "
                     f"(> {MAX_ACC_MPS2 / GRAVITY_MPS2:.0f} g or > {math.degrees(MAX_RATE_RAD_S):.0f} deg/s; "
                     f"first at line {line(first)}): transmission glitches")
    spike = np.zeros(len(gyr_rad_s), bool)
    if len(gyr_rad_s) >= 3:
        before = gyr_rad_s[1:-1] - gyr_rad_s[:-2]
        after = gyr_rad_s[1:-1] - gyr_rad_s[2:]
        spike[1:-1] = ((np.abs(before) > GLITCH_RAD_S) & (np.abs(after) > GLITCH_RAD_S)
                       & (np.sign(before) == np.sign(after))).any(axis=1)
        spike &= ~beyond
    if spike.any():
        first = int(np.argmax(spike))
        notes.append(f"{name}: dropped {count(int(spike.sum()), 'single-sample gyro spike')} of more than "
                     f"{GLITCH_RAD_S:.0f} rad/s (first at line {line(first)}): transmission glitches")
    return beyond | spike, notes


def clipped_plateaus(channels: Mapping[str, np.ndarray], t_s: np.ndarray, unit_names: Mapping[str, str],
                     name: str) -> tuple[np.ndarray, list[str]]:
    """(N,) bool saturated samples and one warning per clipped channel, for a format that
    does not annotate saturation itself: a channel sitting at its extreme |value| for
    >= MIN_SATURATION_RUN samples, above the smallest common full scale.

    ``channels``: name -> (N,) values in SI units ("acc_*" and "<site>_acc_*" in m/s^2, else rad/s).
    """
    mask = np.zeros(t_s.size, dtype=bool)
    messages: list[str] = []
    for column, values in channels.items():
        magnitude = np.abs(values)
        peak = magnitude.max()
        # "acc_x", or a second sensor's "t12_acc_x": the channel kind is the name's second-last part.
        floor = MIN_SATURATION_ACC_MPS2 if column.split("_")[-2:-1] == ["acc"] else MIN_SATURATION_GYR_RAD_S
        if peak < floor:
            continue
        at_peak = magnitude == peak
        # Runs of consecutive samples at the peak: starts and stops of True stretches.
        edges = np.diff(np.concatenate(([0], at_peak.astype(np.int8), [0])))
        starts, stops = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
        long = (stops - starts) >= MIN_SATURATION_RUN
        if not long.any():
            continue
        for start, stop in zip(starts[long], stops[long]):
            mask[start:stop] = True
        first, last = starts[long][0], stops[long][-1] - 1
        messages.append(
            f"{name}: channel {column} is clipped at +-{peak:.4g} {unit_names[column]} in "
            f"{int(long.sum())} stretch(es), {int((stops - starts)[long].sum())} samples, between "
            f"time_s {t_s[first]:.3f} and {t_s[last]:.3f}; those samples are marked saturated"
        )
    return mask, messages


def is_number_text(text: str) -> bool:
    """Whether a text cell reads as a number (float() accepts it: "1e3", "nan", "-0.5")."""
    try:
        float(text)
    except ValueError:
        return False
    return True
