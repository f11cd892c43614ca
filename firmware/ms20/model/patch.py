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
    11 = { knob = "VOLUME", max = 8.5 }   # ... or part of its travel (min/max, 0-10)
    [esp]
    fv = "vintage"                  # the F-V converter: "accurate" (default) or "vintage"
    pitch_triggers = false          # TRIG only on attacks, not on legato pitch changes
    [settings]
    filter = "ota"                  # the filter revision: "korg35" (default) or "ota"

Knobs and switches not named keep the panel's default. Every error names the file, and
the line where it can be found.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from ms20.model.jacks import UnknownJack
from ms20.model.panel import PanelError, PanelState, layout
from ms20.model.patchbay import resolve
from ms20.textfile import parse_toml, read_text, short_repr, where

# The MS-20's two filter revisions, in the kernel's order (c_kernels/vcf.h, vcf_revision):
# the Korg35 chip of early units (the default, as the MS-20 mini chose) and the later
# LM13600 OTA board.
FILTERS = ("korg35", "ota")


class PatchError(ValueError):
    """A patch file that cannot be loaded; the message names the file, line and key."""


FV_CHOICES = ("accurate", "vintage")


@dataclass(frozen=True)
class EspSettings:
    """The ESP's settings that are no knob: the F-V character and pitch-change triggers."""

    fv: str = "accurate"
    pitch_triggers: bool = True


@dataclass(frozen=True)
class Patch:
    """A patch file: its name, the panel it sets (knobs, switches, cables) and its MIDI CC map."""

    name: str
    panel: PanelState
    cc_map: Mapping[int, str] = field(default_factory=dict)   # MIDI CC number -> knob name
    source: str = ""
    # MIDI CC number -> (knob position at 0, at 127) where the file narrows the travel
    cc_span: Mapping[int, tuple[float, float]] = field(default_factory=dict)
    esp: EspSettings = EspSettings()
    filter: str | None = None   # one of FILTERS, or None: whatever the box or renderer plays


REPO = Path(__file__).resolve().parents[3]         # the source tree, when run from one
SHIPPED = Path(__file__).resolve().parents[1] / "data"   # data/patches: in the package, also in a wheel


def find_patch(name: str | Path) -> Path | None:
    """A patch path as given, else relative to the firmware's tree (an installed box), else
    among the patches the package carries (`patches/x.toml` is data/patches/x.toml); a bare
    name (`first-voice`, `first-voice.toml`) is looked up among the shipped patches. None
    when it is nowhere."""
    path = Path(name)
    if path.is_file() or path.is_absolute():
        return path if path.is_file() else None
    candidates = [path]
    if len(path.parts) == 1:
        candidates += [Path("patches") / path, Path("patches") / f"{path}.toml"]
    for candidate in candidates:
        for base in (Path.cwd(), REPO, SHIPPED):
            if (base / candidate).is_file():
                return base / candidate
    return None


def load_patch(path: str | Path) -> Patch:
    """Read and check a patch file; PatchError names the file, line and key."""
    path = Path(path)
    return parse_patch(read_text(path, "patch file", PatchError), str(path))


def parse_patch(text: str, source: str = "<patch>") -> Patch:
    """Check the text of a patch file (`source` names it in errors)."""
    def fail(key: str, message: str) -> PatchError:
        return PatchError(f"{where(source, text, (key,))}: {message}")

    def fail_cc(cc: str, message: str) -> PatchError:   # a number is not a key line_of looks for
        return PatchError(f"{where(source, text, ('midi', 'cc', f'{cc} ='))}: {message}")

    data = parse_toml(text, source, PatchError)

    known = {"name", "knobs", "switches", "cables", "midi", "esp", "description", "settings"}
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

    midi = _table(data, "midi", fail)
    for key in midi:
        if key != "cc":
            raise fail(key, f"unknown key {key!r} under [midi] (expected [midi.cc])")
    cc_map: dict[int, str] = {}
    cc_span: dict[int, tuple[float, float]] = {}
    for cc, target in _table(midi, "cc", fail).items():
        try:
            number = int(cc)
        except ValueError:
            raise fail_cc(cc, f"MIDI CC {cc!r} is not a number") from None
        if not 0 <= number <= 119:
            raise fail_cc(cc, f"MIDI CC {number} is outside 0-119")
        knob = target.get("knob", "") if isinstance(target, dict) else target
        if not isinstance(knob, str):
            raise fail_cc(cc, f"midi.cc {cc}: must be a knob name or {{ knob, min, max }}, got {short_repr(knob)}")
        try:
            cc_map[number] = layout().knob(knob).name
        except PanelError as exc:
            raise fail(str(knob) or cc, f"midi.cc {cc}: {exc}") from None
        if isinstance(target, dict):
            span = (target.get("min", 0.0), target.get("max", 10.0))
            if not all(isinstance(v, int | float) and not isinstance(v, bool) and 0.0 <= v <= 10.0 for v in span):
                raise fail_cc(cc, f"midi.cc {cc}: min and max are knob positions, 0-10")
            cc_span[number] = (float(span[0]), float(span[1]))

    esp_table = _table(data, "esp", fail)
    for key in esp_table:
        if key not in ("fv", "pitch_triggers"):
            raise fail(key, f"[esp] {key!r}: expected fv or pitch_triggers")
    esp = EspSettings(esp_table.get("fv", "accurate"), esp_table.get("pitch_triggers", True))
    if esp.fv not in FV_CHOICES:
        raise fail("fv", f"[esp] fv {esp.fv!r}: expected one of {', '.join(FV_CHOICES)}")
    if not isinstance(esp.pitch_triggers, bool):
        raise fail("pitch_triggers", "[esp] pitch_triggers must be true or false")

    settings = _table(data, "settings", fail)
    for key in settings:
        if key != "filter":
            raise fail(key, f"unknown setting {key!r} (expected: filter)")
    revision = settings.get("filter")
    if revision is not None and revision not in FILTERS:
        raise fail("filter", f"filter {short_repr(revision)}: expected one of {', '.join(FILTERS)}")

    for key in ("name", "description"):
        if key in data and not isinstance(data[key], str):
            raise fail(key, f"{key} must be a string, got {short_repr(data[key])}")
    name = data.get("name", Path(source).stem)
    return Patch(name, state, cc_map, source, cc_span, esp, revision)


def _table(data: dict, key: str, fail) -> dict:
    value = data.get(key, {})
    if not isinstance(value, dict):
        raise fail(key, f"[{key}] must be a table of name = value")
    return value
