"""The panel as a picture: where every control sits (data/layout.toml, `front`) and the SVG
drawn from it and a PanelState (`svg`). Used by the browser panel (ms20 run --web) and meant
for patch sheets (one drawing code, so the two cannot drift apart).

    from ms20.drawing import front, panel_svg
    svg = panel_svg(patch.panel, title=patch.name)
"""

from ms20.drawing.front import Front, Place, Section, front
from ms20.drawing.svg import cable_path, knob_angle, panel_svg, switch_angle

__all__ = ["Front", "Place", "Section", "cable_path", "front", "knob_angle", "panel_svg", "switch_angle"]
