"""Session format: write/read round trip, time-based flushing, damaged tails cut and never misread."""
import json
import os

import numpy as np
import pandas as pd
import pytest

from hinge.errors import HingeInputError
from hinge.firmware_protocol import hinge_open
from hinge.recordings._rawlog import encode_raw_record
from hinge.recordings import SessionWriter, iter_raw_records, read_session, recover_session
from hinge.examples import hinge_open_notifications

RATE_HZ = 100.0
META = {"profile": "hinge_open", "placement": "L5", "participant": "p01", "device": {"name": "hinge-TEST"},
        "firmware": "1.0.0", "nominal_rate_hz": RATE_HZ, "device_clock_hz": 32768}


def stream(duration_s=3.0, seed=0, samples_per_packet=5):
    """(host_ns, payload) notifications and the samples they decode to."""
    rng = np.random.default_rng(seed)
    n = int(duration_s * RATE_HZ)
    t_s = 10.0 + np.arange(n) / RATE_HZ
    acc = np.column_stack([rng.normal(0, 0.5, n), rng.normal(0, 0.5, n), 9.81 + rng.normal(0, 0.5, n)])
    gyr = rng.normal(0, 0.3, (n, 3))
    packets = hinge_open_notifications(t_s, acc, gyr, samples_per_packet=samples_per_packet, acc_range_g=8.0)
    decoded = [hinge_open.decode_data(p, sample_rate_hz=RATE_HZ, clock_hz=32768) for _, p in packets]
    return packets, decoded


def write_session(path, packets, decoded, close=True, **kwargs):
    writer = SessionWriter.create(path, META, **kwargs)
    for (host_ns, payload), d in zip(packets, decoded):
        writer.append_raw(host_ns, hinge_open.DATA_UUID, payload)
        writer.append_samples(d.timestamp_s, d.acc_mps2, d.gyr_rad_s)
    writer.annotate(10.5, 0.25, "BAD_saturation")
    writer.annotate(11.0, 0.0, "BAD_reconnect")
    if close:
        writer.close()
    return writer


def test_round_trip(tmp_path):
    packets, decoded = stream()
    write_session(tmp_path / "s", packets, decoded)
    session = read_session(tmp_path / "s")
    t = np.concatenate([d.timestamp_s for d in decoded])
    acc = np.concatenate([d.acc_mps2 for d in decoded])
    gyr = np.concatenate([d.gyr_rad_s for d in decoded])
    np.testing.assert_array_equal(session.t_s, t)
    np.testing.assert_allclose(session.acc_mps2, acc, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(session.gyr_rad_s, gyr, rtol=1e-6, atol=1e-6)
    assert list(session.annotations.columns) == ["onset_s", "duration_s", "description"]
    assert session.annotations["description"].tolist() == ["BAD_saturation", "BAD_reconnect"]
    assert session.saturated().sum() == 26  # 10.50 .. 10.75 s inclusive at 100 Hz
    assert session.status == "closed" and session.placement == "L5" and session.warnings == ()
    meta = session.metadata
    assert meta["n_samples"] == len(t) and meta["n_raw_records"] == len(packets)
    assert meta["participant"] == "p01" and meta["hinge_version"] and meta["created_utc"]
    records = list(iter_raw_records(tmp_path / "s" / "raw.log"))
    assert [(r.host_ns, r.payload) for r in records] == packets
    assert all(r.characteristic == hinge_open.DATA_UUID and r.kind == "notify" for r in records)


def test_context_manager_closes(tmp_path):
    with SessionWriter.create(tmp_path / "s", META) as writer:
        writer.append_samples([1.0], [[0, 0, 9.8]], [[0, 0, 0]])
    assert json.loads((tmp_path / "s" / "session.json").read_text())["status"] == "closed"


def test_writer_rejects_bad_samples_and_paths(tmp_path):
    with SessionWriter.create(tmp_path / "s", META) as writer:
        writer.append_samples([1.0, 2.0], np.zeros((2, 3)), np.zeros((2, 3)))
        with pytest.raises(ValueError, match="not after"):
            writer.append_samples([2.0], np.zeros((1, 3)), np.zeros((1, 3)))
        with pytest.raises(ValueError, match="shape"):
            writer.append_samples([3.0], np.zeros((1, 2)), np.zeros((1, 3)))
        with pytest.raises(ValueError, match="description"):
            writer.annotate(1.0, 0.0, "BAD\tgap")
    with pytest.raises(HingeInputError, match="already exists"):
        SessionWriter.create(tmp_path / "s", META)
    with pytest.raises(HingeInputError, match="does not exist"):
        SessionWriter.create(tmp_path / "missing" / "s", META)


def test_flushes_by_time_and_fsyncs_at_most_once_a_second(tmp_path, monkeypatch):
    now = [0.0]
    fsyncs = []
    real_fsync = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: (fsyncs.append(now[0]), real_fsync(fd)))
    packets, decoded = stream(duration_s=1.0)
    writer = SessionWriter.create(tmp_path / "s", META, clock=lambda: now[0])
    fsyncs.clear()
    sizes = [len(encode_raw_record(h, hinge_open.DATA_UUID, p)) for h, p in packets]
    raw = tmp_path / "s" / "raw.log"
    size0 = raw.stat().st_size
    writer.append_raw(*packets[0][:1], hinge_open.DATA_UUID, packets[0][1])
    assert raw.stat().st_size == size0  # buffered: younger than flush_interval_s
    for i, (host_ns, payload) in enumerate(packets[1:], start=1):
        now[0] = 0.05 * i  # a notification every 50 ms for 1 s
        writer.append_raw(host_ns, hinge_open.DATA_UUID, payload)
        # Nothing older than flush_interval_s (0.5 s) plus one notification stays in the process.
        older = sizes[:max(0, i - 10)]
        assert raw.stat().st_size >= size0 + sum(older), i
    assert raw.stat().st_size > size0
    times = sorted(set(fsyncs))
    assert all(b - a >= 1.0 for a, b in zip(times, times[1:]))
    writer.close()


