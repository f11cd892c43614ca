"""74HC138 3-to-8 line decoder used as an SPI chip-select expander.

SPI0 has two hardware chip selects, and SPI1 shares its pins with the codec's I2S, so the
box's six SPI chips (five MCP3208, one MCP4822) hang off one decoder: CE0 drives the
decoder's active-low enable /E1 (/E2 tied to GND, E3 to 3.3 V) and three GPIO lines pick
which output goes low while CE0 is low. CE0's timing is the kernel's own, so each chip still
sees a clean select per frame; the address only changes between frames.

    A2 A1 A0 | /E1 (CE0) | Y0 Y1 Y2 Y3 Y4 Y5 Y6 Y7
    ---------+-----------+------------------------
     x  x  x |     1     |  1  1  1  1  1  1  1  1     idle: no chip selected
     0  0  0 |     0     |  0  1  1  1  1  1  1  1
     0  0  1 |     0     |  1  0  1  1  1  1  1  1
     ...     |           |  output n low, n = 4*A2 + 2*A1 + A0
     1  1  1 |     0     |  1  1  1  1  1  1  1  0
"""

from __future__ import annotations

from collections.abc import Sequence

from ms20.hardware.pins.base import SPI, Pin

OUTPUTS = 8


class ChipSelectDecoder:
    """A 74HC138 between one SPI chip select and up to eight chips."""

    def __init__(self, spi: SPI, address: Sequence[Pin]) -> None:
        if len(address) != 3:
            raise ValueError(f"a 74HC138 has three address lines (A0, A1, A2), got {len(address)}")
        self.spi = spi
        self._address = list(address)
        for pin in self._address:
            pin.function = "output"
            pin.state = False
        self._selected = 0

    def device(self, output: int) -> DecodedSPI:
        """The SPI device wired to decoder output Y`output`."""
        if not 0 <= output < OUTPUTS:
            raise ValueError(f"a 74HC138 has outputs Y0-Y7, not Y{output}")
        return DecodedSPI(self, output)

    def transfer(self, output: int, data: Sequence[int]) -> list[int]:
        """One frame to the chip on Y`output`: set the address (only the lines that change,
        while CE0 is high so no chip sees a partial address), then clock the frame."""
        self._select(output)
        return self.spi.transfer(data)

    def transfer_many(self, output: int, frames: Sequence[Sequence[int]]) -> list[list[int]]:
        """Several frames to the chip on Y`output`, one CE0 pulse each, as one bus operation."""
        self._select(output)
        return self.spi.transfer_many(frames)

    def _select(self, output: int) -> None:
        if output != self._selected:
            changed = output ^ self._selected
            for bit, pin in enumerate(self._address):
                if changed >> bit & 1:
                    pin.state = bool(output >> bit & 1)
            self._selected = output


class DecodedSPI(SPI):
    """An SPI device selected through the decoder; drivers use it like any SPI device."""

    def __init__(self, decoder: ChipSelectDecoder, output: int) -> None:
        base = decoder.spi
        super().__init__(base.bus, base.device, base.clock_hz, base.mode)
        self.decoder = decoder
        self.output = output

    def __repr__(self) -> str:
        return f"<DecodedSPI SPI{self.bus} CE{self.device} via 74HC138 Y{self.output}>"

    def _transfer(self, data: Sequence[int]) -> list[int]:
        return self.decoder.transfer(self.output, data)

    def transfer_many(self, frames: Sequence[Sequence[int]]) -> list[list[int]]:
        return self.decoder.transfer_many(self.output, frames)
