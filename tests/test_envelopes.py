"""EG-1 and EG-2 follow the documented knob-to-time mapping (panel.toml) within 5 %."""

from __future__ import annotations

import numpy as np
import pytest
from ms20._kernel import lib

from measure import RATE, render_cv, route
from ms20.model.engine import Engine
from ms20.model.panel import layout


def ms(knob: str, position: float) -> float:
    return layout().knob(knob).value(position)


def settle(engine: Engine) -> None:
    """Let the 5 ms cable crossfade and knob smoothing finish before measuring."""
    render_cv(engine, RATE // 20)


def first_index(mask: np.ndarray) -> int:
    idx = np.flatnonzero(mask)
    assert len(idx), "threshold never reached"
    return int(idx[0])


@pytest.mark.parametrize("position", [2.0, 5.0, 7.0])
def test_eg1_attack_reaches_full_level_in_the_knob_time(engine: Engine, position: float) -> None:
    attack = ms("EG-1 ATTACK", position)
    engine.set_param(lib.MS20_P_EG1_ATTACK_MS, attack)
    engine.patch(route(CV_OUT_1=lib.MS20_OUT_EG1))
    settle(engine)
    engine.key(60, True)
    _, eg1, _ = render_cv(engine, int(attack * 1.2e-3 * RATE) + 100)
    measured = first_index(eg1 >= 5.0 * 0.999) / RATE * 1000.0
    assert measured == pytest.approx(attack, rel=0.05)


@pytest.mark.parametrize("position", [2.0, 5.0])
def test_eg1_release_falls_60_db_in_the_knob_time(engine: Engine, position: float) -> None:
    release = ms("EG-1 RELEASE", position)
    engine.set_param(lib.MS20_P_EG1_RELEASE_MS, release)
    engine.set_param(lib.MS20_P_EG1_ATTACK_MS, 0.5)
    engine.patch(route(CV_OUT_1=lib.MS20_OUT_EG1))
    settle(engine)
    engine.key(60, True)
    render_cv(engine, 480)
    engine.key(60, False)
    _, eg1, _ = render_cv(engine, int(release * 1.2e-3 * RATE) + 100)
    measured = first_index(eg1 <= 5.0e-3) / RATE * 1000.0
    assert measured == pytest.approx(release, rel=0.05)


def test_eg1_delay_holds_the_attack_back(engine: Engine) -> None:
    delay = ms("EG-1 DELAY", 5.0)
    engine.set_param(lib.MS20_P_EG1_DELAY_MS, delay)
    engine.set_param(lib.MS20_P_EG1_ATTACK_MS, 0.5)
    engine.patch(route(CV_OUT_1=lib.MS20_OUT_EG1))
    settle(engine)
    engine.key(60, True)
    _, eg1, _ = render_cv(engine, int(delay * 1.5e-3 * RATE))
    start = first_index(eg1 > 0.01) / RATE * 1000.0
    assert start == pytest.approx(delay, rel=0.05)


def test_eg2_attack_decay_and_sustain(engine: Engine) -> None:
    attack, decay = ms("EG-2 ATTACK", 3.0), ms("EG-2 DECAY", 4.0)
    engine.set_param(lib.MS20_P_EG2_ATTACK_MS, attack)
    engine.set_param(lib.MS20_P_EG2_DECAY_MS, decay)
    engine.set_param(lib.MS20_P_EG2_SUSTAIN, 0.0)
    engine.patch(route(CV_OUT_2=lib.MS20_OUT_EG2_REV))
    settle(engine)
    engine.key(60, True)
    _, _, rev = render_cv(engine, int((attack + decay) * 1.3e-3 * RATE))
    eg2 = -rev
    peak = first_index(eg2 >= 5.0 * 0.999)
    assert peak / RATE * 1000.0 == pytest.approx(attack, rel=0.05)
    fallen = first_index(eg2[peak:] <= 5.0e-3)
    assert fallen / RATE * 1000.0 == pytest.approx(decay, rel=0.05)


def test_eg2_sustains_at_the_sustain_level_and_hold_extends_the_gate(engine: Engine) -> None:
    hold = ms("EG-2 HOLD", 4.0)
    engine.set_param(lib.MS20_P_EG2_SUSTAIN, 0.6)
    engine.set_param(lib.MS20_P_EG2_DECAY_MS, 50.0)
    engine.set_param(lib.MS20_P_EG2_RELEASE_MS, 10.0)
    engine.set_param(lib.MS20_P_EG2_HOLD_MS, hold)
    engine.patch(route(CV_OUT_2=lib.MS20_OUT_EG2_REV))
    settle(engine)
    engine.key(60, True)
    _, _, rev = render_cv(engine, RATE // 2)
    assert -rev[-1] == pytest.approx(3.0, abs=0.01)
    engine.key(60, False)
    _, _, rev = render_cv(engine, int(hold * 1.5e-3 * RATE))
    still_held = -rev[: int(hold * 0.95e-3 * RATE)]
    assert still_held.min() == pytest.approx(3.0, abs=0.01)
    assert -rev[-1] < 0.05


def test_filter_eg_normal_is_referenced_to_sustain(engine: Engine) -> None:
    """The MS-20 quirk: through the cutoff jacks' normal, SUSTAIN shifts the whole contour."""
    engine.patch(route(CV_OUT_1=lib.MS20_OUT_EG2_SUSREF))  # what LP CUTOFF FREQ reads
    engine.set_param(lib.MS20_P_EG2_SUSTAIN, 0.4)
    render_cv(engine, RATE // 10)  # let the SUSTAIN knob's 5 ms smoothing settle
    _, before_note, _ = render_cv(engine, 10)
    assert before_note[-1] == pytest.approx(-2.0, abs=0.01)  # 5 V x (0 - 0.4)
    engine.key(60, True)
    _, during, _ = render_cv(engine, RATE)
    assert during[-1] == pytest.approx(0.0, abs=0.01)        # sustain is the 0 V reference
