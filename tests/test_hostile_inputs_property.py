"""Property tests (issue 11): random and mutated CSVs, session folders and BIDS entries thrown at
every command that reads them (`analyse`, `report`, `batch`, `export`, `recover`).

The property, for every input: the exit status is one the README documents (0, 1 for a
batch with failures, 2 bad input), stderr holds hinge's own one-line messages only (never a
traceback, never a Python warning), a refusal is exactly one `hinge: error:` line, and
every input file is byte-identical afterwards. `recover` is the exception that repairs:
it may cut and append, but every cut-off byte is kept in a `<file>.cut-at-<byte>` file
(recordings/FORMAT.md) and a second run changes nothing.

The commands run in this process (`hinge.cli.main`), so that hundreds of inputs fit in a
minute. CI runs a small, fixed (derandomized) set of examples; for an exploration run
HINGE_HYPOTHESIS_EXAMPLES=500 pytest tests/test_hostile_inputs_property.py
(random seeds; a failure prints its reproduction blob).
"""
from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import shutil
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, currently_in_test_context, event, given, settings
from hypothesis import strategies as st

from hinge.analysis.body_model import SessionSpec, simulate_session
from hinge.cli import main
from hinge.examples import write_simulated_session
from hostile_inputs import BIDS_KEYS, SESSION_KEYS, mutate_file, mutate_folder

EXAMPLES = int(os.environ.get("HINGE_HYPOTHESIS_EXAMPLES", "0"))
SESSION_FILES = ("raw.log", "samples.bin", "annotations.tsv")
# Warnings a plain `python` run does not print (the interpreter's default filters).
SILENT_WARNINGS = (DeprecationWarning, PendingDeprecationWarning, ImportWarning, ResourceWarning)


def hostile(default_examples: int):
    """Few fixed examples in CI; many random ones with HINGE_HYPOTHESIS_EXAMPLES."""
    return settings(max_examples=EXAMPLES or default_examples, deadline=None, derandomize=not EXAMPLES,
                    database=None, print_blob=bool(EXAMPLES),
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.large_base_example, HealthCheck.filter_too_much])


@dataclass(frozen=True)
class Corpus:
    """Valid inputs to start every mutation from."""

    csv: Path            # 3 bends, 50 Hz, m/s^2 and rad/s
    csv_g_deg: Path      # the same in g and deg/s
    session: Path        # the same recorded as a hinge-open session, closed
    bids: Path           # the session exported to a BIDS dataset
    motion: str          # the entry's *_motion.tsv, relative to `bids`


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Corpus:
    root = tmp_path_factory.mktemp("corpus")
    sim = simulate_session(SessionSpec(n_bends=3, n_squats=0, n_fidgets=0, n_weight_shifts=0, fs_hz=50.0, seed=5))
    sim.to_csv(root / "rec.csv")
    converted = np.column_stack([sim.t_s, sim.acc_mps2 / 9.80665, np.degrees(sim.gyr_rad_s)])
    np.savetxt(root / "rec_g_deg.csv", converted, fmt="%.6f", delimiter=",", comments="",
               header="time_s,acc_x,acc_y,acc_z,gyr_x,gyr_y,gyr_z")
    session = root / "P01_session"
    write_simulated_session(session, sim, participant="P01", created_utc="2026-11-24T12:00:00+00:00")
    # As `hinge live` leaves it: the guided calibration annotated over the first quiet stretch.
    first_s = float(sim.t_s[0])
    with open(session / "annotations.tsv", "a", encoding="utf-8") as handle:
        handle.write(f"{first_s:.6f}\t4.000000\tcalibration\n")
    bids = root / "bids"
    assert run_hinge("export", session, "--bids", bids, "--subject", "P01", "--session", "1").status == 0
    motion = next(bids.rglob("*_motion.tsv")).relative_to(bids)
    corpus = Corpus(root / "rec.csv", root / "rec_g_deg.csv", session, bids, str(motion))
    for path, extra in ((corpus.csv, ()), (corpus.csv_g_deg, ("--acc-unit", "g", "--gyro-unit", "deg/s")),
                        (corpus.session, ()), (bids / motion, ())):
        assert run_hinge("analyse", path, *extra).status == 0, path  # the starting points are valid
    return corpus


