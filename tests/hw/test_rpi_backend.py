"""The rpi pin backend (pins/rpi.py) against a faithful fake of the RPi.GPIO API that
rpi-lgpio provides on every Pi from the 3 to the 5: every call the backend makes is one the
library accepts, levels and pulls reach the lines, and what the library refuses never
happens. (On a Pi, tests/hw/test_pins.py runs the same drivers on the real library.)"""

from __future__ import annotations

import sys
import types

import pytest
from fake_rpi_gpio import BCM, IN, OUT, PUD_DOWN, PUD_OFF, PUD_UP, make_module

from ms20.hardware.drivers.led import StatusLed
from ms20.hardware.pins import PinInvalidFunction, PinReserved, make_factory


@pytest.fixture
def gpio(monkeypatch) -> types.ModuleType:
    """A fresh fake RPi.GPIO (and a spidev stand-in) as the rpi backend imports them."""
    fake = make_module()
    package = types.ModuleType("RPi")
    package.GPIO = fake
    monkeypatch.setitem(sys.modules, "RPi", package)
    monkeypatch.setitem(sys.modules, "RPi.GPIO", fake)
    monkeypatch.setitem(sys.modules, "spidev", types.ModuleType("spidev"))
    return fake


def test_the_backend_numbers_pins_as_bcm_and_starts_them_as_plain_inputs(gpio):
    factory = make_factory("rpi")
    assert gpio.getmode() == BCM
    pin = factory.pin(17, "test")
    assert gpio._state["lines"][17] == {"direction": IN, "pull": PUD_OFF, "level": 0}
    assert pin.function == "input" and pin.pull == "floating"


def test_an_output_drives_its_line_and_starts_at_the_level_it_was_given(gpio):
    pin = make_factory("rpi").pin(5, "test")
    pin.function = "output"
    assert gpio._state["lines"][5]["direction"] == OUT and gpio.input(5) == 0
    pin.state = True
    assert gpio.input(5) == 1 and pin.state is True
    pin.function = "input"
    pin.function = "output"                       # back to output: the last level, no glitch low
    assert gpio._state["calls"][-1] == ("setup", 5, OUT, PUD_OFF, 1)


def test_an_input_reads_its_pull_and_what_drives_it(gpio):
    pin = make_factory("rpi").pin(22, "test")
    pin.pull = "up"
    assert gpio._state["lines"][22]["pull"] == PUD_UP and pin.state is True
    gpio.drive(22, 0)                             # a switch to ground closes
    assert pin.state is False
    gpio.release(22)
    pin.pull = "down"
    assert gpio._state["lines"][22]["pull"] == PUD_DOWN and pin.state is False


def test_what_the_library_refuses_is_refused_before_it(gpio):
    factory = make_factory("rpi")
    pin = factory.pin(6, "test")
    with pytest.raises(PinInvalidFunction):
        pin.state = True                          # driving an input: RPi.GPIO would raise RuntimeError
    pin.function = "output"
    with pytest.raises(PinInvalidFunction):
        pin.pull = "up"                           # a pull on an output: RPi.GPIO would raise ValueError
    with pytest.raises(PinReserved):
        factory.pin(6, "someone else")


def test_the_status_led_lights_its_line_and_close_releases_it(gpio):
    factory = make_factory("rpi")
    led = StatusLed(factory.pin(26, "status LED"))
    led.on()
    assert gpio.input(26) == 1
    led.off()
    assert gpio.input(26) == 0
    factory.close()
    assert 26 not in gpio._state["lines"]


def test_a_missing_library_names_rpi_lgpio_and_the_simulated_board(monkeypatch):
    monkeypatch.setitem(sys.modules, "RPi", None)
    monkeypatch.setitem(sys.modules, "RPi.GPIO", None)
    from ms20.hardware.pins import PinUnavailable
    with pytest.raises(PinUnavailable, match="rpi-lgpio.*MS20_PINS=sim"):
        make_factory("rpi")
