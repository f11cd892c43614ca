"""The pin layer: a Factory of GPIO pins and SPI devices, real (rpi) or simulated (mock).

The backend comes from the caller (config) or the MS20_PINS environment variable, never
from guessing the machine: `make_factory("mock")`, or MS20_PINS=rpi on the box.
"""

from __future__ import annotations

import os

from ms20.hardware.pins.base import (
    GPIO_LINES,
    SPI,
    SPI_BUSES,
    Factory,
    Pin,
    PinContention,
    PinError,
    PinInvalidFunction,
    PinInvalidPin,
    PinReserved,
    PinUnavailable,
)

BACKENDS = ("rpi", "mock")
ALIASES = {"sim": "mock"}      # the config file's word for the simulated board
ENV_VAR = "MS20_PINS"
DEFAULT_BACKEND = "rpi"

__all__ = [
    "BACKENDS", "ENV_VAR", "GPIO_LINES", "SPI", "SPI_BUSES", "Factory", "Pin", "PinContention", "PinError",
    "PinInvalidFunction", "PinInvalidPin", "PinReserved", "PinUnavailable", "backend_name", "make_factory",
]


def backend_name(kind: str | None = None) -> str:
    """The backend to use: `kind` if given, else $MS20_PINS, else "rpi" ("sim" means "mock")."""
    name = (kind or os.environ.get(ENV_VAR) or DEFAULT_BACKEND).strip().lower()
    name = ALIASES.get(name, name)
    if name not in BACKENDS:
        raise PinError(f"unknown pin backend {name!r} (from {'the caller' if kind else ENV_VAR}); "
                       f"use one of: {', '.join(BACKENDS)}")
    return name


def make_factory(kind: str | None = None, **options: object) -> Factory:
    """A pin factory of the chosen backend (see `backend_name`)."""
    name = backend_name(kind)
    if name == "mock":
        from ms20.hardware.pins.mock import MockFactory
        return MockFactory(**options)  # type: ignore[arg-type]
    from ms20.hardware.pins.rpi import RPiFactory
    return RPiFactory()
