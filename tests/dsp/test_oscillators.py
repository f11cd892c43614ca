"""VCO-1 and VCO-2: tuning, aliasing, DC, PW, RING, FM and robustness (cents and dB).

Tuning, PW and RING go end to end through the engine (keyboard CV -> exp -> VCO -> mixer ->
filters wide open -> VCA); aliasing, DC and the stress tests render one oscillator alone
through the probe in c_kernels/vco.probe.h, so the filters cannot hide or add anything.
"""

from __future__ import annotations

import numpy as np
import pytest
from ms20._kernel import ffi, lib
from scipy.signal.windows import blackmanharris

from measure import cents, note_hz
from ms20.model.engine import Engine

RATE = 48000
VCO1_SCALES = {"32'": 0.25, "16'": 0.5, "8'": 1.0, "4'": 2.0}  # switch positions 0..3
VCO2_SCALES = {"16'": 0.5, "8'": 1.0, "4'": 2.0, "2'": 4.0}
TRIANGLE, SAWTOOTH, RECTANGLE, NOISE = 0, 1, 2, 3  # VCO-1
SAW2, SQUARE2, PULSE2, RING2 = 0, 1, 2, 3  # VCO-2


# -- helpers ------------------------------------------------------------------------------

def _per_sample(value: float | np.ndarray, n: int) -> np.ndarray:
    """value as n float32 samples: a constant repeated, or an array held at its last value."""
    v = np.atleast_1d(np.asarray(value, np.float64))
    return np.ascontiguousarray(np.pad(v, (0, n - len(v)), mode="edge") if len(v) > 1 else np.full(n, v[0]),
                                np.float32)


def probe(which: int, wave: int, n: int, freq1: float | np.ndarray = 0.0, pw1: float | np.ndarray = 0.5,
          freq2: float | np.ndarray = 0.0) -> np.ndarray:
    """n samples of VCO-`which` alone (freq in Hz at RATE), latency removed."""
    lat = lib.vco_probe_latency()
    f1 = _per_sample(np.asarray(freq1) / RATE, n + lat)
    f2 = _per_sample(np.asarray(freq2) / RATE, n + lat)
    pw = _per_sample(pw1, n + lat)
    out = np.zeros(n + lat, np.float32)
    lib.vco_probe_render(which, wave, ffi.from_buffer("float[]", f1), ffi.from_buffer("float[]", pw),
                         ffi.from_buffer("float[]", f2), ffi.from_buffer("float[]", out), n + lat)
    return out[lat:].astype(np.float64)


def db(x: float) -> float:
    return 10.0 * float(np.log10(max(x, 1e-300)))


def alias_db(x: np.ndarray, f0: float, band_hz: float = 16000.0, guard_bins: int = 6) -> float:
    """Power off the harmonics of f0 below band_hz, relative to the harmonics' power, in dB.

    One window (4-term Blackman-Harris) over all of x; a harmonic owns guard_bins either side.
    """
    n = len(x)
    power = np.abs(np.fft.rfft(x * blackmanharris(n))) ** 2
    bin_hz = RATE / n
    harmonic = np.zeros(len(power), bool)
    for k in range(int(RATE / 2 / f0) + 1):
        centre = k * f0 / bin_hz
        harmonic[max(0, int(np.floor(centre - guard_bins))):int(np.ceil(centre + guard_bins)) + 1] = True
    below = np.arange(len(power)) * bin_hz < band_hz
    return db(power[~harmonic & below].sum() / power[harmonic].sum())


def amplitude_at(x: np.ndarray, hz: float) -> float:
    """Peak amplitude (V) of the component at hz (Blackman-Harris windowed DFT)."""
    w = blackmanharris(len(x))
    return 2.0 * abs(np.sum(w * x * np.exp(-2j * np.pi * hz / RATE * np.arange(len(x))))) / w.sum()


