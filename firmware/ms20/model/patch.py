"""Patch files: a TOML file of knob and switch positions, cables and MIDI mappings.

    name = "First voice"
    [knobs]
    "VCO-1 LEVEL" = "2 o'clock"     # or a number on the 0-10 scale
    [switches]
    "VCO-1 WAVE FORM" = "sawtooth"
    cables = [["MG TRIANGLE OUT", "LP CUTOFF FREQ"]]   # must precede the [tables]
    # a one-jack cable, ["LP CUTOFF FREQ"], is a plug leading nowhere (it breaks the normal)
    [midi.cc]
    1 = "LPF PEAK"                  # mod wheel turns a knob the panel has

Knobs and switches not named keep the panel's default. Every error names the file, and
the line where it can be found.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from ms20.model.jacks import UnknownJack
from ms20.model.panel import PanelError, PanelState, layout
from ms20.model.patchbay import resolve
from ms20.textfile import read_text, where


class PatchError(ValueError):
    """A patch file that cannot be loaded; the message names the file, line and key."""


@dataclass(frozen=True)
class Patch:
    """A patch file: its name, the panel it sets (knobs, switches, cables) and its MIDI CC map."""

    name: str
    panel: PanelState
    cc_map: Mapping[int, str] = field(default_factory=dict)   # MIDI CC number -> knob name
    source: str = ""


def load_patch(path: str | Path) -> Patch:
    """Read and check a patch file; PatchError names the file, line and key."""
    path = Path(path)
    return parse_patch(read_text(path, "patch file", PatchError), str(path))


def parse_patch(text: str, source: str = "<patch>") -> Patch:
    """Check the text of a patch file (`source` names it in errors)."""
    def fail(key: str, message: str) -> PatchError:
        return PatchError(f"{where(source, text, (key,))}: {message}")

    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PatchError(f"{source}: {exc}") from None

    known = {"name", "knobs", "switches", "cables", "midi", "description"}
    for key in data:
        if key not in known:
            raise fail(key, f"unknown section or key {key!r} (expected one of {', '.join(sorted(known))})")

    state = PanelState.default()
    for name, pos in _table(data, "knobs", fail).items():
        try:
            state = state.with_knob(name, pos)
        except PanelError as exc:
            raise fail(name, f"knob {name!r}: {exc}") from None
    for name, pos in _table(data, "switches", fail).items():
        try:
            state = state.with_switch(name, pos)
        except PanelError as exc:
            raise fail(name, f"switch {name!r}: {exc}") from None

    cables = data.get("cables", [])
    if not isinstance(cables, list) or not all(
        isinstance(c, list) and len(c) in (1, 2) and all(isinstance(j, str) for j in c) for c in cables
    ):
        raise fail("cables", "cables must be a list of [from, to] jack name pairs (or [jack]: a plug leading nowhere)")
    try:
        routing = resolve(((c[0], c[1]) for c in cables if len(c) == 2), (c[0] for c in cables if len(c) == 1))
    except UnknownJack as exc:
        jack = str(exc).split("'")[1] if "'" in str(exc) else str(exc)
        raise fail(jack, f"{exc} in cables") from None
    state = state.with_routing(routing)

    cc_map: dict[int, str] = {}
    for cc, knob in _table(data.get("midi", {}), "cc", fail).items():
        try:
            number = int(cc)
        except ValueError:
            raise fail(cc, f"MIDI CC {cc!r} is not a number") from None
        if not 0 <= number <= 119:
            raise fail(cc, f"MIDI CC {number} is outside 0-119")
        try:
            cc_map[number] = layout().knob(str(knob)).name
        except PanelError as exc:
            raise fail(str(knob), f"midi.cc {cc}: {exc}") from None

    name = data.get("name", Path(source).stem)
    return Patch(str(name), state, cc_map, source)


def _table(data: dict, key: str, fail) -> dict:
    value = data.get(key, {})
    if not isinstance(value, dict):
        raise fail(key, f"[{key}] must be a table of name = value")
    return value
