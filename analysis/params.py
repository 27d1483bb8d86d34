"""Analysis settings: one frozen dataclass with documented defaults, and per-placement presets.

Every threshold carries its unit in its name. Presets change only what depends on
where the sensor sits: a sensor higher on the lumbar spine rotates with the pelvis
*plus* part of the lumbar flexion, so its pitch excursions are larger and the
minimum bend is scaled accordingly.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, replace

from .anatomy import PLACEMENTS  # noqa: F401 - re-exported


@dataclass(frozen=True)
class AnalysisParams:
    """Settings of the offline pipeline.

    Attributes:
        placement: skin site of the sensor, one of PLACEMENTS.
        height_m: body height used to scale the body model (the default is a population mean).
        still_gyro_rad_s: angular-rate magnitude below which the sensor counts as still.
        still_acc_tolerance_mps2: allowed deviation of |specific force| from 1 g when still.
        still_min_s: shortest still stretch that counts as quiet standing (mounting
            calibration, guided calibration).
        settle_s: a bend whose pitch rose `min_bend_deg` has ended (and is judged, live
            too) once the sensor is back upright and has been still for this long
            (trailing windows, same thresholds: `stillness.settled_mask`). Shorter is
            faster but ends a bend while the hips may still be moving, which spoils the
            zero-velocity anchor of the translation: 0.1 s cost 0.014 of held-out F1 and
            flipped a clear hinge of a test session (benchmarks/accuracy.py, live_latency.py).
        upright_tolerance_deg: for calibration, a still pose within this angle of the
            stance pose counts as standing.
        upright_pitch_deg: for segmentation, a still pose flexed forward less than this
            from standing counts as rest (ends a movement; `segmentation.rest_posture`).
        min_bend_deg: sensor-segment pitch excursion above which a movement is a bend.
        candidate_min_deg: smallest pitch excursion segmentation proposes as a candidate
            (judged later from pitch *and* translation), deg.
        onset_fraction: a bend's onset and return are where its pitch crosses this
            fraction of the peak.
        quiet_end_s: quiet standing that ends a movement without a bend (and the still
            anchor taken before a bend for the translation), s.
        baseline_max_s: the stance pitch before a movement is the median over at most
            this much standing, s (bounds the live pipeline's history).
        max_movement_s: a movement longer than this without rest is not judged, s
            (bounds the live pipeline's memory).
        min_hip_back_m: backward shift of the sensor above which a movement is a bend even
            with little pitch (a rounded back moves the hips back without tilting the pelvis).
        max_interp_gap_s: longest gap bridged by interpolation; longer gaps are flagged.
        squat_drop_m: drop of the sensor above which a movement is a squat, not a bend
            (knees bent 70-110 deg lower the hips 20-40 cm; a hinge's slight knee bend
            lowers them a few cm).
        squat_knee_deg: ... and the pose that best explains pitch and translation bends the
            knees at least this much (the drop alone can be integration error).
        max_translation_misfit: a translation that no pose of the body model explains
            within this chi-square is not used (simulated cohorts: 99 % of honest
            measurements below 38, the simple model differing from the simulator).
        spine_led_share: lumbar share of trunk flexion above which a bend *is* spine-led
            (the definition, used for the posterior probability).
        decision_share: estimated (posterior-mean) lumbar share above which hinge *calls*
            a bend spine-led. Lower than the definition because one sensor's estimate is
            shrunk towards the middle; chosen for the best balanced accuracy on a
            simulated training cohort (seeds 2000-2023, `benchmarks/accuracy.py --fit`)
            that is disjoint from the reported benchmark cohort.
        timing_weight_per_s: how much a lagging pelvis raises the lumbar share, per second
            of lag (fitted on the same training cohort; 0 disables the timing evidence).
        pitch_sigma_deg: measurement error of a bend's pitch excursion assumed by the pose
            inversion (plus 5 % of the excursion), deg.
        translation_sigma_m: measurement error of the sensor's translation assumed by
            the pose inversion, m.
        ahrs_gain: gain of the Fusion AHRS (x-io), lower trusts the gyroscope more.
        uncertain_band: a bend whose estimated lumbar share lies within this of
            `decision_share` is called uncertain instead of guessed (benchmarks/robustness.py
            prints the accuracy of the other bends and the uncertain share).
        uncertain_band_pitch_only: the same for bends judged from pitch alone (no still
            stretch around them, so no translation).
        max_raised_fraction: a bend starts from and returns to near the stance: an
            excursion whose onset or return lies above this fraction of its peak (pitches
            from standing) is a bump on a tilted posture.
        turn_yaw_deg: an excursion that turns more than this about the vertical axis (and
            more than it pitches) is a turn, not a bend (`movement_kind`).
        side_bend_roll_deg: an excursion that rolls more than this (and more than it
            pitches) is a side bend.
        gait_min_steps: this many consecutive steps at a walking cadence around an
            excursion, taken with the pelvis at its walking posture (`gait_raised_fraction`,
            `max_walking_pitch_deg`), make it walking.
        step_prominence_mps2: smallest heel-strike peak of |specific force| counted as a
            step (2-5 m/s^2 at L5 in gait, under 1 in quiet standing and slow bends).
        gait_raised_fraction: steps taken with the pelvis at least this fraction of the
            excursion forward are walking at a raised posture (people walk with the pelvis
            10-25 deg ahead of standing: Mobilise-D lab data; a bend's own jolts and the
            steps around it lie lower).
        max_walking_pitch_deg: nobody walks with the pelvis pitched further ahead of
            standing than this; peaks of |specific force| deeper in a bend are its own jolts.
        posture_change_rise_m: a movement from rest whose hips end this much higher or
            lower than they started is standing up or sitting down, not a bend (a chair
            transfer moves the sacrum 0.3-0.45 m; a bend returns it within a few cm).
        gait_margin_s: steps are looked for this long before the onset and after the return.
    """

    placement: str = "sacrum"
    height_m: float = 1.75
    still_gyro_rad_s: float = 0.05
    still_acc_tolerance_mps2: float = 0.3
    still_min_s: float = 0.4
    settle_s: float = 0.3
    upright_tolerance_deg: float = 10.0
    upright_pitch_deg: float = 3.0
    min_bend_deg: float = 10.0
    candidate_min_deg: float = 3.0
    onset_fraction: float = 0.1
    quiet_end_s: float = 0.3
    baseline_max_s: float = 3.0
    max_movement_s: float = 120.0
    min_hip_back_m: float = 0.06
    max_interp_gap_s: float = 0.1
    squat_drop_m: float = 0.15
    squat_knee_deg: float = 45.0
    max_translation_misfit: float = 50.0
    spine_led_share: float = 0.5
    decision_share: float = 0.48
    timing_weight_per_s: float = 0.6
    pitch_sigma_deg: float = 3.0
    translation_sigma_m: float = 0.05
    ahrs_gain: float = 0.5
    uncertain_band: float = 0.05
    uncertain_band_pitch_only: float = 0.15
    max_raised_fraction: float = 0.5
    turn_yaw_deg: float = 30.0
    side_bend_roll_deg: float = 10.0
    gait_min_steps: int = 4
    step_prominence_mps2: float = 1.0
    gait_margin_s: float = 2.0
    gait_raised_fraction: float = 0.3
    max_walking_pitch_deg: float = 35.0
    posture_change_rise_m: float = 0.15

    def as_dict(self) -> dict:
        return asdict(self)


def params_for_placement(placement: str, **overrides) -> AnalysisParams:
    """Preset for a placement; `overrides` replace individual fields."""
    if placement not in PLACEMENTS:
        raise ValueError(f"placement {placement!r} is not one of {', '.join(PLACEMENTS)}")
    # One minimum pitch for every site: a higher site adds part of the lumbar flexion to
    # what it sees, but a rounded back that barely tilts the pelvis is the bend hinge exists
    # for, and it moves L4 by only 12-14 deg (seated trunk flexions, real recordings).
    return replace(AnalysisParams(placement=placement), **overrides)
