"""Snapshot tests: the per-bend tables of the bundled example sessions.

A change to the analysis that moves a bend, flips a class or shifts a score by more
than a point shows up here. After a deliberate change, regenerate with

    HINGE_UPDATE_SNAPSHOTS=1 .venv/bin/python -m pytest tests/test_snapshots.py

and review the diff. Snapshots are never created implicitly (CI would pass vacuously).
"""
import json
import os
from pathlib import Path

import pytest

import hinge.recordings
from hinge.analysis.pipeline import analyse
from hinge.recordings import read_metadata, read_session

EXAMPLES = Path(hinge.recordings.__file__).parent / "examples"
SNAPSHOTS = Path(__file__).parent / "snapshots"
UPDATE = os.environ.get("HINGE_UPDATE_SNAPSHOTS") == "1"


def bend_table(session_dir: Path) -> list[dict]:
    session = read_session(session_dir)
    placement = read_metadata(session_dir).get("placement", "sacrum")
    bends = analyse(session.t_s, session.acc_mps2, session.gyr_rad_s, placement=placement).bends
    return [
        {"bend_id": int(i), "start_s": round(float(b.start_s), 2), "peak_s": round(float(b.peak_s), 2),
         "end_s": round(float(b.end_s), 2), "label": b.label, "score": round(float(b.score), 1),
         "lumbar_share": round(float(b.lumbar_share), 3), "quality_flags": list(b["quality_flags"])}
        for i, b in bends.iterrows()
    ]


@pytest.mark.parametrize("name", ["hip_led", "spine_led"])
def test_bundled_session_bends_match_snapshot(name):
    table = bend_table(EXAMPLES / name)
    path = SNAPSHOTS / f"{name}.json"
    if UPDATE:
        path.write_text(json.dumps(table, indent=1) + "\n")
    assert path.exists(), f"{path} is missing: run with HINGE_UPDATE_SNAPSHOTS=1 and review it"
    expected = json.loads(path.read_text())
    assert [b["label"] for b in table] == [b["label"] for b in expected]
    assert [b["quality_flags"] for b in table] == [b["quality_flags"] for b in expected]
    for got, want in zip(table, expected):
        assert got["peak_s"] == pytest.approx(want["peak_s"], abs=0.05)
        assert got["score"] == pytest.approx(want["score"], abs=1.0)
        assert got["lumbar_share"] == pytest.approx(want["lumbar_share"], abs=0.01)