def flip(path, position):
    data = bytearray(path.read_bytes())
    data[position] ^= 0x5A
    path.write_bytes(bytes(data))


@pytest.mark.slow
def test_every_single_byte_flip_is_detected_never_misread(tmp_path):
    packets, decoded = stream(duration_s=0.3, samples_per_packet=3)
    write_session(tmp_path / "s", packets, decoded)
    raw = tmp_path / "s" / "raw.log"
    original = raw.read_bytes()
    good = list(iter_raw_records(raw))
    for position in range(len(original)):
        raw.write_bytes(original)
        flip(raw, position)
        it = iter_raw_records(raw)
        records = list(it)
        assert records == good[:len(records)], position  # a prefix, never altered records
        assert it.problem is not None and it.valid_bytes <= position, position
        if position >= 8:
            damaged = max(i for i, r in enumerate(good) if r.offset <= position)
            assert len(records) == damaged and it.valid_bytes == good[damaged].offset


def test_truncated_tail_is_cut_by_iterator_and_recovery(tmp_path):
    packets, decoded = stream()
    write_session(tmp_path / "s", packets, decoded)
    raw = tmp_path / "s" / "raw.log"
    good = list(iter_raw_records(raw))
    cut_at = good[-3].offset + 17  # in the middle of the third-last record
    raw.write_bytes(raw.read_bytes()[:cut_at])
    it = iter_raw_records(raw)
    assert len(list(it)) == len(good) - 3
    assert it.valid_bytes == good[-3].offset and "truncated" in it.problem
    report = recover_session(tmp_path / "s")
    assert report.cut["raw.log"][:2] == (good[-3].offset, 17)
    assert (tmp_path / "s" / f"raw.log.cut-at-{good[-3].offset}").stat().st_size == 17
    it = iter_raw_records(raw)
    assert len(list(it)) == len(good) - 3 and it.problem is None


def test_damaged_samples_in_closed_session_error_then_recover(tmp_path):
    packets, decoded = stream()
    write_session(tmp_path / "s", packets, decoded)
    samples = tmp_path / "s" / "samples.bin"
    n_all = read_session(tmp_path / "s").t_s.size
    flip(samples, samples.stat().st_size - 100)
    with pytest.raises(HingeInputError, match=r"samples.bin: damaged: CRC mismatch .*hinge recover") as info:
        read_session(tmp_path / "s")
    assert "\n" not in str(info.value)
    report = recover_session(tmp_path / "s")
    # The raw log is intact, so the lost samples are decoded from it again: nothing is lost.
    assert report.extended_from_raw and report.samples_before < n_all and report.samples_after == n_all
    session = read_session(tmp_path / "s")
    assert session.status == "recovered" and session.t_s.size == n_all
    assert recover_session(tmp_path / "s").changed is False  # idempotent


