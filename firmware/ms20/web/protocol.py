"""What a page may ask (one JSON object per WebSocket message), checked before anything
moves: a bad message raises BadMessage, whose text goes back to the page, and nothing else
happens. Names are the panel's (panel.toml, jacks.toml), resolved here to their canonical
spelling.

    {"type": "turn", "knob": "LPF CUTOFF", "position": 7.5}        0-10 as printed
    {"type": "switch", "switch": "VCO-1 SCALE", "position": "8'"}
    {"type": "plug", "from": "MG TRIANGLE OUT", "to": "LP CUTOFF FREQ"}
    {"type": "unplug", "from": "LP CUTOFF FREQ", "to": null}        every cable in that jack
    {"type": "key", "note": 60, "on": true}                         MIDI note number
    {"type": "wheel", "position": 0.5}                              0 at rest .. 1 at the stop
    {"type": "momentary", "pressed": true}
    {"type": "auth", "passphrase": "..."}
    {"type": "save", "name": "Bass 2"}                              patch memory (ms20.memory)
    {"type": "recall", "name": "Bass 2"}
    {"type": "learn", "knob": "LPF CUTOFF"}                         the next CC moved turns it
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass

from ms20.memory.store import BadName, check_name
from ms20.model.jacks import UnknownJack, jack_table
from ms20.model.panel import PanelError, layout

MAX_MESSAGE_BYTES = 2048


class BadMessage(ValueError):
    """A message the firmware will not act on; the text says why."""


@dataclass(frozen=True)
class Turn:
    knob: str
    position: float


@dataclass(frozen=True)
class SetSwitch:
    switch: str
    position: str


@dataclass(frozen=True)
class Plug:
    a: str
    b: str


@dataclass(frozen=True)
class Unplug:
    a: str
    b: str | None


@dataclass(frozen=True)
class Key:
    note: int
    on: bool


@dataclass(frozen=True)
class Wheel:
    position: float


@dataclass(frozen=True)
class Momentary:
    pressed: bool


@dataclass(frozen=True)
class Auth:
    passphrase: str


@dataclass(frozen=True)
class Save:
    name: str


@dataclass(frozen=True)
class Recall:
    name: str


@dataclass(frozen=True)
class Learn:
    knob: str


Gesture = Turn | SetSwitch | Plug | Unplug | Key | Wheel | Momentary | Save | Recall | Learn
PHYSICAL = (Turn, SetSwitch, Plug, Unplug, Wheel, Momentary)   # move the panel's own controls


def _number(data: dict, key: str, lo: float, hi: float) -> float:
    v = data.get(key)
    if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
        raise BadMessage(f"{key!r} must be a number")
    if not lo <= v <= hi:
        raise BadMessage(f"{key!r} {v} is outside {lo:g}-{hi:g}")
    return float(v)


def _flag(data: dict, key: str) -> bool:
    v = data.get(key)
    if not isinstance(v, bool):
        raise BadMessage(f"{key!r} must be true or false")
    return v


def _text(data: dict, key: str) -> str:
    v = data.get(key)
    if not isinstance(v, str) or not v or len(v) > 64:
        raise BadMessage(f"{key!r} must be a name")
    return v


def _jack(name: str, allowed: frozenset[str] | None) -> str:
    try:
        jack = jack_table().find(name)
    except UnknownJack:
        raise BadMessage(f"no jack {name!r} on the panel") from None
    if allowed is not None and jack.name not in allowed:
        raise BadMessage(f"{jack.name} is not wired to this board's jack matrix")
    return jack.name


def parse(text: str | bytes, jacks: frozenset[str] | None = None) -> Gesture | Auth:
    """One message as a record; `jacks` limits cables to the jacks the board senses."""
    if len(text) > MAX_MESSAGE_BYTES:
        raise BadMessage(f"message longer than {MAX_MESSAGE_BYTES} bytes")
    try:
        data = json.loads(text)
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadMessage(f"not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise BadMessage("a message is a JSON object")
    kind = data.get("type")
    try:
        if kind == "turn":
            return Turn(layout().knob(_text(data, "knob")).name, _number(data, "position", 0.0, 10.0))
        if kind == "switch":
            sw = layout().switch(_text(data, "switch"))
            pos = data.get("position")
            if not isinstance(pos, str | int) or isinstance(pos, bool):
                raise BadMessage("'position' must be a switch position")
            return SetSwitch(sw.name, sw.positions[sw.index(pos)])
    except PanelError as exc:
        raise BadMessage(str(exc)) from None
    if kind == "plug":
        a, b = _jack(_text(data, "from"), jacks), _jack(_text(data, "to"), jacks)
        if a == b:
            raise BadMessage(f"a cable needs two different jacks, not {a} twice")
        return Plug(a, b)
    if kind == "unplug":
        a = _jack(_text(data, "from"), jacks)
        b = None if data.get("to") is None else _jack(_text(data, "to"), jacks)
        return Unplug(a, b)
    if kind == "key":
        note = _number(data, "note", 0, 127)
        if note != int(note):
            raise BadMessage("'note' must be a whole MIDI note number")
        return Key(int(note), _flag(data, "on"))
    if kind == "wheel":
        return Wheel(_number(data, "position", 0.0, 1.0))
    if kind == "momentary":
        return Momentary(_flag(data, "pressed"))
    if kind in ("save", "recall"):
        try:
            name = check_name(_text(data, "name"))
        except BadName as exc:
            raise BadMessage(str(exc)) from None
        return Save(name) if kind == "save" else Recall(name)
    if kind == "learn":
        try:
            return Learn(layout().knob(_text(data, "knob")).name)
        except PanelError as exc:
            raise BadMessage(str(exc)) from None
    if kind == "auth":
        p = data.get("passphrase")
        if not isinstance(p, str) or len(p) > 256:
            raise BadMessage("'passphrase' must be text")
        return Auth(p)
    raise BadMessage(f"unknown message type {kind!r}")
