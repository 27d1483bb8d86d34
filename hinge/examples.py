"""Build the bundled example sessions from the body model, exactly as a recorder would.

Run ``python -m hinge.examples`` (writes ``recordings/examples/<name>/``).
Each body-model session is encoded as hinge-open notifications (MTU 247: 19 samples
each, 32 768 Hz device clock, ±8 g, ±2000 °/s); those go to raw.log with simulated host
arrival times, are decoded back with `RawSampleDecoder` into samples.bin, lost
notifications are annotated BAD_gap, and the true bend table is saved as truth.csv. The
output is deterministic (fixed seeds and creation time).
"""
from __future__ import annotations

import argparse
import shutil
from pathlib import Path

import numpy as np

from hinge.firmware_protocol import hinge_open

from hinge.recordings import RawRecord, RawSampleDecoder, SessionWriter

__all__ = ["EXAMPLE_SPECS", "hinge_open_notifications", "write_simulated_session", "build_examples"]

CLOCK_HZ = 32768
SAMPLES_PER_PACKET = 19  # MTU 247
LINK_LATENCY_S = 0.012
HOST_ORIGIN_NS = 5_000_000_000_000  # an arbitrary host monotonic origin
CREATED_UTC = "2026-11-24T12:00:00+00:00"

# name -> (SessionSpec keyword arguments, notification indices to drop as lost)
EXAMPLE_SPECS = {
    "hip_led": dict(n_bends=8, spine_led_fraction=0.125, n_squats=1, n_fidgets=1, n_weight_shifts=1,
                    placement="sacrum", fs_hz=100.0, seed=101, loss_rate=0.0),
    "spine_led": dict(n_bends=8, spine_led_fraction=0.875, n_squats=1, n_fidgets=1, n_weight_shifts=1,
                      placement="sacrum", fs_hz=100.0, seed=202, loss_rate=0.0),
}


def hinge_open_notifications(t_s: np.ndarray, acc_mps2: np.ndarray, gyr_rad_s: np.ndarray, *,
                             rate_hz: float = 100.0, clock_hz: int = CLOCK_HZ,
                             samples_per_packet: int = SAMPLES_PER_PACKET, acc_range_g: float = 8.0,
                             gyr_range_dps: float = 2000.0, host_origin_ns: int = HOST_ORIGIN_NS,
                             drop: set[int] = frozenset()) -> list[tuple[int, bytes]]:
    """(host_ns, payload) of the notifications a hinge-open sensor sends for these samples.

    t_s (N,) s on the sensor clock (a grid of 1/rate_hz steps, holes allowed: a packet
    never spans a hole); acc (N, 3) m/s^2; gyr (N, 3) rad/s. A packet arrives
    LINK_LATENCY_S after its last sample (host time = host_origin_ns + sensor time).
    Packets whose index is in ``drop`` are lost in the air: their sequence number is used
    but they are not returned.
    """
    t_s = np.asarray(t_s, float)
    breaks = np.flatnonzero(np.diff(t_s) > 1.5 / rate_hz) + 1
    out = []
    seq = 0
    for run in np.split(np.arange(len(t_s)), breaks):
        for i in range(0, len(run), samples_per_packet):
            idx = run[i:i + samples_per_packet]
            ticks = int(round(t_s[idx[0]] * clock_hz))
            payload = hinge_open.encode_data(acc_mps2[idx], gyr_rad_s[idx], sequence=seq, t_first_ticks=ticks,
                                             acc_range_g=acc_range_g, gyr_range_dps=gyr_range_dps)
            host_ns = host_origin_ns + int(round((t_s[idx[-1]] - t_s[0] + LINK_LATENCY_S) * 1e9))
            if seq not in drop:
                out.append((host_ns, payload))
            seq += 1
    return out


