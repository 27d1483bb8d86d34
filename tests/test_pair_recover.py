"""Recovery of a two-sensor session's shared annotations.tsv: repaired exactly as a sensor's
own (`recover.repair_annotations`): the damaged tail cut, kept aside, and reported."""
from __future__ import annotations

from hinge.recordings.pair import PairWriter, recover_pair

META = {"profile": "hinge_open", "nominal_rate_hz": 100.0, "timebase": "sensor"}


def test_a_damaged_shared_annotation_tail_is_cut_kept_aside_and_reported(tmp_path):
    session = PairWriter.create(tmp_path / "pair", {"participant": "P01"}, [("sacrum", META), ("T12", META)])
    session.annotate(1.0, 3.5, "calibration")
    session.close()
    shared = tmp_path / "pair" / "annotations.tsv"
    good = shared.read_bytes()
    shared.write_bytes(good + b"2.0\t0.5\tBAD_\xff\xfe gap\n")       # a line that is not UTF-8
    report = recover_pair(tmp_path / "pair")
    assert shared.read_bytes() == good
    (aside,) = (tmp_path / "pair").glob("annotations.tsv.cut-at-*")
    assert aside.name == f"annotations.tsv.cut-at-{len(good)}"
    assert aside.read_bytes() == b"2.0\t0.5\tBAD_\xff\xfe gap\n"
    assert report.changed and any(line.startswith("annotations.tsv: cut ") for line in report.lines())
