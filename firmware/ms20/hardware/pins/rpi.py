"""The real pin layer: RPi.GPIO for the lines and spidev for the SPI bus.

The RPi.GPIO module comes from rpi-lgpio (the box extra installs it: same API, lgpio and
/dev/gpiochip underneath), which works on every Pi from the 3 to the 5. Both
libraries are imported when the factory is created, never at module import, so this file
loads anywhere and only a box that asks for MS20_PINS=rpi needs them.
"""

from __future__ import annotations

import ctypes
import fcntl
import os
import struct
from collections.abc import Sequence
from typing import Any

from ms20.hardware.pins.base import SPI, Factory, Function, Pin, PinUnavailable, Pull

INSTALL_HINT = ("on a Pi: `pip install 'ms20[box]'` (rpi-lgpio provides RPi.GPIO on every Pi 3-5); "
                "off a Pi, use the simulated board: set MS20_PINS=sim or pass --sim")


def _import_gpio() -> Any:
    try:
        import RPi.GPIO as gpio  # noqa: N813 (the library's own spelling)
    except ImportError as exc:
        raise PinUnavailable(f"RPi.GPIO is not installed ({exc}); {INSTALL_HINT}") from None
    except RuntimeError as exc:  # RPi.GPIO raises this when not on a Pi or without /dev/gpiomem
        raise PinUnavailable(f"RPi.GPIO cannot reach the GPIO lines ({exc}); {INSTALL_HINT}") from None
    return gpio


def _import_spidev() -> Any:
    try:
        import spidev
    except ImportError as exc:
        raise PinUnavailable(f"spidev is not installed ({exc}); {INSTALL_HINT}") from None
    return spidev


class RPiPin(Pin):
    """A GPIO line through RPi.GPIO (BCM numbering)."""

    def __init__(self, gpio: Any, number: int) -> None:
        super().__init__(number)
        self._gpio = gpio
        self._function: Function = "input"
        self._pull: Pull = "floating"
        self._out = False
        gpio.setup(number, gpio.IN, pull_up_down=gpio.PUD_OFF)

    def _get_function(self) -> Function:
        return self._function

    def _set_function(self, value: Function) -> None:
        g = self._gpio
        if value == "output":
            g.setup(self.number, g.OUT, initial=g.HIGH if self._out else g.LOW)
        else:
            g.setup(self.number, g.IN, pull_up_down=self._pud(self._pull))
        self._function = value

    def _get_state(self) -> bool:
        if self._function == "output":
            return self._out
        return bool(self._gpio.input(self.number))

    def _set_state(self, value: bool) -> None:
        self._out = value
        self._gpio.output(self.number, value)

    def _get_pull(self) -> Pull:
        return self._pull

    def _set_pull(self, value: Pull) -> None:
        self._gpio.setup(self.number, self._gpio.IN, pull_up_down=self._pud(value))
        self._pull = value

    def _pud(self, pull: Pull) -> int:
        g = self._gpio
        return {"up": g.PUD_UP, "down": g.PUD_DOWN, "floating": g.PUD_OFF}[pull]

    def close(self) -> None:
        self._gpio.cleanup(self.number)


# linux/spi/spidev.h: struct spi_ioc_transfer (32 bytes) and SPI_IOC_MESSAGE(n).
#   u64 tx_buf, u64 rx_buf, u32 len, u32 speed_hz, u16 delay_usecs, u8 bits_per_word,
#   u8 cs_change, u8 tx_nbits, u8 rx_nbits, u8 word_delay_usecs, u8 pad
SPI_IOC_TRANSFER = struct.Struct("=QQIIHBBBBBB")
assert SPI_IOC_TRANSFER.size == 32


def spi_ioc_message(n: int) -> int:
    """The ioctl number of SPI_IOC_MESSAGE(n): _IOW('k', 0, char[32 * n])."""
    return 1 << 30 | (SPI_IOC_TRANSFER.size * n) << 16 | ord("k") << 8


def pack_transfers(frames: Sequence[Sequence[int]], clock_hz: int) -> tuple[bytearray, list[Any]]:
    """The ioctl argument for `frames`, one chip-select pulse each: cs_change = 1 on every
    transfer but the last deselects the chip between frames. Returns (argument, rx buffers)."""
    arg = bytearray()
    keep: list[Any] = []
    for k, frame in enumerate(frames):
        tx = ctypes.create_string_buffer(bytes(frame), len(frame))
        rx = ctypes.create_string_buffer(len(frame))
        keep += [tx, rx]
        arg += SPI_IOC_TRANSFER.pack(ctypes.addressof(tx), ctypes.addressof(rx), len(frame), clock_hz,
                                     0, 8, 1 if k < len(frames) - 1 else 0, 0, 0, 0, 0)
    return arg, keep


class RPiSPI(SPI):
    """An SPI device through /dev/spidev<bus>.<device>."""

    def __init__(self, spidev: Any, bus: int, device: int, clock_hz: int, mode: int) -> None:
        super().__init__(bus, device, clock_hz, mode)
        self._dev = spidev.SpiDev()
        try:
            self._dev.open(bus, device)
        except OSError as exc:
            raise PinUnavailable(f"/dev/spidev{bus}.{device}: {exc.strerror}; add dtparam=spi=on to "
                                 "/boot/firmware/config.txt and reboot (see hw/BUILD.md)") from None
        self._dev.max_speed_hz = clock_hz
        self._dev.mode = mode
        # A second descriptor for batched messages: py-spidev has no multi-frame call, and a
        # scan of one MCP3208 is 8 frames; one ioctl instead of 8 saves most of the CPU.
        self._fd = os.open(f"/dev/spidev{bus}.{device}", os.O_RDWR)

    def _transfer(self, data: Sequence[int]) -> list[int]:
        return list(self._dev.xfer2(list(data)))

    def transfer_many(self, frames: Sequence[Sequence[int]]) -> list[list[int]]:
        if not frames:
            return []
        arg, keep = pack_transfers(frames, self.clock_hz)
        fcntl.ioctl(self._fd, spi_ioc_message(len(frames)), arg)
        return [list(rx.raw) for rx in keep[1::2]]

    def close(self) -> None:
        if not self.closed:
            self._dev.close()
            os.close(self._fd)
        super().close()


class RPiFactory(Factory):
    """Pins and SPI devices of a real Raspberry Pi."""

    def __init__(self) -> None:
        super().__init__()
        self._gpio = _import_gpio()
        self._spidev = _import_spidev()
        self._gpio.setwarnings(False)
        self._gpio.setmode(self._gpio.BCM)

    def _make_pin(self, number: int) -> RPiPin:
        return RPiPin(self._gpio, number)

    def _make_spi(self, bus: int, device: int, clock_hz: int, mode: int) -> RPiSPI:
        return RPiSPI(self._spidev, bus, device, clock_hz, mode)
