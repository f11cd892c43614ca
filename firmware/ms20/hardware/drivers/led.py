"""The status LED: a GPIO line through a resistor (active high: GPIO -> 330 Ohm -> LED -> GND)."""

from __future__ import annotations

from ms20.hardware.pins.base import Pin


class StatusLed:
    """On, off, or blinking when `update(now)` is called from the control loop (no thread)."""

    def __init__(self, pin: Pin, active_high: bool = True) -> None:
        self.pin = pin
        self.active_high = active_high
        pin.function = "output"
        self._blink_hz = 0.0
        self._steady = False
        self.off()

    @property
    def is_lit(self) -> bool:
        return self.pin.state == self.active_high

    @property
    def is_blinking(self) -> bool:
        return self._blink_hz > 0.0

    def _set(self, lit: bool) -> None:
        self.pin.state = lit == self.active_high

    def on(self) -> None:
        self._blink_hz, self._steady = 0.0, True
        self._set(True)

    def off(self) -> None:
        self._blink_hz, self._steady = 0.0, False
        self._set(False)

    def blink(self, hz: float) -> None:
        """Blink at `hz` as `update` is called."""
        self._blink_hz = hz

    def update(self, now: float) -> None:
        """Advance a blink to time `now` (seconds)."""
        if self._blink_hz > 0.0:
            self._set(int(now * self._blink_hz * 2.0) % 2 == 0)
