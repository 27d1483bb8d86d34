"""hinge open profile v1: shared vectors, round trips, error reasons and a small fuzz."""
import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from hinge.firmware_protocol import ProtocolError, hinge_open as h
from packet_fuzz import random_or_mutated

VECTORS = json.loads((Path(h.__file__).parent / "vectors" / "hinge_open_v1.json").read_text())["cases"]


def _cases(kind):
    return [pytest.param(c, id=c["name"]) for c in VECTORS if c["kind"] == kind]


@pytest.mark.parametrize("case", _cases("data"))
def test_data_vectors_decode_exactly_and_python_encoder_reproduces_them(case):
    payload = bytes.fromhex(case["hex"])
    s = h.decode_data(payload, **case["decode_args"])
    exp = case["expected"]
    np.testing.assert_allclose(s.acc_mps2, exp["acc_mps2"], rtol=1e-12, atol=0)
    if exp["gyr_rad_s"] is None:
        assert s.gyr_rad_s is None
    else:
        np.testing.assert_allclose(s.gyr_rad_s, exp["gyr_rad_s"], rtol=1e-12, atol=0)
    np.testing.assert_allclose(s.timestamp_s, exp["timestamp_s"], rtol=1e-12, atol=0)
    assert s.sequence == exp["sequence"] and s.overflow == exp["overflow"]
    assert s.acc_mps2.dtype == np.float64 and s.acc_mps2.shape == (len(exp["acc_mps2"]), 3)
    inp = case["inputs"]
    again = h.encode_data_raw(np.array(inp["raw"]), sequence=inp["sequence"], t_first_ticks=inp["t_first_ticks"],
                              acc_code=inp["acc_code"], gyr_code=inp["gyr_code"], overflow=inp["overflow"])
    assert again == payload


def test_info_vector():
    (case,) = [c for c in VECTORS if c["kind"] == "info"]
    info = h.decode_info(bytes.fromhex(case["hex"]))
    exp = dict(case["expected"], firmware_version=tuple(case["expected"]["firmware_version"]))
    assert info == h.HingeInfo(**exp)
    assert h.encode_info(info) == bytes.fromhex(case["hex"])
    dec = h.HingeStreamDecoder.from_info(info)
    assert dec.clock_hz == 32768 and dec.sample_rate_hz == 100


@pytest.mark.parametrize("case", _cases("command"))
def test_command_vectors(case):
    assert h.decode_command(bytes.fromhex(case["hex"])) == case["expected"]
    e = case["expected"]
    built = {"start": h.command_start, "stop": h.command_stop}.get(e["op"])
    if built is None:
        built = lambda: h.command_configure(e["rate_hz"], e["acc_range_g"], e["gyr_range_dps"], e["gyro"],
                                            e["max_samples_per_packet"])
    assert built() == bytes.fromhex(case["hex"])


def test_response_vector():
    (case,) = [c for c in VECTORS if c["kind"] == "response"]
    r = h.decode_control_response(bytes.fromhex(case["hex"]))
    e = case["expected"]
    assert (r.opcode, r.status, r.ok, r.message) == (e["opcode"], e["status"], e["ok"], e["message"])
    assert h.encode_control_response(case["inputs"]["opcode"], case["inputs"]["status"]) == bytes.fromhex(case["hex"])


def test_packet_sizes_fit_default_and_negotiated_mtu():
    assert h.max_samples_per_packet(23) == 1 and h.max_samples_per_packet(23, has_gyro=False) == 2
    assert h.max_samples_per_packet(247) == 19
    assert h.max_samples_per_packet(517) == 42 and h.max_samples_per_packet(1000) == 42
    one = h.encode_data(np.zeros((1, 3)), np.zeros((1, 3)), sequence=0, t_first_ticks=0)
    assert len(one) == 20


raw6 = hnp.arrays(np.int16, st.tuples(st.integers(1, 42), st.just(6)))


@settings(max_examples=200, deadline=None)
@given(raw=raw6, seq=st.integers(0, 65535), t=st.integers(0, 2**32 - 1), acc_code=st.integers(0, 3),
       gyr_code=st.integers(0, 4), overflow=st.booleans())
def test_raw_round_trip_is_exact(raw, seq, t, acc_code, gyr_code, overflow):
    b = h.encode_data_raw(raw, sequence=seq, t_first_ticks=t, acc_code=acc_code, gyr_code=gyr_code, overflow=overflow)
    d = h.decode_data_raw(b)
    assert np.array_equal(d["raw"], raw) and d["sequence"] == seq and d["t_first_ticks"] == t
    s = h.decode_data(b, sample_rate_hz=400.0, clock_hz=32768.0)
    # bytes -> SI -> bytes is the identity
    again = h.encode_data(s.acc_mps2, s.gyr_rad_s, sequence=seq, t_first_ticks=t, acc_range_g=h.ACC_RANGES_G[acc_code],
                          gyr_range_dps=h.GYR_RANGES_DPS[gyr_code], overflow=overflow)
    assert again == b


@settings(max_examples=200, deadline=None)
@given(acc=hnp.arrays(float, (5, 3), elements=st.floats(-150, 150)),
       gyr=hnp.arrays(float, (5, 3), elements=st.floats(-34, 34)))
def test_si_round_trip_within_half_lsb(acc, gyr):
    b = h.encode_data(acc, gyr, sequence=1, t_first_ticks=2)
    s = h.decode_data(b, sample_rate_hz=100.0, clock_hz=1e6)
    lsb_acc = 16 / 32768 * 9.80665
    lsb_gyr = 2000 / 32768 * np.pi / 180
    assert np.all(np.abs(s.acc_mps2 - acc) <= lsb_acc / 2 + 1e-12)
    assert np.all(np.abs(s.gyr_rad_s - gyr) <= lsb_gyr / 2 + 1e-12)


VALID = bytes.fromhex(VECTORS[1]["hex"])


@pytest.mark.parametrize("payload, words", [
    (b"", "truncated"), (VALID[:7], "truncated"), (VALID[:8], "multiple"), (VALID[:-1], "multiple"),
    (VALID + bytes(300), "oversize"), (b"\x02" + VALID[1:], "version"), (VALID[:1] + b"\xa2" + VALID[2:], "reserved"),
    (VALID[:1] + bytes([0x20 | 5 << 2]) + VALID[2:], "gyro range code"),
])
def test_bad_packets_raise_one_line_protocol_error(payload, words):
    with pytest.raises(ProtocolError) as exc:
        h.decode_data(payload, sample_rate_hz=100, clock_hz=32768)
    msg = str(exc.value)
    assert msg.startswith("hinge_open: ") and words in msg and "\n" not in msg
    assert isinstance(exc.value, ValueError)


@pytest.mark.parametrize("payload", [b"", b"\x04", b"\x01\x00", b"\x03\x64\x00\x09\x04\x01\x00", b"\x03\x64"])
def test_bad_commands_raise(payload):
    with pytest.raises(ProtocolError):
        h.decode_command(payload)


@pytest.mark.slow
@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_fuzz_decoders_raise_only_protocol_error(data):
    payload = random_or_mutated(data, [bytes.fromhex(c["hex"]) for c in VECTORS], max_size=600)
    for fn in (lambda p: h.decode_data(p, sample_rate_hz=100, clock_hz=32768), h.decode_info, h.decode_command,
               h.decode_control_response):
        try:
            fn(payload)
        except ProtocolError:
            pass
