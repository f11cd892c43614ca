"""The panel drawn as SVG from the layout data and a PanelState: knobs at their angles,
switches at their detents, the jacks, and the cables as hanging curves in their colours.

Knob angles follow the panel's scale: 0 (7 o'clock) is -150 degrees from straight up, 5
(12 o'clock) is 0, 10 (5 o'clock) is +150. Every control is a <g> with data-name (and
data-position), so the browser page and tests find and update them; the same code draws a
static sheet (no script in it).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from xml.sax.saxutils import escape, quoteattr

from ms20.drawing.front import Front, Place, front
from ms20.model.jacks import jack_table
from ms20.model.panel import PanelState, layout

KNOB_R = 13.0
SWITCH_R = 11.0
JACK_R = 7.0
SWITCH_SPAN_DEG = 150.0      # a rotary switch's detents spread over this arc, centred on 12 o'clock
CABLE_COLOURS = ("#d33", "#e8a317", "#2a7de1", "#2bb24c", "#b64fd6", "#ee5fa7", "#17b5b0", "#f2f2f2")

# Words a label can lose inside its own section (the section's title says them).
_PREFIXES = ("VCO-1 ", "VCO-2 ", "HPF ", "LPF ", "EG-1 ", "EG-2 ", "MG ", "ESP ", "FM ")

STYLE = """
.ms20-panel { font-family: 'DejaVu Sans', Arial, sans-serif; }
.ms20-panel .body { fill: #1b1b1b; }
.ms20-panel .section rect { fill: none; stroke: #9a9a9a; stroke-width: 0.6; }
.ms20-panel .section text { fill: #e6e6e6; font-size: 6.5px; font-weight: bold; letter-spacing: 0.3px; }
.ms20-panel .label { fill: #e6e6e6; font-size: 5px; text-anchor: middle; }
.ms20-panel .tick { stroke: #bbb; stroke-width: 0.5; }
.ms20-panel .knob .cap { fill: #2d2d2d; stroke: #777; stroke-width: 1; }
.ms20-panel .pointer { stroke: #fff; stroke-width: 1.8; stroke-linecap: round; }
.ms20-panel .switch .cap { fill: #3a3a3a; stroke: #aaa; stroke-width: 1; }
.ms20-panel .detent { fill: #bbb; font-size: 4px; text-anchor: middle; }
.ms20-panel .detent.on { fill: #ffd54a; font-weight: bold; }
.ms20-panel .jack .nut { fill: #c9c9c9; stroke: #666; stroke-width: 0.6; }
.ms20-panel .jack.out .nut { fill: #f4f4f4; }
.ms20-panel .jack .hole { fill: #050505; }
.ms20-panel .jack .label { font-size: 3.6px; }
.ms20-panel .jack.out .label { fill: #ffd54a; }
.ms20-panel .cable { fill: none; stroke-width: 3.2; stroke-linecap: round; opacity: 0.88; }
.ms20-panel .plug { stroke: #111; stroke-width: 0.6; }
.ms20-panel .wheel rect { fill: #333; stroke: #999; stroke-width: 0.8; }
.ms20-panel .wheel .level { fill: #ffd54a; }
.ms20-panel .momentary circle { fill: #444; stroke: #bbb; stroke-width: 1; }
.ms20-panel .momentary.pressed circle { fill: #ffd54a; }
.ms20-panel .title { fill: #fff; font-size: 9px; font-weight: bold; }
"""


def knob_angle(position: float) -> float:
    """Degrees clockwise from 12 o'clock for a knob at `position` (0-10)."""
    return -150.0 + 30.0 * min(max(position, 0.0), 10.0)


def switch_angle(index: int, count: int) -> float:
    """Degrees clockwise from 12 o'clock of a rotary switch's detent `index` of `count`."""
    if count < 2:
        return 0.0
    return -SWITCH_SPAN_DEG / 2 + SWITCH_SPAN_DEG * index / (count - 1)


def cable_colour(out_name: str, in_name: str) -> str:
    """A cable's colour, the same for the same two jacks every time (page and sheet agree)."""
    h = 0
    for ch in f"{out_name}>{in_name}":
        h = (h * 31 + ord(ch)) & 0xFFFF
    return CABLE_COLOURS[h % len(CABLE_COLOURS)]


def cable_path(a: Place, b: Place) -> str:
    """SVG path of a cable hanging between two jacks: a cubic that sags with its length."""
    sag = 12.0 + 0.35 * math.hypot(b.x - a.x, b.y - a.y)
    return (f"M{a.x:.1f},{a.y:.1f} C{a.x:.1f},{a.y + sag:.1f} {b.x:.1f},{b.y + sag:.1f} "
            f"{b.x:.1f},{b.y:.1f}")


def short_label(name: str) -> str:
    for p in _PREFIXES:
        if name.startswith(p):
            return name[len(p):]
    return name


def _attr(name: str, value: object) -> str:
    return f" {name}={quoteattr(str(value))}"


def _knob(place: Place, position: float) -> str:
    ticks = "".join(
        f'<line class="tick" x1="0" y1="{-KNOB_R - 1.5:.1f}" x2="0" y2="{-KNOB_R - 3.5:.1f}" '
        f'transform="rotate({knob_angle(k):.0f})"/>' for k in range(11))
    return (f'<g class="knob"{_attr("data-name", place.name)}{_attr("data-position", f"{position:.3f}")} '
            f'transform="translate({place.x:g},{place.y:g})">{ticks}'
            f'<circle class="cap" r="{KNOB_R}"/>'
            f'<line class="pointer" x1="0" y1="-3" x2="0" y2="{-KNOB_R + 1.5}" '
            f'transform="rotate({knob_angle(position):.1f})"/>'
            f'<text class="label" y="{KNOB_R + 9}">{escape(short_label(place.name))}</text></g>')


def _switch(place: Place, positions: tuple[str, ...], current: str) -> str:
    k = positions.index(current) if current in positions else 0
    n = len(positions)
    detents = []
    for i, p in enumerate(positions):
        a = math.radians(switch_angle(i, n))
        r = SWITCH_R + 7.0
        cls = "detent on" if i == k else "detent"
        detents.append(f'<text class="{cls}"{_attr("data-detent", p)} x="{r * math.sin(a):.1f}" '
                       f'y="{-r * math.cos(a) + 1.5:.1f}">{escape(p[:4])}</text>')
    return (f'<g class="switch"{_attr("data-name", place.name)}{_attr("data-position", current)} '
            f'transform="translate({place.x:g},{place.y:g})">{"".join(detents)}'
            f'<circle class="cap" r="{SWITCH_R}"/>'
            f'<line class="pointer" x1="0" y1="0" x2="0" y2="{-SWITCH_R + 1}" '
            f'transform="rotate({switch_angle(k, n):.1f})"/>'
            f'<text class="label" y="{SWITCH_R + 9}">{escape(short_label(place.name))}</text></g>')


def _jack(place: Place, is_output: bool, kind: str) -> str:
    cls = "jack out" if is_output else "jack in"
    return (f'<g class="{cls}"{_attr("data-name", place.name)}{_attr("data-kind", kind)} '
            f'transform="translate({place.x:g},{place.y:g})">'
            f'<circle class="nut" r="{JACK_R}"/><circle class="hole" r="{JACK_R * 0.45:.2f}"/>'
            f'<text class="label" y="{JACK_R + 5.5}">{escape(place.name)}</text></g>')


def cables_svg(cables: Iterable[tuple[str, str]], f: Front | None = None) -> str:
    """The <path>s (and plugs) of `cables` (output name, input name)."""
    f = f or front()
    parts = []
    for out_name, in_name in cables:
        a, b = f.jacks.get(out_name), f.jacks.get(in_name)
        if a is None or b is None:
            continue
        colour = cable_colour(out_name, in_name)
        parts.append(f'<g class="cable-group"{_attr("data-from", out_name)}{_attr("data-to", in_name)}>'
                     f'<path class="cable" stroke="{colour}" d="{cable_path(a, b)}"/>'
                     f'<circle class="plug" fill="{colour}" cx="{a.x:g}" cy="{a.y:g}" r="3.2"/>'
                     f'<circle class="plug" fill="{colour}" cx="{b.x:g}" cy="{b.y:g}" r="3.2"/></g>')
    return "".join(parts)


def panel_svg(state: PanelState | None = None, *, title: str = "", wheel: float = 0.0,
              momentary: bool = False, f: Front | None = None) -> str:
    """The whole panel as a standalone SVG document (styles inside, no script)."""
    f = f or front()
    state = state or PanelState.default()
    panel = layout()
    jacks = jack_table()
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="ms20-panel" data-switch-span="{SWITCH_SPAN_DEG:g}" '
             f'viewBox="0 0 {f.width:g} {f.height:g}" width="{f.width * 1.5:g}" height="{f.height * 1.5:g}">',
             f"<style>{STYLE}</style>",
             f'<rect class="body" width="{f.width:g}" height="{f.height:g}" rx="6"/>']
    if title:
        parts.append(f'<text class="title" x="12" y="13">{escape(title)}</text>')
    for s in f.sections:
        parts.append(f'<g class="section"><rect x="{s.x:g}" y="{s.y:g}" width="{s.w:g}" height="{s.h:g}" rx="2"/>'
                     f'<text x="{s.x + 4:g}" y="{s.y + 8:g}">{escape(s.title)}</text></g>')
    for name, place in f.knobs.items():
        parts.append(_knob(place, state.knobs.get(name, panel.knob(name).default)))
    for name, place in f.switches.items():
        sw = panel.switch(name)
        parts.append(_switch(place, sw.positions, state.switches.get(name, sw.default)))
    for name, place in f.jacks.items():
        j = jacks.find(name)
        parts.append(_jack(place, j.is_output, j.kind))
    w = f.wheel
    parts.append(f'<g class="wheel" data-name="CONTROL WHEEL" data-position="{wheel:.3f}" '
                 f'transform="translate({w.x:g},{w.y:g})"><rect x="-8" y="-22" width="16" height="44" rx="3"/>'
                 f'<rect class="level" x="-6" y="{20 - 40 * wheel:.1f}" width="12" height="{40 * wheel:.1f}"/>'
                 f'<text class="label" y="31">CONTROL WHEEL</text></g>')
    m = f.momentary
    parts.append(f'<g class="momentary{" pressed" if momentary else ""}" data-name="MOMENTARY" '
                 f'transform="translate({m.x:g},{m.y:g})"><circle r="10"/>'
                 f'<text class="label" y="19">MOMENTARY SWITCH</text></g>')
    parts.append(f'<g id="cables">{cables_svg(state.routing.cables, f)}</g>')
    parts.append("</svg>")
    return "".join(parts)
