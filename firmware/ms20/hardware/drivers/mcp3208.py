"""Microchip MCP3208: 8-channel 12-bit SAR ADC on SPI (datasheet DS21298).

Every pot, switch ladder, the control wheel and the CV inputs end up here. One conversion is
one 3-byte frame in SPI mode 0 with the start bit placed so the 12 result bits land at the
end of the frame (datasheet section 6.1, "Using the MCP3204/3208 with microcontroller SPI
ports"). Input: volts between 0 and VREF; output: counts 0-4095.

             byte 0                      byte 1                        byte 2
          7 6 5 4 3 2 1   0      7  6  5 4  3   2   1   0      7  6  5  4  3  2  1  0
    MOSI  0 0 0 0 0 1 SGL D2  |  D1 D0 x x  x   x   x   x   |  x  x  x  x  x  x  x  x
    MISO  - - - - - - -   -   |  -  -  - 0  B11 B10 B9  B8  |  B7 B6 B5 B4 B3 B2 B1 B0
                    ^start                 ^null bit
    '-' = DOUT high-impedance; SGL = 1 single-ended, 0 differential; D2 D1 D0 = channel.

The chip samples its input during the clock after D0, then shifts out a null bit and the
result MSB first. CS must go high between conversions (each transfer is one frame).
"""

from __future__ import annotations

from ms20.hardware.pins.base import SPI

CHANNELS = 8
BITS = 12
FULL_SCALE = (1 << BITS) - 1          # 4095
NULL_BIT = 0x10                       # in byte 1 of the reply: always 0 from a live chip
# Datasheet: fCLK max 2 MHz at VDD = 5 V, 1 MHz at 2.7 V; a 3.3 V board stays at 1 MHz.
MAX_CLOCK_HZ_3V3 = 1_000_000


class AdcError(RuntimeError):
    """No valid answer from the chip (nothing selected, MISO open, or a broken frame)."""


def command(channel: int, single_ended: bool = True) -> list[int]:
    """The 3 bytes that start a conversion of `channel` (see the frame table above)."""
    if not 0 <= channel < CHANNELS:
        raise ValueError(f"MCP3208 channel {channel} is out of range (0-{CHANNELS - 1})")
    sgl = 1 if single_ended else 0
    return [0b0000_0100 | sgl << 1 | channel >> 2, (channel & 0b11) << 6, 0x00]


def decode(reply: list[int]) -> int:
    """The 12-bit count in a 3-byte reply; AdcError when the null bit is not low."""
    if reply[1] & NULL_BIT:
        raise AdcError("the MCP3208's null bit was high: no chip answered (check its chip select and MISO)")
    return (reply[1] & 0x0F) << 8 | reply[2]


class MCP3208:
    """One MCP3208 on an SPI device (direct chip select or through a decoder)."""

    def __init__(self, spi: SPI, vref_v: float = 3.3, name: str = "MCP3208") -> None:
        if spi.mode not in (0, 3):
            raise ValueError(f"{name}: the MCP3208 speaks SPI mode 0 or 3, not {spi.mode}")
        self.spi = spi
        self.vref_v = vref_v
        self.name = name
        # Built once: a scan reuses the same eight frames.
        self._single = [command(ch) for ch in range(CHANNELS)]

    def read(self, channel: int) -> int:
        """Convert single-ended `channel`; counts 0-4095."""
        try:
            return decode(self.spi.transfer(self._single[channel]))
        except AdcError as exc:
            raise AdcError(f"{self.name} channel {channel}: {exc}") from None

    def read_many(self, channels: list[int]) -> list[int]:
        """Convert several single-ended channels, one frame each, in one bus operation."""
        replies = self.spi.transfer_many([self._single[ch] for ch in channels])
        try:
            return [decode(r) for r in replies]
        except AdcError as exc:
            raise AdcError(f"{self.name}: {exc}") from None

    def read_differential(self, channel: int) -> int:
        """Convert a pseudo-differential pair (datasheet table 5-2: channel 0 = CH0+ CH1-)."""
        return decode(self.spi.transfer(command(channel, single_ended=False)))

    def volts(self, count: int) -> float:
        return count * self.vref_v / (FULL_SCALE + 1)

    def channel(self, channel: int) -> AnalogIn:
        return AnalogIn(self, channel)


class AnalogIn:
    """One ADC channel: what a pot wiper, a ladder tap or a CV input stage is wired to."""

    def __init__(self, adc: MCP3208, channel: int) -> None:
        if not 0 <= channel < CHANNELS:
            raise ValueError(f"{adc.name} channel {channel} is out of range (0-{CHANNELS - 1})")
        self.adc = adc
        self.channel = channel

    def __repr__(self) -> str:
        return f"<AnalogIn {self.adc.name}/{self.channel}>"

    def read(self) -> int:
        """Counts 0-4095."""
        return self.adc.read(self.channel)
