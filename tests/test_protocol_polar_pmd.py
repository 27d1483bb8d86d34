"""Polar PMD: the real Verity frame from issue #443, the Polar SDK's own unit-test frames, command/response
vectors, delta round trips, errors, fuzz."""
import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from hinge.firmware_protocol import ProtocolError, polar_pmd as p, profile_for_advertisement
from packet_fuzz import random_or_mutated

VECTORS = {c["name"]: c for c in json.loads((Path(p.__file__).parent / "vectors" / "polar_pmd.json").read_text())["cases"]}
REAL = bytes.fromhex(VECTORS["issue443_verity_acc_first_block"]["hex"])
STORED_COPY = bytes.fromhex(VECTORS["issue443_verity_acc_stored_copy_truncated"]["hex"])


def test_issue443_frame_decodes_exactly():
    exp = VECTORS["issue443_verity_acc_first_block"]["expected"]
    f = p.decode_pmd_frame(REAL)
    assert (f.kind, f.timestamp_ns, f.compressed, f.frame_type) == ("acc", exp["timestamp_ns"], True, 1)
    assert np.array_equal(f.values, exp["values_mg"])
    s = p.decode_pmd(REAL, sample_rate_hz=52.0)
    np.testing.assert_allclose(s.acc_mps2, np.array(exp["values_mg"]) * 9.80665e-3, rtol=1e-12)
    assert s.gyr_rad_s is None
    # last sample carries the frame time; earlier ones are 1/52 s apart (first frame of a stream)
    assert s.timestamp_s[-1] == pytest.approx(exp["timestamp_ns"] * 1e-9, abs=1e-9)
    np.testing.assert_allclose(np.diff(s.timestamp_s), 1 / 52, atol=2.5e-7)  # float64 s since 2000: ~0.1 us steps
    # 2024-02-23 18:38:28 UTC, the date of the issue: the epoch is 2000-01-01
    import datetime
    t = datetime.datetime(2000, 1, 1, tzinfo=datetime.timezone.utc) + datetime.timedelta(seconds=s.packet_time_s)
    assert t.strftime("%Y-%m-%d %H:%M:%S") == "2024-02-23 18:38:28"


