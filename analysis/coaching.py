"""Coaching: the hip-hinge cues, which of them one lower-back sensor can see, and the one
table that ties every finding of the score to its words, its cue and its advice.

The cues are the ones taught for the hip hinge (NSCA, *Essentials of Strength Training
and Conditioning*, 4th ed., 2016, the Romanian deadlift and good morning; McGill,
*Back Mechanic*, 2015, the hip hinge): stand tall, brace, push the hips back, keep the
back neutral, soft knees, return by driving through the heels. A sensor on the sacrum
rotates with the pelvis and translates with the hips, so it sees some of them and not
others; `CUES` says which, and why, and the report prints that table.

`scoring.score_bend` produces the findings; the bend's reasons are their texts, its
`cue` is the cue of the first one, and the report's advice is counted by finding key
(each reason text starts with the finding's `phrase`, a stable prefix). Nothing else
words a verdict, so class, score, reasons, cue and advice cannot contradict each other.
"""
from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Cue", "CUES", "Finding", "FINDINGS", "finding_of", "GOOD_HINGE_CUE"]


@dataclass(frozen=True)
class Cue:
    """One taught cue and what a lower-back sensor makes of it.

    seen: "yes" (measured), "partly" (inferred or measured in part) or "no".
    """

    key: str
    words: str
    seen: str
    how: str


CUES = (
    Cue("tall", "stand tall", "partly",
        "the pelvis tilt of the stance before each bend is measured against the calibrated upright; "
        "the chest and head are not seen"),
    Cue("brace", "brace the trunk", "no",
        "bracing is muscle activity; an accelerometer and gyroscope do not measure it"),
    Cue("hips_back", "push the hips back", "yes",
        "the sensor's backward travel during the bend, integrated between still moments "
        "(about 1-2 cm of error; not available when the bend has no still moment before and after)"),
    Cue("neutral", "keep the back neutral", "partly",
        "the lumbar share is inferred from the pelvis tilt and the hips' travel through a body model, "
        "not measured; a second sensor at T12 measures it"),
    Cue("knees", "soft knees", "no",
        "a 20 deg knee bend lowers the hips by about 3 cm, inside the sensor's translation error"),
    Cue("heels", "return by driving through the heels", "no",
        "the feet are not seen; the return is judged only for speed and smoothness"),
    Cue("control", "move smoothly and under control", "yes",
        "the pelvis's angular rate: its peak and the hesitations on the way down"),
)
GOOD_HINGE_CUE = "good hinge: keep it"


@dataclass(frozen=True)
class Finding:
    """One kind of reason the score gives.

    phrase: the stable start of every reason text of this kind (the report counts by it).
    cue: the cue for the next bend when this is the bend's main finding.
    advice_title, advice: the report's advice; `scoring.advice_text` fills {bends} ("3 of 10
        bends"), {were} ("was"/"were") and the thresholds ({min_hip_back_cm}, {lag_s}, {fast_deg_s}).
    """

    key: str
    phrase: str
    cue: str
    advice_title: str
    advice: str


FINDINGS = (
    Finding("hips_led", "hips led", GOOD_HINGE_CUE, "", ""),
    Finding("rounded", "rounded back", "keep the back neutral: push the hips back and let the chest follow",
            "Keep the lower back neutral",
            "In {bends} the lower back did more of the bend than the hips (the back rounded). "
            "Bend from the hips instead: keep the natural curve of the lower back, as if a stick along "
            "the spine touched the head, upper back and tailbone throughout."),
    Finding("borderline", "hip-led or spine-led cannot be told", "push the hips back a little more",
            "Hinge a little more at the hips",
            "{bends} {were} too close to the boundary between hip-led and spine-led to call. "
            "Let the pelvis tip forward more and the lower back less, so the next ones are clear hinges."),
    Finding("hips_back", "hips did not move back enough", "push the hips back",
            "Push the hips back",
            "In {bends} the hips moved back less than {min_hip_back_cm} cm. Start each bend by sending the hips "
            "back, as if closing a car door with them."),
    Finding("lag", "the lower back started the bend", "start the bend at the hips",
            "Start the movement at the hips",
            "In {bends} the pelvis started to tilt more than {lag_s} s after the hips had begun to move back, "
            "so the lower back started the movement. Let the pelvis tip first."),
    Finding("judder", "uneven descent", "move smoothly and under control",
            "Bend in one smooth movement",
            "{bends} had hesitations on the way down. Move at an even, controlled pace."),
    Finding("fast", "fast bend", "slow down: a controlled bend is easier to keep neutral",
            "Slow down",
            "{bends} {were} faster than {fast_deg_s} deg/s at the peak. A slower bend is easier to control."),
)
_BY_KEY = {f.key: f for f in FINDINGS}


def finding_of(key: str) -> Finding:
    """The finding with this key (KeyError for an unknown one: a programming error)."""
    return _BY_KEY[key]
