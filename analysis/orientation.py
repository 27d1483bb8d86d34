"""Orientation of the sensor's body segment: a facade over x-io Fusion (imufusion).

Fusion (revised Madgwick with acceleration rejection and start-up gain ramp) is a
maintained, validated AHRS; we own only the conventions here: input in SI units and body
axes (x anterior, y left, z up), output as quaternions plus the sagittal pitch and roll
the rest of hinge uses, with Fusion's per-sample `accelerometer_ignored` and `startup`
flags kept so they can be reported and tested (`estimate_orientation`). The analysis
itself needs only the pitch (`estimate_pitch_deg`), so it asks Fusion for nothing else:
per sample, one update and one quaternion read (the two flag reads cost ~20 % more).

Fusion computes in float (32 bit), and its binding turns float64 input into new float32
arrays on every call: an update took 0.45 us per sample with float64 input, 0.15 us with
float32. The inputs are therefore handed over as float32 already (`_fusion_inputs`),
rounded as the binding would round them, so the quaternions are the same bit for bit; an
hour at 100 Hz takes 0.15 s instead of 0.3 s.
"""
from __future__ import annotations

from dataclasses import dataclass

import imufusion
import numpy as np

from .grid_signals import SampleWindows
from .stillness import GRAVITY_MPS2


@dataclass(frozen=True)
class SegmentOrientation:
    """Orientation of the segment over time.

    Attributes:
        quaternion: (N, 4) w, x, y, z; earth_from_segment (earth axes NWU, heading free).
        pitch_deg: (N,) forward inclination of the segment's anterior axis, deg (flexion > 0).
        roll_deg: (N,) inclination about the anterior axis, deg (left side up > 0).
        accelerometer_ignored: (N,) bool, Fusion rejected the accelerometer (fast motion).
        startup: (N,) bool, Fusion still in its start-up ramp.
    """

    quaternion: np.ndarray
    pitch_deg: np.ndarray
    roll_deg: np.ndarray
    accelerometer_ignored: np.ndarray
    startup: np.ndarray


def estimate_orientation(
    acc_mps2: np.ndarray, gyr_rad_s: np.ndarray, fs_hz: float, gain: float = 0.5
) -> SegmentOrientation:
    """Run Fusion over calibrated signals.

    Args:
        acc_mps2: (N, 3) specific force in segment axes, m/s^2.
        gyr_rad_s: (N, 3) bias-corrected angular rate in segment axes, rad/s.
        fs_hz: uniform sample rate, Hz.
        gain: Fusion gain (default 0.5, Fusion's own default).
    """
    n = len(acc_mps2)
    ahrs = make_ahrs(fs_hz, gain)
    gyr_dps, acc_g = _fusion_inputs(acc_mps2, gyr_rad_s)
    quaternion = np.empty((n, 4))
    ignored = np.zeros(n, bool)
    startup = np.zeros(n, bool)
    update = ahrs.update_no_magnetometer
    for i in range(n):
        update(gyr_dps[i], acc_g[i])
        quaternion[i] = ahrs.get_quaternion()
        ignored[i] = ahrs.get_internal_states().accelerometer_ignored
        startup[i] = ahrs.get_flags().startup
    pitch_deg, roll_deg = quaternion_to_pitch_roll_deg(quaternion)
    return SegmentOrientation(quaternion, pitch_deg, roll_deg, ignored, startup)


def estimate_pitch_deg(signals: SampleWindows, fs_hz: float, gain: float = 0.5) -> np.ndarray:
    """`estimate_orientation(...).pitch_deg` alone, equal to it sample for sample: (N,) deg.

    Args:
        signals: calibrated (N, 3) specific force and rate in segment axes (m/s^2, rad/s),
            read chunk by chunk (`grid_signals`), so no (N, 4) quaternion array is held.
    """
    tracker = StreamingOrientation(fs_hz, gain)
    pitch = np.empty(len(signals))
    for start, stop, _, acc, gyr in signals.chunks():
        pitch[start:stop] = tracker.update(acc, gyr)
    return pitch


def make_ahrs(fs_hz: float, gain: float = 0.5) -> "imufusion.Ahrs":
    """A Fusion AHRS with hinge's settings (NWU, acceleration rejection 10 deg, 5 s timeout)."""
    ahrs = imufusion.Ahrs()
    settings = imufusion.AhrsSettings()
    settings.convention = imufusion.CONVENTION_NWU
    settings.gain = gain
    settings.gyroscope_range = 2000.0
    settings.acceleration_rejection = 10.0
    settings.sample_rate = int(round(fs_hz))
    settings.rejection_timeout = int(5 * fs_hz)
    ahrs.set_settings(settings)
    ahrs.set_sample_period(1.0 / fs_hz)
    return ahrs


class StreamingOrientation:
    """`estimate_orientation` one block at a time: the same Fusion state carried across
    blocks, so the pitch equals the offline one on the same samples."""

    def __init__(self, fs_hz: float, gain: float = 0.5):
        self._ahrs = make_ahrs(fs_hz, gain)

    def update(self, acc_mps2: np.ndarray, gyr_rad_s: np.ndarray) -> np.ndarray:
        """Pitch (K,) deg of a block of (K, 3) calibrated signals (segment axes, m/s^2, rad/s)."""
        gyr_dps, acc_g = _fusion_inputs(acc_mps2, gyr_rad_s)
        # One update and one quaternion read per sample, iterated by map and np.fromiter
        # rather than a Python loop (update returns the Ahrs itself): half the time per sample.
        quaternion = np.fromiter(map(imufusion.Ahrs.get_quaternion, map(self._ahrs.update_no_magnetometer, gyr_dps, acc_g)),
                                 dtype=np.dtype((np.float32, 4)), count=len(acc_g))
        return quaternion_to_pitch_deg(quaternion.astype(np.float64))


def _fusion_inputs(acc_mps2: np.ndarray, gyr_rad_s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(K, 3) rate in deg/s and specific force in g, float32 and C-contiguous, as Fusion
    wants them: computed in float64 and rounded to float32 once, as the binding would."""
    gyr_dps = np.ascontiguousarray(np.degrees(gyr_rad_s), dtype=np.float32)
    acc_g = np.ascontiguousarray(np.divide(acc_mps2, GRAVITY_MPS2), dtype=np.float32)
    return gyr_dps, acc_g


def quaternion_to_pitch_roll_deg(quaternion: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Heading-free pitch and roll of earth_from_segment quaternions (N, 4), deg.

    Pitch is the forward rotation of the segment about its left axis (flexion > 0),
    from the vertical components of its anterior and up axes, so that it keeps counting
    past 90 deg (a deep hinge tilts the pelvis up to about 100 deg).
    """
    w, x, y, z = quaternion.T
    left_up = 2.0 * (y * z + w * x)  # earth-z component of the segment's y-axis
    roll = np.degrees(np.arcsin(np.clip(left_up, -1.0, 1.0)))
    return quaternion_to_pitch_deg(quaternion), roll


def quaternion_to_pitch_deg(quaternion: np.ndarray) -> np.ndarray:
    """`quaternion_to_pitch_roll_deg`'s pitch (N,) deg alone (the analysis needs no roll)."""
    w, x, y, z = quaternion.T
    anterior_up = 2.0 * (x * z - w * y)  # earth-z component of the segment's x-axis
    up_up = 1.0 - 2.0 * (x * x + y * y)
    return np.degrees(np.arctan2(-anterior_up, up_up))
