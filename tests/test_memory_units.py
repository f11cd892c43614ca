"""Patch memory's pure parts: the momentary switch's gestures, patch names, the LED patterns,
the cable guide."""

from __future__ import annotations

import pytest

from ms20.memory.gesture import Action, MomentaryGesture
from ms20.memory.guide import cable_guide, links, merge_virtual
from ms20.memory.service import PATTERNS, pattern_lit
from ms20.memory.store import BadName, check_name
from ms20.model.patchbay import resolve


def test_a_key_held_through_a_long_press_saves_and_through_a_tap_recalls_its_slot():
    g = MomentaryGesture(long_press_s=1.0)
    g.pressed(0.0, 60)
    assert g.released(1.2, 60) == Action("save", slot="key-C4")
    g.pressed(5.0, None)
    assert g.released(5.2, 61) == Action("recall", slot="key-C#4")    # the key may come during the press
    g.pressed(9.0, None)
    assert g.released(9.1, None) is None                               # the switch alone only plays


def test_learn_takes_the_touched_pot_and_the_next_real_controller_not_a_pedal_or_bank_select():
    g = MomentaryGesture()
    g.pressed(0.0, None)
    g.cc_moved(21)                      # before a pot is touched: not yet
    g.pot_touched("LPF CUTOFF")
    for cc in (0, 32, 64):              # bank select around a Program Change, the sustain pedal
        g.cc_moved(cc)
    assert g.released(0.5, None) is None
    g.pressed(1.0, 60)                  # with a key held, learn still wins
    g.pot_touched("HPF PEAK")
    g.cc_moved(74)
    assert g.released(3.0, 60) == Action("learn", cc=74, knob="HPF PEAK")


@pytest.mark.parametrize("name", ["Bass 2", "Fläche ü", "key-C#4", "音色", "a.b"])
def test_names_a_player_types_are_patch_names(name):
    assert check_name(f" {name} ") == name


@pytest.mark.parametrize("name", ["", "   ", "../x", "a/b", "a\\b", ".hidden", "..", "tab\there", "x" * 81])
def test_names_that_could_leave_the_directory_or_hide_are_refused(name):
    with pytest.raises(BadName):
        check_name(name)


def test_the_guide_blink_is_two_flashes_a_second_and_the_error_flicker_is_fast():
    lit = [pattern_lit(PATTERNS["guide"], (k + 0.5) / 100) for k in range(100)]
    flashes = sum(1 for a, b in zip(lit, lit[1:], strict=False) if b and not a) + lit[0]
    assert flashes == 2 and sum(lit) == 20                              # 2 x 100 ms lit per second
    err = [pattern_lit(PATTERNS["error"], (k + 0.5) / 100) for k in range(100)]
    assert sum(1 for a, b in zip(err, err[1:], strict=False) if b and not a) >= 7


def test_the_cable_guide_compares_what_each_input_reads():
    want = resolve([("MG TRIANGLE OUT", "LP CUTOFF FREQ"), ("EG-1 OUT", "FREQ")])
    have = resolve([("MG TRIANGLE OUT", "LP CUTOFF FREQ"), ("PINK NOISE OUT", "FREQ")], lone=["TOTAL"])
    plug, pull = cable_guide(want, have)
    assert plug == (("EG-1 OUT", "FREQ"),)
    assert pull == (("PINK NOISE OUT", "FREQ"), (None, "TOTAL"))
    # a stacked plug that feeds the same inputs is the same patch
    stacked = resolve([("MG TRIANGLE OUT", "LP CUTOFF FREQ"), ("LP CUTOFF FREQ", "HP CUTOFF FREQ")])
    direct = resolve([("MG TRIANGLE OUT", "LP CUTOFF FREQ"), ("MG TRIANGLE OUT", "HP CUTOFF FREQ")])
    assert cable_guide(stacked, direct) == ((), ())
    # virtual: the recalled cable sounds where no plug is, the physical plug wins where one is
    merged = merge_virtual(want, have)
    assert links(merged) == {("MG TRIANGLE OUT", "LP CUTOFF FREQ"), ("PINK NOISE OUT", "FREQ"), (None, "TOTAL")}
