"""`DeviceProfile`: per-device data the acquisition layer needs to find, start and read a sensor.

A profile is data plus pure command builders: advertised name patterns and service UUIDs,
the characteristics to write and subscribe, the exact bytes that configure, start and
stop streaming, the ATT_MTU the device needs, its rates, and what its packets carry
(gyro, counter, clock). `PROFILES` lists them; `profile_for_advertisement` picks one from
a scan result. Sources for every fact are in the docstring of each device module.

Timing honesty: ``has_counter=False, has_timestamp=False`` (WitMotion) tells the
acquisition layer to reconstruct time from arrival and the nominal rate and to flag it as
uncertain; ``timestamp_refers_to`` says which sample the packet's clock value belongs to.

Capabilities: what a device does differently is declared here, never asked of its key, so
the acquisition layer (`hinge.imu`) has no per-device branches: ``device_clock_bits`` (a
packet clock narrower than 64 bits wraps and is unwrapped), ``info_uuid`` with
``decode_info`` (the device declares its rate and clock in a readable value),
``decode_command_response`` (the device answers every control write),
``full_scale_flags`` (packets show which samples hit full scale) and ``decoder_takes``
(what the stream decoder is built from). `test_protocol_profiles` checks that every profile
declares them consistently.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Callable

import numpy as np

from . import hinge_open, movesense, polar_merge, polar_pmd, witmotion

__all__ = ["DeviceProfile", "PROFILES", "profile_for_advertisement", "get_profile"]


def _none(*_args, **_kwargs) -> list[bytes]:
    return []


@dataclass(frozen=True)
class DeviceProfile:
    """What hinge needs to know about one device family.

    Command builders return the list of values to write, in order, to ``control_uuid``
    (``configure(rate_hz)``, ``start(rate_hz)``, ``stop()``, the rate passed by position);
    an empty list means "nothing to write" (e.g. WitMotion starts when notifications are
    enabled). Notifications must be enabled on every UUID in ``notify_uuids`` *before* the
    writes.

    Capabilities (defaults: the device does not):

    - ``device_clock_bits``: width of the packet clock counter (32: a u32 tick counter
      that wraps, hinge open and Movesense; 64: Polar's u64 ns); None without a clock.
    - ``info_uuid`` + ``decode_info(bytes)``: a value read after configuring, in which the
      device declares the ``rate_hz`` and ``clock_hz`` of the data that follow (hinge open).
    - ``decode_command_response(bytes)``: the device indicates an answer (``.ok``,
      ``.message``) to every control write, which the recorder waits for; without it the
      recorder leaves 100 ms between writes, as the vendor SDKs do.
    - ``full_scale_flags(bytes)``: (n,) bool per sample of a data notification, True
      where a raw value sits at full scale (clipped).
    - ``max_samples_per_notification``: the most samples one data notification can carry;
      the recorder waits at least two such notifications' time before it calls a silent
      sensor stalled (a still Verity Sense at 52 Hz sends a frame every few seconds).
    - ``decoder_takes``: keyword arguments ``make_decoder`` takes among "sample_rate_hz"
      (the subscribed rate), "clock_hz" (the packet clock's tick rate, as declared) and
      "max_payload" (ATT MTU - 3: a notification that fills it may be continued).
    """

    key: str
    name: str
    name_patterns: tuple[str, ...]
    service_uuid: str
    advertised_uuids: tuple[str, ...]
    control_uuid: str | None
    data_uuid: str
    notify_uuids: tuple[str, ...]
    info_uuid: str | None
    min_mtu: int
    recommended_mtu: int
    rates_hz: tuple[float, ...]
    default_rate_hz: float
    has_gyro: bool
    has_counter: bool
    has_timestamp: bool
    timestamp_clock_hz: float | None
    timestamp_refers_to: str | None  # "first", "last" or None
    samples_per_notification: str
    max_samples_per_notification: int
    configure: Callable[..., list[bytes]] = field(default=_none, repr=False)
    start: Callable[..., list[bytes]] = field(default=_none, repr=False)
    stop: Callable[..., list[bytes]] = field(default=_none, repr=False)
    make_decoder: Callable[..., object] | None = field(default=None, repr=False)
    decoder_takes: tuple[str, ...] = ()
    device_clock_bits: int | None = None
    decode_info: Callable[[bytes], object] | None = field(default=None, repr=False)
    decode_command_response: Callable[[bytes], object] | None = field(default=None, repr=False)
    full_scale_flags: Callable[[bytes], np.ndarray] | None = field(default=None, repr=False)
    write_with_response: bool = True
    limits: str = ""

    def matches(self, name: str | None, service_uuids=()) -> bool:
        """True when the advertised name or any advertised service UUID fits this profile."""
        uuids = {u.lower() for u in service_uuids or ()}
        if uuids & {u.lower() for u in self.advertised_uuids}:
            return True
        return bool(name) and any(re.search(p, name) for p in self.name_patterns)


HINGE_OPEN = DeviceProfile(
    key="hinge_open",
    name="hinge open profile (DIY nRF52840 / ESP32)",
    name_patterns=(r"^hinge",),
    service_uuid=hinge_open.SERVICE_UUID,
    advertised_uuids=(hinge_open.SERVICE_UUID,),
    control_uuid=hinge_open.CONTROL_UUID,
    data_uuid=hinge_open.DATA_UUID,
    notify_uuids=(hinge_open.CONTROL_UUID, hinge_open.DATA_UUID),
    info_uuid=hinge_open.INFO_UUID,
    min_mtu=23,
    recommended_mtu=247,
    rates_hz=hinge_open.RATES_HZ,
    default_rate_hz=100.0,
    has_gyro=True,
    has_counter=True,
    has_timestamp=True,
    timestamp_clock_hz=None,  # declared by the device in the info characteristic
    timestamp_refers_to="first",
    samples_per_notification="1 at MTU 23, 19 at MTU 247, 42 at MTU ≥ 515",
    max_samples_per_notification=42,
    configure=lambda rate_hz=100.0, acc_range_g=16.0, gyr_range_dps=2000.0: [
        hinge_open.command_configure(rate_hz, acc_range_g, gyr_range_dps)],
    start=lambda *_a, **_k: [hinge_open.command_start()],
    stop=lambda: [hinge_open.command_stop()],
    make_decoder=hinge_open.HingeStreamDecoder,
    decoder_takes=("sample_rate_hz", "clock_hz"),
    device_clock_bits=32,
    decode_info=hinge_open.decode_info,
    decode_command_response=hinge_open.decode_control_response,
    full_scale_flags=hinge_open.full_scale_samples,
    limits="needs our firmware; ≥ 100 Hz wants MTU ≥ 247 (1 sample per notification at MTU 23)",
)

WITMOTION = DeviceProfile(
    key="witmotion",
    name="WitMotion BLE 5.0 (WT901BLECL5.0, BWT901BLECL5.0, WT9011DCL-BT50)",
    name_patterns=(r"^WT\d", r"^BWT\d"),
    service_uuid=witmotion.SERVICE_UUID,
    advertised_uuids=(witmotion.SERVICE_UUID,),
    control_uuid=witmotion.WRITE_UUID,
    data_uuid=witmotion.NOTIFY_UUID,
    notify_uuids=(witmotion.NOTIFY_UUID,),
    info_uuid=None,
    min_mtu=23,
    recommended_mtu=23,
    rates_hz=(10.0, 20.0, 50.0, 100.0),
    default_rate_hz=50.0,
    has_gyro=True,
    has_counter=False,
    has_timestamp=False,
    timestamp_clock_hz=None,
    timestamp_refers_to=None,
    samples_per_notification="1",
    max_samples_per_notification=1,
    configure=witmotion.configure_commands,
    start=_none,  # enabling notifications on FFE4 starts the stream
    stop=_none,   # disabling notifications stops it
    make_decoder=witmotion.WitMotionStreamDecoder,
    limits=("no counter, no clock: time from arrival + nominal rate, losses invisible; ±16 g fixed; "
            "rate codes above 100 Hz disagree between vendor documents"),
)

POLAR_VERITY = DeviceProfile(
    key="polar_verity",
    name="Polar Verity Sense (PMD)",
    name_patterns=(r"^Polar Sense\b",),
    service_uuid=polar_pmd.SERVICE_UUID,
    advertised_uuids=(),  # advertises heart rate (0x180D), not PMD: match by name
    control_uuid=polar_pmd.CONTROL_UUID,
    data_uuid=polar_pmd.DATA_UUID,
    notify_uuids=(polar_pmd.CONTROL_UUID, polar_pmd.DATA_UUID),
    info_uuid=None,
    min_mtu=polar_pmd.MIN_MTU,
    recommended_mtu=polar_pmd.MIN_MTU,
    rates_hz=polar_pmd.VERITY_RATES_HZ,
    default_rate_hz=52.0,
    has_gyro=True,
    has_counter=False,
    has_timestamp=True,
    timestamp_clock_hz=1e9,  # ns field; the device timer ticks at 32768 Hz (polar-ble-sdk#597)
    timestamp_refers_to="last",
    samples_per_notification="variable: the device sends a frame when it is full to the MTU (about 35-130)",
    max_samples_per_notification=polar_pmd.MAX_FRAME_SAMPLES,
    configure=lambda *_a, **_k: [polar_pmd.command_get_settings("acc"), polar_pmd.command_get_settings("gyro")],
    start=polar_pmd.verity_start_commands,
    stop=polar_pmd.verity_stop_commands,
    make_decoder=polar_merge.VerityStreamDecoder,  # acc + gyro frames merged into 6-axis samples
    decoder_takes=("sample_rate_hz",),
    device_clock_bits=64,
    limits=("acc and gyro arrive as separate frames with their own times; frames fill to the MTU, so "
            "latency is about 1 s; 52 Hz unless SDK mode (26-416 Hz, optical sensor off); clock defaults to "
            "2017/2019 until set, so anchor to host time"),
)

# The H10 speaks the same PMD service as the Verity Sense; only what it streams differs.
POLAR_H10 = replace(
    POLAR_VERITY,
    key="polar_h10",
    name="Polar H10 (PMD, accelerometer only)",
    name_patterns=(r"^Polar H10\b",),
    rates_hz=polar_pmd.H10_RATES_HZ,
    default_rate_hz=100.0,
    has_gyro=False,
    timestamp_clock_hz=1e9,
    samples_per_notification="up to 36 raw int16 samples at MTU 232",
    max_samples_per_notification=36,
    configure=lambda *_a, **_k: [polar_pmd.command_get_settings("acc")],
    start=polar_pmd.h10_start_commands,
    stop=polar_pmd.h10_stop_commands,
    make_decoder=polar_pmd.PmdStreamDecoder,
    decoder_takes=("sample_rate_hz",),
    limits=("no gyroscope; a chest strap that wakes on electrode contact and drops BLE 45 s after leaving "
            "the strap, awkward on the lower back; clock resets on shutdown"),
)

MOVESENSE = DeviceProfile(
    key="movesense",
    name="Movesense (GATT SensorData Protocol)",
    name_patterns=(r"^Movesense\b",),
    service_uuid=movesense.SERVICE_UUID,
    advertised_uuids=(),  # GSP is not advertised; the name is "Movesense <serial>"
    control_uuid=movesense.WRITE_UUID,
    data_uuid=movesense.NOTIFY_UUID,
    notify_uuids=(movesense.NOTIFY_UUID,),
    info_uuid=None,
    min_mtu=23,
    recommended_mtu=247,
    rates_hz=movesense.RATES_HZ[:6],
    default_rate_hz=104.0,
    has_gyro=True,
    has_counter=False,
    has_timestamp=True,
    timestamp_clock_hz=1000.0,
    timestamp_refers_to="first",
    samples_per_notification="firmware-chosen, e.g. 8 at 104 Hz (IMU9 needs DATA + DATA_PART2)",
    max_samples_per_notification=16,
    configure=lambda *_a, **_k: [movesense.command_hello(0)],
    start=lambda rate_hz=104.0, kind="IMU6": [movesense.command_subscribe(movesense.imu_path(rate_hz, kind))],
    stop=lambda *_a: [movesense.command_unsubscribe()],
    make_decoder=movesense.MovesenseReassembler,
    decoder_takes=("sample_rate_hz", "max_payload"),
    device_clock_bits=32,
    limits=("no counter: gaps only from timestamp steps; notifications are not acknowledged by the protocol; "
            "single connection; unsubscribe on exit or a stale subscription survives; the MTU each response "
            "needs is firmware-defined (IMU9 @ 104 Hz splits over two notifications)"),
)

PROFILES: tuple[DeviceProfile, ...] = (HINGE_OPEN, WITMOTION, POLAR_VERITY, POLAR_H10, MOVESENSE)


def get_profile(key: str) -> DeviceProfile:
    for p in PROFILES:
        if p.key == key:
            return p
    raise KeyError(f"no device profile {key!r}; known: {', '.join(p.key for p in PROFILES)}")


def profile_for_advertisement(name: str | None, service_uuids=()) -> DeviceProfile | None:
    """First profile whose advertised service UUIDs, else name patterns, fit; None if none."""
    for p in PROFILES:
        if {u.lower() for u in service_uuids or ()} & {u.lower() for u in p.advertised_uuids}:
            return p
    for p in PROFILES:
        if name and any(re.search(pat, name) for pat in p.name_patterns):
            return p
    return None
