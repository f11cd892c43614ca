"""The layout data (data/layout.toml) against the panel it draws: every control has a place,
nothing else does, and no two controls sit on each other."""

from __future__ import annotations

import itertools
import math

import pytest

from ms20.drawing.front import LayoutError, front, parse_front
from ms20.drawing.svg import JACK_R, KNOB_R, SWITCH_R
from ms20.model.jacks import jack_table
from ms20.model.panel import layout


def test_every_knob_and_switch_of_panel_toml_has_a_place_and_nothing_else_does():
    f = front()
    assert sorted(f.knobs) == sorted(k.name for k in layout().knobs.values())
    assert sorted(f.switches) == sorted(s.name for s in layout().switches.values())


def test_every_patchable_jack_of_jacks_toml_has_a_place_and_no_internal_source_does():
    assert sorted(front().jacks) == sorted(j.name for j in jack_table().patchable())
    assert len([j for j in jack_table().patchable() if j.where == "panel"]) == 35


def test_no_two_controls_overlap_and_all_sit_inside_the_panel():
    f = front()
    things = ([(p, KNOB_R) for p in f.knobs.values()] + [(p, SWITCH_R) for p in f.switches.values()]
              + [(p, JACK_R) for p in f.jacks.values()])
    for p, r in things:
        assert r <= p.x <= f.width - r and r <= p.y <= f.height - r, f"{p.name} is off the panel"
    for (a, ra), (b, rb) in itertools.combinations(things, 2):
        assert math.hypot(a.x - b.x, a.y - b.y) > ra + rb, f"{a.name} and {b.name} overlap"


def test_a_misspelt_or_doubled_name_in_the_layout_is_refused():
    text = "[panel]\nwidth = 10\nheight = 10\n[wheel]\nx = 1\ny = 1\n[momentary]\nx = 2\ny = 2\n"
    with pytest.raises(LayoutError, match="LPF CUTOF"):
        parse_front(text + '[[knob]]\nname = "LPF CUTOF"\nx = 1\ny = 1\n')
    with pytest.raises(LayoutError, match="placed twice"):
        parse_front(text + '[[jack]]\nname = "TOTAL"\nx = 1\ny = 1\n[[jack]]\nname = "total"\nx = 3\ny = 3\n')
