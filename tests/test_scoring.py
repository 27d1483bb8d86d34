"""The hinge-quality score, its reasons and its cue agree with the class and carry units."""
import pytest

from hinge.analysis.bend_verdict import HIP_LED, SPINE_LED, UNCERTAIN
from hinge.analysis.coaching import CUES, FINDINGS, GOOD_HINGE_CUE
from hinge.analysis.scoring import BOUNDARY_POINTS, advice_text, score_bend, share_points
from hinge.analysis.report.summary import advice

BOUNDARY = 0.48


def test_good_hinge_scores_high_and_rounded_back_low():
    good = score_bend(HIP_LED, 0.12, BOUNDARY, hip_shift_m=-0.2, judder_count=0, peak_rate_deg_s=60)
    bad = score_bend(SPINE_LED, 0.75, BOUNDARY, hip_shift_m=-0.02, judder_count=4, peak_rate_deg_s=200)
    assert good.points >= 95 and good.cue == GOOD_HINGE_CUE
    assert bad.points <= 30
    assert bad.reasons[0].startswith("rounded back: the lower back did about 75% of the bend")
    assert any(r.startswith("hips did not move back enough") and "moved back 2 cm" in r for r in bad.reasons)
    assert any("4 hesitations" in r for r in bad.reasons)
    assert any(r.startswith("fast bend") and "200 deg/s" in r for r in bad.reasons)
    assert bad.cue.startswith("keep the back neutral")


def test_score_decreases_with_lumbar_share_and_stays_in_range():
    points = [share_points(s, BOUNDARY) for s in (0.0, 0.2, 0.4, 0.48, 0.6, 0.8, 1.0)]
    assert points == sorted(points, reverse=True)
    assert points[3] == pytest.approx(BOUNDARY_POINTS)
    assert points[0] == 100 and points[-1] == 0


@pytest.mark.parametrize("share", [0.2, 0.4, 0.46, 0.5, 0.6, 0.9])
def test_class_decides_the_half_whatever_the_secondary_faults(share):
    # Hips forward, hesitations, a fast bend: a hip-led bend still scores >= 50, and no
    # clean spine-led bend reaches 50.
    label = HIP_LED if share < BOUNDARY else SPINE_LED
    worst = score_bend(label, share, BOUNDARY, hip_shift_m=0.03, judder_count=5, peak_rate_deg_s=300)
    best = score_bend(label, share, BOUNDARY, hip_shift_m=-0.2, judder_count=0, peak_rate_deg_s=50)
    for s in (worst, best):
        assert (s.points >= 50) if label == HIP_LED else (s.points < 50)
    assert worst.points <= best.points


def test_reasons_never_contradict_the_class():
    # A hip-led bend whose pelvis lagged: said as a start of the bend, never "the lower back led".
    hip = score_bend(HIP_LED, 0.40, BOUNDARY, -0.1, 0, 60, pelvic_lag_s=0.17)
    assert hip.reasons[0].startswith("hips led")
    assert any("0.17 s" in r and "the hips still did most of it" in r for r in hip.reasons)
    assert not any("rounded" in r or "spine-led" in r for r in hip.reasons)
    spine = score_bend(SPINE_LED, 0.55, BOUNDARY, -0.1, 0, 60)
    assert spine.reasons[0].startswith("rounded back") and "hip-led below 48%" in spine.reasons[0]
    assert not any(r.startswith("hips led") for r in spine.reasons)
    unsure = score_bend(UNCERTAIN, 0.47, BOUNDARY, None, 0, 60, pitch_only=True)
    assert unsure.reasons[0].startswith("hip-led or spine-led cannot be told") and "only the pitch" in unsure.reasons[0]


def test_no_minus_zero_and_units_on_the_hip_shift():
    for shift, words in [(-0.004, "they did not move back"), (0.003, "they did not move back"),
                         (0.02, "they moved forward 2 cm"), (-0.03, "they moved back 3 cm")]:
        text = next(r for r in score_bend(HIP_LED, 0.2, BOUNDARY, shift, 0, 60).reasons if r.startswith("hips did"))
        assert words in text and "-0" not in text and "4 cm or more" in text


def test_every_finding_is_reachable_and_its_advice_is_counted():
    import pandas as pd
    scores = [score_bend(SPINE_LED, 0.8, BOUNDARY, 0.0, 0, 50.0),
              score_bend(UNCERTAIN, 0.47, BOUNDARY, -0.2, 0, 50.0),
              score_bend(HIP_LED, 0.1, BOUNDARY, -0.2, 5, 200.0, pelvic_lag_s=0.3)]
    seen = {key for s in scores for key in s.findings}
    assert seen == {f.key for f in FINDINGS}
    bends = pd.DataFrame({"reasons": [list(s.reasons) for s in scores], "label": [SPINE_LED, UNCERTAIN, HIP_LED],
                          "score": [s.points for s in scores]})
    counted = {a.key: a.n_bends for a in advice(bends)}
    assert counted == {"rounded": 1, "borderline": 1, "hips_back": 1, "lag": 1, "judder": 1, "fast": 1}


def test_advice_grammar_and_thresholds():
    fast = next(f for f in FINDINGS if f.key == "fast")
    assert advice_text(fast, 1, 1).startswith("The only bend was faster than 150 deg/s at the peak.")
    assert advice_text(next(f for f in FINDINGS if f.key == "rounded"), 1, 1).startswith("In the only bend the lower back")
    assert "3 of 10 bends were faster than 150 deg/s" in advice_text(fast, 3, 10)
    assert "less than 4 cm" in advice_text(next(f for f in FINDINGS if f.key == "hips_back"), 2, 5)


def test_cue_table_says_what_one_sensor_sees():
    seen = {c.key: c.seen for c in CUES}
    assert seen["hips_back"] == "yes" and seen["knees"] == "no" and seen["brace"] == "no"
    assert seen["neutral"] == "partly"
    assert all(c.how for c in CUES)


def test_the_readme_table_of_cues_is_the_coaching_table():
    from pathlib import Path

    readme = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")
    for cue in CUES:
        assert f"| {cue.words} | {cue.seen} | {cue.how} |" in readme, cue.key
