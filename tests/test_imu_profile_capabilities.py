"""The acquisition layer acts on what a profile declares, never on its key.

A hinge-open stream whose u32 clock wraps, with an info read that declares a 1 MHz clock
and a clipped sample, goes through `SampleTimeline` under the real profile and under the
same capabilities with another key: the samples, times and flags must be identical, and
right (times continuous across the wrap, the declared clock used, the clipped sample
flagged). Taking a capability away changes exactly what it governs.
"""
from dataclasses import replace

import numpy as np

from hinge.firmware_protocol import get_profile, hinge_open
from hinge.imu.timeline import SampleTimeline, link_payload

RATE_HZ, CLOCK_HZ, N_PER_PACKET = 100.0, 1_000_000, 4
HINGE = get_profile("hinge_open")


def _records():
    """An info read, then 6 packets whose first-sample ticks cross 2^32 (records as in raw.log)."""
    info = hinge_open.HingeInfo(1, (1, 0, 0), CLOCK_HZ, int(RATE_HZ), 16.0, 2000.0, True, True, True, N_PER_PACKET)
    out = [(0, "link", link_payload("connected", RATE_HZ, 247), "notify"),
           (1_000_000, hinge_open.INFO_UUID, hinge_open.encode_info(info), "read")]
    ticks_per_packet = N_PER_PACKET * CLOCK_HZ / RATE_HZ
    start = 2**32 - 2 * ticks_per_packet        # the third packet wraps
    for k in range(6):
        raw = np.tile([100 * k, 0, 2048, 0, 0, 0], (N_PER_PACKET, 1))
        if k == 4:
            raw[1, 2] = 32767                    # one clipped sample
        ticks = int(start + k * ticks_per_packet) % 2**32
        payload = hinge_open.encode_data_raw(raw, sequence=k, t_first_ticks=ticks, acc_code=3)
        out.append((50_000_000 * (k + 1), hinge_open.DATA_UUID, payload, "notify"))
    return out


def _run(profile):
    timeline = SampleTimeline(profile, RATE_HZ)
    blocks = [b for rec in _records() for b in timeline.feed(*rec)] + timeline.flush()
    t = np.concatenate([b.t_s for b in blocks])
    sat = np.concatenate([b.saturated if b.saturated is not None else np.zeros(len(b.t_s), bool) for b in blocks])
    acc = np.vstack([b.acc_mps2 for b in blocks])
    return timeline, t, acc, sat


def test_capabilities_not_the_key_drive_the_timeline():
    timeline, t, acc, sat = _run(HINGE)
    other, t2, acc2, sat2 = _run(replace(HINGE, key="another_device", name="same capabilities, other key"))
    np.testing.assert_array_equal(t, t2)
    np.testing.assert_array_equal(acc, acc2)
    np.testing.assert_array_equal(sat, sat2)
    # right, not only equal: the declared 1 MHz clock, 100 Hz spacing straight across the u32 wrap
    assert timeline.clock_hz == other.clock_hz == CLOCK_HZ
    assert len(t) == 6 * N_PER_PACKET
    np.testing.assert_allclose(np.diff(t), 1 / RATE_HZ, rtol=0, atol=1e-9)
    assert sat.nonzero()[0].tolist() == [4 * N_PER_PACKET + 1]
    assert timeline.counts.clock_jumps == timeline.counts.gaps == timeline.counts.malformed == 0


def test_without_unwrapping_the_wrap_is_a_clock_jump():
    # 64 bits declared: the counter is taken as never wrapping, so the wrap is a step back
    timeline, t, _, _ = _run(replace(HINGE, device_clock_bits=64))
    assert timeline.counts.clock_jumps == 1
    assert np.all(np.diff(t) > 0)  # time still never goes backwards


def test_without_full_scale_flags_nothing_is_flagged():
    _, _, _, sat = _run(replace(HINGE, full_scale_flags=None))
    assert not sat.any()


def test_without_an_info_value_the_read_is_ignored_and_the_default_clock_used():
    timeline, _, _, _ = _run(replace(HINGE, info_uuid=None, decode_info=None))
    # 1 MHz ticks read at 32768 Hz: packets 40 ms apart look 1.2 s apart, against their sequence
    assert timeline.clock_hz == 32768.0
    assert timeline.counts.clock_jumps == 5
