"""The panel model: knob positions on the MS-20's 0-10 scale and switch positions by name,
turned into kernel values in this one place (the tapers of data/panel.toml).

A PanelState is an immutable snapshot of the whole panel plus its cables: patch files,
the hardware scanner and MIDI controllers all produce one, and `send` queues the
differences between two snapshots to the kernel.
"""

from __future__ import annotations

import math
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import cache
from importlib import resources
from types import MappingProxyType
from typing import TYPE_CHECKING, TypeVar

from ms20.model.kernel_ids import PARAMS, SWITCHES
from ms20.model.patchbay import NORMALLED, Routing
from ms20.textfile import short_repr

if TYPE_CHECKING:
    from ms20.model.engine import Engine


T = TypeVar("T")


class PanelError(ValueError):
    """An unknown control or a position the panel cannot take."""


@dataclass(frozen=True)
class Knob:
    """A panel knob: its kernel parameter and the taper from 0-10 to the parameter's unit."""

    name: str
    param: int
    taper: str
    lo: float
    hi: float
    points: tuple[tuple[float, float], ...]
    unit: str
    default: float
    note: str

    def value(self, position: float) -> float:
        """Kernel value for a panel position 0..10 (clamped)."""
        x = min(max(float(position), 0.0), 10.0)
        t = x / 10.0
        if self.taper == "lin":
            v = self.lo + (self.hi - self.lo) * t
        elif self.taper == "exp":
            v = self.lo * (self.hi / self.lo) ** t
        elif self.taper == "square":
            v = self.hi * t * t
        else:  # table
            xs = [p[0] for p in self.points]
            k = max(i for i, px in enumerate(xs) if px <= x) if x > xs[0] else 0
            k = min(k, len(xs) - 2)
            (x0, y0), (x1, y1) = self.points[k], self.points[k + 1]
            v = y0 + (y1 - y0) * (x - x0) / (x1 - x0)
        return 10.0 ** (v / 20.0) if self.unit == "db" else v


@dataclass(frozen=True)
class Switch:
    """A panel switch: its kernel switch number and named positions."""

    name: str
    param: int
    positions: tuple[str, ...]
    default: str

    def index(self, position: str | int) -> int:
        if isinstance(position, int) and not isinstance(position, bool):
            if 0 <= position < len(self.positions):
                return position
        else:
            key = _norm(str(position))
            for i, p in enumerate(self.positions):
                if _norm(p) == key:
                    return i
        raise PanelError(f"{self.name} has no position {position!r} (positions: {', '.join(self.positions)})")


def _norm(name: str) -> str:
    return " ".join(name.replace("_", " ").replace("’", "'").upper().split())


# Names a player may use from other MS-20 literature (the guide speaks of one "VCF").
ALIASES = {
    "VCF CUTOFF": "LPF CUTOFF", "VCF CUTOFF FREQUENCY": "LPF CUTOFF", "LPF CUTOFF FREQUENCY": "LPF CUTOFF",
    "HPF CUTOFF FREQUENCY": "HPF CUTOFF", "VCF RESONANCE": "LPF PEAK", "LPF RESONANCE": "LPF PEAK",
    "HPF RESONANCE": "HPF PEAK", "VCO-1 WAVEFORM": "VCO-1 WAVE FORM", "VCO-2 WAVEFORM": "VCO-2 WAVE FORM",
}


@dataclass(frozen=True)
class PanelLayout:
    """Every knob and switch of data/panel.toml, found by panel name or alias."""

    knobs: Mapping[str, Knob]
    switches: Mapping[str, Switch]

    def knob(self, name: str) -> Knob:
        """A knob by panel name or alias (case and spacing insensitive); PanelError if none."""
        return _lookup(self.knobs, name, "knob")

    def switch(self, name: str) -> Switch:
        """A switch by panel name or alias; PanelError if none."""
        return _lookup(self.switches, name, "switch")


def _lookup(table: Mapping[str, T], name: str, what: str) -> T:
    key = ALIASES.get(_norm(name), _norm(name))
    try:
        return table[key]
    except KeyError:
        raise PanelError(f"unknown {what} {name!r}") from None