def write_simulated_session(path: Path, sim, *, participant: str, drop: set[int] = frozenset(),
                            created_utc: str | None = None) -> None:
    """Record the body-model session ``sim`` into the session directory ``path``."""
    rate_hz = float(sim.spec.fs_hz)
    acc_range_g = float(sim.spec.acc_range_g)
    info = hinge_open.HingeInfo(protocol_version=1, firmware_version=(1, 0, 0), clock_hz=CLOCK_HZ,
                                rate_hz=int(rate_hz), acc_range_g=acc_range_g, gyr_range_dps=2000.0,
                                has_gyro=True, streaming=False, gyro_available=True,
                                max_samples_per_packet=SAMPLES_PER_PACKET)
    metadata = {
        "device": {"name": "hinge-51M0", "address": None, "simulated": True},
        "firmware": "1.0.0", "profile": "hinge_open", "placement": sim.spec.placement,
        "participant": participant, "nominal_rate_hz": rate_hz, "device_clock_hz": CLOCK_HZ,
        "acc_range_g": acc_range_g, "gyr_range_dps": 2000.0, "timebase": "sensor",
        "source": {"generator": "hinge.examples", "body_model_seed": sim.spec.seed,
                   "n_bends": sim.spec.n_bends, "spine_led_fraction": sim.spec.spine_led_fraction},
    }
    if created_utc:
        metadata["created_utc"] = created_utc
    notifications = hinge_open_notifications(sim.t_s, sim.acc_mps2, sim.gyr_rad_s, rate_hz=rate_hz,
                                             acc_range_g=acc_range_g, drop=drop)
    decoder = RawSampleDecoder("hinge_open")
    host0 = notifications[0][0] - 200_000_000
    with SessionWriter.create(path, metadata) as writer:
        # What a recorder logs before streaming: the info read and the control writes.
        events = [(host0, hinge_open.INFO_UUID, hinge_open.encode_info(info), "read"),
                  (host0 + 50_000_000, hinge_open.CONTROL_UUID, hinge_open.command_configure(rate_hz, acc_range_g), "write"),
                  (host0 + 100_000_000, hinge_open.CONTROL_UUID, hinge_open.command_start(), "write")]
        events += [(host_ns, hinge_open.DATA_UUID, payload, "notify") for host_ns, payload in notifications]
        for host_ns, char, payload, kind in events:
            writer.append_raw(host_ns, char, payload, kind)
            for block in decoder.feed(RawRecord(0, host_ns, char, payload, kind)):
                if block.gap is not None:
                    writer.annotate(block.gap[0], block.gap[1], "BAD_gap")
                writer.append_samples(block.t_s, block.acc_mps2, block.gyr_rad_s)
                for onset_s, duration_s in block.saturation_runs():
                    writer.annotate(onset_s, duration_s, "BAD_saturation")
        writer.append_raw(events[-1][0] + 100_000_000, hinge_open.CONTROL_UUID, hinge_open.command_stop(), "write")
    if created_utc:  # deterministic closing time for the bundled files
        import json
        meta_path = path / "session.json"
        meta = json.loads(meta_path.read_text())
        meta["closed_utc"] = created_utc
        meta_path.write_text(json.dumps(meta, indent=2) + "\n")


def _quiet_packet(sim, notifications_t_first: np.ndarray) -> int:
    """Index of a packet in the middle of the longest still stretch between two movements."""
    truth = sim.truth
    gaps = [(truth["start_s"].iloc[i + 1] - truth["end_s"].iloc[i], truth["end_s"].iloc[i],
             truth["start_s"].iloc[i + 1]) for i in range(len(truth) - 1)]
    _, a, b = max(gaps)
    middle = 0.5 * (a + b)
    return int(np.argmin(np.abs(notifications_t_first - middle)))


def build_examples(root: Path) -> dict[str, Path]:
    """(Re)write every example session under ``root``; returns name -> directory."""
    from hinge.analysis.body_model import SessionSpec, simulate_session

    out = {}
    for name, kwargs in EXAMPLE_SPECS.items():
        sim = simulate_session(SessionSpec(**kwargs))
        n_packets_before = hinge_open_notifications(sim.t_s, sim.acc_mps2, sim.gyr_rad_s)
        t_first = np.array([hinge_open.decode_data(p, sample_rate_hz=100.0, clock_hz=CLOCK_HZ).packet_time_s
                            for _, p in n_packets_before])
        path = root / name
        if path.exists():
            shutil.rmtree(path)
        write_simulated_session(path, sim, participant=f"sim-{name}", drop={_quiet_packet(sim, t_first)},
                                created_utc=CREATED_UTC)
        sim.truth.to_csv(path / "truth.csv", float_format="%.6f")
        out[name] = path
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=Path(__file__).resolve().parents[1] / "recordings" / "examples",
                        help="folder to write the example sessions into")
    args = parser.parse_args(argv)
    args.root.mkdir(exist_ok=True)
    for name, path in build_examples(args.root).items():
        size_kb = sum(f.stat().st_size for f in path.iterdir()) / 1024
        print(f"wrote {path} ({size_kb:.0f} KB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
