"""The panel's other controls: rotary switches read as resistor ladders by the ADC, the
momentary switch on a GPIO, and the control wheel (a pot on an ADC channel).

Rotary switch ladder (1 pole, n positions): n + 1 equal resistors from VREF to GND; the
switch's position k picks tap k, at (k + 1) / (n + 1) of VREF. Between detents the wiper
touches nothing and its 1 MOhm pull-down reads 0 V, which is no position at all:

    VREF --[R]--+--[R]--+--[R]--+--[R]--+--[R]-- GND       (n = 4: taps at 0.8 .. 0.2 VREF)
              pos 3   pos 2   pos 1   pos 0
                 \\______\\_______\\_______\\____ wiper --+-- ADC channel
                                                     [1M]
                                                      GND
"""

from __future__ import annotations

from ms20.hardware.drivers.mcp3208 import FULL_SCALE, AnalogIn
from ms20.hardware.pins.base import Pin

# Half the gap between taps: anything this close to a tap decodes to it; hysteresis widens
# the current position's window so noise at a band edge cannot toggle the reading.
LADDER_HYSTERESIS = 0.15          # of one tap spacing


def ladder_tap_fraction(position: int, positions: int) -> float:
    """Where tap `position` sits, as a fraction of VREF."""
    return (position + 1) / (positions + 1)


def decode_ladder(count: int, positions: int, current: int | None = None) -> int | None:
    """The switch position for an ADC count, or None when the wiper is between detents.
    `current` (the last decoded position) gets a wider window: hysteresis."""
    step = FULL_SCALE / (positions + 1)
    x = count / step - 1.0                       # 0.0 at tap 0, 1.0 at tap 1 ...
    if x < -0.5:
        return None                              # open wiper: 0 V
    nearest = min(max(round(x), 0), positions - 1)
    if current is not None and current != nearest and abs(x - current) < 0.5 + LADDER_HYSTERESIS:
        return current
    return nearest


class RotarySwitch:
    """A rotary switch on its ladder."""

    def __init__(self, adc: AnalogIn, positions: int) -> None:
        if positions < 2:
            raise ValueError("a rotary switch has at least two positions")
        self.adc = adc
        self.positions = positions
        self._last: int | None = None

    def read(self) -> int | None:
        """The detent the wiper is on (0-based), or None between detents."""
        return self.decode(self.adc.read())

    def decode(self, count: int) -> int | None:
        """The detent for an ADC count read elsewhere (a batched scan), with hysteresis."""
        self._last = decode_ladder(count, self.positions, self._last)
        return self._last


class MomentarySwitch:
    """A push button to ground on a GPIO line with the internal pull-up."""

    def __init__(self, pin: Pin) -> None:
        self.pin = pin
        pin.function = "input"
        pin.pull = "up"

    @property
    def is_pressed(self) -> bool:
        return not self.pin.state


class ControlWheel:
    """The control wheel: a pot between VREF and GND on an ADC channel (raw counts)."""

    def __init__(self, adc: AnalogIn) -> None:
        self.adc = adc

    def read(self) -> int:
        return self.adc.read()