# -- running and checking ------------------------------------------------------------------

@dataclass(frozen=True)
class Run:
    status: int
    stdout: str
    stderr: str


def run_hinge(*argv) -> Run:
    """`hinge ARGV` in this process; Python warnings are printed to stderr as a plain run would."""
    out, err = io.StringIO(), io.StringIO()
    with warnings.catch_warnings(record=True) as caught, contextlib.redirect_stdout(out), \
            contextlib.redirect_stderr(err):
        warnings.simplefilter("always")
        for category in SILENT_WARNINGS:
            warnings.simplefilter("ignore", category)
        try:
            status = main([str(a) for a in argv])
        except SystemExit as error:  # argparse
            status = error.code
    stderr = err.getvalue() + "".join(warnings.formatwarning(w.message, w.category, w.filename, w.lineno)
                                      for w in caught)
    return Run(status, out.getvalue(), stderr)


def check_run(run: Run, statuses: tuple[int, ...] = (0, 2)) -> None:
    """Exit status documented; stderr only hinge's one-line messages; a refusal is one error line."""
    if currently_in_test_context():  # pytest --hypothesis-show-statistics: how often each status came
        event(f"exit status {run.status}")
    said = f"status {run.status}; stderr:\n{run.stderr}"
    assert run.status in statuses, said
    assert "Traceback" not in run.stderr, said
    lines = run.stderr.splitlines()
    for line in lines:
        # One line per message: a note, a warning, an error, or a batch failure ("  - ...").
        assert line.startswith("hinge: ") or line.startswith("  - "), f"stray stderr line {line!r}; {said}"
    errors = [line for line in lines if line.startswith("hinge: error: ")]
    if run.status == 2:
        assert len(errors) == 1 and lines[-1] == errors[0], said
    else:
        assert not errors, said


def fingerprint(root: Path) -> dict[str, str]:
    """Every entry below `root` (links not followed): a file's sha256, a link's target, 'dir'."""
    entries = {}
    for folder, dirs, files in os.walk(root):
        for name in dirs + files:
            path = Path(folder, name)
            key = str(path.relative_to(root))
            if path.is_symlink():
                entries[key] = "link -> " + os.readlink(path)
            elif path.is_dir():
                entries[key] = "dir"
            elif path.is_file():
                entries[key] = hashlib.sha256(path.read_bytes()).hexdigest()
            else:
                entries[key] = "special"
    return entries


def check_unchanged(root: Path, before: dict[str, str]) -> None:
    after = fingerprint(root)
    changed = sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))
    assert not changed, f"inputs changed: {changed}"


@contextlib.contextmanager
def workspace():
    with tempfile.TemporaryDirectory(prefix="hinge-hostile-") as folder:
        yield Path(folder)


def mutated_csv(data, corpus: Corpus, into: Path) -> tuple[Path, list[str]]:
    """A mutated copy of one of the valid CSVs and the unit options that go with it (sometimes wrong)."""
    base, units = data.draw(st.sampled_from([(corpus.csv, []), (corpus.csv_g_deg, ["--acc-unit", "g",
                                                                                    "--gyro-unit", "deg/s"])]))
    if data.draw(st.sampled_from([False, False, False, True]), label="other unit options"):
        units = data.draw(st.sampled_from([[], ["--acc-unit", "g"], ["--gyro-unit", "deg/s"]]))
    path = into / "recording.csv"
    shutil.copy(base, path)
    for _ in range(data.draw(st.integers(1, 2), label="csv edits")):
        if path.is_file() and not path.is_symlink():
            mutate_file(data, path)
    return path, units


def mutated_session(data, corpus: Corpus, into: Path) -> Path:
    """A mutated copy of the session, closed or (as a crashed recorder leaves it) unfinished."""
    path = into / corpus.session.name
    shutil.copytree(corpus.session, path)
    if data.draw(st.booleans(), label="unfinished"):
        document = json.loads((path / "session.json").read_text())
        (path / "session.json").write_text(json.dumps(document | {"status": "recording"}))
    mutate_folder(data, path, SESSION_KEYS)
    return path


