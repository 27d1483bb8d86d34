"""WitMotion BLE 5.0: vendor-formula and datasheet vectors, round trips, errors, fuzz, profile honesty."""
import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from hinge.firmware_protocol import PROFILES, ProtocolError, profile_for_advertisement, witmotion as w
from packet_fuzz import random_or_mutated

VECTORS = json.loads((Path(w.__file__).parent / "vectors" / "witmotion.json").read_text())["cases"]


def _cases(kind):
    return [pytest.param(c, id=c["name"]) for c in VECTORS if c["kind"] == kind]


@pytest.mark.parametrize("case", _cases("data"))
def test_data_vectors(case):
    payload = bytes.fromhex(case["hex"])
    exp = case["expected"]
    s = w.decode_witmotion(payload)
    np.testing.assert_allclose(s.acc_mps2, [exp["acc_mps2"]], rtol=1e-12, atol=0)
    np.testing.assert_allclose(s.gyr_rad_s, [exp["gyr_rad_s"]], rtol=1e-12, atol=0)
    assert s.timestamp_s is None and s.sample_counter is None and s.sequence is None
    f = w.decode_witmotion_frame(payload)
    np.testing.assert_allclose(f.angle_deg, exp["angle_deg"], rtol=1e-12, atol=0)
    if "chip_time_s" in exp:
        assert f.chip_time_s == pytest.approx(exp["chip_time_s"], abs=1e-9)
    again = w.encode_witmotion(f.acc_mps2, f.gyr_rad_s, f.angle_deg,
                               chip_time=None if len(payload) == 20 else tuple(payload[20:26]) + (payload[26] | payload[27] << 8,))
    assert again == payload


def test_at_rest_vector_reads_one_g():
    s = w.decode_witmotion(bytes.fromhex(VECTORS[0]["hex"]))
    assert s.acc_mps2[0, 2] == pytest.approx(9.80665, abs=1e-12)


def test_datasheet_register_read_vector():
    (case,) = [c for c in VECTORS if c["kind"] == "register_reply"]
    r = w.decode_register_reply(bytes.fromhex(case["hex"]))
    assert r.start_register == 0x3A and list(r.values) == case["expected"]["values"]
    assert w.encode_register_reply(0x3A, [360, 105, 122]) == bytes.fromhex(case["hex"])
    dec = w.WitMotionStreamDecoder()
    assert dec.feed(bytes.fromhex(case["hex"])) == [] and dec.last_register_reply == r


def test_command_vectors():
    cmds = {c["name"]: bytes.fromhex(c["hex"]) for c in VECTORS if c["kind"] == "command"}
    assert w.command_unlock() == cmds["unlock"]
    assert w.command_set_rate(50) == cmds["set_rate_50hz"]
    assert w.command_set_rate(100) == cmds["set_rate_100hz"]
    assert w.command_read_register(3) == cmds["read_rate_register"]
    assert w.command_save() == cmds["save"]
    assert w.configure_commands(50) == [cmds["unlock"], cmds["set_rate_50hz"], cmds["read_rate_register"]]
    with pytest.raises(ValueError):
        w.command_set_rate(200)  # codes above 100 Hz disagree between vendor documents


def test_profile_says_no_counter_and_no_clock():
    p = profile_for_advertisement("WT901BLE68", [])
    assert p.key == "witmotion" and p.has_counter is False and p.has_timestamp is False
    assert p.service_uuid.endswith("00805f9a34fb")  # the non-standard base, not ...9b34fb
    assert profile_for_advertisement(None, ["0000FFE5-0000-1000-8000-00805F9A34FB"]).key == "witmotion"
    assert profile_for_advertisement("unrelated", ["0000ffe5-0000-1000-8000-00805f9b34fb"]) is None
    assert all(p.key for p in PROFILES)


@settings(max_examples=200, deadline=None)
@given(raw=hnp.arrays(np.int16, 9))
def test_bytes_round_trip_is_exact(raw):
    payload = b"\x55\x61" + raw.astype("<i2").tobytes()
    f = w.decode_witmotion_frame(payload)
    assert w.encode_witmotion(f.acc_mps2, f.gyr_rad_s, f.angle_deg) == payload


@settings(max_examples=200, deadline=None)
@given(acc=hnp.arrays(float, 3, elements=st.floats(-156, 156)), gyr=hnp.arrays(float, 3, elements=st.floats(-34.8, 34.8)))
def test_si_round_trip_within_half_lsb(acc, gyr):
    s = w.decode_witmotion(w.encode_witmotion(acc, gyr))
    assert np.all(np.abs(s.acc_mps2[0] - acc) <= 16 / 32768 * 9.80665 / 2 + 1e-12)
    assert np.all(np.abs(s.gyr_rad_s[0] - gyr) <= 2000 / 32768 * np.pi / 180 / 2 + 1e-12)


def test_batch_decode_equals_single_decode():
    rng = np.random.default_rng(1)
    frames = [b"\x55\x61" + rng.integers(-32768, 32767, 9).astype("<i2").tobytes() for _ in range(50)]
    many = w.decode_witmotion_many(frames)
    single = np.vstack([w.decode_witmotion(f).acc_mps2 for f in frames])
    assert np.array_equal(many.acc_mps2, single)
    with pytest.raises(ProtocolError):
        w.decode_witmotion_many(frames[:3] + [frames[0][:19]])


GOOD = bytes.fromhex(VECTORS[1]["hex"])


@pytest.mark.parametrize("payload, words", [
    (b"", "truncated"), (GOOD[:19], "truncated"), (GOOD + b"\x00", "no 0x61 layout"), (GOOD + bytes(100), "no 0x61"),
    (b"\x54" + GOOD[1:], "header"), (b"\x55\x71" + GOOD[2:], "header"),
    (GOOD + bytes([24, 13, 1, 0, 0, 0, 0, 0]), "chip time"),
])
def test_bad_packets_raise_one_line_protocol_error(payload, words):
    with pytest.raises(ProtocolError) as exc:
        w.decode_witmotion(payload)
    assert str(exc.value).startswith("witmotion: ") and words in str(exc.value) and "\n" not in str(exc.value)


@pytest.mark.slow
@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_fuzz_decoders_raise_only_protocol_error(data):
    payload = random_or_mutated(data, [bytes.fromhex(c["hex"]) for c in VECTORS], max_size=64)
    dec = w.WitMotionStreamDecoder()
    for fn in (w.decode_witmotion, w.decode_witmotion_frame, w.decode_register_reply, dec.feed):
        try:
            fn(payload)
        except ProtocolError:
            pass
