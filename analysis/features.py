"""Per-bend features, each grounded in the sagittal body model.

* `sensor_pitch_deg`: pitch excursion of the sensor's segment (the pelvis at the sacrum;
  pelvis plus part of the lumbar flexion higher up), from drift-corrected gyro integration.
* `sensor_dx_m`, `sensor_dz_m`: translation of the skin point (anterior, up) when the
  hips are furthest back, i.e. when the trunk is deepest. A hinge rotates the pelvis about the hips; a rounded back moves the
  trunk mass forward without pelvic rotation, so balance pushes the hips back *more
  per degree of pelvic pitch* (research/biomechanics.md section 8.2).
* `pitch_t50_fraction`: when, within the descent, pitch reaches half its excursion.
* `pelvic_lag_s`: how long after the hips start moving back the pelvis starts to tilt.
  A pelvis that lags the lumbar spine tilts late (Laird et al. 2018: a 0.9 s pelvic lag
  in one low-back-pain subgroup).
* `peak_rate_deg_s`, `judder_count`: speed and smoothness (local minima of the pitch
  rate during descent, after the "judder" idea of aberrant-movement studies).
"""
from __future__ import annotations

import numpy as np

from .peaks import find_peaks
from .shortcuts import mean_of
from .smoothing import moving_mean
from .strapdown import integrate_window

FEATURE_COLUMNS = [
    "sensor_pitch_deg", "sensor_dx_m", "sensor_dz_m",
    "pitch_t50_fraction", "peak_rate_deg_s", "judder_count", "down_s", "up_s", "hold_s",
    "pitch_drift_deg", "pelvic_lag_s", "rise_m",
]


def bend_features(
    acc_segment_mps2: np.ndarray,
    gyr_segment_rad_s: np.ndarray,
    fs_hz: float,
    window: tuple[int, int],
    start: int,
    peak: int,
    end: int,
    anchored: bool,
    anchor_samples: int,
    end_still: bool | None = None,
    start_still: bool | None = None,
) -> dict:
    """Features of one bend.

    Args:
        acc_segment_mps2, gyr_segment_rad_s: (N, 3) whole-session calibrated signals.
        window: [first, stop) samples integrated; starts and ends still when `anchored`.
        start, peak, end: onset, peak and return samples (absolute indices).
        anchored: a still stretch brackets the window, so translation is observable.
        end_still: the window ends at rest, so the pitch may be corrected to the
            accelerometer tilt there (None: the same as `anchored`).
        start_still: the window starts at rest (None: the same as `anchored`), so the
            height gained by the return (`rise_m`) can be integrated from there.

    Returns:
        dict with FEATURE_COLUMNS; translation entries are None when not `anchored`;
        plus `pitch_trace_deg`, (stop - first,) the pitch over the window relative to its start.
    """
    first, stop = window
    start_still = anchored if start_still is None else start_still
    traj = integrate_window(
        acc_segment_mps2[first:stop], gyr_segment_rad_s[first:stop], fs_hz,
        anchor_samples if anchored or start_still else max(1, int(0.05 * fs_hz)),
        end_still=anchored if end_still is None else end_still,
    )
    # Called for every bend candidate (about 500 an hour): `shortcuts.mean_of` and scalar
    # clipping in Python, the same numbers as .mean() and np.clip without their overhead.
    pitch_deg = np.degrees(traj.pitch_rad - mean_of(traj.pitch_rad[: max(1, min(anchor_samples, len(traj.pitch_rad)))]))
    local_peak = min(max(peak - first, 0), len(pitch_deg) - 1)
    excursion = float(pitch_deg[local_peak])
    # Average over the plateau around the peak: a held pose is measured many times.
    plateau = np.flatnonzero(pitch_deg >= 0.9 * excursion) if excursion > 0 else np.array([local_peak])
    plateau = plateau[(plateau >= local_peak - int(3 * fs_hz)) & (plateau <= local_peak + int(3 * fs_hz))]
    if len(plateau) == 0:
        plateau = np.array([local_peak])
    sensor_pitch = float(mean_of(pitch_deg[plateau]))
    if anchored:
        # The trunk is deepest when the hips are furthest back (balance), which need not
        # be the pitch peak: a lagging pelvis peaks after the lumbar spine has begun to return.
        bend = slice(start - first, end - first + 1)
        anterior = traj.anterior_m[bend]
        back = np.flatnonzero(anterior <= 0.9 * anterior.min()) if anterior.min() < 0 else np.array([int(np.argmin(anterior))])
        dx = float(mean_of(anterior[back]))
        dz = float(mean_of(traj.up_m[bend][back]))
        lag = _pelvic_lag_s(pitch_deg[bend], anterior, fs_hz)
    else:
        dx = dz = lag = None
    # Height gained from the still start to the return: ~0 for a bend (the hips come back),
    # +-0.3-0.45 m for standing up from or sitting down on a chair.
    rise = float(traj.up_m[min(end - first, len(traj.up_m) - 1)]) if start_still else None
    rate = np.degrees(gyr_segment_rad_s[start:end + 1, 1])
    descent = pitch_deg[start - first: local_peak + 1]
    half = np.flatnonzero(descent >= 0.5 * excursion)
    down_s = (peak - start) / fs_hz
    t50 = (half[0] / max(len(descent) - 1, 1)) if len(half) else 1.0
    smooth_rate = moving_mean(np.degrees(gyr_segment_rad_s[start:peak + 1, 1]), max(1, int(0.08 * fs_hz)),
                              mode="reflect")
    dips = find_peaks(-smooth_rate, prominence=8.0) if len(smooth_rate) > 3 else np.empty(0, np.intp)
    return {
        "sensor_pitch_deg": sensor_pitch,
        "sensor_dx_m": dx,
        "sensor_dz_m": dz,
        "pitch_t50_fraction": float(t50),
        "peak_rate_deg_s": float(np.max(np.abs(rate))) if len(rate) else 0.0,
        "judder_count": int(len(dips)),
        "down_s": float(down_s),
        "up_s": float((end - peak) / fs_hz),
        "hold_s": float(len(plateau) / fs_hz),
        "pitch_drift_deg": float(np.degrees(traj.pitch_drift_rad)),
        "pelvic_lag_s": lag,
        "rise_m": rise,
        "pitch_trace_deg": pitch_deg,
    }


def _pelvic_lag_s(pitch_deg: np.ndarray, anterior_m: np.ndarray, fs_hz: float, fraction: float = 0.2) -> float:
    """How long after the hips start moving back the segment starts to pitch, s.

    The hips move back as soon as the trunk mass goes forward, whichever joint moves it;
    the pelvis pitches only when the hips flex. A positive lag means the lumbar spine led.
    """
    back = -anterior_m
    t_back = np.argmax(back >= fraction * back.max()) if back.max() > 0 else 0
    t_pitch = np.argmax(pitch_deg >= fraction * pitch_deg.max()) if pitch_deg.max() > 0 else 0
    return float((t_pitch - t_back) / fs_hz)
