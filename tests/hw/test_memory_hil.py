"""Patch memory in the loop on the simulated box: pots, switches and cables saved as the board
reads them, recalled into the kernel at once, each pot and switch picking its value up, the
guide listing exactly the cables to move; the momentary-switch gestures (key slots, MIDI learn)."""

from __future__ import annotations

import mido
import pytest
from ms20._kernel import lib

from ms20.memory.service import Memory, MemorySettings
from ms20.midi.note_priority import MonoKeyboard
from ms20.midi.performance import Performance
from ms20.model.engine import Engine
from ms20.model.panel import layout, send
from ms20.model.patch import load_patch

SR = 48000


class KernelRecord(Engine):
    """The kernel, remembering the last value sent for every parameter and switch (what it
    will hold once its smoothing ends)."""

    def __init__(self) -> None:
        super().__init__(SR)
        self.params: dict[int, float] = {}
        self.switches: dict[int, int] = {}
        self.patches = 0
        self.event_times: list[int] = []

    def set_param(self, param, value, at=None) -> None:  # noqa: ANN001
        self.params[param] = value
        self.event_times.append(self.time if at is None else at)
        super().set_param(param, value, at)

    def set_switch(self, switch, position, at=None) -> None:  # noqa: ANN001
        self.switches[switch] = position
        self.event_times.append(self.time if at is None else at)
        super().set_switch(switch, position, at)

    def patch(self, route, at=None) -> None:  # noqa: ANN001
        self.patches += 1
        self.event_times.append(self.time if at is None else at)
        super().patch(route, at)


def with_memory(rig, tmp_path, **settings) -> Memory:
    """The box's memory on a rig: a keyboard, a Performance, and recall flushing at one time."""
    rig.engine = KernelRecord()
    send(rig.engine, rig.controller.state)        # the new kernel starts from the whole panel
    rig.keyboard = MonoKeyboard()
    rig.performance = Performance(rig.engine, rig.controller.knob_sink(rig.engine), {}, 2.0, rig.keyboard)

    def apply() -> None:
        rig.controller.flush(rig.engine, rig.engine.time)

    return Memory(MemorySettings(tmp_path, **settings), rig.controller, rig.performance, rig.keyboard, apply,
                  clock=rig.board.now)


def kernel_matches(engine: KernelRecord, panel) -> list[str]:
    """Every knob and switch of `panel` whose kernel value differs (names)."""
    lay = layout()
    bad = [k for k, pos in panel.knobs.items()
           if engine.params.get(lay.knob(k).param) != pytest.approx(lay.knob(k).value(pos), rel=1e-6, abs=1e-9)]
    bad += [s for s, pos in panel.switches.items()
            if engine.switches.get(lay.switch(s).param) != lay.switch(s).index(pos)]
    return bad


def kernel_routes(engine: Engine, count: int) -> tuple[int, ...]:
    """What each input reads in the kernel (its cable's output, or its normal's)."""
    return tuple(engine.route_of(i) for i in range(count))


def routes_of(route: tuple[int, ...]) -> tuple[int, ...]:
    """What each input would read in a kernel patched with `route` (normals filled in)."""
    ref = Engine(SR)
    ref.patch(route)
    ref.render(1)
    return kernel_routes(ref, len(route))


SAVED_KNOBS = {"LPF CUTOFF": 7.2, "LPF PEAK": 6.1, "VCO-1 LEVEL": 8.0, "EG-2 RELEASE": 2.5}
SAVED_CABLES = [("MG TRIANGLE OUT", "LP CUTOFF FREQ"), ("EG-1 OUT", "VCO 1+2 CV IN")]


def build_and_save(rig, memory: Memory):
    for knob, pos in SAVED_KNOBS.items():
        rig.board.turn(knob, pos)
    rig.board.set_switch("VCO-1 WAVE FORM", "rectangle")
    for a, b in SAVED_CABLES:
        rig.board.plug(a, b)
    rig.run(0.1)
    assert memory.save("mine")["ok"]
    return load_patch(memory.store.path_of("mine"))


def change_everything(rig) -> None:
    for knob in SAVED_KNOBS:
        rig.board.turn(knob, 1.0)
    rig.board.set_switch("VCO-1 WAVE FORM", "triangle")
    rig.board.unplug("EG-1 OUT", "VCO 1+2 CV IN")
    rig.board.plug("PINK NOISE OUT", "HP CUTOFF FREQ")
    rig.run(0.1)


def test_a_saved_panel_holds_every_pot_switch_and_cable_as_the_board_reads_them(rig, tmp_path):
    memory = with_memory(rig, tmp_path)
    saved = build_and_save(rig, memory)
    for knob, pos in SAVED_KNOBS.items():
        assert saved.panel.knobs[knob] == pytest.approx(pos, abs=0.1)      # typical end stops: 1 % of travel
    assert saved.panel.switches["VCO-1 WAVE FORM"] == "rectangle"
    assert sorted(saved.panel.routing.cables) == sorted(SAVED_CABLES)
    text = memory.store.path_of("mine").read_text()
    assert text.startswith("# mine: saved ") and "by ms20 " in text.splitlines()[0]


