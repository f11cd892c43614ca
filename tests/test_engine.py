"""The engine as a player meets it: timing independent of block size, no clicks, no NaN,
audio-rate routing and feedback that stay bounded, a control queue that never blocks."""

from __future__ import annotations

import numpy as np
import pytest
from ms20._kernel import lib

from measure import RATE, render_cv, rms, route
from ms20.model.engine import Engine, QueueFull
from ms20.model.panel import PanelState, layout, send
from ms20.model.patchbay import resolve


def scripted(block: int) -> np.ndarray:
    """A busy patch (LFO on cutoff, FM from noise, S/H, portamento) played with the same
    events, rendered in blocks of `block` samples."""
    e = Engine(RATE)
    state = (PanelState.default().with_knob("LPF PEAK", 8).with_knob("LPF MG/T.EXT", 5)
             .with_knob("PORTAMENTO", 4).with_knob("VCO-2 LEVEL", 6).with_switch("VCO-2 WAVE FORM", "ring")
             .with_routing(resolve([("PINK NOISE OUT", "S/H IN"), ("S/H OUT", "FREQ")])))
    send(e, state, at=0)
    e.set_param(lib.MS20_P_FM_EG1_OCT_PER_V, 0.2, at=0)
    for k, (t, note) in enumerate([(100, 48), (7000, 55), (9001, 60), (15555, 43)]):
        e.key(note, True, at=t)
        e.key(note, k == 2, at=t + 4000)
    e.set_param(lib.MS20_P_LPF_CUTOFF_HZ, 300.0, at=12345)
    out = np.zeros(24000, np.float32)
    for start in range(0, len(out), block):
        e.render_into(out[start:start + block])
    return out


def test_output_is_identical_at_block_sizes_1_64_and_512() -> None:
    reference = scripted(512)
    assert rms(reference) > 0.01
    np.testing.assert_array_equal(scripted(64), reference)
    np.testing.assert_array_equal(scripted(1), reference)