def mutated_bids(data, corpus: Corpus, into: Path) -> Path:
    """A mutated copy of the BIDS dataset; returns its *_motion.tsv (which may be gone)."""
    root = into / "bids"
    shutil.copytree(corpus.bids, root)
    motion = root / corpus.motion
    # Mostly the entry's own files, sometimes the dataset's.
    mutate_folder(data, motion.parent if data.draw(st.booleans(), label="entry only") else root, BIDS_KEYS)
    return motion


# -- analyse -----------------------------------------------------------------------------

@hostile(120)
@given(data=st.data())
def test_analyse_any_csv(corpus, data):
    with workspace() as work:
        path, units = mutated_csv(data, corpus, work)
        before = fingerprint(work)
        json_flag = ["--json"] if data.draw(st.booleans(), label="--json") else []
        run = run_hinge("analyse", path, *units, *json_flag)
        check_run(run)
        check_unchanged(work, before)
        if run.status == 0 and json_flag:
            json.loads(run.stdout)  # one strict JSON document (no NaN)


@hostile(100)
@given(data=st.data())
def test_analyse_any_session_folder(corpus, data):
    with workspace() as work:
        path = mutated_session(data, corpus, work)
        before = fingerprint(work)
        run = run_hinge("analyse", path, *(["--json"] if data.draw(st.booleans(), label="--json") else []))
        check_run(run)
        check_unchanged(work, before)


@hostile(100)
@given(data=st.data())
def test_analyse_any_bids_entry(corpus, data):
    with workspace() as work:
        motion = mutated_bids(data, corpus, work)
        before = fingerprint(work)
        run = run_hinge("analyse", motion, *(["--json"] if data.draw(st.booleans(), label="--json") else []))
        check_run(run)
        check_unchanged(work, before)


# -- report, batch, export ---------------------------------------------------------------------

def mutated_input(data, corpus: Corpus, into: Path) -> Path:
    """One mutated CSV, session folder, BIDS entry or BIDS dataset folder."""
    kind = data.draw(st.sampled_from(["csv", "session", "bids entry", "bids folder"]), label="input kind")
    if kind == "csv":
        return mutated_csv(data, corpus, into)[0]
    if kind == "session":
        return mutated_session(data, corpus, into)
    motion = mutated_bids(data, corpus, into)
    return motion if kind == "bids entry" else into / "bids"


@hostile(40)
@given(data=st.data())
def test_report_of_any_input(corpus, data):
    with workspace() as work:
        inputs = work / "in"
        inputs.mkdir()
        source = mutated_input(data, corpus, inputs)
        before = fingerprint(inputs)
        out = work / "out"
        out.mkdir()
        run = run_hinge("report", source, "-o", out / "report.html")
        check_run(run)
        check_unchanged(inputs, before)
        # Written atomically: the whole report or nothing, never a temporary file left.
        assert sorted(p.name for p in out.iterdir()) == (["report.html"] if run.status == 0 else [])


@hostile(25)
@given(data=st.data())
def test_batch_over_any_study(corpus, data):
    with workspace() as work:
        study = work / "study"
        study.mkdir()
        shutil.copy(corpus.csv, study / "rec.csv")
        shutil.copytree(corpus.session, study / corpus.session.name)
        shutil.copytree(corpus.bids, study / "bids")
        mutate_folder(data, study, SESSION_KEYS + BIDS_KEYS)
        before = fingerprint(study)
        out = work / "out"
        out.mkdir()
        run = run_hinge("batch", study, "-o", out / "bends.csv", "--jobs", "1")
        check_run(run, (0, 1, 2))
        check_unchanged(study, before)
        written = sorted(p.name for p in out.iterdir())
        assert written == (["bends.csv", "bends_recordings.csv"] if run.status in (0, 1) else [])


@hostile(50)
@given(data=st.data())
def test_export_of_any_source(corpus, data):
    with workspace() as work:
        inputs = work / "in"
        inputs.mkdir()
        kind = data.draw(st.sampled_from(["csv", "session", "folder"]), label="source kind")
        if kind == "folder":  # a session and a CSV, each exported under its own participant
            mutated_csv(data, corpus, inputs)
            mutated_session(data, corpus, inputs)
            source = inputs
        else:
            source = mutated_csv(data, corpus, inputs)[0] if kind == "csv" else mutated_session(data, corpus, inputs)
        before = fingerprint(inputs)
        target = work / "dataset"
        if data.draw(st.booleans(), label="into a damaged dataset"):
            # An existing dataset is read too (dataset_description.json, participants.tsv, scans).
            shutil.copytree(corpus.bids, target)
            mutate_folder(data, target, BIDS_KEYS)
        # Without --subject the session's participant (session.json) names the subject.
        labels = data.draw(st.sampled_from([["--subject", "P02", "--session", "1"], ["--subject", "P02"], []]),
                           label="labels")
        run = run_hinge("export", source, "--bids", target, *labels)
        check_run(run, (0, 1, 2) if kind == "folder" else (0, 2))
        check_unchanged(inputs, before)


