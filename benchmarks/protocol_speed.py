"""Decoding speed of every device codec in `hinge.firmware_protocol`, in real-time factors.

For each device, encodes T seconds of a realistic 400 Hz stream (a smooth random walk
with noise, the device's own packet sizes: hinge open at MTU 247, WitMotion one sample per
notification, Polar Verity Sense delta frames filled to MTU 232 for acc *and* gyro,
Polar H10 raw frames, Movesense IMU6 responses of 8 samples), then times the stream
decoders (`feed`, one call per notification, as the acquisition layer uses them). Prints
samples/s and the real-time factor = signal seconds decoded per CPU second on one core.
Target: >= 100x at 400 Hz.

    python benchmarks/protocol_speed.py [--seconds 60] [--repeats 3]
"""
from __future__ import annotations

import argparse
import time

import numpy as np

from hinge.firmware_protocol import hinge_open, movesense, polar_pmd, witmotion

RATE_HZ = 400.0


def _signal(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    acc = np.array([0.0, 0.0, 9.81]) + np.cumsum(rng.normal(0, 0.05, (n, 3)), axis=0) * 0.2 + rng.normal(0, 0.05, (n, 3))
    gyr = np.cumsum(rng.normal(0, 0.01, (n, 3)), axis=0) * 0.3 + rng.normal(0, 0.01, (n, 3))
    return np.clip(acc, -150, 150), np.clip(gyr, -30, 30)


def _polar_frames(values: np.ndarray, kind: str, max_frame: int = 229) -> list[bytes]:
    """Delta frames holding as many samples as fit the MTU-232 payload, like the device."""
    frames, i, t_ns = [], 0, 10**18
    while i < len(values):
        lo, hi = 1, min(255, len(values) - i)
        while lo < hi:  # largest chunk that fits
            mid = (lo + hi + 1) // 2
            try:
                ok = len(polar_pmd.encode_pmd_frame(values[i:i + mid], kind=kind, timestamp_ns=0, block_size=255)) <= max_frame
            except ValueError:
                ok = False
            lo, hi = (mid, hi) if ok else (lo, mid - 1)
        frames.append(polar_pmd.encode_pmd_frame(values[i:i + lo], kind=kind, block_size=255,
                                                 timestamp_ns=t_ns + int((i + lo - 1) * 1e9 / RATE_HZ)))
        i += lo
    return frames


def build(seconds: float) -> dict[str, tuple[object, list[bytes], int]]:
    n = int(seconds * RATE_HZ)
    acc, gyr = _signal(n, 1)
    out = {}
    per = hinge_open.max_samples_per_packet(247)
    packets = [hinge_open.encode_data(acc[i:i + per], gyr[i:i + per], sequence=k, t_first_ticks=i * 82)
               for k, i in enumerate(range(0, n, per))]
    out["hinge_open (MTU 247, 19/packet)"] = (hinge_open.HingeStreamDecoder(RATE_HZ, 32768), packets, n)
    packets = [witmotion.encode_witmotion(acc[i], gyr[i]) for i in range(n)]
    out["witmotion (1/notification)"] = (witmotion.WitMotionStreamDecoder(), packets, n)
    acc_mg = np.rint(acc / 9.80665e-3)
    frames = _polar_frames(acc_mg, "acc") + _polar_frames(np.rint(np.degrees(gyr)), "gyro")
    frames.sort(key=lambda f: int.from_bytes(f[1:9], "little"))
    out["polar_verity (acc+gyro delta frames, MTU 232)"] = (polar_pmd.PmdStreamDecoder(RATE_HZ), frames, n)
    per = 36
    frames = [polar_pmd.encode_pmd_frame(acc_mg[i:i + per], timestamp_ns=10**18 + int((i + per) * 2.5e6),
                                         compressed=False, frame_type=1) for i in range(0, n, per)]
    out["polar_h10 (raw acc, 36/frame)"] = (polar_pmd.PmdStreamDecoder(RATE_HZ), frames, n)
    per = 8
    packets = [p for i in range(0, n, per)
               for p in movesense.encode_movesense(acc[i:i + per], gyr[i:i + per], timestamp_ms=int(i * 2.5))]
    out["movesense (IMU6, 8/notification)"] = (movesense.MovesenseReassembler({99: ("IMU6", RATE_HZ)}, 244), packets, n)
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    print(f"decoding {args.seconds:.0f} s of a {RATE_HZ:.0f} Hz stream per device, best of {args.repeats}, one core")
    print(f"{'device':48s} {'packets':>8s} {'samples/s':>12s} {'real-time x':>12s}")
    worst = np.inf
    for name, (decoder, packets, n) in build(args.seconds).items():
        best = np.inf
        for _ in range(args.repeats):
            feed = decoder.feed
            t0 = time.perf_counter()
            got = 0
            for p in packets:
                for s in feed(p):
                    got += s.n
            for s in decoder.flush():
                got += s.n
            best = min(best, time.perf_counter() - t0)
        expected = 2 * n if name.startswith("polar_verity") else n  # acc and gyro frames both count
        assert got == expected, (name, got, expected)
        rtf = args.seconds / best
        worst = min(worst, rtf)
        print(f"{name:48s} {len(packets):8d} {n / best:12,.0f} {rtf:12,.0f}")
    verdict = "meets" if worst >= 100 else "MISSES"
    print(f"slowest device: {worst:,.0f}x real time ({verdict} the 100x target)")
    return 0 if worst >= 100 else 1


if __name__ == "__main__":
    raise SystemExit(main())
