"""Movesense GSP: official-sample commands, IMU6/IMU9 payloads, split reassembly, errors, fuzz."""
import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from hinge.firmware_protocol import ProtocolError, movesense as m, profile_for_advertisement
from packet_fuzz import random_or_mutated

VECTORS = {c["name"]: c for c in json.loads((Path(m.__file__).parent / "vectors" / "movesense.json").read_text())["cases"]}


@pytest.mark.parametrize("name", [n for n, c in VECTORS.items() if c["kind"] == "command"])
def test_command_vectors(name):
    c = VECTORS[name]
    b = bytes.fromhex(c["hex"])
    assert m.decode_command(b) == c["expected"]
    e = c["expected"]
    built = {0: lambda: m.command_hello(e["ref"]), 1: lambda: m.command_subscribe(e["path"], e["ref"]),
             2: lambda: m.command_unsubscribe(e["ref"])}[e["cmd"]]()
    assert built == b


@pytest.mark.parametrize("name", [n for n, c in VECTORS.items() if c["kind"] == "result"])
def test_command_result_vectors_are_big_endian(name):
    c = VECTORS[name]
    r = m.decode_response(bytes.fromhex(c["hex"]))
    assert (r.kind, r.ref, r.status) == ("result", c["expected"]["ref"], c["expected"]["status"])
    assert m.encode_command_result(c["expected"]["ref"], c["expected"]["status"]) == bytes.fromhex(c["hex"])


def test_three_part_responses_reassemble_and_a_lost_middle_part_is_named():
    rng = np.random.default_rng(5)
    acc, gyr, mag = rng.normal(0, 9, (12, 3)), rng.normal(0, 1, (12, 3)), rng.normal(0, 40, (12, 3))
    parts = m.encode_movesense(acc, gyr, timestamp_ms=7000, magn_ut=mag, max_payload=180)
    assert [p[0] for p in parts] == [2, 3, 4]
    for max_payload in (180, None):
        r = m.MovesenseReassembler({99: ("IMU9", 208.0)}, max_payload=max_payload)
        out = [s for p in parts for s in r.feed(p)] + r.flush()
        assert len(out) == 1 and out[0].n == 12
        np.testing.assert_allclose(out[0].acc_mps2, acc.astype(np.float32), rtol=1e-6)
    r = m.MovesenseReassembler({99: ("IMU9", 208.0)}, max_payload=180)
    r.feed(parts[0])
    with pytest.raises(ProtocolError, match="DATA_PART3 for reference 99 without a pending DATA and DATA_PART2"):
        r.feed(parts[2])  # the DATA_PART2 was lost: the pending first part cannot take the third
    assert r.dropped_partial == 1 and r.flush() == []


def test_the_reassembler_follows_the_subscribed_rate():
    (whole,) = m.encode_movesense(np.zeros((4, 3)), np.zeros((4, 3)), timestamp_ms=1000)
    r = m.MovesenseReassembler(sample_rate_hz=208.0, max_payload=244)
    (s,) = r.feed(whole)
    np.testing.assert_allclose(np.diff(s.timestamp_s), 1 / 208.0)


def test_profile_start_stop_bytes():
    p = profile_for_advertisement("Movesense 204730000081", [])
    assert p.key == "movesense" and p.has_timestamp and not p.has_counter and p.timestamp_refers_to == "first"
    assert p.start(104.0) == [bytes.fromhex(VECTORS["subscribe_imu6_104hz"]["hex"])]
    assert p.stop() == [bytes.fromhex(VECTORS["unsubscribe"]["hex"])]
    assert m.parse_path("/Meas/IMU9/104") == ("IMU9", 104.0)


def test_imu6_vector_decodes_exactly():
    c = VECTORS["imu6_52hz_two_samples"]
    s = m.decode_movesense(bytes.fromhex(c["hex"]), arrays=2, sample_rate_hz=52.0)
    assert np.array_equal(s.acc_mps2, c["expected"]["acc_mps2"])
    np.testing.assert_allclose(s.gyr_rad_s, np.array(c["expected"]["gyr_dps"]) * np.pi / 180, rtol=1e-15)
    np.testing.assert_allclose(s.timestamp_s, c["expected"]["timestamp_s"], rtol=1e-15)
    assert s.packet_time_s == 123.456
    again = m.encode_movesense(s.acc_mps2, s.gyr_rad_s, timestamp_ms=123456)
    assert again == [bytes.fromhex(c["hex"])]


@pytest.mark.parametrize("max_payload", [None, 244])
def test_split_imu9_vector_reassembles(max_payload):
    c = VECTORS["imu9_104hz_split_over_two_notifications"]
    first, second = (bytes.fromhex(h) for h in c["hex"])
    r = m.MovesenseReassembler({99: ("IMU9", 104.0)}, max_payload=max_payload)
    assert r.feed(first) == []
    # Without the MTU a DATA_PART3 might follow: the sample comes with the next notification or flush.
    (s,) = r.feed(second) if max_payload is not None else (r.feed(second) or r.flush())
    assert np.array_equal(s.acc_mps2, c["expected"]["acc_mps2"])
    np.testing.assert_allclose(s.gyr_rad_s, np.array(c["expected"]["gyr_dps"]) * np.pi / 180, rtol=1e-15)
    np.testing.assert_allclose(s.timestamp_s, c["expected"]["timestamp_s"], rtol=1e-15)
    assert r.flush() == []