# -- recover -----------------------------------------------------------------------------

def regular_files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file() and not p.is_symlink()}


def check_nothing_lost(before: dict[str, bytes], folder: Path) -> None:
    """Each data file still starts with its old bytes, or the bytes cut off are kept aside in a
    new `<file>.cut-at-<byte>[.k]` file (FORMAT.md); session.json keeps every field recover
    does not own."""
    after = regular_files(folder)
    for name in SESSION_FILES:
        old = before.get(name)
        if old is None:
            continue
        new = after.get(name, b"")
        if new.startswith(old):
            continue
        cuts = [(int(cut.split(".cut-at-")[1].split(".")[0]), data) for cut, data in after.items()
                if cut.startswith(f"{name}.cut-at-") and cut not in before]
        assert any(old[at:] == tail and (at == 0 or new[:at] == old[:at]) for at, tail in cuts), \
            f"{name}: {len(old)} bytes became {len(new)} and no cut-at file holds the rest"
    old_meta, new_meta = _json_object(before.get("session.json")), _json_object(after.get("session.json"))
    if old_meta is not None:
        owned = {"status", "n_samples", "n_raw_records", "first_t_s", "last_t_s", "recoveries"}
        assert new_meta is not None
        kept = {k: v for k, v in old_meta.items() if k not in owned}
        # repr: NaN is not equal to itself
        assert repr({k: new_meta.get(k) for k in kept}) == repr(kept)


def _json_object(data: bytes | None) -> dict | None:
    try:
        document = json.loads(data)
    except (TypeError, ValueError, RecursionError):
        return None
    return document if isinstance(document, dict) else None


@hostile(70)
@given(data=st.data())
def test_recover_any_session_folder(corpus, data):
    with workspace() as work:
        path = mutated_session(data, corpus, work)
        before = regular_files(path)
        run = run_hinge("recover", path)
        check_run(run)
        check_nothing_lost(before, path)
        if run.status != 0:
            return
        # "Running it again changes nothing" (FORMAT.md), and the result reads cleanly.
        settled = fingerprint(path)
        again = run_hinge("recover", path)
        check_run(again, (0,))
        check_unchanged(path, settled)
        check_run(run_hinge("analyse", path))


# -- fully random content ------------------------------------------------------------------

RANDOM_TARGETS = ("recording.csv", "session.json", "samples.bin", "raw.log", "annotations.tsv", "_motion.tsv",
                  "_channels.tsv", "_motion.json", "_events.tsv")


@hostile(100)
@given(target=st.sampled_from(RANDOM_TARGETS),
       content=st.binary(max_size=4096) | st.text(max_size=2000).map(str.encode))
def test_any_file_of_random_bytes(corpus, target, content):
    with workspace() as work:
        if target == "recording.csv":
            (work / target).write_bytes(content)
            commands = [("analyse", work / target)]
        elif target.startswith("_"):
            shutil.copytree(corpus.bids, work / "bids")
            motion = work / "bids" / corpus.motion
            motion.with_name(motion.name.replace("_motion.tsv", target)).write_bytes(content)
            commands = [("analyse", motion)]
        else:
            session = work / corpus.session.name
            shutil.copytree(corpus.session, session)
            (session / target).write_bytes(content)
            commands = [("analyse", session), ("recover", session)]
        for command, path in commands:
            before, files = fingerprint(work), regular_files(path) if path.is_dir() else {}
            check_run(run_hinge(command, path))
            if command == "recover":
                check_nothing_lost(files, path)
            else:
                check_unchanged(work, before)


# -- the minimal examples the exploration found, one per bug fixed ------------------------------

