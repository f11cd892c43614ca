"""The panel as the kernel sees it: stable when resting, quick when moved, cables decided."""

from __future__ import annotations

import pytest

from ms20.control.calibration import Calibration, PotCalibration
from ms20.control.cv import CvConvention
from ms20.control.pot_filter import PotFilter
from ms20.model.patchbay import NORMALLED
from ms20.sim.board import MockBoard


def test_resting_pots_with_adc_noise_never_move_the_panel(rig):
    before = dict(rig.controller.state.knobs)
    sent = rig.engine.params
    rig.run(2.0)                                    # 400 scans of 39 noisy channels
    assert rig.controller.state.knobs == before
    assert rig.engine.params == sent                # not one event to the kernel


def test_the_pot_filter_never_moves_for_any_noise_within_4_lsb():
    import random

    rng = random.Random(7)
    for true_count in (0, 37, 2048, 4000, 4095):
        f = PotFilter()
        f.update(min(max(true_count + rng.randint(-4, 4), 0), 4095))
        moved = [f.update(min(max(true_count + rng.choice((-4, 4, -4, 4, 0)), 0), 4095)) for _ in range(20000)]
        assert all(m is None for m in moved)


def test_a_turned_pot_reaches_the_kernel_within_10_ms(rig):
    for target in (7.5, 2.0, 2.3, 9.9):
        sent = rig.engine.params
        rig.board.turn("LPF CUTOFF", target)
        took = rig.until(lambda sent=sent: rig.engine.params > sent)
        assert took <= 0.010
        assert rig.controller.state.knobs["LPF CUTOFF"] == pytest.approx(target, abs=0.1)   # uncalibrated


def test_calibration_makes_every_pot_read_true_to_within_three_hundredths(mock_board, make_rig):
    cal = Calibration({name: PotCalibration(*mock_board.pot_counts(name)) for name in mock_board.hardware.pots})
    r = make_rig(mock_board, calibration=cal)
    for k, name in enumerate(mock_board.hardware.pots):
        mock_board.turn(name, (k * 0.37) % 10)
    r.run(0.03)
    for name, pos in mock_board.knobs.items():
        # 0.03 of the 0-10 scale is 12 ADC counts: hysteresis (10) plus the end margins
        assert r.controller.state.knobs[name] == pytest.approx(pos, abs=0.03), name


def test_pot_end_stops_read_exactly_0_and_10(rig):
    rig.board.turn("VOLUME", 10)
    rig.board.turn("LPF PEAK", 0)
    rig.run(0.02)
    assert rig.controller.state.knobs["VOLUME"] == 10.0
    assert rig.controller.state.knobs["LPF PEAK"] == 0.0


def test_a_rotary_switch_is_decoded_and_debounced(rig):
    assert rig.controller.state.switches["VCO-1 WAVE FORM"] == "sawtooth"
    rig.board.set_switch("VCO-1 WAVE FORM", "rectangle")
    took = rig.until(lambda: rig.controller.state.switches["VCO-1 WAVE FORM"] == "rectangle")
    assert took <= 0.015
    rig.board.set_switch("VCO-2 SCALE", "2'")
    rig.run(0.03)
    assert rig.controller.state.switches["VCO-2 SCALE"] == "2'"


def test_a_switch_between_detents_keeps_its_position(rig):
    sw = rig.board.definition.switches["VCO-1 SCALE"]
    rig.board._open_until[(sw.adc, sw.channel)] = rig.board.now() + 0.5   # wiper open for 500 ms
    rig.run(0.1)
    assert rig.controller.state.switches["VCO-1 SCALE"] == "8'"


def test_the_momentary_switch_reaches_the_kernel_debounced(rig):
    rig.board.press_momentary()
    rig.run(0.02)
    assert rig.scanner.snapshot().momentary
    assert rig.engine.jack(rig_out("MOMENTARY")) == 0.0       # S-trigger: pressed is 0 V
    rig.board.release_momentary()
    rig.run(0.02)
    assert rig.engine.jack(rig_out("MOMENTARY")) == 5.0


