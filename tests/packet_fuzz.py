"""Hypothesis helper shared by the protocol fuzz tests: random bytes or a mutated good packet."""
from __future__ import annotations

from hypothesis import strategies as st


def mutate(data: st.DataObject, base: bytes) -> bytes:
    """1-4 random edits of `base`: bit flips, byte sets, truncation, appended junk."""
    b = bytearray(base)
    for _ in range(data.draw(st.integers(1, 4))):
        op = data.draw(st.sampled_from(["flip", "cut", "grow", "set"]))
        if op == "flip" and b:
            i = data.draw(st.integers(0, len(b) - 1))
            b[i] ^= 1 << data.draw(st.integers(0, 7))
        elif op == "cut":
            del b[data.draw(st.integers(0, len(b))):]
        elif op == "grow":
            b += data.draw(st.binary(min_size=1, max_size=40))
        elif b:
            b[data.draw(st.integers(0, len(b) - 1))] = data.draw(st.integers(0, 255))
    return bytes(b)


def random_or_mutated(data: st.DataObject, good_packets: list[bytes], max_size: int) -> bytes:
    """Either fully random bytes (up to `max_size`) or a mutation of one good packet."""
    if data.draw(st.booleans()):
        return data.draw(st.binary(max_size=max_size))
    return mutate(data, data.draw(st.sampled_from(good_packets)))