def measure_hz(x: np.ndarray, near_hz: float) -> float:
    """Fundamental frequency of a periodic signal to a small fraction of a cent.

    Coarse: the spectral peak within a semitone of near_hz (parabolic on the log spectrum). Fine: the
    phase the fundamental gains between the two halves of x, which resolves any offset
    below half a cycle per half-length.
    """
    n = len(x) // 2 * 2
    spec = np.abs(np.fft.rfft(x[:n] * blackmanharris(n)))
    bin_hz = RATE / n
    lo, hi = int(near_hz * 0.94 / bin_hz), int(np.ceil(near_hz * 1.06 / bin_hz)) + 1
    k = lo + int(np.argmax(spec[lo:hi]))
    a, b, c = np.log(spec[k - 1:k + 2] + 1e-30)
    coarse = (k + 0.5 * (a - c) / (a - 2 * b + c)) * bin_hz

    half = n // 2
    w = blackmanharris(half)
    ref = np.exp(-2j * np.pi * coarse / RATE * np.arange(half))
    first = np.sum(w * x[:half] * ref)
    second = np.sum(w * x[half:n] * ref) * np.exp(-2j * np.pi * coarse / RATE * half)  # same clock
    drift = np.angle(second / first)  # phase gained beyond the coarse frequency's, per half
    return coarse + drift / (2 * np.pi) * RATE / half


def voice(vco1_level: float = 1.0, vco2_level: float = 0.0) -> Engine:
    """An engine with the filters wide open and the VCA held at full sustain."""
    e = Engine(RATE)
    e.set_param(lib.MS20_P_VCO1_LEVEL, vco1_level)
    e.set_param(lib.MS20_P_VCO2_LEVEL, vco2_level)
    e.set_param(lib.MS20_P_LPF_CUTOFF_HZ, 20000)
    e.set_param(lib.MS20_P_HPF_CUTOFF_HZ, 10)
    e.set_param(lib.MS20_P_EG2_SUSTAIN, 1.0)
    return e


def hold(e: Engine, note: int, settle_s: float, seconds: float) -> np.ndarray:
    """Play note, let it settle, return the next `seconds` of output."""
    e.key(note, True)
    e.render(int(settle_s * RATE))
    return e.render(int(seconds * RATE)).astype(np.float64)


# -- (1) tuning ---------------------------------------------------------------------------

def worst_cents(e: Engine, ratio: float) -> tuple[int, float]:
    """The keyboard's 37 keys (C2..C5) through e: the note furthest from equal temperament
    (A4 = 440 Hz, times the scale's ratio) and its error in cents."""
    errors = {}
    for note in range(36, 73):
        expected = note_hz(note) * ratio
        errors[note] = cents(measure_hz(hold(e, note, 0.1, 1.0), expected), expected)
    worst = max(errors, key=lambda k: abs(errors[k]))
    return worst, errors[worst]


@pytest.mark.parametrize("scale", list(VCO1_SCALES), ids=lambda s: s.replace("'", "ft"))
def test_every_key_is_in_tune_within_a_cent_at_each_vco1_scale(scale: str) -> None:
    e = voice()
    e.set_switch(lib.MS20_S_VCO1_SCALE, list(VCO1_SCALES).index(scale))
    note, error = worst_cents(e, VCO1_SCALES[scale])
    assert abs(error) < 1.0, f"note {note} is {error:+.3f} cents off"


@pytest.mark.parametrize("scale", list(VCO2_SCALES), ids=lambda s: s.replace("'", "ft"))
def test_every_key_is_in_tune_within_a_cent_at_each_vco2_scale(scale: str) -> None:
    e = voice(vco1_level=0.0, vco2_level=1.0)
    e.set_switch(lib.MS20_S_VCO2_SCALE, list(VCO2_SCALES).index(scale))
    note, error = worst_cents(e, VCO2_SCALES[scale])
    assert abs(error) < 1.0, f"note {note} is {error:+.3f} cents off"


def test_the_pitch_meter_resolves_a_tenth_of_a_cent() -> None:
    """The tuning test's ruler: a sawtooth 0.2 cent sharp reads 0.2 cent sharp."""
    f = 16.35 * 2 ** (0.2 / 1200)
    x = probe(1, SAWTOOTH, RATE, freq1=f)
    assert cents(measure_hz(x, 16.35), 16.35) == pytest.approx(0.2, abs=0.02)