def rig_out(jack_id: str) -> int:
    from ms20._kernel import lib

    return getattr(lib, f"MS20_OUT_{jack_id}")


def test_the_control_wheel_drives_control_wheel_out(rig):
    rig.board.turn_wheel(0.5)
    rig.run(0.03)
    assert rig.engine.jack(rig_out("WHEEL")) == pytest.approx(2.5, abs=0.05)


# -- cables -----------------------------------------------------------------------------------------

def test_a_cable_is_detected_within_50_ms_whenever_it_goes_in(make_rig):
    worst = 0.0
    for k in range(20):                           # plug at 20 different phases of the scan
        board = MockBoard(seed=100 + k)
        r = make_rig(board)
        r.run(0.06 + k * 0.001)
        board.plug("MG TRIANGLE OUT", "LP CUTOFF FREQ")
        worst = max(worst, r.until(lambda r=r: r.controller.state.routing.cables, limit_s=0.1))
    assert worst <= 0.050


def test_a_bouncing_cable_never_makes_the_patch_flicker(make_rig):
    for k in range(20):
        board = MockBoard(seed=200 + k, bounce_s=0.008)
        r = make_rig(board)
        r.run(0.06)
        base = r.engine.patches
        r.routings = [r.controller.state.routing]
        board.plug("EG-1 OUT", "FREQ")
        r.run(0.1 + k * 0.0013)
        board.unplug("EG-1 OUT", "FREQ")
        r.run(0.1)
        assert r.engine.patches - base == 2                    # in once, out once
        assert [rt.cables for rt in r.routings[1:]] == [(("EG-1 OUT", "FREQ"),), ()]


def test_a_cable_brushed_in_and_out_changes_nothing(make_rig):
    for k in range(10):
        board = MockBoard(seed=300 + k)
        r = make_rig(board)
        r.run(0.06 + k * 0.0017)
        base = r.engine.patches
        board.plug("EG-1 OUT", "FREQ")
        r.run(0.004)
        board.unplug("EG-1 OUT", "FREQ")
        r.run(0.1)
        assert r.engine.patches == base


def test_stacked_cables_make_a_multiple_without_ghost_paths(rig):
    rig.board.plug("MG TRIANGLE OUT", "LP CUTOFF FREQ")
    rig.board.plug("MG TRIANGLE OUT", "HP CUTOFF FREQ")      # stacked on the first plug
    rig.board.plug("EG-1 OUT", "FREQ")
    rig.board.plug("PINK NOISE OUT", "S/H IN")
    rig.run(0.06)
    assert rig.controller.state.routing.cables == (
        ("EG-1 OUT", "FREQ"), ("MG TRIANGLE OUT", "HP CUTOFF FREQ"), ("MG TRIANGLE OUT", "LP CUTOFF FREQ"),
        ("PINK NOISE OUT", "S/H IN"))
    assert rig.controller.problems == ()


def test_two_outputs_joined_are_reported_not_crashed_on_and_the_led_blinks(rig):
    rig.board.plug("MG TRIANGLE OUT", "EG-1 OUT")
    rig.board.plug("EG-1 OUT", "FREQ")
    rig.run(0.06)
    assert any("two outputs" in p for p in rig.controller.problems)
    lit = []
    for _ in range(40):
        rig.run(0.025)
        lit.append(rig.board.led_is_lit)
    changes = sum(a != b for a, b in zip(lit, lit[1:], strict=False))
    assert 3 <= changes <= 5 and 12 <= sum(lit) <= 28          # blinking at PROBLEM_BLINK_HZ (2 Hz) over 1 s
    rig.board.unplug("MG TRIANGLE OUT", "EG-1 OUT")
    rig.run(0.1)
    assert rig.controller.problems == () and rig.board.led_is_lit


def test_a_cable_between_two_stacked_plugs_is_found_by_the_periodic_check(rig):
    rig.board.plug("MG TRIANGLE OUT", "LP CUTOFF FREQ")
    rig.board.plug("EG-1 OUT", "FREQ")
    rig.run(0.06)
    rig.board.plug("MG TRIANGLE OUT", "FREQ")                  # both ends stack on plugs already in
    rig.run(0.3)
    assert rig.controller.problems                              # MG and EG-1 now share a net


