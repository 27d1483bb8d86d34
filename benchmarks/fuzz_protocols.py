"""Fuzz every decoder in `hinge.firmware_protocol` with random and mutated packets.

For each decoder: N purely random byte strings (random length 0-600) and N mutations of
valid packets (the shared vectors plus freshly encoded ones): bit flips, byte overwrites,
truncation, extension, insertion, deletion and splices of two packets. A decoder may
return samples or raise `ProtocolError`; any other exception is a bug and is printed with
the offending bytes. Stateful decoders (Polar, Movesense reassembly) are fed the whole
sequence, so state corruption is exercised too.

    python benchmarks/fuzz_protocols.py [--n 10000] [--seed 0]

Exit status 1 if any decoder raised something other than ProtocolError.
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from hinge.firmware_protocol import ProtocolError, hinge_open, movesense, polar_pmd, witmotion

VECTORS = Path(hinge_open.__file__).parent / "vectors"


def _vector_bytes(name: str) -> list[bytes]:
    out = []
    for c in json.loads((VECTORS / name).read_text())["cases"]:
        if "hex" not in c:  # e.g. Polar sample-time cases: numbers, no bytes
            continue
        hexes = c["hex"] if isinstance(c["hex"], list) else [c["hex"]]
        out += [bytes.fromhex(h) for h in hexes]
    return out


def seeds(rng: np.random.Generator) -> dict[str, list[bytes]]:
    acc = rng.normal(0, 5, (40, 3))
    gyr = rng.normal(0, 1, (40, 3))
    hinge = _vector_bytes("hinge_open_v1.json") + [
        hinge_open.encode_data(acc[:k], gyr[:k] if k % 2 else None, sequence=k, t_first_ticks=k * 1000)
        for k in (1, 2, 19, 40)]
    wit = _vector_bytes("witmotion.json") + [witmotion.encode_witmotion(acc[k], gyr[k]) for k in range(5)]
    polar = _vector_bytes("polar_pmd.json") + [
        polar_pmd.encode_pmd_frame(np.rint(acc[:k] * 100), kind=kind, timestamp_ns=10**18 + k, block_size=b)
        for k, kind, b in ((5, "acc", 2), (40, "gyro", 16), (30, "acc", 255))] + [
        polar_pmd.encode_pmd_frame(np.rint(acc[:10] * 100), timestamp_ns=5, compressed=False, frame_type=1)]
    move = _vector_bytes("movesense.json") + [
        p for k in (1, 8) for p in movesense.encode_movesense(acc[:k], gyr[:k], timestamp_ms=k, max_payload=100)]
    return {"hinge_open": hinge, "witmotion": wit, "polar_pmd": polar, "movesense": move}


def mutate(rng: np.random.Generator, base: bytes, pool: list[bytes]) -> bytes:
    b = bytearray(base)
    for _ in range(int(rng.integers(1, 5))):
        op = int(rng.integers(0, 7))
        if op == 0 and b:                                   # bit flip
            i = int(rng.integers(len(b)))
            b[i] ^= 1 << int(rng.integers(8))
        elif op == 1 and b:                                 # byte overwrite (often a boundary value)
            b[int(rng.integers(len(b)))] = int(rng.choice([0, 1, 0x7F, 0x80, 0xFF, int(rng.integers(256))]))
        elif op == 2:                                       # truncate
            del b[int(rng.integers(len(b) + 1)):]
        elif op == 3:                                       # extend
            b += rng.integers(0, 256, int(rng.integers(1, 64)), dtype=np.uint8).tobytes()
        elif op == 4:                                       # insert
            i = int(rng.integers(len(b) + 1))
            b[i:i] = rng.integers(0, 256, int(rng.integers(1, 8)), dtype=np.uint8).tobytes()
        elif op == 5 and b:                                 # delete a run
            i = int(rng.integers(len(b)))
            del b[i:i + int(rng.integers(1, 8))]
        else:                                               # splice with another valid packet
            other = pool[int(rng.integers(len(pool)))]
            b = b[: int(rng.integers(len(b) + 1))] + other[int(rng.integers(len(other) + 1)):]
    return bytes(b)


def decoders() -> dict[str, tuple[str, object]]:
    """name -> (seed group, callable). Stateful decoders are created once and fed everything."""
    pmd = polar_pmd.PmdStreamDecoder(52.0)
    gsp = movesense.MovesenseReassembler({99: ("IMU9", 104.0), 100: ("IMU6", 52.0)}, max_payload=100)
    return {
        "hinge_open.decode_data": ("hinge_open", lambda b: hinge_open.decode_data(b, sample_rate_hz=100, clock_hz=32768)),
        "hinge_open.decode_info": ("hinge_open", hinge_open.decode_info),
        "hinge_open.decode_command": ("hinge_open", hinge_open.decode_command),
        "hinge_open.decode_control_response": ("hinge_open", hinge_open.decode_control_response),
        "witmotion.decode_witmotion": ("witmotion", witmotion.decode_witmotion),
        "witmotion.decode_witmotion_frame": ("witmotion", witmotion.decode_witmotion_frame),
        "witmotion.decode_register_reply": ("witmotion", witmotion.decode_register_reply),
        "polar_pmd.decode_pmd": ("polar_pmd", lambda b: polar_pmd.decode_pmd(b, sample_rate_hz=52.0)),
        "polar_pmd.PmdStreamDecoder.feed": ("polar_pmd", pmd.feed),
        "polar_pmd.decode_control_response": ("polar_pmd", polar_pmd.decode_control_response),
        "polar_pmd.decode_command": ("polar_pmd", polar_pmd.decode_command),
        "movesense.decode_movesense": ("movesense", lambda b: movesense.decode_movesense(b, arrays=2, sample_rate_hz=52.0)),
        "movesense.MovesenseReassembler.feed": ("movesense", gsp.feed),
        "movesense.decode_command": ("movesense", movesense.decode_command),
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000, help="random and mutated packets each, per decoder")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    rng = np.random.default_rng(args.seed)
    pools = seeds(rng)
    print(f"{'decoder':40s} {'packets':>8s} {'decoded':>8s} {'ProtocolError':>14s} {'other':>6s} {'s':>6s}")
    failures = 0
    for name, (group, fn) in decoders().items():
        pool = pools[group]
        counts = {"ok": 0, "protocol": 0, "other": 0}
        t0 = time.perf_counter()
        for k in range(2 * args.n):
            if k < args.n:
                payload = rng.integers(0, 256, int(rng.integers(0, 601)), dtype=np.uint8).tobytes()
            else:
                payload = mutate(rng, pool[int(rng.integers(len(pool)))], pool)
            try:
                fn(payload)
                counts["ok"] += 1
            except ProtocolError:
                counts["protocol"] += 1
            except Exception as exc:  # noqa: BLE001 - exactly what the fuzzer hunts
                counts["other"] += 1
                if counts["other"] <= 3:
                    print(f"  BUG {name}: {type(exc).__name__}: {exc} <- {payload[:64].hex(' ')}")
        failures += counts["other"]
        print(f"{name:40s} {2 * args.n:8d} {counts['ok']:8d} {counts['protocol']:14d} {counts['other']:6d} "
              f"{time.perf_counter() - t0:6.1f}")
    print("no unexpected exceptions" if not failures else f"{failures} unexpected exceptions")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