@pytest.mark.parametrize(("which", "param", "value", "semitones"), [
    (2, "VCO2_PITCH_SEMI", 12.0, 12.0), (2, "VCO2_PITCH_SEMI", -12.0, -12.0), (2, "VCO2_PITCH_SEMI", 7.0, 7.0),
    (1, "MASTER_TUNE_SEMI", 1.0, 1.0), (2, "MASTER_TUNE_SEMI", -1.0, -1.0),
    (1, "PITCH_BEND_SEMI", 2.0, 2.0), (2, "PITCH_BEND_SEMI", -2.0, -2.0),
], ids=["vco2-pitch+12", "vco2-pitch-12", "vco2-pitch+7", "tune+1-vco1", "tune-1-vco2", "bend+2-vco1",
        "bend-2-vco2"])
def test_pitch_controls_move_the_vcos_by_their_semitones(which: int, param: str, value: float,
                                                        semitones: float) -> None:
    e = voice(vco1_level=float(which == 1), vco2_level=float(which == 2))
    e.set_param(getattr(lib, f"MS20_P_{param}"), value)
    expected = note_hz(57) * 2.0 ** (semitones / 12.0)  # A3 at 8'
    assert abs(cents(measure_hz(hold(e, 57, 0.1, 1.0), expected), expected)) < 1.0


@pytest.mark.parametrize(("bus", "depth", "volts"), [
    ("TOTAL", "FM_MG_OCT_PER_V", 1.0), ("TOTAL", "FM_MG_OCT_PER_V", -2.0), ("FREQ", "FM_EG1_OCT_PER_V", 2.0),
])
def test_fm_knobs_bend_both_vcos_exponentially_by_their_depth(bus: str, depth: str, volts: float) -> None:
    """A steady voltage into TOTAL or FREQ moves the pitch by depth x volts octaves."""
    for which in (1, 2):
        e = voice(vco1_level=float(which == 1), vco2_level=float(which == 2))
        e.set_param(lib.MS20_P_WHEEL_V, volts)
        route = [-1] * lib.MS20_INPUT_COUNT
        route[getattr(lib, f"MS20_IN_{bus}")] = lib.MS20_OUT_WHEEL
        e.patch(route)
        e.set_param(getattr(lib, f"MS20_P_{depth}"), 0.25)
        expected = note_hz(57) * 2.0 ** (0.25 * volts)
        assert abs(cents(measure_hz(hold(e, 57, 0.1, 1.0), expected), expected)) < 1.0, f"VCO-{which}"


# -- (2) aliasing -------------------------------------------------------------------------

@pytest.mark.parametrize(("which", "wave", "pw"), [
    (1, SAWTOOTH, 0.5), (1, RECTANGLE, 0.5), (1, RECTANGLE, 0.15), (1, TRIANGLE, 0.5),
    (2, SAW2, 0.5), (2, SQUARE2, 0.5), (2, PULSE2, 0.5),
], ids=["vco1-saw", "vco1-square", "vco1-pw15", "vco1-triangle", "vco2-saw", "vco2-square", "vco2-pulse"])
def test_a_5khz_tone_folds_back_at_least_70db_below_the_signal(which: int, wave: int, pw: float) -> None:
    f0 = 5000.0
    x = probe(which, wave, RATE, freq1=f0 if which == 1 else 0.0, pw1=pw, freq2=f0 if which == 2 else 0.0)
    assert alias_db(x, f0) <= -70.0


def test_ring_is_band_limited() -> None:
    # 2100 Hz x 2800 Hz repeats at 700 Hz, whose harmonics do not fold onto each other at 48 kHz
    x = probe(2, RING2, RATE, freq1=2100.0, pw1=0.3, freq2=2800.0)
    assert alias_db(x, 700.0) <= -70.0