@pytest.mark.parametrize("cables", ["guide", "virtual"])
def test_recall_loads_knobs_and_switches_at_once_guides_the_cables_and_hands_each_control_back_through_pickup(
        rig, tmp_path, cables):
    memory = with_memory(rig, tmp_path, cables=cables)
    saved = build_and_save(rig, memory)
    change_everything(rig)
    assert kernel_matches(rig.engine, saved.panel)                 # the panel really changed
    rig.engine.event_times.clear()
    memory.recall("mine")
    assert len(set(rig.engine.event_times)) == 1                   # one sample time: one block hears it all
    rig.run(0.05)
    assert kernel_matches(rig.engine, saved.panel) == []           # the physical pots did not take over
    guide = memory.controller.guide()
    assert guide.plug == (("EG-1 OUT", "VCO 1+2 CV IN"),)
    assert guide.pull == (("PINK NOISE OUT", "HP CUTOFF FREQ"),)
    assert set(guide.knobs) == set(SAVED_KNOBS) and guide.switches == {"VCO-1 WAVE FORM": "rectangle"}
    inputs = len(saved.panel.routing.route)
    routes = kernel_routes(rig.engine, inputs)
    want = routes_of(saved.panel.routing.route)
    if cables == "virtual":   # the missing cable sounds already; the extra physical one wins at its jack
        assert routes[lib.MS20_IN_HP_CUTOFF] == lib.MS20_OUT_PINK_NOISE
        assert all(routes[i] == want[i] for i in range(inputs) if i != lib.MS20_IN_HP_CUTOFF)
    else:                     # the physical cables sound until the player moves them
        assert routes[lib.MS20_IN_LP_CUTOFF] == lib.MS20_OUT_MG_TRI
        assert routes[lib.MS20_IN_HP_CUTOFF] == lib.MS20_OUT_PINK_NOISE
        assert routes[lib.MS20_IN_VCO12_CV] != lib.MS20_OUT_EG1

    # The player follows the guide.
    rig.board.plug("EG-1 OUT", "VCO 1+2 CV IN")
    rig.board.unplug("PINK NOISE OUT", "HP CUTOFF FREQ")
    rig.board.set_switch("VCO-1 WAVE FORM", "rectangle")
    for knob, pos in SAVED_KNOBS.items():
        rig.board.turn(knob, min(pos + 0.5, 10.0))                 # through the stored value ...
        rig.run(0.02)
    rig.run(0.1)
    assert memory.controller.guide().matches
    assert kernel_routes(rig.engine, inputs) == want
    rig.board.turn("LPF CUTOFF", 3.0)                              # ... and now each pot owns its knob
    rig.run(0.05)
    assert rig.controller.state.knobs["LPF CUTOFF"] == pytest.approx(3.0, abs=0.05)


def test_a_pot_that_moves_without_passing_the_recalled_value_leaves_the_sound_alone(rig, tmp_path):
    memory = with_memory(rig, tmp_path)
    build_and_save(rig, memory)
    change_everything(rig)
    memory.recall("mine")
    rig.run(0.05)
    lpf = layout().knob("LPF CUTOFF")
    rig.board.turn("LPF CUTOFF", 4.0)                               # from 1.0 toward 7.2, not there yet
    rig.run(0.05)
    assert rig.engine.params[lpf.param] == pytest.approx(lpf.value(rig.controller.state.knobs["LPF CUTOFF"]))
    assert rig.controller.state.knobs["LPF CUTOFF"] == pytest.approx(7.2, abs=0.05)
    assert "LPF CUTOFF" in memory.controller.guide().knobs


def test_the_led_blinks_the_guide_pattern_until_the_cables_match(rig, tmp_path):
    memory = with_memory(rig, tmp_path)
    build_and_save(rig, memory)
    rig.board.unplug("EG-1 OUT", "VCO 1+2 CV IN")
    rig.run(0.1)
    memory.recall("mine")

    def led_over(seconds: float) -> set:
        seen = set()
        for _ in range(int(seconds / 0.01)):
            rig.run(0.01)
            memory.tick(rig.board.now())
            seen.add(memory.led(rig.board.now()))
        return seen

    assert led_over(1.0) == {True, False}                          # blinking
    rig.board.plug("EG-1 OUT", "VCO 1+2 CV IN")
    rig.run(0.1)
    assert led_over(1.0) == {None}                                 # the scanner's steady light again


