"""The installed `hinge` command on bad inputs: exit 2, one line on stderr, no traceback.

Each case writes a file to tmp_path and runs the real console script in a subprocess.
"""
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from hinge.analysis.bend_table import BEND_COLUMNS

G_MPS2 = 9.80665
HEADER = "time_s,acc_x,acc_y,acc_z,gyr_x,gyr_y,gyr_z"
_SCRIPT = Path(sys.executable).parent / "hinge"
COMMAND = [str(_SCRIPT)] if _SCRIPT.exists() else [sys.executable, "-m", "hinge"]


def run_hinge(*args, cwd=None):
    return subprocess.run([*COMMAND, *map(str, args)], capture_output=True, text=True, timeout=60, cwd=cwd)


def still_with_rotations(duration_s=30.0, fs_hz=100.0, seed=0):
    """(N, 7) rows: time s, acc m/s^2, gyr rad/s of a still sensor with a few smooth rotations."""
    rng = np.random.default_rng(seed)
    n = int(duration_s * fs_hz)
    t_s = 50.0 + np.arange(n) / fs_hz
    pitch_rad = np.zeros(n)
    for centre_s in np.arange(5.0, duration_s - 4.0, 8.0):
        pitch_rad += np.deg2rad(45.0) * np.exp(-0.5 * ((t_s - 50.0 - centre_s) / 1.2) ** 2)
    acc = np.column_stack([-G_MPS2 * np.sin(pitch_rad), np.zeros(n), G_MPS2 * np.cos(pitch_rad)])
    gyr = np.column_stack([np.zeros(n), np.gradient(pitch_rad, 1.0 / fs_hz), np.zeros(n)])
    return np.column_stack([t_s, acc + rng.normal(0, 0.02, acc.shape), gyr + rng.normal(0, 0.003, gyr.shape)])


def write_rows(path, rows, header=HEADER):
    np.savetxt(path, rows, delimiter=",", fmt="%.6f", header=header, comments="")
    return path


def edit_line(path, line_no, func):
    lines = path.read_text().splitlines()
    lines[line_no - 1] = func(lines[line_no - 1])
    path.write_text("\n".join(lines) + "\n")
    return path


def set_cell(column):
    def edit(line, value):
        fields = line.split(",")
        fields[column] = value
        return ",".join(fields)
    return edit


def _good(p):
    return write_rows(p / "rec.csv", still_with_rotations())


def _missing(p):
    return p / "nothing.csv"


def _empty(p):
    (p / "empty.csv").write_text("")
    return p / "empty.csv"


def _bom_only(p):
    (p / "bom.csv").write_bytes(b"\xef\xbb\xbf\n")
    return p / "bom.csv"


def _directory(p):
    (p / "adir").mkdir()
    return p / "adir"


def _binary(p):
    (p / "rec.csv").write_bytes(bytes(range(256)) * 40)
    return p / "rec.csv"


def _json(p):
    (p / "rec.csv").write_text(json.dumps({"time_s": [0, 1], "acc_x": [0, 1]}))
    return p / "rec.csv"


def _header_only(p):
    (p / "rec.csv").write_text(HEADER + "\n")
    return p / "rec.csv"


def _no_header(p):
    rows = still_with_rotations()
    np.savetxt(p / "rec.csv", rows, delimiter=",", fmt="%.6f")
    return p / "rec.csv"


def _missing_column(p):
    rows = still_with_rotations()[:, :6]
    return write_rows(p / "rec.csv", rows, header="time_s,acc_x,acc_y,acc_z,gyr_x,gyr_y")


def _misnamed_column(p):
    return write_rows(p / "rec.csv", still_with_rotations(), header=HEADER.replace("gyr_x", "gyro_x"))


def _semicolons(p):
    rows = still_with_rotations()
    np.savetxt(p / "rec.csv", rows, delimiter=";", fmt="%.6f", header=HEADER.replace(",", ";"), comments="")
    return p / "rec.csv"


def _non_numeric(p):
    path = write_rows(p / "rec.csv", still_with_rotations())
    return edit_line(path, 7, lambda line: set_cell(2)(line, "abc"))


def _empty_cell(p):
    path = write_rows(p / "rec.csv", still_with_rotations())
    return edit_line(path, 12, lambda line: set_cell(5)(line, ""))


def _extra_field_first_row(p):
    path = write_rows(p / "rec.csv", still_with_rotations())
    return edit_line(path, 2, lambda line: line + ",1.0")


def _extra_field(p):
    path = write_rows(p / "rec.csv", still_with_rotations())
    return edit_line(path, 9, lambda line: line + ",1.0")


def _backwards_time(p):
    rows = still_with_rotations()
    rows[100, 0], rows[101, 0] = rows[101, 0], rows[100, 0]
    return write_rows(p / "rec.csv", rows)


