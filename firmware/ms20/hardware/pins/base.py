"""The hardware boundary: abstract GPIO pins, SPI devices and the factory that hands them out.

Modelled on gpiozero's pin factories (gpiozero/pins/__init__.py): device drivers ask a
Factory for a Pin or an SPI device and never touch a GPIO library themselves, so the same
driver code runs on RPi.GPIO + spidev (pins/rpi.py) and on the electrical mock
(pins/mock.py). GPIO numbers are BCM numbers (GPIO 17 is header pin 11).

The Factory refuses a line that is already in use, naming who holds it, before any backend
is touched: a wiring mistake is an error at start-up, not a glitch at run time.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Literal

Function = Literal["input", "output"]
Pull = Literal["up", "down", "floating"]

# The 40-pin header exposes GPIO 0-27 on every Pi with that header (Pi 1 B+ to Pi 5).
GPIO_LINES = range(0, 28)


class SPIBus:
    """The fixed pins of one hardware SPI controller on the header."""

    def __init__(self, number: int, sclk: int, mosi: int, miso: int, ce: Sequence[int]) -> None:
        self.number = number
        self.sclk, self.mosi, self.miso = sclk, mosi, miso
        self.ce = tuple(ce)

    @property
    def data_pins(self) -> dict[str, int]:
        return {"SCLK": self.sclk, "MOSI": self.mosi, "MISO": self.miso}


# SPI0 is on every Pi; SPI1 (dtoverlay=spi1-3cs) shares GPIO 18-21 with I2S, so a box with
# an I2S codec cannot use it: board.py says so when a board file asks for it.
SPI_BUSES = {
    0: SPIBus(0, sclk=11, mosi=10, miso=9, ce=(8, 7)),
    1: SPIBus(1, sclk=21, mosi=20, miso=19, ce=(18, 17, 16)),
}


class PinError(Exception):
    """Base of every error raised by the pin layer."""


class PinInvalidPin(PinError):
    """A GPIO number the header does not have."""


class PinReserved(PinError):
    """A line that another part of the board already uses."""


class PinInvalidFunction(PinError):
    """An operation the line cannot do in its current function (driving an input...)."""


class PinContention(PinError):
    """Two outputs driving one wire: the Pi and a chip, or two chips."""


class PinUnavailable(PinError):
    """The backend library is missing (RPi.GPIO or spidev off a Pi)."""


class Pin(ABC):
    """One GPIO line.

    Subclasses must override `_get_function`, `_set_function`, `_get_state`, `_set_state`,
    `_get_pull` and `_set_pull`; they may override `close`. The public properties check
    what every backend must refuse (driving an input, pulling an output) once, here.
    """

    def __init__(self, number: int) -> None:
        self.number = number

    def __repr__(self) -> str:
        return f"<{type(self).__name__} GPIO {self.number}>"

    @abstractmethod
    def _get_function(self) -> Function: ...

    @abstractmethod
    def _set_function(self, value: Function) -> None: ...

    @abstractmethod
    def _get_state(self) -> bool: ...

    @abstractmethod
    def _set_state(self, value: bool) -> None: ...

    @abstractmethod
    def _get_pull(self) -> Pull: ...

    @abstractmethod
    def _set_pull(self, value: Pull) -> None: ...

    @property
    def function(self) -> Function:
        """"input" or "output"."""
        return self._get_function()

    @function.setter
    def function(self, value: Function) -> None:
        if value not in ("input", "output"):
            raise PinInvalidFunction(f"GPIO {self.number}: function must be input or output, not {value!r}")
        self._set_function(value)

    @property
    def state(self) -> bool:
        """The line's level: what an input reads, or what an output drives."""
        return self._get_state()

    @state.setter
    def state(self, value: bool) -> None:
        if self._get_function() != "output":
            raise PinInvalidFunction(f"GPIO {self.number} is an input: make it an output before driving it")
        self._set_state(bool(value))

    @property
    def pull(self) -> Pull:
        """The internal pull resistor of an input: "up", "down" or "floating"."""
        return self._get_pull()

    @pull.setter
    def pull(self, value: Pull) -> None:
        if value not in ("up", "down", "floating"):
            raise PinInvalidFunction(f"GPIO {self.number}: pull must be up, down or floating, not {value!r}")
        if self._get_function() != "input":
            raise PinInvalidFunction(f"GPIO {self.number} is an output: a pull resistor only applies to inputs")
        self._set_pull(value)

    def close(self) -> None:  # noqa: B027 (optional for subclasses, as in gpiozero)
        """Return the line to a safe state (an input without pull); backends may override."""