def test_reassembler_handles_lost_halves_and_results():
    c = VECTORS["imu9_104hz_split_over_two_notifications"]
    first, second = (bytes.fromhex(h) for h in c["hex"])
    r = m.MovesenseReassembler({99: ("IMU9", 104.0)}, max_payload=244)
    with pytest.raises(ProtocolError, match="without a pending DATA"):
        r.feed(second)                           # first half lost
    r.feed(first)
    with pytest.raises(ProtocolError, match="never came"):
        r.feed(first)                            # second half lost, then a new first half
    assert r.dropped_partial == 1
    (s,) = r.feed(second)
    assert s.n == 8
    r.feed(bytes.fromhex(VECTORS["command_result_ok"]["hex"]))
    assert r.last_result.status == 200 and r.last_result.ref == 99
    r.feed(first)
    with pytest.raises(ProtocolError, match="incomplete at flush"):
        r.flush()


def test_unsplit_data_that_fills_the_mtu_waits_for_the_next_notification():
    acc, gyr = np.zeros((8, 3)), np.zeros((8, 3))
    (whole,) = m.encode_movesense(acc, gyr, timestamp_ms=0)  # 2 + 4 + 192 = 198 bytes
    r = m.MovesenseReassembler({99: ("IMU6", 104.0)}, max_payload=len(whole))
    assert r.feed(whole) == []                   # could have a DATA_PART2
    (a,) = r.feed(whole)                         # the next DATA proves the previous one was whole
    assert a.n == 8
    assert len(r.flush()) == 1


@settings(max_examples=150, deadline=None)
@given(n=st.integers(1, 20), ts=st.integers(0, 2**32 - 1), kind=st.sampled_from(["IMU6", "IMU9"]),
       mtu=st.sampled_from([None, 158, 247, 515]), data=st.data())
def test_round_trip_through_split_and_reassembly(n, ts, kind, mtu, data):
    acc = data.draw(hnp.arrays(np.float32, (n, 3), elements=st.floats(-150, 150, width=32)))
    gyr_dps = data.draw(hnp.arrays(np.float32, (n, 3), elements=st.floats(-2000, 2000, width=32)))
    mag = np.ones((n, 3), np.float32) if kind == "IMU9" else None
    max_payload = None if mtu is None else mtu - 3
    try:
        parts = m.encode_movesense(acc, gyr_dps.astype(float) * np.pi / 180, timestamp_ms=ts, magn_ut=mag,
                                   max_payload=max_payload)
    except ValueError:  # needs more than two notifications
        return
    r = m.MovesenseReassembler({99: (kind, 104.0)}, max_payload=max_payload)
    out = [s for p in parts for s in r.feed(p)] + r.flush()
    assert len(out) == 1
    assert np.array_equal(out[0].acc_mps2, acc.astype(float))
    np.testing.assert_allclose(out[0].gyr_rad_s * 180 / np.pi, gyr_dps, rtol=1e-6, atol=1e-4)
    assert out[0].packet_time_s == ts / 1000


GOOD = bytes.fromhex(VECTORS["imu6_52hz_two_samples"]["hex"])


@pytest.mark.parametrize("payload, words", [
    (b"", "truncated"), (b"\x02", "truncated"), (GOOD[:20], "truncated"), (GOOD[:-1], "not 4 + N"),
    (GOOD + bytes(600), "oversize"), (b"\x07" + GOOD[1:], "type 7"), (b"\x03" + GOOD[1:], "not DATA"),
    (GOOD[:6] + b"\x00\x00\xc0\x7f" + GOOD[10:], "non-finite"), (GOOD[:6] + b"\x00\x00\x80\x4f" + GOOD[10:], "exceeds"),
    (GOOD[:30] + b"\x00\x00\x80\x4f" + GOOD[34:], "angular rate"),
])
def test_bad_packets_raise_one_line_protocol_error(payload, words):
    with pytest.raises(ProtocolError) as exc:
        m.decode_movesense(payload, arrays=2, sample_rate_hz=52.0)
    assert str(exc.value).startswith("movesense: ") and words in str(exc.value) and "\n" not in str(exc.value)


@pytest.mark.parametrize("payload", [b"\x01", b"\x05\x63", b"\x01\x63\xff\xfe", b"\x01\x63Meas", b"\x02\x63\x00"])
def test_bad_commands_raise(payload):
    with pytest.raises(ProtocolError):
        m.decode_command(payload)


@pytest.mark.slow
@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_fuzz_decoders_raise_only_protocol_error(data):
    pool = [GOOD] + [bytes.fromhex(h) for h in VECTORS["imu9_104hz_split_over_two_notifications"]["hex"]]
    r = m.MovesenseReassembler({99: ("IMU9", 104.0), 100: ("IMU6", 52.0)}, max_payload=244)
    for _ in range(data.draw(st.integers(1, 4))):
        payload = random_or_mutated(data, pool, max_size=300)
        for fn in (lambda b: m.decode_movesense(b, arrays=2, sample_rate_hz=52.0), m.decode_command, r.feed):
            try:
                fn(payload)
            except ProtocolError:
                pass
    try:
        r.flush()
    except ProtocolError:
        pass
