"""Patch memory on the browser panel: Save and Recall by name, the recall guide on the page
(the jacks to plug and pull marked), and a knob's learn mark mapping the next CC moved."""

from __future__ import annotations

import time

import mido
import pytest
from test_server import errors, talk
from webkit import browser, needs_browser, open_panel, wait_for, web_box

from ms20.model.patch import load_patch


def test_a_page_saves_the_panel_by_name_and_refuses_a_name_that_leaves_the_directory(tmp_path):
    with web_box(**{"patch.dir": str(tmp_path)}) as (box, web, tap, mock):
        mock.turn("LPF CUTOFF", 8.0)
        time.sleep(0.1)
        replies = talk(web, [{"type": "save", "name": "Fläche"}, {"type": "save", "name": "../x"}])
        assert wait_for(lambda: (tmp_path / "Fläche.toml").exists(), 2.0) is not None
    assert load_patch(tmp_path / "Fläche.toml").panel.knobs["LPF CUTOFF"] == pytest.approx(8.0, abs=0.1)
    assert any("must not contain" in e for e in errors(replies))
    assert not (tmp_path.parent / "x.toml").exists()


def test_after_a_recall_from_the_page_its_state_carries_the_guide_of_cables_to_plug(tmp_path):
    with web_box(**{"patch.dir": str(tmp_path)}) as (box, web, tap, mock):
        replies = talk(web, [{"type": "recall", "name": "5a-esp-feedback"}], read_s=0.6)
    states = [r for r in replies if r["type"] == "state" and r["memory"]["patch"] == "ESP feedback"]
    assert states, "no state after the recall"
    guide = states[-1]["memory"]["guide"]
    assert sorted(map(tuple, guide["plug"])) == [("ESP AMP OUT", "EXT SIGNAL"), ("OUTPUT", "ESP SIGNAL IN")]
    assert guide["pull"] == [] and not guide["matches"]


def test_a_knobs_learn_mark_maps_the_next_controller_moved_to_that_knob(tmp_path):
    with web_box(**{"patch.dir": str(tmp_path)}) as (box, web, tap, mock):
        talk(web, [{"type": "learn", "knob": "HPF PEAK"}], read_s=0.2)
        box._on_midi(mido.Message("control_change", control=21, value=64), time.monotonic_ns(), "keys")
        assert wait_for(lambda: box.performance.cc_map.get(21) == "HPF PEAK", 1.0) is not None
        box._on_midi(mido.Message("control_change", control=21, value=127), time.monotonic_ns(), "keys")
        assert wait_for(lambda: box.controller.state.knobs["HPF PEAK"] == 10.0, 1.0) is not None


@needs_browser()
def test_in_the_browser_save_names_a_patch_recall_lists_the_cables_and_marks_their_jacks(tmp_path):
    from selenium.webdriver.common.by import By
    with web_box(**{"patch.dir": str(tmp_path)}) as (box, web, tap, mock), browser() as d:
        open_panel(d, web)
        d.find_element(By.ID, "patch-name").send_keys("page patch")
        d.find_element(By.ID, "save").click()
        assert wait_for(lambda: (tmp_path / "page patch.toml").exists(), 3.0) is not None
        name = d.find_element(By.ID, "patch-name")
        name.clear()
        name.send_keys("5a-esp-feedback")
        d.find_element(By.ID, "recall").click()
        assert wait_for(lambda: d.execute_script("return !document.getElementById('guide').hidden"), 3.0) is not None
        lines = d.execute_script("return [...document.querySelectorAll('#guide li')].map(li => li.textContent)")
        marked = d.execute_script(
            "return [...document.querySelectorAll('#panel .jack.guide-plug')].map(g => g.dataset.name).sort()")
        d.find_element(By.CSS_SELECTOR, "#panel .knob[data-name='HPF PEAK'] .learn-mark").click()
        armed = wait_for(lambda: d.execute_script(
            "return document.querySelector(\"#panel .knob[data-name='HPF PEAK'] .learn-mark\")"
            ".classList.contains('armed')"), 3.0)
    assert "plug   OUTPUT -> ESP SIGNAL IN" in lines and "plug   ESP AMP OUT -> EXT SIGNAL" in lines
    assert marked == ["ESP AMP OUT", "ESP SIGNAL IN", "EXT SIGNAL", "OUTPUT"]
    assert armed is not None