def _edit_json(path: Path, **changes) -> None:
    document = json.loads(path.read_text())
    document.update(changes)
    path.write_text(json.dumps(document))


def test_a_csv_whose_every_row_is_beyond_full_scale_is_refused(corpus, tmp_path):
    rows = corpus.csv_g_deg.read_text().splitlines()
    path = tmp_path / "rec.csv"
    path.write_text("\n".join([rows[0]] + [r.rsplit(",", 3)[0] + ",1e9,0,0" for r in rows[1:]]) + "\n")
    run = run_hinge("analyse", path, "--acc-unit", "g", "--gyro-unit", "deg/s")
    check_run(run)
    assert run.status == 2 and "within any IMU's full scale" in run.stderr


def test_report_of_a_link_loop_is_refused(tmp_path):
    os.symlink("rec.csv", tmp_path / "rec.csv")
    run = run_hinge("report", tmp_path / "rec.csv", "-o", tmp_path / "report.html")
    check_run(run)
    assert run.status == 2 and "symbolic link loop" in run.stderr


def test_export_into_a_dataset_whose_generated_by_is_not_a_list_is_refused(corpus, tmp_path):
    target = tmp_path / "bids"
    shutil.copytree(corpus.bids, target)
    _edit_json(target / "dataset_description.json", GeneratedBy="1.11.1")
    run = run_hinge("export", corpus.csv, "--bids", target, "--subject", "P02")
    check_run(run)
    assert run.status == 2 and "GeneratedBy" in run.stderr


def test_export_of_a_session_whose_device_name_is_a_number(corpus, tmp_path):
    session = tmp_path / "session"
    shutil.copytree(corpus.session, session)
    _edit_json(session / "session.json", device={"name": 5, "simulated": True})
    run = run_hinge("export", session, "--bids", tmp_path / "bids", "--subject", "P01")
    check_run(run)
    assert run.status == 0


def test_recover_of_a_session_without_samples_or_raw_log_settles_in_one_run(corpus, tmp_path):
    session = tmp_path / "session"
    shutil.copytree(corpus.session, session)
    for name in SESSION_FILES:
        (session / name).unlink()
    check_run(run_hinge("recover", session), (0,))
    settled = fingerprint(session)
    check_run(run_hinge("recover", session), (0,))
    check_unchanged(session, settled)
    run = run_hinge("analyse", session)
    assert run.status == 2 and "too few samples: only 0 samples" in run.stderr


@pytest.mark.parametrize("command", ["analyse", "recover"])
def test_session_json_with_an_integer_too_large_for_a_float_is_refused(corpus, tmp_path, command):
    session = tmp_path / "session"
    shutil.copytree(corpus.session, session)
    _edit_json(session / "session.json", status="recording", nominal_rate_hz=10 ** 400)
    before = fingerprint(session)
    run = run_hinge(command, session)
    check_run(run)
    assert run.status == 2 and "'nominal_rate_hz' is 1000" in run.stderr
    check_unchanged(session, before)


@pytest.mark.parametrize("command", ["analyse", "recover"])
def test_session_json_with_nan_is_refused(corpus, tmp_path, command):
    # Python reads NaN, but no rewrite (recover) could write it back: it is not JSON.
    session = tmp_path / "session"
    shutil.copytree(corpus.session, session)
    _edit_json(session / "session.json", status="recording", acc_range_g=float("nan"))
    before = fingerprint(session)
    run = run_hinge(command, session)
    check_run(run)
    assert run.status == 2 and "holds NaN, which is not a JSON number" in run.stderr
    check_unchanged(session, before)


def test_a_csv_header_with_stray_quotes_is_refused(corpus, tmp_path):
    rows = corpus.csv.read_text().splitlines()
    path = tmp_path / "rec.csv"
    path.write_text("\n".join(['""time_s""' + rows[0][len("time_s"):]] + rows[1:]) + "\n")
    run = run_hinge("analyse", path)
    check_run(run)
    assert run.status == 2 and "column 'time_s' is not readable in the header" in run.stderr