def test_a_key_held_with_a_long_press_saves_its_slot_and_a_short_press_recalls_it(rig, tmp_path):
    memory = with_memory(rig, tmp_path)
    rig.board.turn("LPF CUTOFF", 8.5)
    rig.run(0.05)
    rig.performance.handle(_msg("note_on", note=60, velocity=100))
    rig.board.press_momentary()
    rig.run(1.3)
    rig.board.release_momentary()
    rig.run(0.05)
    rig.performance.handle(_msg("note_off", note=60))
    memory.wait_saves()
    assert memory.store.path_of("key-C4").exists()

    rig.board.turn("LPF CUTOFF", 2.0)
    rig.run(0.05)
    rig.performance.handle(_msg("note_on", note=60, velocity=100))
    rig.board.press_momentary()
    rig.run(0.2)
    rig.board.release_momentary()
    rig.run(0.05)
    assert rig.controller.state.knobs["LPF CUTOFF"] == pytest.approx(8.5, abs=0.05)
    lpf = layout().knob("LPF CUTOFF")
    assert rig.engine.params[lpf.param] == pytest.approx(lpf.value(rig.controller.state.knobs["LPF CUTOFF"]))


def test_the_momentary_switch_alone_saves_and_recalls_nothing(rig, tmp_path):
    memory = with_memory(rig, tmp_path)
    rig.board.press_momentary()
    rig.run(1.3)
    rig.board.release_momentary()
    rig.run(0.05)
    assert not any(name.startswith("key-") for name in memory.store.names())
    assert memory.recalls == 0


def test_midi_learn_hold_momentary_touch_a_pot_move_a_controller_release_maps_the_cc_and_pickup_holds(rig, tmp_path):
    memory = with_memory(rig, tmp_path)
    peak = layout().knob("HPF PEAK")
    rig.board.press_momentary()
    rig.run(0.05)
    rig.board.turn("HPF PEAK", 3.0)                                # touch the pot
    rig.run(0.05)
    cc = _msg("control_change", control=21, value=20)
    memory.cc_seen(21)                                            # the box hands every CC to memory
    rig.performance.handle(cc)
    rig.board.release_momentary()
    rig.run(0.05)
    assert rig.performance.cc_map[21] == "HPF PEAK"
    rig.performance.handle(_msg("control_change", control=21, value=127))
    rig.run(0.05)
    assert rig.engine.params[peak.param] == pytest.approx(peak.value(10.0))
    rig.board.turn("HPF PEAK", 5.0)                                # the pot moves, not through 10
    rig.run(0.05)
    assert rig.engine.params[peak.param] == pytest.approx(peak.value(10.0))
    # kept across a restart of the firmware, in a file that is not a patch
    memory.wait_saves()
    again = with_memory(rig, tmp_path)
    assert again.performance.cc_map[21] == "HPF PEAK"
    assert not any(name.startswith(".") for name in again.store.names())


def _msg(kind: str, **fields) -> mido.Message:
    return mido.Message(kind, **fields)


def test_a_learned_cc_goes_into_a_patch_only_when_asked(rig, tmp_path):
    memory = with_memory(rig, tmp_path)
    memory.learn(21, "HPF PEAK")
    memory.save("plain")
    memory.save("with cc", with_learned=True)
    assert 21 not in load_patch(memory.store.path_of("plain")).cc_map
    assert load_patch(memory.store.path_of("with cc")).cc_map[21] == "HPF PEAK"


def test_hwtest_with_a_patch_lists_what_to_change_for_the_panel_to_match_it(capsys):
    from ms20.commands.cli import main
    assert main(["hwtest", "--sim", "--once", "--patch", "5a-esp-feedback"]) == 0
    out = capsys.readouterr().out
    guide = out[out.index("GUIDE to ESP feedback"):].splitlines()[1:]
    assert "  plug   OUTPUT -> ESP SIGNAL IN" in guide and "  plug   ESP AMP OUT -> EXT SIGNAL" in guide
    assert not any(line.strip().startswith("pull") for line in guide)      # nothing is plugged on the sim


def test_with_key_slots_off_the_momentary_switch_with_a_key_held_only_plays(rig, tmp_path):
    memory = with_memory(rig, tmp_path, key_slots=False)
    rig.performance.handle(_msg("note_on", note=60, velocity=100))
    rig.board.press_momentary()
    rig.run(1.3)
    rig.board.release_momentary()
    rig.run(0.05)
    memory.wait_saves()
    assert not memory.store.path_of("key-C4").exists()
    assert not list(tmp_path.glob("*.toml"))


def test_a_tap_with_a_key_on_an_empty_slot_changes_nothing_and_blinks_no_error(rig, tmp_path):
    memory = with_memory(rig, tmp_path)
    before = rig.controller.state
    rig.performance.handle(_msg("note_on", note=62, velocity=100))
    rig.board.press_momentary()
    rig.run(0.1)
    rig.board.release_momentary()
    rig.run(0.05)
    assert rig.controller.state.knobs == before.knobs and memory.recalls == 0
    assert memory.led(rig.board.now()) is None