def test_the_alias_meter_sees_a_naive_sawtooth() -> None:
    """The aliasing test's ruler: a naive 5 kHz sawtooth is far above the threshold."""
    phase = (np.arange(RATE) * 5000.0 / RATE) % 1.0
    assert alias_db(1.0 - 2.0 * phase, 5000.0) > -30.0


# -- (3) DC -------------------------------------------------------------------------------

@pytest.mark.parametrize(("which", "wave", "pw"), [
    (1, TRIANGLE, 0.5), (1, SAWTOOTH, 0.5), (1, RECTANGLE, 0.5), (1, RECTANGLE, 0.25),
    (1, RECTANGLE, 0.05), (1, RECTANGLE, 0.01), (2, SAW2, 0.5), (2, SQUARE2, 0.5), (2, PULSE2, 0.5),
    (2, RING2, 0.5), (2, RING2, 0.1),
])
def test_every_wave_has_no_dc(which: int, wave: int, pw: float) -> None:
    # whole cycles in one second; RING's pair is coprime so its product has no locked DC
    x = probe(which, wave, RATE, freq1=437.0, pw1=pw, freq2=1009.0 if which == 2 else 0.0)
    assert db(np.mean(x) ** 2) < -80.0


def test_white_noise_has_no_dc_and_full_level() -> None:
    x = probe(1, NOISE, RATE, freq1=440.0)
    assert abs(np.mean(x)) < 5.0 * np.std(x) / np.sqrt(len(x))
    assert np.std(x) == pytest.approx(1.0 / np.sqrt(3.0), rel=0.05)  # uniform +-1


# -- (4) PW -------------------------------------------------------------------------------

def test_rectangle_at_maximum_pw_is_silent() -> None:
    e = voice()
    e.set_switch(lib.MS20_S_VCO1_WAVE, RECTANGLE)
    e.set_param(lib.MS20_P_VCO1_PW, 0.5)
    square = hold(e, 60, 0.2, 0.5)
    e.set_param(lib.MS20_P_VCO1_PW, 0.0)  # the knob at 10 (panel.toml)
    # the square's tail dies away in the HPF, the Korg35's X1 (C16: 3.4 Hz, its gain back to 1
    # at DC) and the output's DC blocker: -90 dB after 0.6 s, -143 dB after 1 s
    e.render(int(1.0 * RATE))
    silent = e.render(int(0.5 * RATE)).astype(np.float64)
    assert db(np.mean(silent**2) / np.mean(square**2)) < -120.0


def test_narrowing_pw_brings_in_even_harmonics() -> None:
    # the oscillator alone: the VCA's deliberate even-order dirt would mask the square's purity
    square = probe(1, RECTANGLE, RATE, freq1=220.0, pw1=0.5)
    narrow = probe(1, RECTANGLE, RATE, freq1=220.0, pw1=0.2)
    assert db((amplitude_at(square, 440.0) / amplitude_at(square, 220.0)) ** 2) < -80.0
    assert db((amplitude_at(narrow, 440.0) / amplitude_at(narrow, 220.0)) ** 2) > -10.0


# -- (5) RING -----------------------------------------------------------------------------

# VCO-2 this far above VCO-1: no low-order mix of the two lands within 10 Hz of the lines the
# RING tests look at (a fifth would: 3 x C4 is within a hertz of 2 x G4).
RING_DETUNE_SEMI = 8.7
C4_HZ = 261.6256
RING_F2_HZ = C4_HZ * 2 ** (RING_DETUNE_SEMI / 12)


def ring_tone(vco1_scale: int, pw: float, seconds: float = 1.0) -> np.ndarray:
    # a quarter level keeps the VCA's deliberate even-order dirt (its own mix products)
    # below -60 dB, so what is measured is the ring modulator
    e = voice(vco1_level=0.0, vco2_level=0.25)
    e.set_switch(lib.MS20_S_VCO2_WAVE, RING2)
    e.set_switch(lib.MS20_S_VCO2_SCALE, 1)  # 8'
    e.set_switch(lib.MS20_S_VCO1_SCALE, vco1_scale)
    e.set_switch(lib.MS20_S_VCO1_WAVE, SAWTOOTH)  # RING reads the rectangle whatever VCO-1 shows
    e.set_param(lib.MS20_P_VCO2_PITCH_SEMI, RING_DETUNE_SEMI)
    e.set_param(lib.MS20_P_VCO1_PW, pw)
    return hold(e, 60, 0.2, seconds)


