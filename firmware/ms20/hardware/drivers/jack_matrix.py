"""The jack matrix: which jacks hold a plug, and which jacks a cable joins.

Every matrix jack is a switched 3.5 mm socket (e.g. Thonkiconn PJ398SM) whose tip line is
wired like this (values from hw/board.toml):

              3.3 V
                |
               [Rpu 10k]
                |
    jack TIP ---+---[Rs 1k]--- 74HC165 input p     (sense)
       |        |
       |        +---|<|------- 74HC595 output p    (drive: BAT54 Schottky, cathode at the 595)
       |
    jack switch lug ---- GND  (touches the tip while the jack is empty)

- Empty jack: its tip rests on the grounded lug, so it reads low whatever is driven.
- Plugged jack: the plug lifts the lug; the tip follows the cable. Through the diodes a 595
  output can only pull a line low (open drain), so a net of joined tips reads low if and
  only if one of its jacks is driven low: stacked plugs and multiples form one net, and no
  current can flow back through another driver (no ghost paths).

So with nothing driven, a high line means a plug (presence), and driving plugged jack p
alone low shows p's whole net. This driver only moves bits; controls/jack_sense.py decides.
"""

from __future__ import annotations

from collections.abc import Sequence

from ms20.hardware.drivers.shift_register import ShiftRegister74HC165, ShiftRegister74HC595


class JackMatrix:
    """Drive one jack at a time through the 595 chain, read every jack through the 165 chain."""

    def __init__(self, drive: ShiftRegister74HC595, sense: ShiftRegister74HC165, jacks: Sequence[str]) -> None:
        if len(jacks) > min(drive.length, sense.length):
            raise ValueError(f"{len(jacks)} matrix jacks need more than {drive.length} drive "
                             f"and {sense.length} sense stages")
        self.drive, self.sense = drive, sense
        self.jacks = tuple(jacks)
        self.all_jacks = (1 << len(self.jacks)) - 1
        self.idle()

    def idle(self) -> None:
        """Release every line (all 595 outputs high: the diodes block)."""
        self.drive.write((1 << self.drive.length) - 1)

    def read_presence(self) -> int:
        """Bit p set when jack p holds a plug (its line is high with nothing driven)."""
        return self.sense.read() & self.all_jacks

    def probe(self, jacks: int) -> dict[int, int]:
        """For each jack p in the mask `jacks`: the mask of jacks reading low while p alone
        is driven low. A single zero walks along the 595 chain, one SRCLK per position, and
        the 165 chain is read only at the positions asked for."""
        readings: dict[int, int] = {}
        if not jacks:
            return readings
        last = jacks.bit_length() - 1
        drive, sense, everyone = self.drive, self.sense, self.all_jacks
        drive.shift(False)                       # the zero enters position 0
        for p in range(last + 1):
            if p:
                drive.shift(True)                # ... and moves to position p
            if jacks >> p & 1:
                drive.latch()
                readings[p] = ~sense.read() & everyone
        # Push the zero out past the chain's last position (length - last shifts); the last
        # latch leaves every line released.
        for _ in range(drive.length - last):
            drive.shift(True)
        drive.latch()
        return readings