def test_unfinished_session_is_readable_and_recovery_rebuilds_missing_samples(tmp_path):
    packets, decoded = stream()
    writer = write_session(tmp_path / "s", packets, decoded, close=False)
    writer.flush()
    session = read_session(tmp_path / "s")
    assert session.status == "recording" and "not closed" in session.warnings[0]
    n_all = session.t_s.size
    with pytest.raises(HingeInputError, match="still being recorded"):
        recover_session(tmp_path / "s")  # the live writer holds raw.log locked
    for handle in (writer._raw, writer._samples, writer._annotations):
        handle.close()  # the recorder dies: the kernel drops its lock
    (tmp_path / "s" / "samples.bin").unlink()
    with open(tmp_path / "s" / "annotations.tsv", "a") as handle:
        handle.write("12.0\t0.5\tBAD_ga")  # an interrupted line
    with pytest.raises(HingeInputError, match="hinge recover"):
        read_session(tmp_path / "s")
    report = recover_session(tmp_path / "s")
    assert report.rebuilt_from_raw and report.samples_after == n_all
    assert "annotations.tsv" in report.cut
    recovered = read_session(tmp_path / "s")
    np.testing.assert_array_equal(recovered.t_s, session.t_s)
    np.testing.assert_array_equal(recovered.acc_mps2, session.acc_mps2)
    last = recovered.annotations.iloc[-1]
    assert last["description"] == "BAD_gap" and last["onset_s"] > recovered.t_s[-1]
    assert recovered.annotations["description"].tolist()[:2] == ["BAD_saturation", "BAD_reconnect"]
    assert recovered.metadata["recoveries"][0]["status_before"] == "recording"


@pytest.mark.parametrize("make, message", [
    (lambda p: None, "session directory not found"),
    (lambda p: p.mkdir(), "is a directory without session.json"),
    (lambda p: (p.mkdir(), (p / "session.json").write_text("{not json")), "not valid JSON"),
    (lambda p: (p.mkdir(), (p / "session.json").write_text('{"format": "other"}')), "not a hinge session"),
    (lambda p: (p.mkdir(), (p / "session.json").write_text('{"format": "hinge-session", "format_version": 99}')),
     "format_version 99 is not supported"),
])
def test_bad_session_directories(tmp_path, make, message):
    make(tmp_path / "s")
    with pytest.raises(HingeInputError, match=message) as info:
        read_session(tmp_path / "s")
    assert "\n" not in str(info.value)


def test_missing_samples_file_points_to_recover(tmp_path):
    packets, decoded = stream()
    write_session(tmp_path / "s", packets, decoded)
    (tmp_path / "s" / "samples.bin").unlink()
    with pytest.raises(HingeInputError, match="file not found; run `hinge recover"):
        read_session(tmp_path / "s")


def test_decoder_unwraps_the_device_clock_and_flags_saturation_and_lost_packets():
    from hinge.recordings import RawRecord, RawSampleDecoder

    clock_hz = 1_000_000  # esp_timer: the u32 tick counter wraps after 71.6 min
    decoder = RawSampleDecoder("hinge_open", nominal_rate_hz=100.0, device_clock_hz=clock_hz)
    blocks = []
    for seq in range(6):
        ticks = (2 ** 32 - 25_000 + seq * 20_000) % 2 ** 32  # wraps between packets 1 and 2
        acc = np.array([[0.0, 0.0, 9.8], [0.0, 0.0, 9.8]])
        if seq == 3:
            acc[1, 0] = 200.0  # beyond +-8 g: clipped at full scale
        payload = hinge_open.encode_data(acc, np.zeros((2, 3)), sequence=seq, t_first_ticks=ticks, acc_range_g=8.0)
        if seq == 4:
            continue  # lost in the air
        blocks += decoder.feed(RawRecord(0, seq, hinge_open.DATA_UUID, payload))
    blocks += decoder.finish()  # the packet after the lost one waited for it (reordering window)
    t = np.concatenate([b.t_s for b in blocks])
    assert np.all(np.diff(t) > 0)
    np.testing.assert_allclose(t[2] - t[0], 0.02, atol=1e-9)  # across the wrap
    assert [b.saturation_runs() for b in blocks][3] == [(t[7], 0.0)]
    assert blocks[4].lost_packets == 1 and blocks[4].gap is not None
    assert all(b.gap is None for b in blocks[:4])


def test_recovery_does_not_extend_samples_on_another_timebase(tmp_path):
    packets, decoded = stream()
    with SessionWriter.create(tmp_path / "s", META) as writer:
        for (host_ns, payload), d in zip(packets, decoded):
            writer.append_raw(host_ns, hinge_open.DATA_UUID, payload)
        writer.append_samples([1.0, 2.0], np.zeros((2, 3)), np.zeros((2, 3)))  # host-time samples
    report = recover_session(tmp_path / "s")
    assert not report.extended_from_raw and "another timebase" in report.decode_note
    assert read_session(tmp_path / "s").t_s.tolist() == [1.0, 2.0]