@cache
def layout() -> PanelLayout:
    """The panel layout from data/panel.toml (read once)."""
    data = tomllib.loads(resources.files("ms20").joinpath("data/panel.toml").read_text())
    knobs = {
        _norm(k["name"]): Knob(
            k["name"], PARAMS[k["param"]], k["taper"], float(k.get("min", 0.0)),
            float(k.get("max", 0.0)), tuple(tuple(p) for p in k.get("points", ())), k.get("unit", ""),
            float(k["default"]), k["note"],
        )
        for k in data["knob"]
    }
    switches = {
        _norm(s["name"]): Switch(s["name"], SWITCHES[s["param"]], tuple(s["positions"]), s["default"])
        for s in data["switch"]
    }
    return PanelLayout(MappingProxyType(knobs), MappingProxyType(switches))


_CLOCK = re.compile(r"^\s*(\d{1,2})(?::(\d{2}))?\s*o'?\s*clock\s*$", re.IGNORECASE)


def parse_position(value: float | int | str) -> float:
    """A knob position: a number on the 0-10 scale, or a clock position such as "2 o'clock"
    (7 o'clock is fully counter-clockwise = 0, 12 o'clock = 5, 5 o'clock = 10)."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise PanelError(f"knob position {short_repr(value)} is not a number (0-10) or a clock position")
    if isinstance(value, int | float):
        if isinstance(value, int) and not -1000 <= value <= 1000:
            raise PanelError(f"knob position {short_repr(value)} is outside 0-10")
        x = float(value)
    else:
        m = _CLOCK.match(value.replace("’", "'"))
        if not m:
            try:
                x = float(value)
            except ValueError:
                raise PanelError(f"knob position {value!r}: use 0-10 or a clock position like \"2 o'clock\"") from None
        else:
            hour, minute = int(m.group(1)), int(m.group(2) or 0)
            if not 1 <= hour <= 12 or minute >= 60:
                raise PanelError(f"knob position {value!r} is not a time on a clock face")
            x = (hour - 7) % 12 + minute / 60.0
            if x > 10.0:
                raise PanelError(f"knob position {value!r} is past the knob's end stop (7 to 5 o'clock)")
    if not math.isfinite(x) or not 0.0 <= x <= 10.0:
        raise PanelError(f"knob position {value!r} is outside 0-10")
    return x


@dataclass(frozen=True)
class PanelState:
    """The whole panel at one moment: knob positions (0-10), switch positions, cables."""

    knobs: Mapping[str, float] = field(default_factory=dict)
    switches: Mapping[str, str] = field(default_factory=dict)
    routing: Routing = NORMALLED

    @staticmethod
    def default() -> PanelState:
        lay = layout()
        return PanelState(
            MappingProxyType({k.name: k.default for k in lay.knobs.values()}),
            MappingProxyType({s.name: s.default for s in lay.switches.values()}),
        )

    def with_knob(self, name: str, position: float | str) -> PanelState:
        knob = layout().knob(name)
        return replace(self, knobs=MappingProxyType({**self.knobs, knob.name: parse_position(position)}))

    def with_switch(self, name: str, position: str | int) -> PanelState:
        sw = layout().switch(name)
        return replace(self, switches=MappingProxyType({**self.switches, sw.name: sw.positions[sw.index(position)]}))

    def with_routing(self, routing: Routing) -> PanelState:
        return replace(self, routing=routing)


def send(engine: Engine, state: PanelState, previous: PanelState | None = None, at: int | None = None) -> int:
    """Queue what changed from `previous` (everything when None). Returns events queued."""
    lay = layout()
    sent = 0
    for name, pos in state.knobs.items():
        if previous is None or previous.knobs.get(name) != pos:
            knob = lay.knob(name)
            engine.set_param(knob.param, knob.value(pos), at)
            sent += 1
    for name, pos in state.switches.items():
        if previous is None or previous.switches.get(name) != pos:
            sw = lay.switch(name)
            engine.set_switch(sw.param, sw.index(pos), at)
            sent += 1
    if previous is None or previous.routing.route != state.routing.route:
        engine.patch(state.routing.route, at)
        sent += 1
    return sent
