"""The panel in a real browser (headless Chromium from Debian, driven by Selenium) against the
firmware on the simulated board: what a player sees and hears when using the page."""

from __future__ import annotations

import time

import pytest
from webkit import browser, knob_on_page, needs_browser, open_panel, wait_for, web_box
from websignals import centroid_hz, centroid_track, wobble

from ms20.model.jacks import jack_table
from ms20.model.panel import layout

pytestmark = needs_browser()

HELD = {"EG-2 ATTACK": 0.0, "EG-2 DECAY": 0.0, "EG-2 SUSTAIN": 10.0, "LPF EG2/EXT": 0.0, "LPF PEAK": 3.0}


def _jack(driver, name):
    from selenium.webdriver.common.by import By
    return driver.find_element(By.CSS_SELECTOR, f"#panel .jack[data-name='{name}'] .nut")


def _knob(driver, name):
    from selenium.webdriver.common.by import By
    return driver.find_element(By.CSS_SELECTOR, f"#panel .knob[data-name='{name}'] .cap")


def _hold_key(driver, key: str):
    from selenium.webdriver.common.action_chains import ActionChains
    ActionChains(driver).key_down(key).perform()


def _release_key(driver, key: str):
    from selenium.webdriver.common.action_chains import ActionChains
    ActionChains(driver).key_up(key).perform()


def _seconds(tap, seconds: float):
    """Wait, then the last `seconds` of output."""
    time.sleep(seconds)
    end = tap.frames
    return tap.audio[end - int(seconds * 48000):end].copy()


def test_the_page_shows_every_knob_switch_and_jack_of_the_panel():
    with web_box() as (box, web, tap, mock), browser() as d:
        open_panel(d, web)
        shown = d.execute_script("""
            const names = sel => [...document.querySelectorAll(sel)].map(g => g.dataset.name);
            return {knobs: names('#panel .knob'), switches: names('#panel .switch'), jacks: names('#panel .jack')};""")
    assert sorted(shown["knobs"]) == sorted(k.name for k in layout().knobs.values())
    assert sorted(shown["switches"]) == sorted(s.name for s in layout().switches.values())
    assert sorted(shown["jacks"]) == sorted(j.name for j in jack_table().patchable())


def test_dragging_the_cutoff_knob_up_in_the_page_makes_the_sound_brighter():
    with web_box(knobs={**HELD, "LPF CUTOFF": 2.0}) as (box, web, tap, mock), browser() as d:
        from selenium.webdriver.common.action_chains import ActionChains
        open_panel(d, web)
        _hold_key(d, "q")                                   # C4, held
        assert wait_for(lambda: box.keyboard.gate, 2.0) is not None, "the typed key did not reach the firmware"
        dark = centroid_hz(_seconds(tap, 0.4))
        ActionChains(d).click_and_hold(_knob(d, "LPF CUTOFF")).move_by_offset(0, -45) \
            .move_by_offset(0, -45).release().perform()     # 90 px up: about 6 panel units
        assert wait_for(lambda: mock.knobs["LPF CUTOFF"] > 6.0, 2.0) is not None, mock.knobs["LPF CUTOFF"]
        time.sleep(0.1)
        bright = centroid_hz(_seconds(tap, 0.4))
        _release_key(d, "q")
    print(f"centroid {dark:.0f} Hz -> {bright:.0f} Hz")
    assert bright > 1.5 * dark, f"centroid {dark:.0f} Hz -> {bright:.0f} Hz"


