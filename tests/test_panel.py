"""The panel model: clock positions, tapers, names a player would use."""

from __future__ import annotations

import pytest

from ms20.model.panel import PanelError, PanelState, layout, parse_position


@pytest.mark.parametrize(("clock", "position"), [("7 o'clock", 0.0), ("12 o'clock", 5.0), ("2 o'clock", 7.0),
                                                  ("11 o'clock", 4.0), ("5 o'clock", 10.0), ("1:30 o'clock", 6.5),
                                                  ("1 o’clock", 6.0), (3, 3.0), ("7.5", 7.5)])
def test_clock_positions_map_onto_the_0_to_10_scale(clock: str | int, position: float) -> None:
    assert parse_position(clock) == pytest.approx(position)


@pytest.mark.parametrize("bad", ["6 o'clock", "13 o'clock", "eleven", "11", -1, True, "nan"])
def test_positions_the_knob_cannot_reach_are_refused(bad: object) -> None:
    with pytest.raises(PanelError):
        parse_position(bad)  # type: ignore[arg-type]


def test_tapers_match_the_documented_ranges() -> None:
    lay = layout()
    assert lay.knob("LPF CUTOFF").value(0) == pytest.approx(20.0)
    assert lay.knob("LPF CUTOFF").value(10) == pytest.approx(20000.0)
    assert lay.knob("LPF CUTOFF").value(5) == pytest.approx(632.5, rel=1e-3)  # geometric middle
    assert lay.knob("ESP SIGNAL LEVEL").value(3.75) == pytest.approx(1.0)
    assert lay.knob("ESP SIGNAL LEVEL").value(7.5) == pytest.approx(10 ** (12 / 20))
    assert lay.knob("ESP SIGNAL LEVEL").value(10) > 10 ** (50 / 20)
    assert lay.knob("ESP SIGNAL LEVEL").value(0) < 0.1
    assert lay.knob("VCO-2 PITCH").value(5) == pytest.approx(0.0)
    assert lay.knob("VCO-1 PW").value(10) == pytest.approx(0.0)   # silent at maximum
    assert lay.knob("MG FREQUENCY").value(0) == pytest.approx(0.1)
    assert lay.knob("MG FREQUENCY").value(10) == pytest.approx(20.0)


def test_the_panel_has_32_knobs_and_4_switches() -> None:
    assert len(layout().knobs) == 32
    assert len(layout().switches) == 4


def test_guide_names_reach_the_right_knob() -> None:
    state = PanelState.default().with_knob("VCF CUTOFF FREQUENCY", "1 o'clock").with_knob("VCF RESONANCE", 4)
    assert state.knobs["LPF CUTOFF"] == 6.0
    assert state.knobs["LPF PEAK"] == 4.0


def test_unknown_controls_and_positions_are_named_in_the_error() -> None:
    with pytest.raises(PanelError, match="unknown knob 'WAH'"):
        PanelState.default().with_knob("WAH", 3)
    with pytest.raises(PanelError, match="no position 'sine'.*triangle"):
        PanelState.default().with_switch("VCO-1 WAVE FORM", "sine")
