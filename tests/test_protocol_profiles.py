"""Device profiles: complete, consistent, honest about timing; package data shipped; public API."""
import uuid
from pathlib import Path

import numpy as np
import pytest

import hinge.firmware_protocol as fp
from hinge.firmware_protocol import PROFILES, DeviceProfile, ImuSamples, ProtocolError, get_profile, profile_for_advertisement

PKG = Path(fp.__file__).parent


def test_public_api():
    assert set(fp.__all__) >= {"ProtocolError", "DeviceProfile", "ImuSamples", "PROFILES", "profile_for_advertisement"}
    assert issubclass(ProtocolError, ValueError)
    assert fp.__doc__.count("\n") == 0


@pytest.mark.parametrize("p", PROFILES, ids=lambda p: p.key)
def test_profile_is_complete_and_consistent(p: DeviceProfile):
    for u in (p.service_uuid, p.control_uuid, p.data_uuid, *p.notify_uuids, *p.advertised_uuids):
        assert str(uuid.UUID(u)) == u  # canonical lower-case 128-bit form
    assert p.data_uuid in p.notify_uuids
    assert p.min_mtu >= 23 and p.recommended_mtu >= p.min_mtu
    assert p.default_rate_hz in p.rates_hz and list(p.rates_hz) == sorted(p.rates_hz)
    assert p.has_timestamp == (p.timestamp_refers_to is not None)
    for cmds in (p.configure(p.default_rate_hz), p.start(p.default_rate_hz), p.stop()):
        assert isinstance(cmds, list) and all(isinstance(c, bytes) and c for c in cmds)
    dec = p.make_decoder()
    assert callable(dec.feed) and dec.flush() == []
    assert p.limits and p.name_patterns


DECODER_OPTIONS = {"sample_rate_hz": 52.0, "clock_hz": 32768.0, "max_payload": 244}


@pytest.mark.parametrize("p", PROFILES, ids=lambda p: p.key)
def test_every_profile_declares_its_capabilities_consistently(p: DeviceProfile):
    # a packet clock, and then its width (a counter under 64 bits wraps and is unwrapped)
    assert p.has_timestamp == (p.device_clock_bits is not None)
    assert p.device_clock_bits in (None, 32, 64)
    assert p.has_timestamp == (p.timestamp_clock_hz is not None or p.decode_info is not None)
    # an info value to read comes with its decoder; it declares rate and clock
    assert (p.info_uuid is None) == (p.decode_info is None)
    if p.info_uuid:
        assert str(uuid.UUID(p.info_uuid)) == p.info_uuid and p.info_uuid not in p.notify_uuids
    # answers to control writes arrive on the control characteristic, which is then subscribed
    if p.decode_command_response is not None:
        assert p.control_uuid in p.notify_uuids
    # the stream decoder is built from the declared options alone
    assert set(p.decoder_takes) <= set(DECODER_OPTIONS)
    dec = p.make_decoder(**{k: DECODER_OPTIONS[k] for k in p.decoder_takes})
    assert callable(dec.feed)
    # the rate goes to every command builder by position
    for rate in p.rates_hz:
        assert all(isinstance(c, bytes) for c in p.configure(rate) + p.start(rate))


def test_hinge_open_declares_what_its_packets_and_info_carry():
    h = get_profile("hinge_open")
    info = fp.hinge_open.HingeInfo(1, (1, 0, 0), 1_000_000, 200, 16.0, 2000.0, True, True, True, 19)
    got = h.decode_info(fp.hinge_open.encode_info(info))
    assert (got.rate_hz, got.clock_hz) == (200, 1_000_000)
    raw = np.array([[0, 0, 32767, 1, 2, 3], [5, 5, 5, 5, 5, 5], [-32768, 0, 0, 0, 0, 0]])
    packet = fp.hinge_open.encode_data_raw(raw, sequence=0, t_first_ticks=0, acc_code=3)
    assert h.full_scale_flags(packet).tolist() == [True, False, True]
    answer = h.decode_command_response(fp.hinge_open.encode_control_response(2, 0))
    assert answer.ok and answer.message
    assert get_profile("movesense").device_clock_bits == 32 and get_profile("polar_verity").device_clock_bits == 64