def test_issue443_stored_copy_is_rejected_as_truncated_and_its_length_claim_fits_the_format():
    with pytest.raises(ProtocolError, match="truncated"):
        p.decode_pmd_frame(STORED_COPY)
    # the issue says 227 bytes: 10 header + 6 reference + (2 + 10*3*8/8) + (2 + ceil(47*3*10/8)) = 227
    assert STORED_COPY[48:50] == bytes([10, 47]) and 10 + 6 + 32 + 2 + -(-47 * 3 * 10 // 8) == 227


def test_issue443_ten_bit_block_is_plausible():
    # Keep the 36 samples of the 10-bit block that the stored copy holds completely (36*30 bits = 135 bytes).
    frame = STORED_COPY[:48] + bytes([10, 36]) + STORED_COPY[50:50 + 135]
    v = p.decode_pmd_frame(frame).values
    assert v.shape == (47, 3)
    norm_g = np.linalg.norm(v, axis=1) / 1000
    assert np.all((norm_g > 0.3) & (norm_g < 2.0))          # a worn sensor: about 1 g
    assert np.abs(np.diff(v, axis=0)).max() < 512            # 10-bit deltas, continuous with block 1


@pytest.mark.parametrize("name", [n for n, c in VECTORS.items() if c["kind"] == "command"])
def test_command_vectors(name):
    c = VECTORS[name]
    d = p.decode_command(bytes.fromhex(c["hex"]))
    assert d["op"] == c["expected"]["op"] and d["kind"] == c["expected"]["kind"]
    assert {k: list(v) for k, v in d["settings"].items()} == c["expected"]["settings"]
    assert p.command_start(d["kind"], d["settings"]) == bytes.fromhex(c["hex"])


def test_start_builders_reproduce_issue_bytes():
    assert p.verity_start_commands(52)[0] == bytes.fromhex(VECTORS["issue443_verity_acc_start"]["hex"])
    assert p.h10_start_commands(200) == [bytes.fromhex(VECTORS["issue360_h10_acc_start"]["hex"])]
    assert p.verity_start_commands(104)[0] == p.command_sdk_mode(True) == b"\x02\x09"
    assert p.verity_stop_commands(104) == [b"\x03\x02", b"\x03\x05", b"\x03\x09"]
    assert p.command_get_settings("gyro") == b"\x01\x05"


@pytest.mark.parametrize("name", [n for n, c in VECTORS.items() if c["kind"] == "response"])
def test_response_vectors(name):
    c = VECTORS[name]
    r = p.decode_control_response(bytes.fromhex(c["hex"]))
    e = c["expected"]
    assert (r.opcode, r.measurement, r.status, r.ok, r.more) == (e["opcode"], e["measurement"], e["status"], e["ok"], e["more"])
    assert {k: list(v) for k, v in r.settings.items()} == e["settings"]
    if "message" in e:
        assert r.message == e["message"]


def test_features_and_factor_from_start_response():
    assert p.decode_features(bytes.fromhex(VECTORS["h10_features"]["hex"])) == {"acc", "ecg"}
    dec = p.PmdStreamDecoder(52.0)
    dec.feed_control(bytes.fromhex(VECTORS["start_response_with_factor"]["hex"]))
    assert dec.factors["gyro"] == 0.5
    frame = p.encode_pmd_frame([[100, 200, -300], [102, 198, -290]], kind="gyro", timestamp_ns=10**18)
    (s,) = dec.feed(frame)
    np.testing.assert_allclose(s.gyr_rad_s, np.array([[50, 100, -150], [51, 99, -145]]) * np.pi / 180, rtol=1e-12)


def test_h10_raw_frame_and_sample_times_follow_the_sdk_rule():
    vals = np.array([[0, 0, 1000], [10, -10, 990], [20, -20, 980]])
    b = p.encode_pmd_frame(vals, timestamp_ns=5_000_000_000, compressed=False, frame_type=1)
    assert len(b) == 10 + 18 and b[9] == 0x01
    s1 = p.decode_pmd(b, sample_rate_hz=200.0)
    np.testing.assert_allclose(s1.acc_mps2, vals * 9.80665e-3, rtol=1e-12)
    np.testing.assert_allclose(s1.timestamp_s, [4.99, 4.995, 5.0], rtol=0, atol=1e-12)
    s2 = p.decode_pmd(b, sample_rate_hz=200.0, previous_timestamp_ns=4_982_000_000)
    np.testing.assert_allclose(s2.timestamp_s, [4.988, 4.994, 5.0], rtol=0, atol=1e-12)
    # Over 1.5 nominal periods apart, a frame was lost in between: nominal spacing, the gap stays visible.
    s3 = p.decode_pmd(b, sample_rate_hz=200.0, previous_timestamp_ns=4_970_000_000)
    np.testing.assert_allclose(s3.timestamp_s, [4.99, 4.995, 5.0], rtol=0, atol=1e-12)
    for ftype, width, v in ((0, 1, vals // 10), (2, 3, vals * 1000)):
        b = p.encode_pmd_frame(v, timestamp_ns=1, compressed=False, frame_type=ftype)
        assert len(b) == 10 + 9 * width
        assert np.array_equal(p.decode_pmd_frame(b).values, v)


def test_compressed_acc_type0_is_g_times_factor():
    raw = np.array([[1000, -2000, 300], [1010, -1990, 290]])
    b = p.encode_pmd_frame(raw, timestamp_ns=1, frame_type=0)
    assert b[9] == 0x80
    f = p.decode_pmd_frame(b, factor=0.001)  # G x factor x 1000 = mG (AccData.kt)
    np.testing.assert_allclose(f.values, raw, rtol=1e-12)


def test_stream_decoder_uses_previous_frame_time():
    dec = p.PmdStreamDecoder(52.0)
    a = p.encode_pmd_frame(np.zeros((4, 3)), timestamp_ns=1_000_000_000)
    b = p.encode_pmd_frame(np.ones((4, 3)), timestamp_ns=1_100_000_000)
    dec.feed(a)
    (s,) = dec.feed(b)
    np.testing.assert_allclose(s.timestamp_s, [1.025, 1.05, 1.075, 1.1], atol=1e-12)
    dec.feed(a)  # clock went backwards: falls back to the nominal rate and counts it
    assert dec.time_resets == 1


def test_profiles_for_polar_names():
    assert profile_for_advertisement("Polar Sense 1C1021AB", []).key == "polar_verity"
    h10 = profile_for_advertisement("Polar H10 12345678", [])
    assert h10.key == "polar_h10" and h10.has_gyro is False and h10.min_mtu >= 232 and h10.timestamp_refers_to == "last"


samples = hnp.arrays(np.int64, st.tuples(st.integers(1, 120), st.just(3)), elements=st.integers(-16000, 16000))


@settings(max_examples=150, deadline=None)
@given(vals=samples, block=st.integers(1, 255), ts=st.integers(0, 2**63), kind=st.sampled_from(["acc", "gyro"]))
def test_compressed_round_trip_is_exact(vals, block, ts, kind):
    try:
        b = p.encode_pmd_frame(vals, kind=kind, timestamp_ns=ts, block_size=block)
    except ValueError:  # more than the 512-byte maximum frame
        assume(False)
    f = p.decode_pmd_frame(b)
    assert f.kind == kind and f.timestamp_ns == ts and np.array_equal(f.values, vals)


@settings(max_examples=100, deadline=None)
@given(vals=hnp.arrays(np.int64, st.tuples(st.integers(1, 60), st.just(3)), elements=st.integers(-32768, 32767)))
def test_raw_int16_round_trip_is_exact(vals):
    b = p.encode_pmd_frame(vals, timestamp_ns=123, compressed=False, frame_type=1)
    assert np.array_equal(p.decode_pmd_frame(b).values, vals)


@pytest.mark.parametrize("payload, words", [
    (b"", "truncated"), (REAL[:9], "truncated"), (REAL[:12], "reference"), (REAL[:17], "block header"),
    (REAL[:40], "truncated"), (REAL + bytes(500), "oversize"), (b"\x00" + REAL[1:], "measurement type"),
    (REAL[:9] + b"\x85" + REAL[10:], "not supported"), (REAL[:16] + b"\x00\x0a" + REAL[18:], "width 0"),
    (REAL[:16] + b"\x08\x00" + REAL[18:], "zero samples"), (REAL[:16] + b"\x21\x01" + REAL[18:], "out of range"),
    (REAL[:9] + b"\x01" + REAL[10:17], "multiple"), (b"\x05" + REAL[1:9] + b"\x01" + bytes(6), "not supported"),
])
def test_bad_frames_raise_one_line_protocol_error(payload, words):
    with pytest.raises(ProtocolError) as exc:
        p.decode_pmd(payload, sample_rate_hz=52.0)
    assert str(exc.value).startswith("polar_pmd: ") and words in str(exc.value) and "\n" not in str(exc.value)


@pytest.mark.parametrize("payload", [b"", b"\xf0\x02", b"\xf1\x02\x02\x00", b"\xf0\x07\x02\x00", b"\xf0\x02\x02\x63",
                                     b"\xf0\x01\x02\x00\x00\x09\x01\x00", b"\xf0\x01\x02\x00\x00\x00\x02\x19"])
def test_bad_responses_raise(payload):
    with pytest.raises(ProtocolError):
        p.decode_control_response(payload)


@pytest.mark.slow
@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_fuzz_decoders_raise_only_protocol_error(data):
    payload = random_or_mutated(data, [REAL, STORED_COPY] + [bytes.fromhex(c["hex"]) for c in VECTORS.values() if c.get("hex")], 300)
    dec = p.PmdStreamDecoder(52.0)
    for fn in (lambda b: p.decode_pmd(b, sample_rate_hz=52.0), p.decode_control_response, p.decode_command,
               p.decode_features, dec.feed, dec.feed_control):
        try:
            fn(payload)
        except ProtocolError:
            pass


@pytest.mark.parametrize("factor", [1.0, 0.5])
def test_sdk_vector_gyro_compressed_type_1_float32_deltas(factor):
    # Polar SDK GyrDataTest, "process gyro compressed data type 1" (and "... with factor").
    c = VECTORS["sdk_gyro_compressed_type1_float"]
    frame = p.decode_pmd_frame(bytes.fromhex(c["hex"]), factor=factor)
    assert (frame.kind, frame.frame_type, frame.compressed) == ("gyro", 1, True)
    assert frame.timestamp_ns == c["expected"]["timestamp_ns"]
    np.testing.assert_array_equal(frame.values, factor * np.array(c["expected"]["values_dps"]))


def test_a_settings_reply_with_the_16_byte_security_setting_keeps_every_setting():
    security = bytes(range(16))
    tlv = p.encode_settings({"sample_rate": (52, 104), "range": (8,), "security": (security,)})
    assert tlv[-18:] == bytes([6, 1]) + security
    assert p.decode_settings(tlv) == {"sample_rate": (52, 104), "range": (8,), "security": (security,)}


# ------------------------------------------------------------------ every vector, by kind
# Each kind has one test below (the named cases above are checked in detail too); a vector
# of a kind no test reads would be skipped silently, so that fails.
_KINDS_READ = {"data", "truncated", "command", "response", "features", "gyro_float", "frame", "delta_payload",
               "refusal", "settings", "start_command", "sample_times"}


def _cases(kind):
    return [n for n, c in VECTORS.items() if c["kind"] == kind]


def test_every_vector_has_a_source_and_a_test_that_reads_it():
    for name, c in VECTORS.items():
        assert c["kind"] in _KINDS_READ, name
        assert c["source"].strip(), name
        if c["source"].startswith("https://github.com/polarofficial/polar-ble-sdk/blob/"):
            assert "/src/test/" in c["source"], name  # SDK vectors come from its unit tests


@pytest.mark.parametrize("name", _cases("frame"))
def test_sdk_frames_decode_as_the_sdk_expects(name):
    c = VECTORS[name]
    ctx, e = c.get("context", {}), c["expected"]
    payload = bytes.fromhex(c["hex"])
    f = p.decode_pmd_frame(payload, factor=ctx.get("factor", 1.0))
    assert (f.kind, f.timestamp_ns, f.compressed, f.frame_type) == (e["kind"], e["timestamp_ns"], e["compressed"],
                                                                    e["frame_type"])
    assert f.values.shape == (e["n_samples"], 3)
    first = np.array(e["first_values"], dtype=float)
    np.testing.assert_allclose(f.values[:len(first)], first, rtol=0, atol=e.get("values_tolerance", 0.0))
    if "abs_max" in e:
        assert np.abs(f.values).max() <= e["abs_max"]
    if "sample_times_ns" in e:
        times = e["sample_times_ns"]
        s = p.decode_pmd(payload, sample_rate_hz=ctx["sample_rate_hz"], factor=ctx.get("factor", 1.0),
                         previous_timestamp_ns=ctx["previous_timestamp_ns"])
        t_ns = s.timestamp_s * 1e9
        assert len(t_ns) == e["n_samples"]
        assert t_ns[-1] == pytest.approx(times["last"], abs=max(times.get("tolerance", 0.0), 1e-9 * times["last"]))
        if "first" in times:
            assert t_ns[0] == pytest.approx(times["first"], abs=times["tolerance"])


@pytest.mark.parametrize("name", _cases("delta_payload"))
def test_sdk_delta_payloads_give_the_sdk_bit_patterns(name):
    c = VECTORS[name]
    bits = p._decode_deltas(bytes.fromhex(c["hex"]), c["channels"], c["reference_bytes"]) & 0xFFFFFFFF
    e = c["expected"]
    assert bits.shape == (e["n_samples"], c["channels"])
    assert bits[:len(e["first_bits"])].tolist() == e["first_bits"]


@pytest.mark.parametrize("name", _cases("refusal"))
def test_frames_outside_our_scope_are_refused_in_one_line(name):
    c = VECTORS[name]
    payload = bytes.fromhex(c["hex"]) if "hex" in c else b""
    decode = {
        "frame": lambda: p.decode_pmd_frame(payload),
        "control_response": lambda: p.decode_control_response(payload),
        "settings": lambda: p.decode_settings(payload),
        "sample_times": lambda: p.sample_times_ns(c["timestamp_ns"], c["n_samples"], c["sample_rate_hz"],
                                                  c["previous_timestamp_ns"]),
    }[c["decoder"]]
    # device bytes raise ProtocolError; a caller without a rate or a previous time, ValueError
    with pytest.raises(ValueError) as exc:
        decode()
    message = str(exc.value)
    assert c["expected"]["error"] in message and "\n" not in message
    if c["decoder"] != "sample_times":
        assert isinstance(exc.value, ProtocolError) and message.startswith("polar_pmd: ")


@pytest.mark.parametrize("name", _cases("settings"))
def test_sdk_settings_replies(name):
    c = VECTORS[name]
    tlv = bytes.fromhex(c["hex"])
    decoded = p.decode_settings(tlv)
    assert {k: list(v) for k, v in decoded.items()} == c["expected"]
    assert p.decode_settings(p.encode_settings(decoded)) == decoded


@pytest.mark.parametrize("name", _cases("start_command"))
def test_sdk_start_commands(name):
    c = VECTORS[name]
    assert p.command_start(c["measurement"], c["settings"]) == bytes.fromhex(c["hex"])


@pytest.mark.parametrize("name", _cases("sample_times"))
def test_sdk_sample_times(name):
    c = VECTORS[name]
    e = c["expected"]
    t = p.sample_times_ns(c["timestamp_ns"], c["n_samples"], c["sample_rate_hz"], c["previous_timestamp_ns"])
    assert t.shape == (c["n_samples"],) and t[-1] == c["timestamp_ns"]
    if "times_ns" in e:
        np.testing.assert_allclose(t, e["times_ns"], rtol=0, atol=e["tolerance"])
    else:
        assert t[0] == pytest.approx(e["first_ns"], abs=e["tolerance"])
        np.testing.assert_allclose(np.diff(t), (e["last_ns"] - e["first_ns"]) / (c["n_samples"] - 1), rtol=1e-9)


def test_a_start_response_with_an_empty_factor_entry_keeps_the_factor():
    dec = p.PmdStreamDecoder(52.0)
    dec.feed_control(bytes.fromhex("f0 02 05 00 00 05 00"))  # FACTOR listed with no value
    assert dec.factors["gyro"] == 1.0


def test_error_answers_carry_no_more_flag():
    r = p.decode_control_response(bytes.fromhex("f0 02 02 05 01"))
    assert (r.ok, r.more, r.settings) == (False, False, {})