def test_every_jack_of_the_matrix_is_detected_from_first_to_last(rig):
    jacks = rig.board.definition.matrix.jacks
    for a, b in ((jacks[0], jacks[-1]), (jacks[1], jacks[-2]), ("MG TRIANGLE OUT", jacks[-1])):
        rig.board.plug(a, b)
        rig.run(0.06)
        assert rig.scanner.snapshot().nets == (tuple(sorted((a, b), key=jacks.index)),)
        rig.board.unplug(a, b)
        rig.run(0.06)


def test_unplugging_everything_restores_the_normals(rig):
    rig.board.plug("MG TRIANGLE OUT", "LP CUTOFF FREQ")
    rig.run(0.06)
    rig.board.unplug("LP CUTOFF FREQ")
    rig.run(0.06)
    assert rig.controller.state.routing.route == NORMALLED.route


# -- CV jacks -----------------------------------------------------------------------------------------

def test_cv_in_reaches_the_kernel_in_volts(rig):
    rig.board.set_cv_in("CV IN 1", 2.5)
    rig.run(0.05)                                   # the kernel ramps CV IN (5 ms smoother)
    assert rig.engine.jack(rig_out("CV_IN_1")) == pytest.approx(2.5, abs=0.03)


def test_a_v_per_octave_sequencer_into_vco_cv_in_becomes_hz_per_volt(mock_board, make_rig):
    r = make_rig(mock_board)
    r.scanner.cv = CvConvention(pitch="v_per_oct")
    mock_board.plug("CV IN 1", "VCO 1+2 CV IN")
    mock_board.set_cv_in("CV IN 1", 1.0)                        # one octave above C4
    r.run(0.1)
    assert r.engine.jack(rig_out("CV_IN_1")) == pytest.approx(2.0, rel=0.01)


def test_cv_out_follows_what_is_patched_into_it(rig):
    rig.scanner.cv = CvConvention(pitch="v_per_oct", trigger="v_trig")
    rig.scanner.write_cv_outs(2.0, 5.0)                         # normals: KBD CV (Hz/V), EG-1 (CV)
    assert rig.board.cv_out_volts("CV OUT 1") == pytest.approx(1.0, abs=0.01)   # C5 in V/oct
    assert rig.board.cv_out_volts("CV OUT 2") == pytest.approx(5.0, abs=0.01)
    rig.board.plug("KBD TRIG OUT", "CV OUT 2")
    rig.run(0.06)
    rig.scanner.write_cv_outs(2.0, 0.0)                         # key held: S-trigger 0 V
    assert rig.board.cv_out_volts("CV OUT 2") == pytest.approx(5.0, abs=0.01)   # V-trigger on


# -- pickup ------------------------------------------------------------------------------------------------

def test_a_knob_moved_by_midi_keeps_its_value_until_the_pot_passes_through_it(rig):
    rig.board.turn("LPF CUTOFF", 7.5)
    rig.run(0.02)
    rig.controller.midi_knob("LPF CUTOFF", 2.0)
    rig.run(0.2)                                                 # noisy pot at rest: no jump
    assert rig.controller.state.knobs["LPF CUTOFF"] == 2.0
    rig.board.turn("LPF CUTOFF", 5.0)                            # moved, but not through 2.0
    rig.run(0.02)
    assert rig.controller.state.knobs["LPF CUTOFF"] == 2.0
    rig.board.turn("LPF CUTOFF", 1.0)                            # through 2.0: the pot takes over
    rig.run(0.02)
    assert rig.controller.state.knobs["LPF CUTOFF"] == pytest.approx(1.0, abs=0.1)
    rig.board.turn("LPF CUTOFF", 6.0)
    rig.run(0.02)
    assert rig.controller.state.knobs["LPF CUTOFF"] == pytest.approx(6.0, abs=0.1)
