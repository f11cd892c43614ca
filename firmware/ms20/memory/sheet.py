"""Patch sheets: a patch drawn in the owner's manual's chart style (black on white, each knob's
pointer at its position, each cable between its jacks, numbered in a legend below), from the
same layout data and drawing code as the browser panel (ms20.drawing), so they cannot drift.

    ms20 draw patches/first-voice.toml --out sheet.svg    # or sheet.png (cairosvg)
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from ms20.drawing import front, panel_svg
from ms20.drawing.svg import cable_colour
from ms20.memory.guide import links
from ms20.model.patch import Patch

SVG_NS = "http://www.w3.org/2000/svg"
LEGEND_LINE_MM = 9.0
STUB_MM = 16.0                  # a plug leading nowhere: a short cable hanging from its jack

# Overrides of the panel's dark page style: the manual's charts are line drawings on paper.
CHART_STYLE = """
.ms20-panel .body { fill: #fff; stroke: #000; stroke-width: 1; }
.ms20-panel .section rect { stroke: #000; }
.ms20-panel .section text, .ms20-panel .label, .ms20-panel .title, .ms20-panel .legend { fill: #000; }
.ms20-panel .jack.out .label { fill: #000; font-weight: bold; }
.ms20-panel .tick { stroke: #000; }
.ms20-panel .knob .cap, .ms20-panel .switch .cap { fill: #fff; stroke: #000; stroke-width: 1.2; }
.ms20-panel .pointer { stroke: #000; stroke-width: 2.2; }
.ms20-panel .detent { fill: #777; }
.ms20-panel .detent.on { fill: #000; }
.ms20-panel .jack .nut, .ms20-panel .jack.out .nut { fill: #fff; stroke: #000; }
.ms20-panel .jack .hole { fill: #000; }
.ms20-panel .wheel rect, .ms20-panel .momentary circle { fill: #fff; stroke: #000; }
.ms20-panel .wheel .level { fill: #fff; }
.ms20-panel .cable { opacity: 1; }
.ms20-panel .legend { font-size: 7px; }
.ms20-panel .cable-number { fill: #000; font-size: 6px; font-weight: bold; text-anchor: middle; }
"""


def _el(tag: str, attrs: dict[str, object], text: str = "") -> ET.Element:
    e = ET.Element(f"{{{SVG_NS}}}{tag}", {k: str(v) for k, v in attrs.items()})
    e.text = text or None
    return e


def sheet_svg(patch: Patch, source: str = "") -> str:
    """The patch sheet as a standalone SVG document."""
    ET.register_namespace("", SVG_NS)
    f = front()
    root = ET.fromstring(panel_svg(patch.panel, title=patch.name))
    root.insert(1, _el("style", {}, CHART_STYLE))
    cables = root.find(f".//{{{SVG_NS}}}g[@id='cables']")
    assert cables is not None
    dangling = sorted(i for o, i in links(patch.panel.routing) if o is None and i in f.jacks)
    for name in dangling:
        jack = f.jacks[name]
        g = _el("g", {"class": "cable-group lone", "data-to": name})
        g.append(_el("path", {"class": "cable", "stroke": "#000", "stroke-dasharray": "3 2",
                              "d": f"M{jack.x:.1f},{jack.y:.1f} l0,{STUB_MM:g}"}))
        g.append(_el("circle", {"class": "plug", "fill": "#000", "cx": f"{jack.x:g}", "cy": f"{jack.y:g}",
                                "r": "3.2"}))
        cables.append(g)

    # The legend: each cable numbered at both of its plugs and listed below the panel.
    rows = [(o, i) for o, i in patch.panel.routing.cables if o in f.jacks and i in f.jacks]
    legend_y = f.height + 12.0
    lines = [f"{patch.name}: {len(rows)} cable{'s' if len(rows) != 1 else ''}"
             + (f", {len(dangling)} plug{'s' if len(dangling) != 1 else ''} leading nowhere" if dangling else "")]
    for k, (o, i) in enumerate(rows, start=1):
        for end in (f.jacks[o], f.jacks[i]):
            cables.append(_el("text", {"class": "cable-number", "x": f"{end.x:g}", "y": f"{end.y - 9:.1f}"},
                              str(k)))
        lines.append(f"{k}. {o} \u2192 {i}")
    lines += [f"\u2013 a cable leading nowhere in {name} (its normal is broken)" for name in dangling]
    if source:
        lines.append(f"from {source}")
    legend = _el("g", {"class": "legend-block"})
    for n, text in enumerate(lines):
        t = _el("text", {"class": "legend", "x": "14", "y": f"{legend_y + n * LEGEND_LINE_MM:.1f}"}, text)
        if 0 < n <= len(rows):
            o, i = rows[n - 1]
            legend.append(_el("rect", {"x": "4", "y": f"{legend_y + n * LEGEND_LINE_MM - 5:.1f}", "width": "7",
                                       "height": "5", "fill": cable_colour(o, i)}))
        legend.append(t)
    root.append(legend)
    height = legend_y + len(lines) * LEGEND_LINE_MM
    body = root.find(f"{{{SVG_NS}}}rect[@class='body']")
    if body is not None:
        body.set("height", f"{height:g}")
    root.set("viewBox", f"0 0 {f.width:g} {height:g}")
    root.set("height", f"{height * 1.5:g}")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def write_sheet(patch: Patch, out: Path, source: str = "") -> Path:
    """Draw `patch` to `out`: SVG, or PNG (by the suffix; PNG needs cairosvg)."""
    svg = sheet_svg(patch, source)
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.suffix.lower() == ".png":
        try:
            import cairosvg  # the [docs] extra: a pure-Python SVG renderer on Debian's libcairo2
        except ImportError as exc:
            raise OSError(f"PNG sheets need cairosvg: pip install 'ms20[docs]' ({exc})") from None
        cairosvg.svg2png(bytestring=svg.encode(), write_to=str(out), output_width=int(front().width * 2))
    elif out.suffix.lower() == ".svg":
        out.write_text(svg, encoding="utf-8")
    else:
        raise ValueError(f"{out}: a sheet is .svg or .png")
    return out
