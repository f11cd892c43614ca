"""The front of the box as data: data/layout.toml read into named records, positions in
millimetres from the drawing's top-left corner. Names are checked against panel.toml and
jacks.toml when the file is read, so a misspelt control fails loudly, not as a missing knob.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from types import MappingProxyType

from ms20.model.jacks import jack_table
from ms20.model.panel import layout


class LayoutError(ValueError):
    """layout.toml names a control that does not exist, or places one twice."""


@dataclass(frozen=True)
class Place:
    """One thing on the front: its name as the panel prints it, and its centre (mm)."""

    name: str
    x: float
    y: float


@dataclass(frozen=True)
class Section:
    """A framed group of controls with its title (VCO-1, HIGH PASS FILTER, PATCH PANEL...)."""

    title: str
    x: float
    y: float
    w: float
    h: float


@dataclass(frozen=True)
class Front:
    width: float
    height: float
    sections: tuple[Section, ...]
    knobs: Mapping[str, Place]
    switches: Mapping[str, Place]
    jacks: Mapping[str, Place]
    wheel: Place
    momentary: Place


def _places(entries: list[dict], canonical, what: str) -> Mapping[str, Place]:
    places: dict[str, Place] = {}
    for e in entries:
        try:
            name = canonical(e["name"])
        except (KeyError, ValueError) as exc:
            raise LayoutError(f"layout.toml: {what} {e.get('name')!r}: {exc}") from None
        if name in places:
            raise LayoutError(f"layout.toml: {what} {name!r} is placed twice")
        places[name] = Place(name, float(e["x"]), float(e["y"]))
    return MappingProxyType(places)


def parse_front(text: str) -> Front:
    """A Front from layout.toml's text (names as in panel.toml and jacks.toml)."""
    data = tomllib.loads(text)
    panel = layout()
    jacks = jack_table()
    return Front(
        width=float(data["panel"]["width"]),
        height=float(data["panel"]["height"]),
        sections=tuple(Section(s["title"], s["x"], s["y"], s["w"], s["h"]) for s in data.get("section", ())),
        knobs=_places(data.get("knob", []), lambda n: panel.knob(n).name, "knob"),
        switches=_places(data.get("switch", []), lambda n: panel.switch(n).name, "switch"),
        jacks=_places(data.get("jack", []), lambda n: jacks.find(n).name, "jack"),
        wheel=Place("CONTROL WHEEL", data["wheel"]["x"], data["wheel"]["y"]),
        momentary=Place("MOMENTARY", data["momentary"]["x"], data["momentary"]["y"]),
    )


@cache
def front() -> Front:
    """The box's front, from the package's data/layout.toml."""
    return parse_front(resources.files("ms20").joinpath("data/layout.toml").read_text())
