"""Movement kinds, their parameter ranges and minimum-jerk joint-angle profiles.

Parameter ranges and their sources (biomechanics.md §1, §8.1):

- Full standing bend: trunk 93–111°, lumbar 41.6–52°, pelvis/hips 48–69° (Esola 1996;
  Laird 2019) -> trunk inclination 40–110°, lumbar flexion capped at 60°.
- Hip-led ("hinge", good morning): lumbar share φ/(θp+φ) 0.05–0.42, knee 10–30°
  (good morning 5.3±6.7° to 17–20°; hinge definition knee 15–30°, §1.2).
- Spine-led (stoop with rounded back): lumbar share 0.55–0.9, knee 0–10°, the pelvis
  lags the lumbar spine 0.1–0.6 s (Laird 2018: 0.9 s pelvic lag in one LBP subgroup).
- Squat: knee 70–110° (deadlift 103–108°), trunk 20–50°, lumbar share 0.3–0.6
  (lumbar ROM in squat lifts ~25°, von Arx 2021). Not a bend.
- Fidget: pelvic tilt 2–6°, a few degrees of lumbar motion, 0.3–1 s. Not a bend.
- Weight shift: lateral hip shift 2–5 cm, roll 2–5°, pitch < 3°. Not a bend.
- Phase durations 0.8–2.5 s down and up, hold 0–2 s (§8.1; lift phases 4.6–5.9 s in
  total, von Arx).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

MOVEMENT_KINDS: tuple[str, ...] = ("hip-led", "spine-led", "squat", "fidget", "weight-shift")
BEND_KINDS = ("hip-led", "spine-led")

#: Posture channels a movement can drive (names of :class:`Posture` fields).
CHANNELS = ("knee_rad", "pelvis_rad", "lumbar_rad", "lateral_m", "roll_rad")

LUMBAR_CAP_DEG = 60.0


def minimum_jerk(tau: np.ndarray) -> np.ndarray:
    """Minimum-jerk step 0 -> 1 for normalised time ``tau`` (clipped to [0, 1])."""
    x = np.clip(tau, 0.0, 1.0)
    return x**3 * (10.0 + x * (-15.0 + 6.0 * x))


@dataclass(frozen=True)
class Movement:
    """One movement with peak amplitudes and timing relative to its onset (s).

    Amplitudes: trunk/pelvis/lumbar/knee/roll in degrees, lateral in metres.
    Each channel rises over [rise_start_s, rise_end_s] and returns over
    [fall_start_s, fall_end_s] (keys of the dicts are channel names).
    """

    kind: str
    pelvis_deg: float
    lumbar_deg: float
    knee_deg: float
    lateral_m: float
    roll_deg: float
    rise_s: dict
    fall_s: dict
    peak_s: float  # all channels at their peak
    duration_s: float
    pelvis_lag_s: float = 0.0  # pelvic onset after lumbar onset, s (negative = pelvis leads)

    @property
    def is_bend(self) -> bool:
        return self.kind in BEND_KINDS

    @property
    def trunk_deg(self) -> float:
        return self.pelvis_deg + self.lumbar_deg

    @property
    def lumbar_share(self) -> float:
        tot = self.pelvis_deg + self.lumbar_deg
        return float(self.lumbar_deg / tot) if abs(tot) > 1e-9 else float("nan")

    def amplitudes(self) -> dict:
        """Peak value of each channel in model units (rad, m)."""
        return {
            "knee_rad": np.radians(self.knee_deg),
            "pelvis_rad": np.radians(self.pelvis_deg),
            "lumbar_rad": np.radians(self.lumbar_deg),
            "lateral_m": self.lateral_m,
            "roll_rad": np.radians(self.roll_deg),
        }

    def evaluate(self, t_rel_s: np.ndarray) -> dict:
        """Channel values at times ``t_rel_s`` (s after onset). Returns channel -> array."""
        out = {}
        for ch, amp in self.amplitudes().items():
            if amp == 0.0:
                continue
            r0, r1 = self.rise_s[ch]
            f0, f1 = self.fall_s[ch]
            up = minimum_jerk((t_rel_s - r0) / (r1 - r0))
            down = minimum_jerk((t_rel_s - f0) / (f1 - f0))
            out[ch] = amp * (up - down)
        return out


def _timing(rng, lead_ch, lag_ch, lag_s, down_s, hold_s, up_s, channels):
    """Rise/fall windows: ``lag_ch`` channels start ``lag_s`` later on the way down and
    finish ``lag_s`` earlier on the way up (they lead the return), all peak together."""
    lag_s = min(lag_s, 0.6 * down_s, 0.6 * up_s)
    rise, fall = {}, {}
    peak = down_s
    f0 = down_s + hold_s
    for ch in channels:
        if ch in lag_ch:
            rise[ch] = (lag_s, down_s)
            fall[ch] = (f0, f0 + up_s - lag_s)
        else:
            rise[ch] = (0.0, down_s)
            fall[ch] = (f0, f0 + up_s)
    return rise, fall, peak, f0 + up_s, lag_s


#: Movement habits other than the default ranges, for robustness studies: bend depth drawn
#: independently of the class, the knee ranges of the two classes swapped, no pelvic lag in
#: either class, and a lumbar share graded over 0.05-0.9 instead of two bands.
HABITS: tuple[str, ...] = ("default", "depth-independent", "knee-swapped", "no-pelvic-lag", "graded-share")


def draw_movement(kind: str, rng: np.random.Generator, habit: str = "default") -> Movement:
    """Draw one movement of ``kind`` with parameters from the ranges in the module docstring
    (``habit``: one of HABITS, changing the ranges of bends)."""
    if habit not in HABITS:
        raise ValueError(f"body_model: unknown habit {habit!r} (expected one of {HABITS})")
    u = rng.uniform
    lateral, roll = 0.0, 0.0
    if kind in ("hip-led", "spine-led") and habit == "graded-share":
        share = u(0.05, 0.9)
        kind = "spine-led" if share > 0.5 else "hip-led"
        trunk = u(40.0, min(110.0, LUMBAR_CAP_DEG / share))
    elif kind in ("hip-led", "spine-led") and habit == "depth-independent":
        trunk = u(40.0, 105.0)
        share = u(0.05, 0.42) if kind == "hip-led" else u(0.55, max(0.55, min(0.9, LUMBAR_CAP_DEG / trunk)))
    else:
        trunk = share = None
    if kind == "hip-led":
        trunk = u(40.0, 110.0) if trunk is None else trunk
        share = u(0.05, 0.42) if share is None else share
        knee = u(0.0, 10.0) if habit == "knee-swapped" else u(10.0, 30.0)
        down, hold, up = u(0.8, 2.5), u(0.0, 2.0), u(0.8, 2.5)
        # Pelvis with or slightly before the lumbar spine: the lumbar spine lags 0–0.2 s.
        rise, fall, peak, dur, lag = _timing(
            rng, ("pelvis_rad", "knee_rad"), ("lumbar_rad",), 0.0 if habit == "no-pelvic-lag" else u(0.0, 0.2),
            down, hold, up, CHANNELS,
        )
        pelvis_lag = -lag
    elif kind == "spine-led":
        share = u(0.55, 0.9) if share is None else share
        # Cap the lumbar flexion at 60° by limiting the trunk draw (lumbar ROM 42–52°).
        trunk = u(40.0, min(110.0, LUMBAR_CAP_DEG / share)) if trunk is None else trunk
        knee = u(10.0, 30.0) if habit == "knee-swapped" else u(0.0, 10.0)
        down, hold, up = u(0.8, 2.5), u(0.0, 2.0), u(0.8, 2.5)
        rise, fall, peak, dur, pelvis_lag = _timing(
            rng, ("lumbar_rad",), ("pelvis_rad", "knee_rad"), 0.0 if habit == "no-pelvic-lag" else u(0.1, 0.6),
            down, hold, up, CHANNELS,
        )
    elif kind == "squat":
        knee = u(70.0, 110.0)
        trunk = u(20.0, 50.0)
        share = u(0.3, 0.6)
        down, hold, up = u(1.0, 2.5), u(0.0, 1.5), u(1.0, 2.5)
        rise, fall, peak, dur, pelvis_lag = _timing(rng, (), (), 0.0, down, hold, up, CHANNELS)
    elif kind == "fidget":
        sign = rng.choice([-1.0, 1.0])
        pelvis = sign * u(2.0, 6.0)
        lumbar = sign * u(0.0, 3.0)
        trunk = pelvis + lumbar
        share = lumbar / trunk
        knee = u(0.0, 2.0)
        down, hold, up = u(0.3, 1.0), u(0.0, 0.5), u(0.3, 1.0)
        rise, fall, peak, dur, pelvis_lag = _timing(rng, (), (), 0.0, down, hold, up, CHANNELS)
    elif kind == "weight-shift":
        pelvis = u(-1.5, 1.5)
        lumbar = u(-1.0, 1.0)
        trunk = pelvis + lumbar
        share = lumbar / trunk if abs(trunk) > 1e-9 else 0.0
        knee = u(0.0, 5.0)
        sign = rng.choice([-1.0, 1.0])
        lateral = sign * u(0.02, 0.05)
        roll = -sign * u(2.0, 5.0)
        down, hold, up = u(0.8, 2.0), u(0.5, 2.0), u(0.8, 2.0)
        rise, fall, peak, dur, pelvis_lag = _timing(rng, (), (), 0.0, down, hold, up, CHANNELS)
    else:
        raise ValueError(f"body_model: unknown movement kind {kind!r} (expected one of {MOVEMENT_KINDS})")
    if kind not in ("fidget", "weight-shift"):
        lumbar = share * trunk
        pelvis = trunk - lumbar
    return Movement(
        kind=kind,
        pelvis_deg=float(pelvis),
        lumbar_deg=float(lumbar),
        knee_deg=float(knee),
        lateral_m=float(lateral),
        roll_deg=float(roll),
        rise_s=rise,
        fall_s=fall,
        peak_s=float(peak),
        duration_s=float(dur),
        pelvis_lag_s=float(pelvis_lag),
    )