class SPI(ABC):
    """One SPI device: a bus, a chip select, a clock and a mode.

    Subclasses must override `_transfer`; they may override `transfer_many` and `close`. `transfer` sends
    `data` while the chip select is asserted and returns the bytes clocked in at the same
    time (full duplex), one frame per call: the chip select rises after the last byte.
    """

    def __init__(self, bus: int, device: int, clock_hz: int, mode: int) -> None:
        if mode not in (0, 1, 2, 3):
            raise PinInvalidFunction(f"SPI mode must be 0-3, not {mode}")
        if not 1_000 <= clock_hz <= 125_000_000:
            raise PinInvalidFunction(f"SPI clock {clock_hz} Hz is outside 1 kHz-125 MHz")
        self.bus, self.device, self.clock_hz, self.mode = bus, device, clock_hz, mode
        self.closed = False

    def __repr__(self) -> str:
        return f"<{type(self).__name__} SPI{self.bus} CE{self.device} {self.clock_hz} Hz mode {self.mode}>"

    @abstractmethod
    def _transfer(self, data: Sequence[int]) -> list[int]: ...

    def transfer(self, data: Sequence[int]) -> list[int]:
        """Clock `data` out and return as many bytes clocked in."""
        if self.closed:
            raise PinInvalidFunction(f"SPI{self.bus} CE{self.device} is closed")
        return self._transfer(data)

    def transfer_many(self, frames: Sequence[Sequence[int]]) -> list[list[int]]:
        """Several frames, each with its own chip-select pulse, in order. Backends may batch
        them into one bus operation (the real one does: one ioctl instead of one per frame)."""
        return [self.transfer(frame) for frame in frames]

    def close(self) -> None:
        self.closed = True


class Factory(ABC):
    """Hands out pins and SPI devices and refuses a line already in use.

    Subclasses must override `_make_pin` and `_make_spi`; they may override `close`.
    `owner` strings name the part that holds a line, so a clash reads like a wiring note:
    "GPIO 5 is already used by matrix drive data".
    """

    def __init__(self) -> None:
        self._owners: dict[int, str] = {}
        self._pins: dict[int, Pin] = {}
        self._spis: list[SPI] = []

    def reserve(self, number: int, owner: str) -> None:
        """Claim a line for `owner` without creating a pin (bus pins, codec pins)."""
        if number not in GPIO_LINES:
            raise PinInvalidPin(f"GPIO {number} is not on the 40-pin header (GPIO 0-27) ({owner})")
        held = self._owners.get(number)
        if held is not None and held != owner:
            raise PinReserved(f"GPIO {number} is already used by {held}; {owner} cannot have it")
        self._owners[number] = owner

    def owner(self, number: int) -> str | None:
        return self._owners.get(number)

    def pin(self, number: int, owner: str) -> Pin:
        """The pin for GPIO `number`, reserved for `owner`."""
        self.reserve(number, owner)
        if number not in self._pins:
            self._pins[number] = self._make_pin(number)
        return self._pins[number]

    def spi(self, bus: int, device: int, owner: str, clock_hz: int = 1_000_000, mode: int = 0) -> SPI:
        """An SPI device on hardware bus `bus`, chip select CE`device`, reserved for `owner`."""
        try:
            spec = SPI_BUSES[bus]
        except KeyError:
            raise PinInvalidPin(f"SPI{bus} does not exist on the header (SPI0 or SPI1) ({owner})") from None
        if not 0 <= device < len(spec.ce):
            raise PinInvalidPin(f"SPI{bus} has no CE{device} ({owner})")
        for name, number in spec.data_pins.items():
            self.reserve(number, f"SPI{bus} {name}")
        self.reserve(spec.ce[device], f"SPI{bus} CE{device} ({owner})")
        spi = self._make_spi(bus, device, clock_hz, mode)
        self._spis.append(spi)
        return spi

    @abstractmethod
    def _make_pin(self, number: int) -> Pin: ...

    @abstractmethod
    def _make_spi(self, bus: int, device: int, clock_hz: int, mode: int) -> SPI: ...

    def close(self) -> None:
        """Release every pin and SPI device (pins return to inputs without pull)."""
        for spi in self._spis:
            spi.close()
        for pin in self._pins.values():
            pin.close()
        self._spis.clear()
        self._pins.clear()
        self._owners.clear()
