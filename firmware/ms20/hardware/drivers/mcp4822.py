"""Microchip MCP4822: dual 12-bit DAC with a 2.048 V internal reference (datasheet DS20002249).

Drives the box's CV OUT 1 and CV OUT 2 through an op-amp stage to the panel's voltage range.
One write is one 16-bit frame, SPI mode 0, MSB first; LDAC is tied low, so the output
updates when CS rises at the end of the frame.

     15   14   13    12     11 ............................ 0
    +----+----+----+------+----------------------------------+
    | A/B| -  | GA | SHDN |  D11 D10 ... D1 D0               |
    +----+----+----+------+----------------------------------+
    A/B : 0 = DAC A, 1 = DAC B
    GA  : 1 = gain 1x (VOUT = 2.048 V * D / 4096), 0 = gain 2x (up to 4.095 V)
    SHDN: 1 = output active, 0 = output off (high impedance through 500 kOhm)
"""

from __future__ import annotations

from ms20.hardware.pins.base import SPI

BITS = 12
FULL_SCALE = (1 << BITS) - 1
VREF_V = 2.048
CHANNELS = ("A", "B")


def frame(channel: str, code: int, gain: int = 2, active: bool = True) -> list[int]:
    """The two bytes that set DAC `channel` ("A" or "B") to `code` (see the table above)."""
    if channel not in CHANNELS:
        raise ValueError(f"MCP4822 has channels A and B, not {channel!r}")
    if gain not in (1, 2):
        raise ValueError(f"MCP4822 gain is 1 or 2, not {gain}")
    code = min(max(int(code), 0), FULL_SCALE)
    word = (CHANNELS.index(channel) << 15) | ((1 if gain == 1 else 0) << 13) | (int(active) << 12) | code
    return [word >> 8, word & 0xFF]


class MCP4822:
    """The dual CV DAC."""

    def __init__(self, spi: SPI, gain: int = 2, name: str = "MCP4822") -> None:
        if spi.mode not in (0, 3):
            raise ValueError(f"{name}: the MCP4822 speaks SPI mode 0 or 3, not {spi.mode}")
        self.spi = spi
        self.gain = gain
        self.name = name

    def write(self, channel: str, code: int) -> None:
        """Set one output to `code` (0-4095)."""
        self.spi.transfer(frame(channel, code, self.gain))

    def shutdown(self, channel: str) -> None:
        """Switch one output off (its pin goes high-impedance)."""
        self.spi.transfer(frame(channel, 0, self.gain, active=False))

    def volts(self, code: int) -> float:
        """The DAC pin voltage for `code`, before the op-amp stage."""
        return VREF_V * self.gain * code / (FULL_SCALE + 1)


class CvOut:
    """One CV output jack: a DAC channel and the op-amp stage that scales it to jack volts."""

    def __init__(self, dac: MCP4822, channel: str, volts_at_0: float, volts_at_full: float) -> None:
        if volts_at_full == volts_at_0:
            raise ValueError("a CV output stage needs two different end voltages")
        self.dac, self.channel = dac, channel
        self.volts_at_0, self.volts_at_full = volts_at_0, volts_at_full
        self.code: int | None = None

    def code_for(self, volts: float) -> int:
        t = (volts - self.volts_at_0) / (self.volts_at_full - self.volts_at_0)
        return min(max(round(t * FULL_SCALE), 0), FULL_SCALE)

    def write(self, volts: float) -> None:
        """Set the jack to `volts` (clamped to the stage's range); skips unchanged codes."""
        code = self.code_for(volts)
        if code != self.code:
            self.dac.write(self.channel, code)
            self.code = code
