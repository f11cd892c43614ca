"""The modulation sources a player patches first: the MG (rate, wave form, rectangle width),
the modulation VCA (gain from its control voltage, and its lag), read at CV OUT, and the
VCA's INITIAL GAIN (the drone), read at the output."""

from __future__ import annotations

import numpy as np
import pytest
from ms20._kernel import lib

from measure import RATE, render_cv, route
from ms20.model.engine import Engine
from ms20.model.panel import layout


def rising_edges(rect: np.ndarray) -> np.ndarray:
    return np.flatnonzero((rect[1:] > 2.5) & (rect[:-1] <= 2.5)) + 1


@pytest.mark.parametrize(("position", "hz"), [(0.0, 0.1), (5.0, np.sqrt(0.1 * 20.0)), (10.0, 20.0)])
def test_mg_frequency_knob_spans_a_tenth_of_a_hertz_to_twenty(engine: Engine, position: float, hz: float) -> None:
    knob = layout().knob("MG FREQUENCY")
    assert knob.value(position) == pytest.approx(hz, rel=1e-3)  # the panel's exponential taper
    engine.set_param(knob.param, knob.value(position))
    engine.patch(route(CV_OUT_1=lib.MS20_OUT_MG_RECT))
    render_cv(engine, RATE // 10)  # the knob's smoothing ramp and the cable's fade
    _, rect, _ = render_cv(engine, int(2.5 / hz * RATE))
    edges = rising_edges(rect)
    assert len(edges) >= 2
    measured = (len(edges) - 1) * RATE / (edges[-1] - edges[0])
    assert measured == pytest.approx(hz, rel=0.003)  # a float phase: 0.13 % fast at 0.1 Hz


@pytest.mark.parametrize(("shape", "rising"), [(0.0, 0.01), (0.25, 0.25), (0.5, 0.5), (1.0, 0.99)])
def test_mg_wave_form_moves_the_peak_and_the_rectangle_width_together(engine: Engine, shape: float,
                                                                       rising: float) -> None:
    """WAVE FORM: ramp down at 0, triangle in the middle, ramp up at 10; the rectangle is
    high while the wave rises. Triangle +-2.5 V, rectangle 0..+5 V."""
    engine.set_param(lib.MS20_P_MG_FREQ_HZ, 5.0)
    engine.set_param(lib.MS20_P_MG_SHAPE, shape)
    engine.patch(route(CV_OUT_1=lib.MS20_OUT_MG_TRI, CV_OUT_2=lib.MS20_OUT_MG_RECT))
    render_cv(engine, RATE // 10)  # the cables fade in
    _, tri, rect = render_cv(engine, 2 * RATE)  # ten cycles
    assert tri.max() == pytest.approx(2.5, abs=0.01) and tri.min() == pytest.approx(-2.5, abs=0.01)
    assert set(np.unique(rect)) == {0.0, 5.0}
    assert np.mean(np.diff(tri) > 0) == pytest.approx(rising, abs=0.003)
    assert np.mean(rect == 5.0) == pytest.approx(rising, abs=0.003)
    # High exactly while the wave rises: they may disagree only on the samples that straddle
    # the peak or the wrap, two a cycle.
    mismatches = np.count_nonzero((np.diff(tri) > 0) != (rect[1:] == 5.0))
    assert mismatches <= 2 * 10


@pytest.mark.parametrize(("control_v", "gain"), [(0.0, 0.0), (2.5, 0.5), (5.0, 1.0), (10.0, 2.0), (-5.0, 0.0)])
def test_mvca_gain_is_its_control_over_five_volts(engine: Engine, control_v: float, gain: float) -> None:
    engine.set_param(lib.MS20_P_WHEEL_V, 1.5)
    engine.set_param(lib.MS20_P_CV_IN_1_V, control_v)
    engine.patch(route(MVCA_IN=lib.MS20_OUT_WHEEL, MVCA_CONTROL=lib.MS20_OUT_CV_IN_1,
                       CV_OUT_1=lib.MS20_OUT_MVCA_OUT))
    render_cv(engine, RATE // 10)
    _, out, _ = render_cv(engine, 1000)
    assert np.allclose(out, 1.5 * gain, atol=1e-3)


def test_mvca_follows_a_control_step_with_a_four_millisecond_lag(engine: Engine) -> None:
    """The original's slow control path: a one-pole of 4 ms, so a step never clicks."""
    engine.set_param(lib.MS20_P_WHEEL_V, 2.0)
    engine.patch(route(MVCA_IN=lib.MS20_OUT_WHEEL, MVCA_CONTROL=lib.MS20_OUT_MOMENTARY,
                       CV_OUT_1=lib.MS20_OUT_MVCA_OUT))
    render_cv(engine, RATE // 10)  # MOMENTARY OUT rests at +5 V: unity gain
    engine.set_param(lib.MS20_P_MOMENTARY, 1.0)  # pressed: the switch grounds the line
    _, out, _ = render_cv(engine, RATE // 10)
    assert out[0] == pytest.approx(2.0, rel=0.01)
    tau_ms = np.argmax(out < 2.0 / np.e) / RATE * 1000.0
    assert tau_ms == pytest.approx(4.0, rel=0.05)
    assert np.max(np.abs(np.diff(out))) < 2.0 * 0.01  # no step: at most 1 % of the swing a sample
    assert abs(out[-1]) < 1e-6


def _vca_rms(initial_gain_v: float, key: bool) -> float:
    """RMS at the output, VCO-1 through wide-open filters, with INITIAL GAIN fed from CV IN 1."""
    e = Engine(RATE)
    for param, value in [("VCO1_LEVEL", 1.0), ("LPF_CUTOFF_HZ", 20000.0), ("HPF_CUTOFF_HZ", 10.0),
                         ("EG2_SUSTAIN", 1.0), ("CV_IN_1_V", initial_gain_v)]:
        e.set_param(getattr(lib, f"MS20_P_{param}"), value)
    e.patch(route(INITIAL_GAIN=lib.MS20_OUT_CV_IN_1))
    if key:
        e.key(57, True)
    render_cv(e, RATE // 2)
    out, _, _ = render_cv(e, RATE // 2)
    return float(np.sqrt(np.mean(out.astype(np.float64) ** 2)))


def test_initial_gain_opens_the_vca_without_a_key_like_eg2_at_full_sustain() -> None:
    """The drone: +5 V at INITIAL GAIN is the gain a held key at full SUSTAIN gives."""
    keyed = _vca_rms(0.0, key=True)
    assert 20 * np.log10(_vca_rms(5.0, key=False) / keyed) == pytest.approx(0.0, abs=0.2)
    assert 20 * np.log10(_vca_rms(2.5, key=False) / keyed) == pytest.approx(-6.0, abs=0.5)
    assert _vca_rms(0.0, key=False) < 1e-6 * keyed  # no key, no gain: silence
