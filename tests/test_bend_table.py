"""The bend table is one schema: the DataFrame, `hinge analyse --json`, the `hinge batch` table
and the BIDS events carry exactly its columns; a new session's BIDS export round-trips exactly."""
from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import hinge
from hinge.analysis.bend_table import (BEND_COLUMNS, BEND_SCHEMA, BIDS_RENAMED, LIST_SEPARATOR,
                                       QUALITY_FLAG_LEVELS, bends_summary, set_summary)
from hinge.batch import run_batch
from hinge.batch_tables import BEND_TABLE_COLUMNS, RECORDING_TABLE_COLUMNS
from hinge.bids_export import export_bids
from hinge.cli import main
from hinge.recordings import example_session_path, read_session


@pytest.fixture(scope="module")
def spine_led():
    return hinge.analyse_file(example_session_path("spine_led"))


def test_the_dataframe_has_the_schemas_columns_and_no_flags_shadowed_by_pandas(spine_led):
    assert list(spine_led.bends.columns) == BEND_COLUMNS == [c.name for c in BEND_SCHEMA]
    assert "flags" not in spine_led.bends.columns and "class" not in spine_led.bends.columns
    assert all(c.dtype in ("float64", "str", "list[str]") and c.meaning for c in BEND_SCHEMA)
    flags = {f for cell in spine_led.bends["quality_flags"] for f in cell}
    assert flags <= set(QUALITY_FLAG_LEVELS) and "pitch-only" in flags


def test_json_bends_are_the_schemas_columns_rounded_as_it_says(spine_led, capsys):
    assert main(["analyse", str(example_session_path("spine_led")), "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert [list(b) for b in document["bends"]] == [["bend_id", *BEND_COLUMNS]] * len(spine_led.bends)
    for record, (_, row) in zip(document["bends"], spine_led.bends.iterrows()):
        for column in BEND_SCHEMA:
            if column.dtype == "float64" and record[column.name] is not None:
                assert record[column.name] == round(float(row[column.name]), column.decimals)
        assert record["quality_flags"] == list(row["quality_flags"])
    assert set(document) >= {"hinge_version", "params", "input_sha256", "created_utc"}
    assert document["hinge_version"] == hinge.__version__ and len(document["input_sha256"]) == 64


def test_bids_events_carry_the_schema_under_bids_names(spine_led, tmp_path):
    done = export_bids(example_session_path("spine_led"), tmp_path / "study", "01")
    events = pd.read_csv(done.paths["events"], sep="\t", dtype=str, keep_default_na=False)
    expected = ["onset", "duration", "trial_type", "peak"] + [c for c in BEND_COLUMNS if c not in BIDS_RENAMED]
    assert list(events.columns) == expected
    described = json.loads(done.paths["events_json"].read_text())
    assert set(described) == set(expected)
    assert "" not in set(events.to_numpy().ravel())  # n/a, never an empty cell
    rows = events[events["trial_type"].isin(["hip-led", "spine-led", "uncertain"])]
    flags = [[] if cell == "n/a" else cell.split(LIST_SEPARATOR) for cell in rows["quality_flags"]]
    assert flags == [list(f) for f in spine_led.bends["quality_flags"]]
    assert all(f"{flag}:" in described["quality_flags"]["Description"] for flag in QUALITY_FLAG_LEVELS)


def test_batch_over_bids_has_the_session_start_and_participants_columns(tmp_path):
    root = tmp_path / "study"
    done = export_bids(example_session_path("hip_led"), root, "01", session="1")
    (root / "participants.tsv").write_text("participant_id\tage\tsex\nsub-01\t34\tF\n")
    outcome = run_batch([str(root)], tmp_path / "bends.csv", workers=1)
    bends, recordings = outcome.bends, outcome.recordings
    assert list(bends.columns) == BEND_TABLE_COLUMNS + ["participant_age", "participant_sex"]
    assert list(recordings.columns) == RECORDING_TABLE_COLUMNS + ["participant_age", "participant_sex"]
    assert set(bends["participant_age"]) == {"34"} and set(bends["participant_sex"]) == {"F"}
    # session.json's created_utc became the scans.tsv acq_time, and comes back as the start.
    created = json.loads((example_session_path("hip_led") / "session.json").read_text())["created_utc"]
    assert set(bends["session_start_utc"]) == {pd.Timestamp(created).isoformat()}
    assert done.n_bends == len(bends) == recordings["n_bends"].iloc[0]
    assert recordings["hip_led_pct"].iloc[0] == pytest.approx(100 * (bends["label"] == "hip-led").mean())


def test_one_set_summary():
    summary = set_summary(["hip-led", "spine-led", "uncertain", "hip-led"], [80.0, 30.0, 50.0, 70.0])
    assert summary == {"n_bends": 4, "n_hip_led": 2, "n_spine_led": 1, "n_uncertain": 1, "hip_led_pct": 50.0,
                       "mean_score": 57.5}
    empty = bends_summary(pd.DataFrame(columns=BEND_COLUMNS))
    assert empty["n_bends"] == 0 and math.isnan(empty["mean_score"]) and math.isnan(empty["hip_led_pct"])


@pytest.mark.slow
def test_a_new_sessions_bids_export_round_trips_exactly(tmp_path, capsys):
    """A recorded session (device clock in 1/1024 s ticks, guided calibration) -> BIDS -> analyse
    gives the same bends as the session: every value, times shifted by the first sample."""
    assert main(["live", "--simulate", "--speed", "20", "--bends", "3", "--seed", "2", "--participant", "R01",
                 "-o", str(tmp_path), "--no-report"]) == 0
    capsys.readouterr()
    (session,) = [p for p in tmp_path.iterdir() if p.is_dir()]
    done = export_bids(session, tmp_path / "study", "R01")
    direct = hinge.analyse_file(session)
    via_bids = hinge.analyse_file(done.paths["motion"])
    assert via_bids.fs_hz == direct.fs_hz and len(direct.bends) >= 2
    t0 = read_session(session).t_s[0]
    for column in ("start_s", "peak_s", "end_s"):
        np.testing.assert_allclose(via_bids.bends[column], direct.bends[column] - t0, atol=1e-9)
    values = [c for c in BEND_COLUMNS if c not in ("start_s", "peak_s", "end_s")]
    pd.testing.assert_frame_equal(via_bids.bends[values], direct.bends[values])
    events = pd.read_csv(done.paths["events"], sep="\t", na_values="n/a")
    bends = events[events["trial_type"].isin(["hip-led", "spine-led", "uncertain"])]
    assert list(bends["score"]) == list(via_bids.bends["score"])
    assert Path(done.paths["motion"]).is_file()
