"""A pot reading that holds still when the pot does and follows at once when it turns.

Input: MCP3208 counts (0-4095) with a few LSB of noise; output: the held count, which changes
only when the pot really moved. Two steps, in the spirit of Mutable Instruments' pot
handling (stmlib ONE_POLE + hysteresis):

1. Adaptive one-pole smoothing: a small difference is averaged (alpha 1/4), a big one is
   followed at once (alpha reaches 1 at FAST_LSB), so turning never lags.
2. Hysteresis: the held value moves only when the smoothed one is HYSTERESIS_LSB away.

Why this is enough for a resting pot with +-4 LSB noise: every reading lies within 4 counts
of the pot's true count m, the smoothed value is a running mix of readings so it stays
within [m-4, m+4] too, and so does the held value once set; two values in that range are at
most 8 apart, less than HYSTERESIS_LSB, so the held value never moves. A turn of FAST_LSB
counts or more (0.08 on the 0-10 scale) moves it on the first reading.
"""

from __future__ import annotations

HYSTERESIS_LSB = 10.0
FAST_LSB = 32.0
SLOW_ALPHA = 0.25


class PotFilter:
    """Smoothing and hysteresis for one analog control."""

    __slots__ = ("smoothed", "held")

    def __init__(self) -> None:
        self.smoothed: float | None = None
        self.held: float | None = None

    def update(self, count: int) -> float | None:
        """Feed one reading; returns the new held count when it moved, else None."""
        s = self.smoothed
        if s is None or self.held is None:
            self.smoothed = self.held = float(count)
            return self.held
        d = count - s
        alpha = abs(d) / FAST_LSB
        s += d * (SLOW_ALPHA if alpha < SLOW_ALPHA else 1.0 if alpha > 1.0 else alpha)
        self.smoothed = s
        if abs(s - self.held) >= HYSTERESIS_LSB:
            self.held = s
            return s
        return None