def test_ring_follows_vco1_scale() -> None:
    c4, g4 = C4_HZ, RING_F2_HZ
    at_8ft, at_4ft = ring_tone(2, 0.5), ring_tone(3, 0.5)
    full = np.sqrt(2.0) * np.std(at_8ft)
    # sum and difference tones of the two fundamentals move with VCO-1's scale
    assert db((amplitude_at(at_8ft, c4 + g4) / full) ** 2) > -20.0
    assert db((amplitude_at(at_4ft, c4 + g4) / full) ** 2) < -50.0
    assert db((amplitude_at(at_4ft, 2 * c4 + g4) / full) ** 2) > -20.0
    assert db((amplitude_at(at_4ft, 2 * c4 - g4) / full) ** 2) > -20.0


def test_ring_follows_vco1_pw() -> None:
    c4, g4 = C4_HZ, RING_F2_HZ
    square, narrow = ring_tone(2, 0.5), ring_tone(2, 0.2)
    full = np.sqrt(2.0) * np.std(square)
    # A square VCO-1 has no DC, so VCO-2's own tone cancels; a narrow one lets it through,
    # along with VCO-1's second harmonic mixed with VCO-2.
    assert db((amplitude_at(square, g4) / full) ** 2) < -50.0
    assert db((amplitude_at(narrow, g4) / full) ** 2) > -20.0
    assert db((amplitude_at(square, 2 * c4 + g4) / full) ** 2) < -50.0
    assert db((amplitude_at(narrow, 2 * c4 + g4) / full) ** 2) > -30.0


# -- (6) audio-rate FM and (7) robustness -------------------------------------------------

ALL_WAVES = [(1, TRIANGLE), (1, SAWTOOTH), (1, RECTANGLE), (1, NOISE), (2, SAW2), (2, SQUARE2), (2, PULSE2),
             (2, RING2)]


@pytest.mark.parametrize(("which", "wave"), ALL_WAVES)
def test_audio_rate_fm_stays_finite_and_bounded(which: int, wave: int) -> None:
    n = RATE // 4
    t = np.arange(n)
    # carrier swept by an 1.7 kHz modulator over +-4 octaves, clamped as the engine does
    freq = np.clip(800.0 * 2.0 ** (4.0 * np.sin(2 * np.pi * 1700.0 * t / RATE)), 0.0, 0.45 * RATE)
    pw = 0.3 + 0.2 * np.sin(2 * np.pi * 5.0 * t / RATE)  # and PW swept end to end
    x = probe(which, wave, n, freq1=freq, pw1=pw, freq2=freq[::-1].copy())
    assert np.all(np.isfinite(x))
    assert np.max(np.abs(x)) < 2.5


@pytest.mark.parametrize(("which", "wave"), ALL_WAVES)
def test_random_and_extreme_controls_never_make_nan_or_inf(which: int, wave: int) -> None:
    rng = np.random.default_rng(7 + 10 * which + wave)
    n = RATE // 4
    # uniform over the whole range, with runs of the extremes (0, 0.45 fs) mixed in
    hz = np.where(rng.random(n) < 0.3, rng.choice([0.0, 0.45 * RATE], n), rng.random(n) * 0.45 * RATE)
    # PW anywhere in 0..0.5, plus its ends and out-of-range or NaN values a bad caller might send
    pw = np.where(rng.random(n) < 0.2, rng.choice([0.0, 0.5, np.nan, -1.0, 2.0], n), rng.random(n) * 0.5)
    x = probe(which, wave, n, freq1=hz, pw1=pw, freq2=hz[::-1].copy())
    assert np.all(np.isfinite(x))
    assert np.max(np.abs(x)) < 8.0
