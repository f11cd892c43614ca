"""The electrical mock of the pin layer: GPIO lines with levels, pulls and wires, and SPI
buses that carry real frames to simulated chips.

In the spirit of gpiozero's MockFactory: a MockPin refuses what a Pi would refuse (driving
an input, pulling an output, two outputs on one wire), an input reads what is wired to it
(a chip's output, a switch to ground, or its pull resistor), and an output tells every chip
listening to it about each edge. SPI transfers go to whatever mock_board.py wired onto that
bus and chip select, as bytes: the chips decode the bits, so the real driver framing runs.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

from ms20.hardware.pins.base import SPI, Factory, Function, Pin, PinContention, Pull

# A chip on the SPI bus: gets the bytes clocked out (MOSI), the clock and the mode, and
# returns the bytes it clocks back (MISO).
SPIHandler = Callable[[bytes, int, int], bytes]
EdgeListener = Callable[[bool], None]


class MockPin(Pin):
    """A GPIO line of the mock board."""

    def __init__(self, factory: MockFactory, number: int) -> None:
        super().__init__(number)
        self._factory = factory
        self._function: Function = "input"
        self._pull: Pull = "floating"
        self._out = False
        self._driven: bool | None = None           # a test or a switch forcing the level
        self._source: tuple[str, Callable[[], bool]] | None = None   # a chip output on the wire
        self._switch: Callable[[], bool] | None = None   # a contact to GND: True while closed
        self._listeners: list[EdgeListener] = []
        # (time, level) of every level the line took, when the factory records.
        self.history: list[tuple[float, bool]] | None = [] if factory.record else None

    # -- the Pin interface ---------------------------------------------------------------

    def _get_function(self) -> Function:
        return self._function

    def _set_function(self, value: Function) -> None:
        if value == "output" and self._source is not None:
            raise PinContention(f"GPIO {self.number} is driven by {self._source[0]}: "
                                "making it a Pi output would short two outputs")
        was = self.state
        self._function = value
        self._edge_if_changed(was)

    def _get_state(self) -> bool:
        if self._function == "output":
            return self._out
        if self._source is not None:
            return self._source[1]()
        if self._switch is not None and self._switch():
            return False
        if self._driven is not None:
            return self._driven
        # A floating CMOS input reads whatever it picked up; the mock says low, always, so a
        # driver that forgot its pull-up reads a pressed switch.
        return self._pull == "up"

    def _set_state(self, value: bool) -> None:
        if value != self._out:
            self._out = value
            if self.history is not None:
                self.history.append((self._factory.clock(), value))
            for listener in self._listeners:
                listener(value)

    def _get_pull(self) -> Pull:
        return self._pull

    def _set_pull(self, value: Pull) -> None:
        was = self.state
        self._pull = value
        self._edge_if_changed(was)

    def close(self) -> None:
        self._function = "input"
        self._pull = "floating"

    # -- the world around the line ---------------------------------------------------------

    def _edge_if_changed(self, was: bool) -> None:
        now = self.state
        if now != was:
            for listener in self._listeners:
                listener(now)

    def listen(self, listener: EdgeListener) -> None:
        """Call `listener(level)` on every change of the line's level (a chip's input)."""
        self._listeners.append(listener)

    def wire(self, name: str, source: Callable[[], bool]) -> None:
        """Connect a chip output to this line: inputs read `source()` from now on."""
        if self._function == "output":
            raise PinContention(f"GPIO {self.number} is a Pi output: wiring {name} to it shorts two outputs")
        self._source = (name, source)

    def connect_switch(self, closed: Callable[[], bool]) -> None:
        """Put a contact to GND on this line: low while `closed()`, else the pull decides."""
        self._switch = closed

    def drive_high(self) -> None:
        """Force the line high from outside (a switch to the supply)."""
        self._drive(True)

    def drive_low(self) -> None:
        """Force the line low from outside (a switch to ground)."""
        self._drive(False)

    def release(self) -> None:
        """Stop forcing the line: its pull resistor decides again."""
        self._drive(None)

    def _drive(self, level: bool | None) -> None:
        was = self.state
        self._driven = level
        self._edge_if_changed(was)


class MockSPI(SPI):
    """An SPI device on the mock bus: frames go to the chip mock_board wired there."""

    def __init__(self, factory: MockFactory, bus: int, device: int, clock_hz: int, mode: int) -> None:
        super().__init__(bus, device, clock_hz, mode)
        self._factory = factory

    def _transfer(self, data: Sequence[int]) -> list[int]:
        try:
            out = bytes(data)
        except (TypeError, ValueError):
            raise ValueError(f"SPI data must be bytes 0-255, got {list(data)!r}") from None
        handler = self._factory.spi_handler(self.bus, self.device)
        if handler is None:
            return [0xFF] * len(out)   # nothing selected: MISO floats, read as ones
        back = handler(out, self.clock_hz, self.mode)
        return list(back)


class MockFactory(Factory):
    """Pins and SPI buses of a simulated Pi; mock_board.py wires chips onto them."""

    def __init__(self, clock: Callable[[], float] | None = None, record: bool = False) -> None:
        super().__init__()
        self.clock = clock or time.monotonic
        self.record = record
        self._spi_handlers: dict[tuple[int, int], SPIHandler] = {}

    def _make_pin(self, number: int) -> MockPin:
        return MockPin(self, number)

    def _make_spi(self, bus: int, device: int, clock_hz: int, mode: int) -> MockSPI:
        return MockSPI(self, bus, device, clock_hz, mode)

    def line(self, number: int) -> MockPin:
        """The line for GPIO `number` as the board's wiring sees it (created, not reserved)."""
        if number not in self._pins:
            self._pins[number] = MockPin(self, number)
        pin = self._pins[number]
        assert isinstance(pin, MockPin)
        return pin

    def wire_spi(self, bus: int, device: int, handler: SPIHandler) -> None:
        """Put a chip (or a chip-select decoder) on SPI`bus` CE`device`."""
        self._spi_handlers[(bus, device)] = handler

    def spi_handler(self, bus: int, device: int) -> SPIHandler | None:
        return self._spi_handlers.get((bus, device))

    def close(self) -> None:
        # The wiring outlives the drivers: a board reopened on this factory still has chips.
        super().close()