def test_a_bids_motion_file_not_utf8_after_its_first_line_is_refused(corpus, tmp_path):
    root = tmp_path / "bids"
    shutil.copytree(corpus.bids, root)
    motion = root / corpus.motion
    lines = motion.read_bytes().split(b"\n")
    lines[399] = b"\x80" + lines[399]  # beyond the first line's read buffer (8 KB)
    motion.write_bytes(b"\n".join(lines))
    run = run_hinge("analyse", motion)
    check_run(run)
    assert run.status == 2 and "line 400 is not UTF-8 text" in run.stderr


def test_report_of_a_bids_entry_whose_scans_file_is_not_utf8(corpus, tmp_path):
    # acq_time is optional context: the report is written without the date.
    root = tmp_path / "bids"
    shutil.copytree(corpus.bids, root)
    scans = next(root.rglob("*_scans.tsv"))
    scans.write_bytes(b"filename\tacq_time\n\xff\xfe\n")
    run = run_hinge("report", root / corpus.motion, "-o", tmp_path / "report.html")
    check_run(run)
    assert run.status == 0


@pytest.mark.parametrize("value", ["1e300", "1.7976931348623157e308", "-1.7976931348623157e308"])
@pytest.mark.parametrize("column, units", [(1, ["--acc-unit", "g"]), (4, [])])
def test_a_csv_with_a_few_cells_beyond_all_full_scales_is_analysed_without_a_numpy_warning(corpus, tmp_path, value,
                                                                                          column, units):
    rows = [r.split(",") for r in corpus.csv.read_text().splitlines()]
    for row in rows[2:4]:
        row[column] = value
    if units:  # the accelerometer in g
        rows[1:] = [[r[0]] + [f"{float(c) / 9.80665:.6g}" if 1 <= i <= 3 and c != value else c
                              for i, c in enumerate(r[1:], 1)] for r in rows[1:]]
    path = tmp_path / "rec.csv"
    path.write_text("\n".join(",".join(r) for r in rows) + "\n")
    run = run_hinge("analyse", path, *units)
    check_run(run)  # no "RuntimeWarning: overflow encountered" line
    assert run.status == 0 and "beyond any IMU's full scale" in run.stdout


def test_batch_over_a_bids_copy_whose_source_field_is_not_text(corpus, tmp_path):
    study = tmp_path / "study"
    shutil.copytree(corpus.session, study / corpus.session.name)
    shutil.copytree(corpus.bids, study / "bids")
    _edit_json(next((study / "bids").rglob("*_motion.json")), HingeSourceSession=[])
    run = run_hinge("batch", study, "-o", tmp_path / "bends.csv", "--jobs", "1")
    check_run(run)
    assert run.status == 0 and "counted once" not in run.stderr  # not recognised as the session's copy


@pytest.mark.parametrize("created_utc", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00"])
def test_a_session_started_at_the_calendars_edge_is_exported_and_reported(corpus, tmp_path, created_utc):
    # No such time in UTC: the start is unknown, as for an unreadable one.
    session = tmp_path / "session"
    shutil.copytree(corpus.session, session)
    _edit_json(session / "session.json", created_utc=created_utc)
    check_run(run_hinge("export", session, "--bids", tmp_path / "bids", "--subject", "P01"), (0,))
    check_run(run_hinge("report", session, "-o", tmp_path / "report.html"), (0,))
    check_run(run_hinge("batch", session, "-o", tmp_path / "bends.csv", "--jobs", "1"), (0,))


@pytest.mark.parametrize("rows, status", [(1, 0), (None, 2)])
def test_a_bids_entry_with_values_beyond_any_sensor_is_read_without_a_numpy_warning(corpus, tmp_path, rows, status):
    # 5.5e153 m/s^2 overflowed the analysis' moving mean of squares (a RuntimeWarning on stderr).
    root = tmp_path / "bids"
    shutil.copytree(corpus.bids, root)
    motion = root / corpus.motion
    lines = motion.read_text().split("\n")
    for i, line in enumerate(lines[:rows] if rows else lines):
        if line:
            lines[i] = "5.525112175717861e+153\t" + line.split("\t", 1)[1]
    motion.write_text("\n".join(lines))
    for command in (("analyse", motion), ("report", motion, "-o", tmp_path / "report.html")):
        run = run_hinge(*command)
        check_run(run)
        assert run.status == status
    expected = "dropped 1 sample with values beyond any IMU's full scale" if status == 0 else "are within any IMU's"
    assert expected in run_hinge("analyse", motion).stdout + run.stderr
