"""The hinge-quality score ranks by lumbar share and names its reasons with units."""
from hinge.analysis.scoring import score_bend


def test_good_hinge_scores_high_and_rounded_back_low():
    good = score_bend(lumbar_share=0.12, hip_shift_m=-0.2, judder_count=0, peak_rate_deg_s=60)
    bad = score_bend(lumbar_share=0.75, hip_shift_m=-0.02, judder_count=4, peak_rate_deg_s=200)
    assert good.points >= 95
    assert bad.points <= 30
    assert any("rounded back" in r for r in bad.reasons)
    assert any("hips did not move back" in r and "cm" in r for r in bad.reasons)
    assert any("hesitations" in r for r in bad.reasons)
    assert any("fast bend" in r and "deg/s" in r for r in bad.reasons)


def test_score_decreases_with_lumbar_share_and_stays_in_range():
    points = [score_bend(s, -0.2, 0, 50).points for s in (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)]
    assert points == sorted(points, reverse=True)
    assert all(0 <= p <= 100 for p in points)