def test_a_cable_dragged_from_mg_triangle_to_lp_cutoff_wobbles_the_sound_until_pulled():
    mg_pos = 7.0
    mg_hz = layout().knob("MG FREQUENCY").value(mg_pos)
    knobs = {**HELD, "LPF CUTOFF": 4.0, "LPF EG2/EXT": 9.0, "MG FREQUENCY": mg_pos}
    cable = ("MG TRIANGLE OUT", "LP CUTOFF FREQ")
    with web_box(knobs=knobs) as (box, web, tap, mock), browser() as d:
        from selenium.webdriver.common.action_chains import ActionChains
        from selenium.webdriver.common.by import By
        open_panel(d, web)
        _hold_key(d, "q")
        assert wait_for(lambda: box.keyboard.gate, 2.0) is not None
        steady = centroid_track(_seconds(tap, 1.5))
        ActionChains(d).click_and_hold(_jack(d, cable[0])).move_to_element(_jack(d, cable[1])).release().perform()
        assert wait_for(lambda: cable in box.controller.state.routing.cables, 2.0) is not None, \
            "the scanner did not detect the cable"
        assert mock.cables == [cable]                       # plugged through the board's jacks
        assert wait_for(lambda: d.find_elements(
            By.CSS_SELECTOR, f"#cables [data-from='{cable[0]}'][data-to='{cable[1]}']"), 1.0) is not None
        wobbling = centroid_track(_seconds(tap, 2.0))
        d.find_element(By.CSS_SELECTOR, f"#cables [data-to='{cable[1]}'] circle:last-child").click()   # its plug
        assert wait_for(lambda: cable not in box.controller.state.routing.cables, 2.0) is not None, \
            "pulling the cable in the page did not unplug it"
        assert mock.cables == []
        time.sleep(0.3)
        after = centroid_track(_seconds(tap, 1.5))
        _release_key(d, "q")
    rate, depth = wobble(wobbling)
    print(f"wobble {rate:.2f} Hz (MG {mg_hz:.2f} Hz), depth {depth:.1%}; before {wobble(steady)[1]:.1%}, "
          f"after {wobble(after)[1]:.1%}")
    assert abs(rate - mg_hz) < 0.15 * mg_hz, f"the sound wobbles at {rate:.2f} Hz, the MG runs at {mg_hz:.2f} Hz"
    assert depth > 0.15, f"the wobble is only {depth:.1%} of the centroid"
    for name, track in (("before the cable", steady), ("after pulling it", after)):
        assert wobble(track)[1] < depth / 4, f"{name} the centroid still moves by {wobble(track)[1]:.1%}"


@pytest.mark.parametrize(("key", "note"), [("z", 48), ("q", 60), ("e", 64), ("i", 72)])
def test_a_key_typed_in_the_page_plays_its_note_at_the_right_pitch(key, note):
    import sys
    from pathlib import Path
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "box"))
    from boxkit import pitch_hz

    from measure import cents, note_hz

    with web_box(knobs=HELD) as (box, web, tap, mock), browser() as d:
        open_panel(d, web)
        _hold_key(d, key)
        assert wait_for(lambda: box.keyboard.gate and box.keyboard.note == note, 2.0) is not None
        x = _seconds(tap, 0.3)
        _release_key(d, key)
        assert wait_for(lambda: not box.keyboard.gate, 2.0) is not None, "the key stuck"
    err = cents(pitch_hz(x, hi_hz=1200.0), note_hz(note))
    assert abs(err) < 5, f"note {note}: {err:+.1f} cents"


def test_a_physical_change_on_the_board_shows_in_the_page_within_100_ms():
    with web_box() as (box, web, tap, mock), browser() as d:
        from selenium.webdriver.common.by import By
        open_panel(d, web)
        turned = []
        for pos in (9.0, 1.0, 6.5):
            mock.turn("LPF CUTOFF", pos)                   # a hand on the pot
            turned.append(wait_for(lambda p=pos: abs(knob_on_page(d, "LPF CUTOFF") - p) < 0.1, 1.0))
        mock.plug("MG TRIANGLE OUT", "LP CUTOFF FREQ")     # a hand plugs a cable
        plugged = wait_for(lambda: d.find_elements(By.CSS_SELECTOR, "#cables [data-to='LP CUTOFF FREQ']"), 1.0)
        mock.unplug("MG TRIANGLE OUT", "LP CUTOFF FREQ")
        pulled = wait_for(lambda: not d.find_elements(By.CSS_SELECTOR, "#cables [data-to='LP CUTOFF FREQ']"), 1.0)
    print("pot turn to page:", turned, "plug:", plugged, "pull:", pulled)
    assert None not in turned, f"a turned pot never showed: {turned}"
    assert max(turned) < 0.100, f"pot turn to page: {[f'{t * 1e3:.0f} ms' for t in turned]}"
    assert plugged is not None and plugged < 0.100, f"cable plugged to page: {plugged}"
    assert pulled is not None and pulled < 0.100, f"cable pulled to page: {pulled}"
