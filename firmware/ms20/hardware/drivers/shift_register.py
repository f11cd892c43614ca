"""74HC595 (serial in, parallel out) and 74HC165 (parallel in, serial out) chains, clocked
by GPIO edges. They drive and sense the jack matrix: 8 stages per chip, chips daisy-chained,
so three lines move any number of bits.

Positions: stage p of a chain is chip p // 8, bit p % 8. Chip 0 is the one wired to the Pi.

74HC595 chain (drive).  SER -> chip 0 DS; chip k Q7' -> chip k+1 DS; SRCLK and RCLK shared.

    Pi DATA --> [DS  chip 0  Q7'] --> [DS  chip 1  Q7'] --> ...
                 QA QB .. QH           QA QB .. QH
    position:    0  1  .. 7            8  9  .. 15

  A rising SRCLK edge moves every stage one position along and takes SER into position 0;
  a rising RCLK edge copies the stages to the QA-QH outputs. So the bit shifted first ends
  at the highest position, and `write` shifts position L-1 first.

74HC165 chain (sense).  chip 0 QH -> Pi DATA; chip k+1 QH -> chip k SER; last SER to GND.

    Pi DATA <-- [QH  chip 0  SER] <-- [QH  chip 1  SER] <-- ... <-- GND
                 A B .. H              A B .. H
    position:    0 1 .. 7              8 9 .. 15

  SH/LD low loads A-H into the stages; QH then shows H. Each rising CLK edge (SH/LD high)
  moves the stages towards QH, so the Pi reads chip 0's H, G, ..., A, then chip 1's H ...
  read k is position 8 * (k // 8) + 7 - k % 8.
"""

from __future__ import annotations

from ms20.hardware.pins.base import Pin


class ShiftRegister74HC595:
    """A chain of 74HC595s (OE tied low, SRCLR tied high)."""

    def __init__(self, data: Pin, clock: Pin, latch: Pin, chips: int) -> None:
        self.data, self.clock, self.latch_pin = data, clock, latch
        self.length = 8 * chips
        for pin in (data, clock, latch):
            pin.function = "output"
            pin.state = False

    def shift(self, bit: bool) -> None:
        """One SRCLK pulse: `bit` enters position 0, every stage moves one along."""
        self.data.state = bit
        self.clock.state = True
        self.clock.state = False

    def latch(self) -> None:
        """One RCLK pulse: the stages appear on the outputs."""
        self.latch_pin.state = True
        self.latch_pin.state = False

    def write(self, bits: int) -> None:
        """Set every output: bit p of `bits` drives position p. Shifts L bits, then latches."""
        for p in range(self.length - 1, -1, -1):
            self.shift(bool(bits >> p & 1))
        self.latch()


class ShiftRegister74HC165:
    """A chain of 74HC165s (CLK INH tied low, the last chip's SER tied to GND)."""

    def __init__(self, load: Pin, clock: Pin, data: Pin, chips: int) -> None:
        self.load, self.clock, self.data = load, clock, data
        self.length = 8 * chips
        load.function = "output"
        load.state = True           # SH/LD idles high: shifting enabled
        clock.function = "output"
        clock.state = False
        data.function = "input"
        data.pull = "floating"      # QH is a push-pull output
        # Read k lands at position _order[k] (see the table above).
        self._order = [8 * (k // 8) + 7 - k % 8 for k in range(self.length)]

    def read(self) -> int:
        """Sample every parallel input at once; bit p of the result is position p's level."""
        self.load.state = False     # SH/LD pulse: parallel load
        self.load.state = True
        bits = 0
        data, clock = self.data, self.clock
        for p in self._order:
            if data.state:
                bits |= 1 << p
            clock.state = True
            clock.state = False
        return bits
