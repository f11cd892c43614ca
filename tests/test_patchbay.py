"""The patch bay as data and in the kernel: 35 panel jacks, normals, atomic patch changes."""

from __future__ import annotations

import numpy as np
from ms20._kernel import lib

from measure import RATE, render_cv, route
from ms20.model.engine import Engine
from ms20.model.jacks import jack_table
from ms20.model.patchbay import resolve


def test_the_panel_has_the_ms20s_35_jacks_15_in_and_20_out() -> None:
    table = jack_table()
    panel_in = [j for j in table.inputs if j.where == "panel"]
    panel_out = [j for j in table.outputs if j.where == "panel"]
    assert (len(panel_in), len(panel_out)) == (15, 20)


def test_each_input_reads_its_documented_normal_without_a_cable() -> None:
    e = Engine(RATE)
    for jack in jack_table().inputs:
        assert e.route_of(jack.index) == getattr(lib, f"MS20_OUT_{jack.normal}"), jack.name


def test_a_patch_change_applies_every_cable_at_the_same_sample() -> None:
    e = Engine(RATE)
    cables = [("MG TRIANGLE OUT", "LP CUTOFF FREQ"), ("PINK NOISE OUT", "S/H IN"), ("S/H OUT", "FREQ"),
              ("ESP ENV F OUT", "TOTAL"), ("EG-1 REV OUT", "CV OUT 2")]
    routing = resolve(cables)
    e.patch(routing.route, at=1000)
    e.render(1000)  # samples 0..999
    normals = [getattr(lib, f"MS20_OUT_{j.normal}") for j in jack_table().inputs]
    assert [e.route_of(i) for i in range(lib.MS20_INPUT_COUNT)] == normals  # not yet: due before sample 1000
    e.render(1)
    after = [e.route_of(i) for i in range(lib.MS20_INPUT_COUNT)]
    assert after == [r if r >= 0 else normals[i] for i, r in enumerate(routing.route)]  # all of it, before sample 1000


def test_unplugging_restores_the_normal(engine: Engine) -> None:
    engine.patch(route(CV_OUT_1=lib.MS20_OUT_MG_RECT))
    render_cv(engine, RATE // 10)
    engine.patch(route())
    render_cv(engine, RATE // 10)
    assert engine.route_of(lib.MS20_IN_CV_OUT_1) == lib.MS20_OUT_KBD_CV


def test_audio_into_a_cv_input_modulates_at_audio_rate(engine: Engine) -> None:
    """LINE IN at 1 kHz into VCO 1+2 CV IN: the oscillator's pitch follows within the period."""
    engine.patch(route(CV_OUT_1=lib.MS20_OUT_LINE_IN, TOTAL=lib.MS20_OUT_LINE_IN))
    t = np.arange(RATE // 10) / RATE
    sine = np.sin(2 * np.pi * 1000 * t).astype(np.float32)
    render_cv(engine, RATE // 10, sine)
    _, cv, _ = render_cv(engine, RATE // 10, sine)
    np.testing.assert_allclose(cv, sine, atol=1e-6)  # per-sample routing, no block delay


def test_a_lone_plug_breaks_an_input_normal_and_leaves_outputs_and_patched_jacks_alone() -> None:
    routing = resolve([("EG-1 OUT", "FREQ")], lone=["LP CUTOFF FREQ", "MG TRIANGLE OUT", "FREQ"])
    assert routing.route[lib.MS20_IN_LP_CUTOFF] == lib.MS20_OUT_ZERO
    assert routing.route[lib.MS20_IN_FREQ] == lib.MS20_OUT_EG1
    assert routing.route[lib.MS20_IN_TOTAL] == -1      # MG TRIANGLE's own normal is untouched
    assert routing.cables == (("EG-1 OUT", "FREQ"),) and routing.problems == ()