def _duplicate_time(p):
    rows = still_with_rotations()
    rows[200, 0] = rows[199, 0]
    return write_rows(p / "rec.csv", rows)


def _few_rows(p):
    return write_rows(p / "rec.csv", still_with_rotations()[:100])


def _short(p):
    rows = still_with_rotations(duration_s=3.0, fs_hz=500.0)
    return write_rows(p / "rec.csv", rows)


def _slow_rate(p):
    rows = still_with_rotations(duration_s=60.0, fs_hz=10.0)
    return write_rows(p / "rec.csv", rows)


def _milliseconds(p):
    rows = still_with_rotations()
    rows[:, 0] *= 1000.0
    return write_rows(p / "rec.csv", rows)


def _acc_in_g(p):
    rows = still_with_rotations()
    rows[:, 1:4] /= G_MPS2
    return write_rows(p / "rec.csv", rows)


def _acc_nonsense(p):
    rows = still_with_rotations()
    rows[:, 1:4] *= 4.0
    return write_rows(p / "rec.csv", rows)


def _gyr_in_deg_s(p):
    rows = still_with_rotations()
    rows[:, 4:7] = np.rad2deg(rows[:, 4:7]) * 3.0  # fast rotations, beyond 35 in deg/s
    return write_rows(p / "rec.csv", rows)


# (name, file builder, extra options, key phrase on stderr)
CASES = [
    ("missing", _missing, [], "file not found"),
    ("empty", _empty, [], "file is empty"),
    ("bom_only", _bom_only, [], "file is empty"),
    ("directory", _directory, [], "is a directory"),
    ("binary", _binary, [], "binary"),
    ("json", _json, [], "looks like JSON"),
    ("header_only", _header_only, [], "no data rows"),
    ("no_header", _no_header, [], "first line is data, not a header"),
    ("missing_column", _missing_column, [], "column 'gyr_z' is missing"),
    ("misnamed_column", _misnamed_column, [], "rename 'gyro_x' to 'gyr_x'"),
    ("semicolons", _semicolons, [], "separated by semicolons"),
    ("non_numeric", _non_numeric, [], "line 7, column 'acc_y': 'abc' is not a number"),
    ("empty_cell", _empty_cell, [], "line 12, column 'gyr_y': empty or NaN cell"),
    ("extra_field", _extra_field, [], "malformed CSV: Expected 7 fields in line 9, saw 8"),
    ("extra_field_first_row", _extra_field_first_row, [], "first data row has more cells"),
    ("backwards_time", _backwards_time, [], "time goes backwards at line 103"),
    ("duplicate_time", _duplicate_time, [], "time repeats at line 202"),
    ("few_rows", _few_rows, [], "only 100 rows"),
    ("short", _short, [], "s of data (need >= 10 s)"),
    ("slow_rate", _slow_rate, [], "outside 25-1000 Hz"),
    ("milliseconds", _milliseconds, [], "milliseconds"),
    ("acc_in_g", _acc_in_g, [], "looks like g; pass --acc-unit g"),
    ("acc_mps2_declared_g", _good, ["--acc-unit", "g"], "looks like m/s^2; pass --acc-unit m/s2"),
    ("acc_nonsense", _acc_nonsense, [], "not an accelerometer in m/s^2 or g"),
    ("gyr_in_deg_s", _gyr_in_deg_s, [], "looks like deg/s; pass --gyro-unit deg/s"),
    ("gyr_rad_s_declared_deg_s", _good, ["--gyro-unit", "deg/s"], "looks like rad/s; pass --gyro-unit rad/s"),
]


@pytest.mark.slow
@pytest.mark.parametrize("name, build, options, phrase", CASES, ids=[c[0] for c in CASES])
def test_bad_input_exits_2_with_one_line(tmp_path, name, build, options, phrase):
    path = build(tmp_path)
    result = run_hinge("analyse", path, *options)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("hinge: error: ")
    assert phrase in lines[0]
    if name != "directory":
        assert Path(path).name in lines[0], "the message names the file"
    assert result.stdout == ""


def test_unreadable_file_exits_2(tmp_path):
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        pytest.skip("root can read any file")
    path = _good(tmp_path)
    path.chmod(0)
    result = run_hinge("analyse", path)
    assert result.returncode == 2 and "permission denied" in result.stderr
    assert "Traceback" not in result.stderr


def test_simulate_refuses_missing_directory(tmp_path):
    result = run_hinge("simulate", "-o", tmp_path / "no_such_dir" / "demo.csv", "--bends", "2")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "does not exist" in lines[0] and "no_such_dir" in lines[0]


def test_version():
    result = run_hinge("--version")
    assert result.returncode == 0 and result.stdout.startswith("hinge ")


