"""Patch files: what they set, and errors that name the file, the line and the key."""

from __future__ import annotations

from pathlib import Path

import pytest
from ms20._kernel import lib

from ms20.model.patch import PatchError, load_patch, parse_patch
from ms20.model.patchbay import resolve

PATCHES = Path(__file__).resolve().parent.parent / "patches"


def test_first_voice_is_the_guides_quick_start() -> None:
    patch = load_patch(PATCHES / "first-voice.toml")
    knobs = patch.panel.knobs
    assert knobs["VCO-1 LEVEL"] == 7.0       # 2 o'clock
    assert knobs["LPF CUTOFF"] == 6.0        # 1 o'clock
    assert knobs["LPF PEAK"] == 4.0          # 11 o'clock
    assert patch.panel.routing.is_normal


def test_every_shipped_patch_loads() -> None:
    for path in PATCHES.glob("*.toml"):
        load_patch(path)


def test_an_unknown_knob_names_file_line_and_key(tmp_path: Path) -> None:
    f = tmp_path / "p.toml"
    f.write_text('name = "x"\n[knobs]\n"VCO-1 LEVEL" = 5\n"WAH WAH" = 3\n')
    with pytest.raises(PatchError, match=r"p\.toml:4: knob 'WAH WAH'"):
        load_patch(f)


def test_a_syntax_error_names_the_line(tmp_path: Path) -> None:
    f = tmp_path / "broken.toml"
    f.write_text('[knobs]\n"VCO-1 LEVEL" = = 5\n')
    with pytest.raises(PatchError, match=r"broken\.toml: .*line 2"):
        load_patch(f)


def test_a_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(PatchError, match="cannot read patch file"):
        load_patch(tmp_path / "nope.toml")


def test_an_unknown_jack_names_the_jack_and_its_line() -> None:
    text = 'cables = [\n  ["MG TRIANGLE OUT", "LP CUTOFF FREQ"],\n  ["MG SINE OUT", "TOTAL"],\n]\n'
    with pytest.raises(PatchError, match=r"my\.toml:3: unknown jack 'MG SINE OUT'"):
        parse_patch(text, "my.toml")


def test_a_bad_switch_position_lists_the_positions() -> None:
    with pytest.raises(PatchError, match="16', 8', 4', 2'"):
        parse_patch('[switches]\n"VCO-2 SCALE" = "32\'"\n', "s.toml")


def test_cables_break_normals_and_multiples_feed_every_input() -> None:
    patch = parse_patch('cables = [["MG TRIANGLE OUT", "LP CUTOFF FREQ"], ["MG TRIANGLE OUT", "HP CUTOFF FREQ"]]')
    route = patch.panel.routing.route
    assert route[lib.MS20_IN_LP_CUTOFF] == lib.MS20_OUT_MG_TRI
    assert route[lib.MS20_IN_HP_CUTOFF] == lib.MS20_OUT_MG_TRI
    assert route[lib.MS20_IN_TOTAL] == -1  # untouched inputs keep their normal


def test_two_outputs_on_one_cable_are_reported_and_the_first_listed_wins() -> None:
    routing = resolve([("EG-1 OUT", "MG TRIANGLE OUT"), ("MG TRIANGLE OUT", "TOTAL")])
    assert routing.route[lib.MS20_IN_TOTAL] == lib.MS20_OUT_MG_TRI  # listed before EG-1 in jacks.toml
    assert any("two outputs on one cable" in p for p in routing.problems)


def test_a_jack_patched_to_itself_is_ignored_and_reported() -> None:
    routing = resolve([("TOTAL", "TOTAL")])
    assert routing.is_normal
    assert routing.problems == ("TOTAL is patched to itself: ignored",)


def test_midi_cc_map_names_real_knobs() -> None:
    patch = parse_patch('[midi.cc]\n1 = "VCF RESONANCE"\n')
    assert patch.cc_map == {1: "LPF PEAK"}
    with pytest.raises(PatchError, match="unknown knob"):
        parse_patch('[midi.cc]\n1 = "FLANGER"\n')


def test_a_midi_cc_can_turn_part_of_a_knobs_travel() -> None:
    import mido

    from ms20.midi.performance import Performance

    patch = parse_patch('[midi.cc]\n11 = { knob = "VOLUME", min = 1.0, max = 8.5 }\n')
    assert patch.cc_map == {11: "VOLUME"} and patch.cc_span == {11: (1.0, 8.5)}
    turned: list[tuple[str, float]] = []
    perf = Performance(None, lambda knob, pos, at: turned.append((knob, pos)), patch.cc_map,  # type: ignore[arg-type]
                       cc_span=patch.cc_span)
    for value in (0, 127):
        perf.handle(mido.Message("control_change", control=11, value=value))
    assert turned == [("VOLUME", 1.0), ("VOLUME", 8.5)]
    with pytest.raises(PatchError, match="0-10"):
        parse_patch('[midi.cc]\n11 = { knob = "VOLUME", max = 12 }\n')


def test_a_patch_can_choose_the_esp_fv_character_and_pitch_triggers() -> None:
    patch = parse_patch('[esp]\nfv = "vintage"\npitch_triggers = false\n')
    assert (patch.esp.fv, patch.esp.pitch_triggers) == ("vintage", False)
    assert parse_patch("").esp.fv == "accurate" and parse_patch("").esp.pitch_triggers
    with pytest.raises(PatchError, match="accurate, vintage"):
        parse_patch('[esp]\nfv = "tube"\n')
    with pytest.raises(PatchError, match="expected fv or pitch_triggers"):
        parse_patch('[esp]\nfv_character = "vintage"\n')


def test_a_patch_chooses_the_filter_revision(tmp_path: Path) -> None:
    path = tmp_path / "p.toml"
    path.write_text('name = "p"\n[settings]\nfilter = "ota"\n')
    assert load_patch(path).filter == "ota"
    path.write_text('name = "p"\n')
    assert load_patch(path).filter is None  # the box's or the renderer's choice


def test_an_unknown_filter_revision_names_file_line_and_choices(tmp_path: Path) -> None:
    path = tmp_path / "p.toml"
    path.write_text('name = "p"\n[settings]\nfilter = "moog"\n')
    with pytest.raises(PatchError, match=r"p\.toml:3.*'moog'.*korg35, ota"):
        load_patch(path)
