"""Simulated time: a clock that moves only when a test moves it, and a repeatable hash for the
simulation's chance events (contact bounce)."""

from __future__ import annotations


def unit_hash(*values: int) -> float:
    """A deterministic number in [0, 1) from integers (splitmix64), for repeatable bounce."""
    x = 0x9E3779B97F4A7C15
    for v in values:
        x = (x ^ (v & 0xFFFFFFFFFFFFFFFF)) * 0xBF58476D1CE4E5B9 & 0xFFFFFFFFFFFFFFFF
        x = (x ^ (x >> 31)) * 0x94D049BB133111EB & 0xFFFFFFFFFFFFFFFF
    return ((x ^ (x >> 29)) >> 11) / float(1 << 53)


class SimClock:
    """Simulated seconds that only move when told to."""

    def __init__(self, start: float = 0.0) -> None:
        self.t = start

    def __call__(self) -> float:
        return self.t

    def advance(self, seconds: float) -> float:
        if seconds < 0:
            raise ValueError("time only moves forward")
        self.t += seconds
        return self.t
