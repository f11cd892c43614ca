"""The pin layer refuses what the hardware would refuse, and the backend is a choice."""

from __future__ import annotations

import sys

import pytest

from ms20.hardware.pins import PinError, backend_name, make_factory
from ms20.hardware.pins.base import PinContention, PinInvalidFunction, PinInvalidPin, PinReserved, PinUnavailable
from ms20.hardware.pins.mock import MockFactory


def test_driving_an_input_is_refused():
    pin = MockFactory().pin(5, "test")
    with pytest.raises(PinInvalidFunction, match="GPIO 5 is an input"):
        pin.state = True


def test_a_pull_resistor_on_an_output_is_refused():
    pin = MockFactory().pin(5, "test")
    pin.function = "output"
    with pytest.raises(PinInvalidFunction, match="output"):
        pin.pull = "up"


def test_a_line_taken_twice_names_both_users():
    f = MockFactory()
    f.pin(5, "matrix drive data")
    with pytest.raises(PinReserved, match="GPIO 5 is already used by matrix drive data; momentary switch"):
        f.pin(5, "momentary switch")


def test_a_line_off_the_header_is_refused():
    with pytest.raises(PinInvalidPin, match="GPIO 40"):
        MockFactory().pin(40, "test")


def test_opening_spi_takes_the_bus_lines():
    f = MockFactory()
    f.spi(0, 0, "ADC")
    with pytest.raises(PinReserved, match="SPI0 SCLK"):
        f.pin(11, "LED")


def test_a_pi_output_against_a_chip_output_is_a_short():
    f = MockFactory()
    line = f.line(12)
    line.wire("74HC165 QH", lambda: True)
    with pytest.raises(PinContention, match="short"):
        f.pin(12, "oops").function = "output"


def test_an_input_reads_its_pull_or_what_drives_it():
    pin = MockFactory().pin(17, "button")
    pin.pull = "up"
    assert pin.state is True
    pin.drive_low()
    assert pin.state is False
    pin.release()
    assert pin.state is True


def test_edges_are_recorded_with_time():
    t = [0.0]
    f = MockFactory(clock=lambda: t[0], record=True)
    pin = f.pin(6, "clock")
    pin.function = "output"
    for k in range(3):
        t[0] = k * 0.001
        pin.state = True
        pin.state = False
    assert [level for _, level in pin.history] == [True, False] * 3
    assert pin.history[-1][0] == pytest.approx(0.002)


def test_the_backend_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv("MS20_PINS", "mock")
    assert backend_name() == "mock"
    assert isinstance(make_factory(), MockFactory)
    assert backend_name("sim") == "mock"
    monkeypatch.setenv("MS20_PINS", "banana")
    with pytest.raises(PinError, match="unknown pin backend 'banana'"):
        backend_name()


def test_the_real_backend_says_what_to_install_when_the_library_is_missing(monkeypatch):
    monkeypatch.setitem(sys.modules, "RPi", None)         # as on a machine without RPi.GPIO
    monkeypatch.setitem(sys.modules, "RPi.GPIO", None)
    with pytest.raises(PinUnavailable, match="RPi.GPIO is not installed.*MS20_PINS=sim"):
        make_factory("rpi")


def test_the_real_backend_module_imports_anywhere():
    import ms20.hardware.pins.rpi as rpi  # RPi.GPIO and spidev are imported only when a factory is made

    assert rpi.RPiFactory.__doc__


def test_batched_spi_frames_pack_as_the_kernel_expects():
    from ms20.hardware.pins.rpi import SPI_IOC_TRANSFER, pack_transfers, spi_ioc_message

    assert spi_ioc_message(1) == 0x40206B00           # SPI_IOC_MESSAGE(1) in linux/spi/spidev.h
    assert spi_ioc_message(8) == 0x41006B00
    arg, keep = pack_transfers([[1, 2, 3], [4, 5, 6]], 1_000_000)
    first, last = SPI_IOC_TRANSFER.unpack_from(arg, 0), SPI_IOC_TRANSFER.unpack_from(arg, 32)
    assert first[2:7] == (3, 1_000_000, 0, 8, 1)      # len, speed, delay, bits, cs_change: CS pulses
    assert last[6] == 0                               # ... but stays as the kernel leaves it after the last
    assert keep[0].raw == bytes([1, 2, 3])
