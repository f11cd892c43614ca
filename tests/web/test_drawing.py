"""The SVG drawn from the layout and a patch (the page's panel, and patch sheets later):
each knob points at its position, each switch at its detent, each cable joins its jacks."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from ms20.drawing import front, knob_angle, panel_svg, switch_angle
from ms20.model.panel import layout
from ms20.model.patch import load_patch

PATCHES = sorted((Path(__file__).resolve().parents[2] / "patches").glob("*.toml"))
SVG = "{http://www.w3.org/2000/svg}"


def _rotation(g: ET.Element) -> float:
    pointer = next(e for e in g.iter(f"{SVG}line") if e.get("class") == "pointer")
    return float(re.fullmatch(r"rotate\(([-\d.]+)\)", pointer.get("transform")).group(1))


def test_knob_angles_follow_the_printed_scale_from_7_to_5_o_clock():
    assert knob_angle(0.0) == -150.0          # 7 o'clock
    assert knob_angle(5.0) == 0.0             # 12 o'clock
    assert knob_angle(10.0) == 150.0          # 5 o'clock


@pytest.mark.parametrize("path", PATCHES, ids=lambda p: p.stem)
def test_a_patch_drawn_shows_each_knob_switch_and_cable_as_the_patch_sets_it(path):
    patch = load_patch(path)
    root = ET.fromstring(panel_svg(patch.panel, title=patch.name))
    groups = {(g.get("class"), g.get("data-name")): g for g in root.iter(f"{SVG}g") if g.get("data-name")}
    for name, pos in patch.panel.knobs.items():
        assert _rotation(groups[("knob", name)]) == pytest.approx(knob_angle(pos), abs=0.05), name
    for name, pos in patch.panel.switches.items():
        positions = layout().switch(name).positions
        assert _rotation(groups[("switch", name)]) == pytest.approx(
            switch_angle(positions.index(pos), len(positions)), abs=0.05), name
    drawn = [(g.get("data-from"), g.get("data-to"), g.find(f"{SVG}path").get("d"))
             for g in root.iter(f"{SVG}g") if g.get("class") == "cable-group"]
    assert sorted((a, b) for a, b, _ in drawn) == sorted(patch.panel.routing.cables)
    jacks = front().jacks
    for a, b, d in drawn:
        numbers = [float(v) for v in re.findall(r"-?\d+(?:\.\d+)?", d)]
        assert numbers[:2] == pytest.approx([jacks[a].x, jacks[a].y], abs=0.05), f"{a}: the cable starts elsewhere"
        assert numbers[-2:] == pytest.approx([jacks[b].x, jacks[b].y], abs=0.05), f"{b}: the cable ends elsewhere"
