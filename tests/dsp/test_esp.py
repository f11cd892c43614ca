"""The External Signal Processor: preamp, band-pass, F-V converter, envelope follower and
trigger, measured in user units (cents, ms, dB, volts) on real-world-like signals.

Unit-level checks run one ESP alone through the probe in c_kernels/esp.probe.h; the
user-facing ones go through the engine (LINE IN is normalled to ESP SIGNAL IN) and read
the ESP jacks on CV OUT 1/2 or listen to the VCO the F-V converter plays.

Definitions used below:
- F-V error: 1200*log2(F-V * 261.63 Hz / true f0) over a note's steady part (from
  STEADY_FROM_S after the onset to its end), after the F-V's own latency for sung notes.
- Settling: time from a note's onset until the F-V stays within 10 cents to the note's end.
- ENV attack: time to reach 90 % of the steady value after a tone starts; release: time
  to fall to 10 % (-20 dB) of it after the tone stops.
- A trigger: TRIG OUT falling from +5 V to 0 V (an S-trigger going on).
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pytest
from ms20._kernel import ffi, lib

from ms20.model.engine import Engine
from signals import (
    C4_HZ,
    TestSignal,
    cents,
    concat,
    drums,
    midi_to_hz,
    plucked,
    silence,
    tones,
    voice,
    white_noise,
)

RATE = 48000
STEADY_FROM_S = 0.06        # the F-V is judged this long after an onset ...
STEADY_TO_S = 0.02          # ... until this long before the note is damped
SUNG_LATENCY_S = 0.010      # a sung f0 is compared with the F-V this much later
PLUCKS = [40, 45, 50, 55, 59, 64, 69, 76, 81, 72, 60, 48, 43, 52, 57, 62]  # E2 .. A5
MELODY = [(57, 0.5), (60, 0.5), (64, 0.6), (None, 0.2), (62, 0.5), (55, 0.7), (48, 0.6), (67, 0.5)]
OUTPUTS = ("amp", "bp", "fv", "env", "trig")


# -- helpers ------------------------------------------------------------------------------

def esp(sig: TestSignal | np.ndarray, gain: float = 1.0, low_hz: float = 20.0, high_hz: float = 20000.0,
        cv_adjust: float = 1.0, threshold_v: float = 0.05, fs: float = RATE, character: int = 0,
        pitch_triggers: bool = True) -> dict[str, np.ndarray]:
    """One fresh ESP over a signal with fixed knobs: every output, per sample, in volts.
    character: 0 the accurate F-V, 1 the vintage tachometer."""
    x = np.ascontiguousarray(sig.samples if isinstance(sig, TestSignal) else sig, np.float32)
    rate = sig.fs_hz if isinstance(sig, TestSignal) else fs
    out = {k: np.zeros(len(x), np.float32) for k in OUTPUTS}
    buf = [ffi.from_buffer("float[]", out[k]) for k in OUTPUTS]
    lib.esp_probe_render_fv(rate, ffi.from_buffer("float[]", x), len(x), gain, low_hz, high_hz, cv_adjust,
                            threshold_v, character, int(pitch_triggers), *buf)
    return out


def route(**cables: int) -> list[int]:
    """A patch from input-name=output-index keywords, e.g. route(CV_OUT_1=lib.MS20_OUT_ESP_FV)."""
    r = [-1] * lib.MS20_INPUT_COUNT
    for name, out in cables.items():
        r[getattr(lib, f"MS20_IN_{name}")] = out
    return r


def render_cv(engine: Engine, n: int, line_in: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """n samples: (audio, CV OUT 1, CV OUT 2)."""
    out, cv = np.zeros(n, np.float32), np.zeros(2 * n, np.float32)
    engine.render_into(out, line_in, cv)
    return out, cv[0::2], cv[1::2]


def fv_hz(fv_v: np.ndarray) -> np.ndarray:
    return fv_v.astype(np.float64) * C4_HZ


def triggers(trig_v: np.ndarray) -> np.ndarray:
    """Sample indices where TRIG OUT goes on (falls through 2.5 V)."""
    return np.nonzero((trig_v[1:] < 2.5) & (trig_v[:-1] >= 2.5))[0] + 1


def steady_errors(sig: TestSignal, hz: np.ndarray, latency_s: float = 0.0) -> list[np.ndarray]:
    """Per pitched note: F-V error in cents over its steady part (true f0 delayed by latency_s)."""
    lag = int(round(latency_s * sig.fs_hz))
    truth = np.concatenate([np.zeros(lag), sig.f0_hz[:len(sig.f0_hz) - lag]]) if lag else sig.f0_hz
    errs = []
    for note in sig.notes:
        i0, i1 = sig.index(note.start_s + STEADY_FROM_S), sig.index(note.end_s - STEADY_TO_S)
        c = cents(hz[i0:i1], truth[i0:i1])
        errs.append(c[~np.isnan(c)])
    return errs


def settling_ms(sig: TestSignal, hz: np.ndarray, tol_cents: float = 10.0) -> list[float]:
    """Per note: ms from the onset until the F-V stays within tol_cents of the note."""
    result = []
    for note in sig.notes:
        i0, i1 = sig.index(note.start_s), sig.index(note.end_s - STEADY_TO_S)
        bad = np.nonzero(~(np.abs(cents(hz[i0:i1], note.f0_hz)) < tol_cents))[0]
        result.append(0.0 if len(bad) == 0 else (bad[-1] + 1) / sig.fs_hz * 1000.0)
    return result


def engine_esp(sig: TestSignal, jack1: int, jack2: int, params: dict[int, float] | None = None,
               block: int | None = None, lead_s: float = 0.1) -> tuple[np.ndarray, np.ndarray]:
    """Render sig into LINE IN of a fresh engine; two ESP jacks on CV OUT 1 and 2.

    The cables go in lead_s before the signal starts (the patch bay crossfades a new
    cable), and that lead-in is cut from the result."""
    e = Engine(sig.fs_hz)
    for p, v in (params or {}).items():
        e.set_param(p, v, at=0)
    e.patch(route(CV_OUT_1=jack1, CV_OUT_2=jack2), at=0)
    lead = int(round(lead_s * sig.fs_hz))
    x = np.concatenate([np.zeros(lead, np.float32), sig.samples])
    n = len(x)
    if block is None:
        _, a, b = render_cv(e, n, x)
    else:
        a, b = np.zeros(n, np.float32), np.zeros(n, np.float32)
        for i in range(0, n, block):
            j = min(n, i + block)
            _, a[i:j], b[i:j] = render_cv(e, j - i, np.ascontiguousarray(x[i:j]))
    return a[lead:], b[lead:]


def pitch_hz(x: np.ndarray, fs: float, near_hz: float) -> float:
    """The frequency of the strongest spectral peak within a semitone of near_hz
    (Hann window, 16x zero padding, parabolic fit on log magnitude)."""
    n = len(x)
    spec = np.abs(np.fft.rfft((x - x.mean()) * np.hanning(n), 16 * n))
    bin_hz = fs / (16 * n)
    lo, hi = int(near_hz * 2 ** (-1 / 12) / bin_hz), int(near_hz * 2 ** (1 / 12) / bin_hz)
    k = lo + int(np.argmax(spec[lo:hi]))
    a, b, c = np.log(spec[k - 1:k + 2] + 1e-30)
    return (k + 0.5 * (a - c) / (a - 2 * b + c)) * bin_hz


@cache
def plucked_seq(legato: bool, seed: int = 1, fs: float = RATE) -> TestSignal:
    if legato:
        return plucked(PLUCKS, fs, seed=seed, note_s=0.3, gap_s=0.0)
    return plucked(PLUCKS, fs, seed=seed)


@cache
def sung(seed: int = 2) -> TestSignal:
    return voice(MELODY, RATE, seed=seed)


# -- the test signals themselves -----------------------------------------------------------

def test_test_signals_are_deterministic_and_in_tune() -> None:
    a, b = plucked([45, 57], RATE, seed=7), plucked([45, 57], RATE, seed=7)
    assert np.array_equal(a.samples, b.samples)
    assert not np.array_equal(a.samples, plucked([45, 57], RATE, seed=8).samples)
    for note in a.notes:  # Karplus-Strong tuned by its allpass: the true pitch is the nominal one
        seg = a.samples[a.index(note.start_s + 0.05):a.index(note.end_s)]
        assert abs(cents(pitch_hz(seg, RATE, note.f0_hz), note.f0_hz)) < 1.0
    v = voice([(57, 0.6)], RATE, seed=1, vibrato_cents=0.0, jitter_cents=0.0)
    assert abs(cents(pitch_hz(v.samples[4800:], RATE, 220.0), 220.0)) < 1.0
    d = drums(RATE, seed=1)
    assert {n.label for n in d.notes} == {"kick", "snare", "hat"}
    for sig in (a, v, d):
        assert sig.samples.dtype == np.float32 and np.all(np.isfinite(sig.samples))
        assert 0.5 < np.max(np.abs(sig.samples)) <= 1.0


# -- preamp and band-pass ------------------------------------------------------------------

def test_preamp_is_unity_at_unity_gain() -> None:
    x = 0.05 * np.sin(2 * np.pi * 440 * np.arange(RATE // 10) / RATE)
    amp = esp(x, gain=1.0)["amp"]
    assert np.max(np.abs(amp)) == pytest.approx(0.05, rel=0.01)


def test_preamp_clips_at_1_5_v_at_full_gain_and_bends_smoothly_before() -> None:
    x = 0.1 * np.sin(2 * np.pi * 220 * np.arange(RATE // 10) / RATE)
    full = esp(x, gain=10 ** (54 / 20))["amp"].astype(np.float64)
    assert 1.45 < np.max(np.abs(full)) <= 1.5
    # driven into the knee (1.8 V before the clip): compressed, but no corner in the wave
    bent = esp(x, gain=18.0)["amp"].astype(np.float64)
    assert 1.3 < np.max(np.abs(bent)) < 1.5
    assert np.max(np.abs(np.diff(bent, 2))) < 0.01


def test_preamp_never_passes_its_ceiling_on_a_fine_ramp() -> None:
    # every float between 0 and 3 V around the knee: float rounding must not poke above 1.5 V
    x = np.concatenate([np.linspace(-3.0, 3.0, 200001), np.linspace(2.2, 2.3, 100001)]).astype(np.float32)
    amp = esp(x, gain=1.0)["amp"]
    assert np.max(np.abs(amp)) <= 1.5
    assert np.max(amp) > 1.4999


def band_gain_db(freq: float, low_hz: float, high_hz: float) -> float:
    t = np.arange(RATE // 2) / RATE
    bp = esp(0.1 * np.sin(2 * np.pi * freq * t), low_hz=low_hz, high_hz=high_hz)["bp"][RATE // 4:]
    return 20 * np.log10(np.sqrt(2) * np.std(bp.astype(np.float64)) / 0.1)


@pytest.mark.parametrize(("low_hz", "high_hz"), [(100.0, 20000.0), (20.0, 1000.0)])
def test_band_pass_corners_are_3_db_down_and_slopes_reach_12_db_per_octave(low_hz: float, high_hz: float) -> None:
    if low_hz > 20:  # LOW CUT: a high-pass
        corner, beyond = band_gain_db(low_hz, low_hz, high_hz), [band_gain_db(low_hz / m, low_hz, high_hz)
                                                                  for m in (4, 8)]
    else:  # HIGH CUT: a low-pass
        corner, beyond = band_gain_db(high_hz, low_hz, high_hz), [band_gain_db(high_hz * m, low_hz, high_hz)
                                                                   for m in (4, 8)]
    assert corner == pytest.approx(-3.0, abs=0.5)
    assert beyond[0] - beyond[1] == pytest.approx(12.0, abs=1.5)


def test_band_pass_has_no_resonant_peak() -> None:
    gains = [band_gain_db(f, 200.0, 2000.0) for f in (150, 200, 300, 450, 600, 900, 1300, 2000, 2600)]
    assert max(gains) < 0.1


# -- F-V converter: accuracy ---------------------------------------------------------------

@pytest.mark.parametrize("wave", ["sine", "saw", "square"])
def test_fv_reads_clean_tones_within_10_cents(wave: str) -> None:
    freqs = [80.0, 98.0, 110.0, 146.8, 220.0, 330.0, 440.0, 523.3, 660.0, 880.0, 1000.0]
    sig = tones(freqs, RATE, note_s=0.25, wave=wave)
    errs = steady_errors(sig, fv_hz(esp(sig)["fv"]))
    worst = max(float(np.max(np.abs(e))) for e in errs)
    assert worst < 10.0, f"worst {worst:.1f} cents"


def test_fv_through_the_engine_is_hz_per_volt() -> None:
    sig = tones([130.81, 261.63, 523.25], RATE, note_s=0.3, wave="saw")
    fv, _ = engine_esp(sig, lib.MS20_OUT_ESP_FV, lib.MS20_OUT_ESP_ENV)
    for note, volts in zip(sig.notes, (0.5, 1.0, 2.0), strict=True):
        mid = fv[sig.index(note.start_s + 0.15):sig.index(note.end_s - 0.02)]
        assert np.median(mid) == pytest.approx(volts, rel=0.003)  # 5 cents


@pytest.mark.parametrize("legato", [False, True], ids=["damped", "legato"])
def test_fv_follows_plucked_string_notes_within_10_cents(legato: bool) -> None:
    sig = plucked_seq(legato)
    fv, _ = engine_esp(sig, lib.MS20_OUT_ESP_FV, lib.MS20_OUT_ESP_ENV)
    errs = steady_errors(sig, fv_hz(fv))
    worst = max(float(np.max(np.abs(e))) for e in errs)
    assert worst < 10.0, f"worst {worst:.1f} cents"


def test_fv_follows_a_sung_melody_with_vibrato() -> None:
    sig = sung()
    errs = steady_errors(sig, fv_hz(esp(sig)["fv"]), latency_s=SUNG_LATENCY_S)
    for e in errs:
        assert abs(np.median(e)) < 5.0  # each note's pitch, on average
        assert np.percentile(np.abs(e), 95) < 20.0  # vibrato of +-20 cents followed with a little lag
        assert np.max(np.abs(e)) < 50.0  # never a wrong note or octave


@pytest.mark.parametrize("seed", [3, 4])
def test_fv_follows_breathy_low_and_high_voices_without_octave_errors(seed: int) -> None:
    low = [(40, 0.5), (43, 0.5), (45, 0.5), (47, 0.5), (50, 0.6), (None, 0.2), (45, 0.5), (41, 0.6)]
    high = [(72, 0.4), (76, 0.4), (79, 0.4), (83, 0.5), (81, 0.4), (None, 0.2), (77, 0.5), (74, 0.5)]
    for melody in (low, high):
        sig = voice(melody, RATE, seed=seed, breath=0.3)
        errs = steady_errors(sig, fv_hz(esp(sig)["fv"]), latency_s=SUNG_LATENCY_S)
        assert max(float(np.percentile(np.abs(e), 95)) for e in errs) < 20.0
        assert max(float(np.max(np.abs(e))) for e in errs) < 100.0


@pytest.mark.parametrize("fs", [44100, 96000])
def test_fv_is_as_good_at_other_sample_rates(fs: int) -> None:
    sig = plucked(PLUCKS[:8], fs, seed=5, note_s=0.3, gap_s=0.0)
    hz = fv_hz(esp(sig)["fv"])
    assert max(float(np.max(np.abs(e))) for e in steady_errors(sig, hz)) < 10.0
    assert max(settling_ms(sig, hz)) < 50.0


def test_cv_adjust_scales_the_fv_output() -> None:
    sig = tones([220.0], RATE, note_s=0.3)
    base = np.median(esp(sig)["fv"][RATE // 5:])
    for ratio in (0.5, 2.0):
        assert np.median(esp(sig, cv_adjust=ratio)["fv"][RATE // 5:]) == pytest.approx(ratio * base, rel=1e-4)


# -- F-V converter: dynamics ---------------------------------------------------------------

def test_fv_settles_within_50_ms_of_a_note_change() -> None:
    steps = tones([110, 440, 220, 880, 82.41, 1000, 146.8, 659.3, 98, 523.3], RATE, note_s=0.3, wave="saw")
    worst_steps = max(settling_ms(steps, fv_hz(esp(steps)["fv"])))
    worst_plucks = max(max(settling_ms(plucked_seq(legato), fv_hz(esp(plucked_seq(legato))["fv"])))
                       for legato in (False, True))
    assert worst_steps < 50.0, f"tone steps settle in {worst_steps:.1f} ms"
    assert worst_plucks < 50.0, f"plucks settle in {worst_plucks:.1f} ms"


@pytest.mark.parametrize("wave", ["sine", "saw"])
@pytest.mark.parametrize(("before_hz", "bass_hz"), [(110.0, 55.0), (220.0, 55.0), (165.0, 55.0), (880.0, 55.0),
                                                    (440.0, 41.2), (330.0, 41.2), (82.4, 41.2)])
def test_fv_lands_on_a_bass_note_an_octave_or_more_below_within_60_ms(before_hz: float, bass_hz: float,
                                                                       wave: str) -> None:
    # the issue allows a bass note 60 ms, 100 ms at 41 Hz; held here to 60 and 70 ms
    # (measured: 44-52 ms onto A1, 56-60 ms onto E1; before the F-V stepped: 65-77 ms)
    sig = tones([before_hz, bass_hz], RATE, note_s=0.3, wave=wave)
    ms = settling_ms(sig, fv_hz(esp(sig)["fv"]), tol_cents=20.0)[1]
    assert ms < 60.0 if bass_hz > 45 else ms < 70.0, f"{before_hz} -> {bass_hz} Hz: {ms:.1f} ms"


def test_fv_holds_its_last_note_in_silence() -> None:
    sig = concat(tones([196.0], RATE, note_s=0.4, wave="saw"), silence(1.0, RATE))
    hz = fv_hz(esp(sig)["fv"])
    held = hz[sig.index(0.6):]
    assert np.max(np.abs(cents(held, 196.0))) < 5.0


@pytest.mark.parametrize("noise_level", [0.05, 0.3, 1.0])
def test_fv_holds_its_last_note_in_noise(noise_level: float) -> None:
    sig = concat(plucked([57], RATE, seed=2, note_s=0.4), white_noise(1.0, RATE, seed=3, level=noise_level))
    hz = fv_hz(esp(sig)["fv"])
    held = hz[sig.index(0.5):]
    assert np.max(np.abs(cents(held, midi_to_hz(57)))) < 10.0


def test_fv_stays_in_range_and_settles_back_after_a_drum_loop() -> None:
    # a kick's falling tone may be followed (it is a pitch), but never a wild value
    sig = concat(drums(RATE, seed=2), plucked([52], RATE, seed=1, note_s=0.4))
    hz = fv_hz(esp(sig)["fv"])
    assert np.all(np.isfinite(hz)) and np.all((hz > 37.0) & (hz < 2200.0))  # the tracking range
    note = sig.notes[-1]
    tail = hz[sig.index(note.start_s + STEADY_FROM_S):sig.index(note.end_s - STEADY_TO_S)]
    assert np.max(np.abs(cents(tail, note.f0_hz))) < 10.0


# -- F-V converter: the vintage character (a tachometer, docs/esp.md) --------------------------

VINTAGE = 1


def vintage_hz(freq: float, wave: str = "saw", note_s: float = 0.6) -> tuple[TestSignal, np.ndarray]:
    sig = concat(tones([freq], RATE, note_s=note_s, wave=wave), silence(0.6, RATE))
    return sig, fv_hz(esp(sig, character=VINTAGE)["fv"])


def test_vintage_fv_is_in_tune_mid_range_but_lags() -> None:
    for freq in (220.0, 440.0, 880.0):
        sig, hz = vintage_hz(freq)
        steady = cents(hz[sig.index(0.35):sig.index(0.58)], freq)
        assert abs(np.median(steady)) < 5.0
        late = np.nonzero(np.abs(cents(hz[:sig.index(0.58)], freq)) > 20.0)[0]
        settle_ms = (late[-1] + 1) / RATE * 1000
        assert 60.0 < settle_ms < 200.0, f"{freq} Hz settles in {settle_ms:.0f} ms"  # the accurate one: < 50


def test_vintage_fv_ripples_on_low_notes() -> None:
    ripple = {}
    for freq in (55.0, 110.0, 440.0):
        sig, hz = vintage_hz(freq)
        ripple[freq] = float(np.ptp(cents(hz[sig.index(0.35):sig.index(0.58)], freq)))
    assert ripple[55.0] > 100.0 and ripple[110.0] > 15.0 and ripple[440.0] < 5.0, ripple


def test_vintage_fv_tops_out_near_1_5_khz_and_falls_in_silence() -> None:
    for freq in (1600.0, 2000.0):
        sig, hz = vintage_hz(freq)
        assert np.median(hz[sig.index(0.35):sig.index(0.58)]) < 1500.0  # reads an octave low past its ceiling
    sig, hz = vintage_hz(440.0)
    assert hz[sig.index(1.1)] < 0.1 * 440.0  # no cycles, no volts: the pitch dives after the note


def test_the_engine_setting_selects_the_vintage_fv_and_pitch_triggers() -> None:
    # through the engine's event queue (Engine.set_esp), as a patch file's [esp] table does
    sig = concat(tones([110.0, 440.0], RATE, note_s=0.4, wave="saw"))
    settle = {}
    for fv in ("accurate", "vintage"):
        e = Engine(RATE)
        e.set_esp(fv, at=0)
        e.patch(route(CV_OUT_1=lib.MS20_OUT_ESP_FV), at=0)
        _, a, _ = render_cv(e, len(sig.samples), sig.samples)
        settle[fv] = settling_ms(sig, fv_hz(a), tol_cents=20.0)[1]
    assert settle["accurate"] < 50.0 < settle["vintage"]
    with pytest.raises(ValueError, match="vintage"):
        Engine(RATE).set_esp("tube")
    voice_line = sung()
    counts = {}
    for on in (True, False):
        e = Engine(RATE)
        e.set_param(lib.MS20_P_ESP_THRESHOLD_V, 0.05, at=0)
        e.set_esp("accurate", pitch_triggers=on, at=0)
        e.patch(route(CV_OUT_1=lib.MS20_OUT_ESP_TRIG), at=0)
        _, trig, _ = render_cv(e, len(voice_line.samples), voice_line.samples)
        counts[on] = len(triggers(trig))
    assert counts == {True: len(voice_line.notes), False: 2}


# -- envelope follower ---------------------------------------------------------------------

@pytest.mark.parametrize("freq", [110.0, 440.0, 1000.0])
def test_env_attack_under_5_ms_and_release_under_100_ms(freq: float) -> None:
    n, on, off = int(0.6 * RATE), int(0.1 * RATE), int(0.4 * RATE)
    x = np.zeros(n)
    x[on:off] = np.sin(2 * np.pi * freq * np.arange(off - on) / RATE)  # full scale: 1 V peak
    env = esp(x)["env"].astype(np.float64)
    steady = np.median(env[on + RATE // 10:off])
    attack_ms = np.argmax(env[on:] >= 0.9 * steady) / RATE * 1000
    release_ms = np.argmax(env[off:] <= 0.1 * steady) / RATE * 1000
    assert steady == pytest.approx(5.0, abs=0.25)
    assert attack_ms < 5.0
    assert release_ms < 100.0
    assert np.ptp(env[on + RATE // 10:off]) < 0.05 * steady  # no ripple on a steady tone


@pytest.mark.parametrize("fs", [8000, 44100, 96000, 192000])
def test_env_and_trig_keep_their_times_at_other_sample_rates(fs: int) -> None:
    # the full-rate block is two decimated samples: 2, 14, 32 and 64 samples at these rates
    n, on, off = int(0.6 * fs), int(0.1 * fs), int(0.4 * fs)
    x = np.zeros(n)
    x[on:off] = np.sin(2 * np.pi * 440.0 * np.arange(off - on) / fs)
    out = esp(x, fs=fs, threshold_v=0.3)
    env = out["env"].astype(np.float64)
    steady = np.median(env[on + fs // 10:off])
    assert steady == pytest.approx(5.0, abs=0.25)
    assert np.argmax(env[on:] >= 0.9 * steady) / fs * 1000 < 5.0
    assert np.argmax(env[off:] <= 0.1 * steady) / fs * 1000 < 100.0
    fires = triggers(out["trig"])
    assert len(fires) == 1 and 0 <= (fires[0] - on) / fs < 0.002
    sig = plucked(PLUCKS[:6], fs, seed=5)
    assert len(triggers(esp(sig, threshold_v=0.05)["trig"])) == len(sig.onsets_s())


def test_env_scales_with_level_and_stays_within_5_v() -> None:
    x = np.sin(2 * np.pi * 220 * np.arange(RATE // 4) / RATE)
    assert np.median(esp(0.3 * x)["env"][RATE // 8:]) == pytest.approx(1.5, abs=0.1)
    hot = esp(x, gain=10 ** (54 / 20))["env"]
    assert np.max(hot) <= 5.0 and np.min(hot) >= 0.0


# -- trigger -------------------------------------------------------------------------------

@pytest.mark.parametrize("legato", [False, True], ids=["damped", "legato"])
def test_trig_fires_once_per_plucked_note(legato: bool) -> None:
    sig = plucked_seq(legato)
    _, trig = engine_esp(sig, lib.MS20_OUT_ESP_FV, lib.MS20_OUT_ESP_TRIG,
                         {lib.MS20_P_ESP_THRESHOLD_V: 0.05})
    fires = triggers(trig) / RATE
    onsets = np.array(sig.onsets_s())
    assert len(fires) == len(onsets)
    assert np.all((fires - onsets >= 0.0) & (fires - onsets < 0.005))  # within 5 ms of each pluck


def test_trig_fires_on_each_note_of_a_sung_line_with_glides() -> None:
    # the synthetic singer glides between notes with no dip in level: pitch-change triggers
    sig = sung()
    fires = triggers(esp(sig)["trig"]) / RATE
    onsets = np.array(sig.onsets_s())
    assert len(fires) == len(onsets)
    assert np.all((fires - onsets >= 0.0) & (fires - onsets < 0.06))
    assert len(triggers(esp(sig, pitch_triggers=False)["trig"])) == 2  # off: the two attacks only


def test_trig_fires_on_kicks_and_snares_above_the_threshold_not_on_hats() -> None:
    for seed in range(3):
        sig = drums(RATE, seed=seed)
        fires = triggers(esp(sig, threshold_v=0.3)["trig"]) / RATE
        loud = np.array(sorted({n.start_s for n in sig.notes if n.label in ("kick", "snare")}))
        assert len(fires) == len(loud)
        assert np.all(np.abs(fires - loud) < 0.005)


def test_trig_does_not_chatter_on_a_slow_noisy_fade() -> None:
    # a tone fading through the threshold over 2 s, with noise on top
    n = 3 * RATE
    t = np.arange(n) / RATE
    rng = np.random.default_rng(4)
    x = np.sin(2 * np.pi * 330 * t) * np.exp(-t / 0.6) * 0.8 + 0.01 * rng.standard_normal(n)
    trig = esp(x, threshold_v=0.1)["trig"]
    assert len(triggers(trig)) == 1
    assert np.count_nonzero(np.diff((trig < 2.5).astype(int)) == -1) == 1  # and released once
    assert set(np.unique(trig)) <= {0.0, 5.0}


# -- robustness and the engine -------------------------------------------------------------

def test_outputs_stay_finite_for_any_input() -> None:
    n = RATE // 4
    rng = np.random.default_rng(1)
    nasty = np.concatenate([np.full(n, 10.0), np.full(n, -10.0), 10.0 * rng.standard_normal(n),
                            np.tile([np.nan, np.inf, -np.inf, 1e30], n // 4)]).astype(np.float32)
    for gain in (0.0, 1.0, 10 ** (54 / 20)):
        out = esp(nasty, gain=gain, low_hz=5000.0, high_hz=200.0)
        for name, v in out.items():
            assert np.all(np.isfinite(v)), name
        assert np.all(np.abs(out["amp"]) <= 1.5)


def test_esp_jacks_do_not_depend_on_block_size() -> None:
    sig = plucked([45, 57, 52], RATE, seed=3, note_s=0.25, gap_s=0.05)
    ref = engine_esp(sig, lib.MS20_OUT_ESP_FV, lib.MS20_OUT_ESP_TRIG, block=512)
    for block in (1, 64):
        got = engine_esp(sig, lib.MS20_OUT_ESP_FV, lib.MS20_OUT_ESP_TRIG, block=block)
        assert np.array_equal(got[0], ref[0]) and np.array_equal(got[1], ref[1])


def test_fv_into_vco_cv_in_plays_the_input_melody() -> None:
    # the classic patch: instrument -> ESP, F-V CONV OUT -> VCO 1+2 CV IN, a key held
    sig = plucked_seq(legato=False)
    e = Engine(RATE)
    for p, v in {lib.MS20_P_EG2_SUSTAIN: 1.0, lib.MS20_P_EG2_ATTACK_MS: 1.0, lib.MS20_P_VCO1_LEVEL: 1.0,
                 lib.MS20_P_VCO2_LEVEL: 0.0, lib.MS20_P_VOLUME: 0.5}.items():
        e.set_param(p, v, at=0)
    e.patch(route(VCO12_CV=lib.MS20_OUT_ESP_FV), at=0)
    e.key(60, True, at=0)
    out = e.render(len(sig.samples), line_in=sig.samples).astype(np.float64)
    for note in sig.notes:
        seg = out[sig.index(note.start_s + 0.08):sig.index(note.end_s - STEADY_TO_S)]
        played = pitch_hz(seg, RATE, note.f0_hz)
        assert abs(cents(played, note.f0_hz)) < 10.0, f"{note.f0_hz:.1f} Hz played as {played:.1f} Hz"
