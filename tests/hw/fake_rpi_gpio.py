"""A faithful stand-in for the RPi.GPIO module (as RPi.GPIO 0.7 and rpi-lgpio 0.6 provide it),
for testing the rpi pin backend off a Pi: the same constants, the same calls, and the same
refusals (no numbering mode, a channel not set up, a pull or an initial level where the
library refuses one, driving an input, a second numbering mode), raised as the library
raises them. Each line is modelled electrically: what it drives as an output, its pull as
an input, and what the outside world drives onto it (`drive`, `release`).
"""

from __future__ import annotations

import types

BOARD, BCM = 10, 11
OUT, IN = 0, 1
LOW, HIGH = 0, 1
PUD_OFF, PUD_DOWN, PUD_UP = 20, 21, 22
VERSION = "0.7.1 (fake)"
RPI_INFO = {"P1_REVISION": 3, "TYPE": "Pi 5 Model B", "PROCESSOR": "BCM2712", "RAM": "8G"}
BCM_CHANNELS = range(0, 28)


def make_module() -> types.ModuleType:
    """A fresh fake `RPi.GPIO` module (state included): put it in sys.modules["RPi.GPIO"]."""
    m = types.ModuleType("RPi.GPIO")
    for name, value in dict(globals()).items():
        if name.isupper():
            setattr(m, name, value)
    state = {"mode": None, "warnings": True, "lines": {}, "outside": {}, "calls": []}
    m._state = state

    def _channel(channel: int) -> int:
        if state["mode"] is None:
            raise RuntimeError("Please set pin numbering mode using GPIO.setmode(GPIO.BOARD) or "
                               "GPIO.setmode(GPIO.BCM)")
        if not isinstance(channel, int) or channel not in BCM_CHANNELS:
            raise ValueError("The channel sent is invalid on a Raspberry Pi")
        return channel

    def setmode(mode: int) -> None:
        if mode not in (BOARD, BCM):
            raise ValueError("An invalid mode was passed to setmode()")
        if state["mode"] is not None and state["mode"] != mode:
            raise ValueError("A different mode has already been set!")
        state["mode"] = mode

    def getmode() -> int | None:
        return state["mode"]

    def setwarnings(flag: bool) -> None:
        state["warnings"] = bool(flag)

    def setup(channel: int, direction: int, pull_up_down: int = PUD_OFF, initial: int = -1) -> None:
        ch = _channel(channel)
        if direction not in (IN, OUT):
            raise ValueError("An invalid direction was passed to setup()")
        if pull_up_down not in (PUD_OFF, PUD_DOWN, PUD_UP):
            raise ValueError("Invalid value for pull_up_down - should be either PUD_OFF, PUD_UP or PUD_DOWN")
        if direction == OUT and pull_up_down != PUD_OFF:
            raise ValueError("pull_up_down parameter is not valid for outputs")
        if direction == IN and initial != -1:
            raise ValueError("initial parameter is not valid for inputs")
        level = state["lines"].get(ch, {}).get("level", LOW)
        if direction == OUT and initial != -1:
            level = HIGH if initial else LOW
        state["lines"][ch] = {"direction": direction, "pull": pull_up_down, "level": level}
        state["calls"].append(("setup", ch, direction, pull_up_down, initial))

    def output(channel: int, value) -> None:
        ch = _channel(channel)
        line = state["lines"].get(ch)
        if line is None or line["direction"] != OUT:
            raise RuntimeError("The GPIO channel has not been set up as an OUTPUT")
        line["level"] = HIGH if value else LOW

    def input(channel: int) -> int:  # noqa: A001 (the library's name)
        ch = _channel(channel)
        line = state["lines"].get(ch)
        if line is None:
            raise RuntimeError("You must setup() the GPIO channel first")
        if line["direction"] == OUT:
            return line["level"]
        if ch in state["outside"]:
            return state["outside"][ch]
        return {PUD_UP: HIGH, PUD_DOWN: LOW}.get(line["pull"], LOW)   # a floating line reads low here

    def cleanup(channel: int | None = None) -> None:
        for ch in ([channel] if channel is not None else list(state["lines"])):
            state["lines"].pop(ch, None)
        if channel is None or not state["lines"]:
            state["mode"] = None

    def gpio_function(channel: int) -> int:
        line = state["lines"].get(_channel(channel))
        return line["direction"] if line else IN

    def drive(channel: int, level: int) -> None:
        """The outside world (a switch, a chip) drives the line."""
        state["outside"][channel] = HIGH if level else LOW

    def release(channel: int) -> None:
        state["outside"].pop(channel, None)

    for f in (setmode, getmode, setwarnings, setup, output, input, cleanup, gpio_function, drive, release):
        setattr(m, f.__name__, f)
    return m