def test_timing_flags_tell_the_acquisition_layer_what_to_reconstruct():
    wit = get_profile("witmotion")
    assert (wit.has_counter, wit.has_timestamp, wit.timestamp_clock_hz) == (False, False, None)
    assert get_profile("hinge_open").has_counter and get_profile("hinge_open").has_timestamp
    assert get_profile("polar_verity").timestamp_refers_to == "last"
    assert get_profile("movesense").timestamp_clock_hz == 1000.0
    assert not get_profile("polar_h10").has_gyro
    with pytest.raises(KeyError):
        get_profile("metawear")


@pytest.mark.parametrize("name, uuids, key", [
    ("hinge-3F2A", [], "hinge_open"), (None, [fp.hinge_open.SERVICE_UUID.upper()], "hinge_open"),
    ("WT901BLE68", [], "witmotion"), ("Polar Sense 99AABBCC", [], "polar_verity"),
    ("Polar H10 12345678", [], "polar_h10"), ("Movesense 204730000081", [], "movesense"),
    ("Polar OH1 55667788", [], None), ("Headphones", ["0000180d-0000-1000-8000-00805f9b34fb"], None), (None, None, None),
])
def test_profile_for_advertisement(name, uuids, key):
    p = profile_for_advertisement(name, uuids)
    assert (p.key if p else None) == key


def test_package_data_present():
    for rel in ("PROTOCOL.md", "DEVICES.md", "c/hinge_protocol.h", "vectors/hinge_open_v1.json",
                "vectors/witmotion.json", "vectors/polar_pmd.json", "vectors/movesense.json"):
        assert (PKG / rel).is_file(), rel
    devices = (PKG / "DEVICES.md").read_text()
    for p in PROFILES:
        assert f"`{p.key}`" in devices


def test_every_decoder_returns_si_float64_arrays():
    acc, gyr = np.array([[0.0, 0.0, 9.80665]]), np.array([[0.0, 0.1, 0.0]])
    outs = [
        fp.hinge_open.decode_data(fp.hinge_open.encode_data(acc, gyr, sequence=0, t_first_ticks=0), sample_rate_hz=100, clock_hz=1e6),
        fp.witmotion.decode_witmotion(fp.witmotion.encode_witmotion(acc[0], gyr[0])),
        fp.polar_pmd.decode_pmd(fp.polar_pmd.encode_pmd_frame([[0, 0, 1000]], timestamp_ns=10**9), sample_rate_hz=52),
        fp.movesense.decode_movesense(fp.movesense.encode_movesense(acc, gyr, timestamp_ms=5)[0], sample_rate_hz=104),
    ]
    for s in outs:
        assert isinstance(s, ImuSamples) and s.n == 1
        assert s.acc_mps2.dtype == np.float64 and s.acc_mps2.shape == (1, 3)
        assert s.acc_mps2[0, 2] == pytest.approx(9.80665, abs=0.01)
        if s.gyr_rad_s is not None:
            assert s.gyr_rad_s.shape == (1, 3) and s.gyr_rad_s[0, 1] == pytest.approx(0.1, abs=1e-3)
        assert s.timestamp_s is None or s.timestamp_s.shape == (1,)
        assert "n=1" in repr(s)


def test_unwrap_counter_for_sequence_and_ticks():
    from hinge.firmware_protocol.samples import unwrap_counter
    assert list(unwrap_counter([65534, 65535, 0, 1, 3], 16)) == [65534, 65535, 65536, 65537, 65539]
    assert list(unwrap_counter([2**32 - 10, 5], 32)) == [2**32 - 10, 2**32 + 5]
    assert list(unwrap_counter([100, 90], 16)) == [100, 90]  # backwards stays visible
    assert unwrap_counter([], 16).size == 0