@pytest.mark.slow
def test_g_and_deg_s_file_analyses_as_json(tmp_path):
    rows = still_with_rotations()
    rows[:, 1:4] /= G_MPS2
    rows[:, 4:7] = np.rad2deg(rows[:, 4:7])
    path = write_rows(tmp_path / "units.csv", rows, header="gyr_z,time_s,acc_x,acc_y,acc_z,gyr_x,gyr_y")
    path = write_rows(tmp_path / "units.csv", rows[:, [6, 0, 1, 2, 3, 4, 5]],
                      header="gyr_z,time_s,acc_x,acc_y,acc_z,gyr_x,gyr_y")
    result = run_hinge("analyse", path, "--acc-unit", "g", "--gyro-unit", "deg/s", "--json")
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert {"bends", "calibration", "warnings", "dropped", "input", "hinge_version", "params",
            "created_utc"} <= set(document)
    assert document["input"]["n_samples"] == len(rows)
    assert document["input"]["fs_hz"] == pytest.approx(100.0)
    assert document["input"]["duration_s"] == pytest.approx(rows[-1, 0] - rows[0, 0])
    assert len(document["input_sha256"]) == 64
    assert document["params"]["acc_unit"] == "g" and document["params"]["gyro_unit"] == "deg/s"


# In-process tests of the output against the pipeline contract, with a fake analysis.

def _fake_result(saturated_seen):
    from types import SimpleNamespace

    bends = pd.DataFrame({
        "start_s": [52.0, 60.0], "peak_s": [53.5, 61.2], "end_s": [55.0, 63.0],
        "label": ["hip-led", "spine-led"], "score": [82.0, 35.5], "lumbar_share": [0.31, 0.72],
        "depth_deg": [48.0, 55.5], "confidence": [0.9, 0.6],
        "reasons": [["hips moved first"], ["lumbar flexion led", "fast start"]],
        "quality_flags": [[], ["saturated"]],
    }, index=pd.RangeIndex(1, 3, name="bend_id")).reindex(columns=BEND_COLUMNS)  # the features: missing
    return SimpleNamespace(
        bends=bends, calibration={"ok": True, "planarity": 0.97, "tilt_deg": 12.0},
        warnings=["pipeline warning"],
        dropped=pd.DataFrame({"start_s": [70.0], "end_s": [71.0], "reason": ["too shallow"]}),
        fs_hz=100.0, saturated_seen=saturated_seen,
    )


@pytest.fixture
def fake_analyse(monkeypatch):
    import hinge.analysis.pipeline as pipeline

    calls = {}

    def analyse(t_s, acc_mps2, gyr_rad_s, fs_hz=None, placement="sacrum", saturated=None, params=None,
                calibration_window_s=None):
        calls.update(fs_hz=fs_hz, placement=placement, n=len(t_s), saturated=saturated, params=params,
                     calibration_window_s=calibration_window_s)
        return _fake_result(saturated is not None)

    monkeypatch.setattr(pipeline, "analyse", analyse)
    return calls


def test_json_document_follows_contract(tmp_path, capsys, fake_analyse):
    from hinge.cli import main

    path = _good(tmp_path)
    assert main(["analyse", str(path), "--json", "--placement", "L4"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert fake_analyse["placement"] == "L4" and fake_analyse["saturated"] is not None
    assert [b["label"] for b in document["bends"]] == ["hip-led", "spine-led"]
    first = document["bends"][0]
    assert set(first) >= {"start_s", "peak_s", "end_s", "label", "score", "lumbar_share", "depth_deg",
                          "confidence", "reasons", "quality_flags"}
    assert document["bends"][1]["quality_flags"] == ["saturated"]
    assert document["dropped"] == [{"start_s": 70.0, "end_s": 71.0, "reason": "too shallow"}]
    assert document["warnings"] == ["pipeline warning"]
    assert document["calibration"]["planarity"] == 0.97


def test_table_output_has_bends_and_summary(tmp_path, capsys, fake_analyse):
    from hinge.cli import main

    path = _good(tmp_path)
    assert main(["analyse", str(path)]) == 0
    out = capsys.readouterr().out
    assert "spine-led" in out and "lumbar flexion led" in out
    assert "bends: 2 (1 hip-led, 1 spine-led)" in out
    assert "mean score" in out and "pipeline warning" in out


def test_keyboard_interrupt_exits_130(tmp_path, capsys, monkeypatch):
    import hinge.recordings.load
    from hinge.cli import main

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(hinge.recordings.load, "read_csv_sensors", interrupted)
    assert main(["analyse", str(tmp_path / "x.csv")]) == 130
    assert "interrupted" in capsys.readouterr().err


def test_simulate_rejects_bad_rate_before_simulating(tmp_path):
    result = run_hinge("simulate", "-o", tmp_path / "demo.csv", "--fs-hz", "5")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines() == ["hinge: error: --fs-hz 5: sample rate must be within 25-1000 Hz"]
    assert not (tmp_path / "demo.csv").exists()
