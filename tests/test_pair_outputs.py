"""What a second sensor adds to the outputs: `hinge analyse` (text and --json), `hinge batch`
rows, `hinge report`, and a BIDS round trip giving the same two-sensor verdicts. Real runs of
the installed command on a simulated sacrum + T12 pair (`pair_data`)."""
import json

import numpy as np
import pandas as pd
import pytest

from hinge.analysis.bend_table import PAIR_BEND_COLUMNS
from hinge.api import analyse_pair_loaded
from hinge.bids_export import export_bids
from hinge.recordings import load_recording

from pair_data import UPPER, pair_rows, simulated_pair, write_lower_csv, write_pair_csv
from test_cli_errors import run_hinge


@pytest.fixture(scope="module")
def pair():
    return simulated_pair(seed=8, n_bends=6)


@pytest.fixture(scope="module")
def study(pair, tmp_path_factory):
    """A folder with the two-sensor CSV and the lower sensor alone as a one-sensor CSV."""
    folder = tmp_path_factory.mktemp("study")
    write_pair_csv(folder / "pair.csv", pair_rows(pair))
    write_lower_csv(folder / "one.csv", pair)
    return folder


@pytest.fixture(scope="module")
def document(study):
    result = run_hinge("analyse", study / "pair.csv", "--json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def _truth_label(truth: pd.DataFrame, peak_s: float) -> str:
    bends = truth[truth["is_bend"]]
    return bends["label"].iloc[int(np.argmin(np.abs(bends["peak_s"].to_numpy() - peak_s)))]


def test_json_bends_carry_the_measured_columns(document, pair):
    bends = document["bends"]
    assert len(bends) >= 4
    for bend in bends:
        assert set(PAIR_BEND_COLUMNS) <= set(bend)
        assert bend["two_sensor_label"] == _truth_label(pair.lower_truth, bend["peak_s"])
        # lumbar = T12 pitch - pelvic tilt, as measured
        assert bend["lumbar_flexion_deg"] == pytest.approx(bend["upper_pitch_deg"] - bend["pelvic_tilt_deg"], abs=0.15)
        assert 0.0 <= bend["measured_lumbar_share"] <= 1.0 and 0.0 <= bend["two_sensor_score"] <= 100.0
        assert all("deg" in reason for reason in bend["two_sensor_reasons"][:1])


def test_json_session_has_agreement_and_offset(document):
    two = document["two_sensor"]
    assert two["placement"] == "sacrum" and two["upper_placement"] == UPPER
    agreement = two["agreement"]
    agreeing = [b for b in document["bends"] if b["agrees_with_one_sensor"] == 1.0]
    assert agreement["n_agreeing"] == len(agreeing)
    assert agreement["n_bends"] == sum(b["agrees_with_one_sensor"] is not None for b in document["bends"])
    assert two["offset_n"] >= 1 and abs(two["offset_ms"]) < 50.0, "same clock: a small residual"
    assert document["input"]["upper"]["n_samples"] == len(pair_rows(simulated_pair(seed=8, n_bends=6)))


def test_text_shows_both_sensors(study):
    result = run_hinge("analyse", study / "pair.csv", "--progress", "never")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert f"two sensors: sacrum and {UPPER}" in out
    assert "one-sensor verdict agrees with two sensors:" in out and "bends (" in out
    assert "residual offset between the sensors:" in out and " ms (" in out


def test_one_sensor_output_is_unchanged(study):
    result = run_hinge("analyse", study / "one.csv", "--json")
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert "two_sensor" not in document and "lumbar_flexion_deg" not in document["bends"][0]
    assert "two sensors" not in run_hinge("analyse", study / "one.csv").stdout


def test_batch_rows_gain_the_measured_angles(study, tmp_path):
    out = tmp_path / "bends.csv"
    result = run_hinge("batch", study, "-o", out)
    assert result.returncode == 0, result.stderr
    table = pd.read_csv(out)
    pair_rows_ = table[table["file"].str.endswith("pair.csv")]
    one_rows = table[table["file"].str.endswith("one.csv")]
    assert len(pair_rows_) == len(one_rows) >= 4, "the same lower sensor: the same bends"
    assert pair_rows_["lumbar_flexion_deg"].notna().all() and pair_rows_["pelvic_tilt_deg"].notna().all()
    assert set(pair_rows_["two_sensor_label"]) <= {"hip-led", "spine-led"}
    assert one_rows[PAIR_BEND_COLUMNS].isna().all().all(), "empty for one sensor"
    recordings = pd.read_csv(tmp_path / "bends_recordings.csv", keep_default_na=False)
    two = recordings[recordings["file"].str.endswith("pair.csv")].iloc[0]
    one = recordings[recordings["file"].str.endswith("one.csv")].iloc[0]
    assert two["upper_placement"] == UPPER and one["upper_placement"] == ""
    agreeing = (pair_rows_["agrees_with_one_sensor"] == 1).sum()
    judged = pair_rows_["agrees_with_one_sensor"].notna().sum()
    assert int(two["two_sensor_bends"]) == judged
    assert float(two["one_sensor_agreement_pct"]) == pytest.approx(100 * agreeing / judged, abs=0.06)
    assert abs(float(two["sensor_offset_ms"])) < 1000
    assert one["two_sensor_bends"] == one["one_sensor_agreement_pct"] == one["sensor_offset_ms"] == ""


def test_report_shows_the_rhythm_and_the_summary(study, tmp_path):
    out = tmp_path / "report.html"
    result = run_hinge("report", study / "pair.csv", study / "one.csv", "-o", out)
    assert result.returncode == 0, result.stderr
    html = out.read_text()
    assert html.count("<h4>Two sensors</h4>") == 1, "only the two-sensor recording"
    assert html.count("Lumbopelvic rhythm per bend") == 1
    assert "One-sensor verdict agrees with two sensors:" in html and "Residual offset between the sensors" in html
    assert " ms (" in html


def test_bids_round_trip_gives_the_same_two_sensor_verdicts(study, tmp_path):
    csv = analyse_pair_loaded(load_recording(study / "pair.csv"))
    done = export_bids(study / "pair.csv", tmp_path / "bids", "P01")
    bids = analyse_pair_loaded(load_recording(done.paths["motion"]))
    assert list(bids.bends["two_sensor_label"]) == list(csv.bends["two_sensor_label"])
    np.testing.assert_allclose(bids.bends["lumbar_flexion_deg"], csv.bends["lumbar_flexion_deg"], atol=0.05)
    assert bids.offset_ms == pytest.approx(csv.offset_ms, abs=0.1)
