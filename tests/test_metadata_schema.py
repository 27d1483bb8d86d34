"""Metadata read with types (issue 11, class 4): every hinge file is checked against its
schema in one place (recordings/schema.py); a wrong type, an impossible number or a
crafted nesting is one line naming the file and the field, never a traceback."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from test_cli_errors import run_hinge

# `make test-fast` leaves these out: each case runs the real console script; the readers' checks run in-process in test_inputs, test_recordings_format.
pytestmark = pytest.mark.slow


EXAMPLE = Path(__file__).resolve().parents[1] / "recordings" / "examples" / "hip_led"


@pytest.fixture
def session(tmp_path):
    path = tmp_path / "session"
    shutil.copytree(EXAMPLE, path)
    return path


def refused(run, *words):
    assert run.returncode == 2, run.stdout + run.stderr
    assert len(run.stderr.strip().splitlines()) == 1 and "Traceback" not in run.stderr, run.stderr
    for word in words:
        assert word in run.stderr, run.stderr


@pytest.mark.parametrize("key, value", [("nominal_rate_hz", "fast"), ("fsync_interval_s", "x"),
                                        ("last_t_s", "late"), ("device", "x"), ("n_samples", -3)])
def test_a_session_field_of_the_wrong_type_is_named(session, key, value):
    meta = json.loads((session / "session.json").read_text())
    meta[key] = value
    (session / "session.json").write_text(json.dumps(meta))
    for command in ("analyse", "recover", "report"):
        extra = ("-o", session.parent / f"{command}.html") if command == "report" else ()
        refused(run_hinge(command, session, *extra), f"'{key}' is", "session.json")


def test_a_calibration_onset_of_1e308_is_refused_in_one_line(session):
    with open(session / "annotations.tsv", "a") as handle:
        handle.write("1e308\t5.0\tcalibration\n")
    run = run_hinge("analyse", session)
    assert "Traceback" not in run.stderr and "OverflowError" not in run.stderr
    assert run.returncode in (0, 2)
    assert "annotations.tsv" in (run.stderr + run.stdout)


@pytest.mark.parametrize("name", ["session.json"])
def test_a_crafted_nesting_is_refused_not_a_recursion_error(session, name):
    (session / name).write_text("[" * 100_000 + "]" * 100_000)
    refused(run_hinge("analyse", session), "nested more than")


def test_a_bids_event_onset_of_1e999_is_refused(session, tmp_path):
    bids = tmp_path / "bids"
    assert run_hinge("export", session, "--bids", bids, "--subject", "P01").returncode == 0
    (events,) = bids.rglob("*_events.tsv")
    lines = events.read_text().splitlines()
    lines[1] = "\t".join(["1e999"] + lines[1].split("\t")[1:])
    events.write_text("\n".join(lines) + "\n")
    (motion,) = bids.rglob("*_motion.tsv")
    refused(run_hinge("analyse", motion), "_events.tsv", "onset")


def test_batch_survives_a_crafted_dataset_description(session, tmp_path):
    bids = tmp_path / "bids"
    assert run_hinge("export", session, "--bids", bids, "--subject", "P01").returncode == 0
    (bids / "dataset_description.json").write_text("{" * 100_000)
    run = run_hinge("batch", bids, "-o", tmp_path / "bends.csv", "--jobs", "1")
    assert run.returncode == 0 and "Traceback" not in run.stderr, run.stderr
    assert "RecursionError" not in run.stderr


def test_recover_repairs_what_analyse_asks_it_to_and_keeps_every_cut(session):
    # A line that is not UTF-8: analyse asks for recover; recover cuts it (saved aside),
    # and analyse then works. A second damaged tail is saved under a new name.
    original = (session / "annotations.tsv").read_bytes()
    for attempt in range(2):
        (session / "annotations.tsv").write_bytes(original + b"12.0\t1.0\tcal\xff\xfeibration\n")
        refused(run_hinge("analyse", session), "not UTF-8", "hinge recover")
        assert run_hinge("recover", session).returncode == 0
        assert run_hinge("analyse", session).returncode == 0
    cuts = sorted(p.name for p in session.glob("annotations.tsv.cut-at-*"))
    assert len(cuts) == 2 and all(b"\xff\xfe" in (session / c).read_bytes() for c in cuts)


def test_recover_resynchronises_after_a_flipped_bit_in_the_raw_log_signature(session):
    # samples.bin gone and raw.log's signature damaged: every valid record after it is kept
    # and the samples are rebuilt from them (not "0 samples, recovered").
    before = run_hinge("analyse", session, "--json")
    assert before.returncode == 0
    raw = bytearray((session / "raw.log").read_bytes())
    raw[2] ^= 0x04
    (session / "raw.log").write_bytes(bytes(raw))
    (session / "samples.bin").unlink()
    run = run_hinge("recover", session)
    assert run.returncode == 0, run.stderr
    assert "after it kept" in run.stdout
    assert list(session.glob("raw.log.cut-at-0"))  # the damaged original, kept aside
    after = run_hinge("analyse", session, "--json")
    assert after.returncode == 0, after.stderr
    n_before = json.loads(before.stdout)["input"]["n_samples"]
    assert json.loads(after.stdout)["bends"], after.stdout
    assert json.loads(after.stdout)["input"]["n_samples"] >= 0.99 * n_before