def step_response(knob: str, lo: float, hi: float, ramp_steps: int) -> np.ndarray:
    """A held triangle note while `knob` jumps from lo to hi at once (ramp_steps=1) or in
    ramp_steps even steps over 20 ms: the reference a careful hand would make."""
    e = Engine(RATE)
    state = (PanelState.default().with_switch("VCO-1 WAVE FORM", "triangle").with_knob("LPF CUTOFF", 6)
             .with_knob("EG-2 SUSTAIN", 10).with_knob(knob, lo))
    send(e, state, at=0)
    e.key(45, True, at=0)
    e.render(RATE // 4)
    k = layout().knob(knob)
    t0 = e.time
    for i in range(1, ramp_steps + 1):
        e.set_param(k.param, k.value(lo + (hi - lo) * i / ramp_steps), at=t0 + (i - 1) * (RATE // 50) // ramp_steps)
    return e.render(RATE // 10)


@pytest.mark.parametrize(("knob", "lo", "hi"), [("VOLUME", 0, 10), ("VCO-1 LEVEL", 0, 10), ("LPF CUTOFF", 0, 10),
                                                ("VCO-1 PW", 0, 10)])
def test_a_full_range_knob_step_does_not_click(knob: str, lo: float, hi: float) -> None:
    def click(y: np.ndarray) -> float:
        return float(np.max(np.abs(np.diff(y, 2))))  # a click is a burst of curvature

    stepped, smooth = click(step_response(knob, lo, hi, 1)), click(step_response(knob, lo, hi, 64))
    assert stepped <= 1.5 * smooth + 1e-4


def test_no_nan_inf_or_denormals_after_ten_seconds_of_silence(engine: Engine) -> None:
    send(engine, PanelState.default().with_knob("LPF PEAK", 7).with_knob("EG-2 RELEASE", 2))
    engine.key(60, True)
    engine.render(RATE // 2)
    engine.key(60, False)
    tail = engine.render(10 * RATE)
    assert np.all(np.isfinite(tail))
    nonzero = np.abs(tail[tail != 0.0])
    assert nonzero.size == 0 or nonzero.min() >= np.finfo(np.float32).tiny
    jacks = np.array([engine.jack(i) for i in range(lib.MS20_OUTPUT_COUNT)])
    assert np.all(np.isfinite(jacks))
    assert np.all((jacks == 0) | (np.abs(jacks) >= np.finfo(np.float32).tiny))


def random_state(rng: np.random.Generator) -> PanelState:
    lay = layout()
    state = PanelState.default()
    for knob in lay.knobs.values():
        state = state.with_knob(knob.name, float(rng.uniform(0, 10)))
    for sw in lay.switches.values():
        state = state.with_switch(sw.name, int(rng.integers(len(sw.positions))))
    from ms20.model.jacks import jack_table

    jacks = [j.name for j in jack_table().patchable()]
    pairs = [(jacks[i], jacks[j]) for i, j in rng.integers(len(jacks), size=(int(rng.integers(0, 12)), 2))]
    return state.with_routing(resolve(pairs))


@pytest.mark.parametrize("seed", range(12))
def test_random_panels_and_patches_never_produce_nan_or_overload(seed: int) -> None:
    rng = np.random.default_rng(seed)
    e = Engine(RATE)
    send(e, random_state(rng), at=0)
    noise = rng.normal(0, 3, RATE // 4).astype(np.float32)
    e.key(int(rng.integers(24, 100)), True, at=10)
    y = e.render(RATE // 4, line_in=noise)
    send(e, random_state(rng), at=e.time)
    y = np.concatenate([y, e.render(RATE // 4, line_in=noise)])
    assert np.all(np.isfinite(y))
    assert np.max(np.abs(y)) <= 1.0


def test_nan_and_inf_at_line_in_do_not_reach_the_output(engine: Engine) -> None:
    engine.patch(resolve([("ESP AMP OUT", "EXT SIGNAL")]).route)
    bad = np.full(4800, np.nan, np.float32)
    bad[::3] = np.inf
    y = engine.render(4800, line_in=bad)
    assert np.all(np.isfinite(y))
    assert engine.stats()["nonfinite_resets"] == 0  # the input clamps caught it before the voice


def test_feedback_patches_stay_bounded_at_extreme_settings(engine: Engine) -> None:
    state = (PanelState.default().with_knob("ESP SIGNAL LEVEL", 10).with_knob("LPF PEAK", 10)
             .with_knob("HPF PEAK", 10).with_knob("VOLUME", 10)
             .with_routing(resolve([("OUTPUT", "ESP SIGNAL IN"), ("ESP AMP OUT", "EXT SIGNAL"),
                                    ("MVCA OUT", "MVCA IN"), ("MVCA OUT", "TOTAL"),
                                    ("ESP ENV F OUT", "MVCA CONTROL IN")])))
    send(engine, state)
    engine.key(60, True)
    y = engine.render(2 * RATE)
    assert np.all(np.isfinite(y)) and np.max(np.abs(y)) <= 1.0
    assert max(abs(engine.jack(i)) for i in range(lib.MS20_OUTPUT_COUNT)) < 1e3


def test_audio_rate_routing_noise_into_sample_and_hold_steps_at_the_clock(engine: Engine) -> None:
    """Pink noise into S/H clocked by the MG rectangle: the held voltage changes once per MG cycle."""
    send(engine, PanelState.default().with_knob("MG FREQUENCY", 10).with_routing(
        resolve([("WHITE NOISE OUT", "S/H IN"), ("S/H OUT", "CV OUT 1")])))
    render_cv(engine, RATE // 10)
    _, held, _ = render_cv(engine, RATE)
    changes_while_held = np.count_nonzero(np.diff(held) != 0)
    # tracks while the clock is high (half of each 20 Hz cycle), flat while it is low
    flat = np.mean(np.diff(held) == 0)
    assert 0.4 < flat < 0.6
    assert changes_while_held > 1000


def test_a_new_cable_crossfades_instead_of_jumping(engine: Engine) -> None:
    send(engine, PanelState.default().with_knob("LPF CUTOFF", 4))
    engine.patch(route(CV_OUT_1=lib.MS20_OUT_ZERO))
    render_cv(engine, RATE // 10)
    engine.patch(route(CV_OUT_1=lib.MS20_OUT_STRIG_OPEN))  # 0 V -> 5 V
    _, cv, _ = render_cv(engine, RATE // 50)
    steps = np.diff(np.concatenate([[0.0], cv]))
    assert np.max(np.abs(steps)) < 5.0 / 100  # spread over >= 100 samples (5 ms at 48 kHz is 240)
    assert cv[-1] == pytest.approx(5.0)


def test_a_full_queue_refuses_events_without_blocking_and_recovers(engine: Engine) -> None:
    with pytest.raises(QueueFull):
        for _ in range(10000):
            engine.set_param(lib.MS20_P_VOLUME, 0.5)
    assert engine.stats()["events_dropped"] == 1
    engine.render(64)
    engine.set_param(lib.MS20_P_VOLUME, 0.5)


def test_bad_sample_rates_are_refused() -> None:
    with pytest.raises(ValueError, match="outside"):
        Engine(1000)


@pytest.mark.parametrize("rate", [44100, 96000])
def test_pitch_holds_at_other_sample_rates(rate: int) -> None:
    e = Engine(rate)
    send(e, PanelState.default().with_knob("LPF CUTOFF", 10).with_knob("EG-2 SUSTAIN", 10))
    e.key(69, True)
    e.render(rate // 10)
    y = e.render(rate).astype(np.float64)
    spectrum = np.abs(np.fft.rfft(y * np.hanning(len(y))))
    peak = np.argmax(spectrum[10:]) + 10
    assert peak * rate / len(y) == pytest.approx(440.0, abs=1.5)


def _band_db(x: np.ndarray, lo_hz: float, hi_hz: float) -> float:
    """Mean power density (dB) between lo and hi, from a Welch-style average of 8192-point FFTs."""
    seg = 8192
    frames = x[: len(x) // seg * seg].reshape(-1, seg) * np.hanning(seg)
    power = np.mean(np.abs(np.fft.rfft(frames, axis=1)) ** 2, axis=0)
    f = np.fft.rfftfreq(seg, 1.0 / RATE)
    return 10.0 * float(np.log10(np.mean(power[(f >= lo_hz) & (f < hi_hz)])))


def test_white_noise_is_flat_and_pink_falls_3_db_per_octave(engine: Engine) -> None:
    engine.patch(route(CV_OUT_1=lib.MS20_OUT_WHITE_NOISE, CV_OUT_2=lib.MS20_OUT_PINK_NOISE))
    _, white, pink = render_cv(engine, 8 * RATE)
    octaves = [(62.5 * 2**k, 125.0 * 2**k) for k in range(8)]  # 62.5 Hz .. 16 kHz
    white_db = [_band_db(white, lo, hi) for lo, hi in octaves]
    pink_db = [_band_db(pink, lo, hi) for lo, hi in octaves]
    assert max(white_db) - min(white_db) < 0.5
    slope, offset = np.polyfit(np.arange(len(octaves)), pink_db, 1)
    assert slope == pytest.approx(-3.0, abs=0.25)
    assert np.max(np.abs(pink_db - (slope * np.arange(len(octaves)) + offset))) < 1.0
    assert abs(np.mean(white)) < 0.01
    assert np.std(white) == pytest.approx(1.0 / np.sqrt(3.0), rel=0.02)  # uniform +-1 V
    assert 0.1 < np.std(pink) < 0.5  # about 1 V peak, like the white source


@pytest.mark.parametrize(("glide_ms", "low", "high"), [(200.0, 48, 60), (4000.0, 84, 96), (4000.0, 96, 84)])
def test_portamento_glides_over_its_set_time_and_settles_on_the_key(engine: Engine, glide_ms: float, low: int,
                                                                    high: int) -> None:
    engine.patch(route(CV_OUT_1=lib.MS20_OUT_KBD_CV, CV_OUT_2=lib.MS20_OUT_KBD_TRIG))
    engine.key(low, True, at=0)  # no portamento yet: the first key jumps
    engine.set_param(lib.MS20_P_PORTAMENTO_MS, glide_ms, at=1000)
    engine.key(high, True, at=2000)  # legato, an octave away
    n = 2000 + int(glide_ms * 0.004 * RATE)
    _, cv, trig = render_cv(engine, n)
    semitones = 60.0 + 12.0 * np.log2(cv.astype(np.float64))  # KBD CV is Hz/V: 1 V is C4
    assert semitones[1999] == pytest.approx(low, abs=0.001)
    glide = (semitones[2000:] - low) * np.sign(high - low)
    assert np.all(np.diff(glide) >= 0.0)  # one way, no overshoot
    reached_ms = np.argmax(glide > 0.99 * abs(high - low)) / RATE * 1000.0  # 99 % of the interval
    assert reached_ms == pytest.approx(glide_ms, rel=0.05)
    # Settled on the key within 0.1 cent by three glide times, and no jump on the way there.
    assert np.all(np.abs(semitones[-RATE // 10:] - high) < 0.001)
    assert np.max(np.abs(np.diff(semitones[2000 + int(glide_ms * 0.001 * RATE):]))) < 0.001
    assert np.all(trig[1000:] == 0.0)  # legato: the trigger line stays closed (after the cable fades in)


def test_a_retriggered_key_opens_kbd_trig_for_two_samples(engine: Engine) -> None:
    engine.patch(route(CV_OUT_2=lib.MS20_OUT_KBD_TRIG))
    engine.key(48, True, at=0)
    engine.key(50, True, retrigger=True, at=3000)
    engine.key(50, False, at=3500)
    _, _, trig = render_cv(engine, 4000)
    assert list(trig[2998:3004]) == [0.0, 0.0, 5.0, 5.0, 0.0, 0.0]  # S-trigger: open is +5 V
    assert np.all(trig[1000:3000] == 0.0) and np.all(trig[3002:3500] == 0.0)
    assert np.all(trig[3500:] == 5.0)  # key up: open
