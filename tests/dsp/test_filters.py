"""HPF and LPF, both revisions: slopes, bass under PEAK, self-oscillation from silence,
drive, aliasing, robustness, click-free revision changes and block-size independence
(dB, cents, volts). The comparisons with the circuits' simulations are in
test_filters_spice.py.

The section runs alone through the probe in c_kernels/vcf.probe.h (no VCA dirt, DC blocker
or limiter in the way); block-size independence and the EXT SIGNAL path go through the
whole engine. PEAK is the pot's travel, 0..1 (the knob / 10).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from ms20._kernel import ffi, lib
from scipy.signal.windows import blackmanharris

from ms20.model.engine import Engine

RATE = 48000
HPF_OPEN_HZ = 10.0  # HPF CUTOFF minimum
LPF_OPEN_HZ = 20000.0  # LPF CUTOFF maximum
REVISIONS = {"korg35": 0, "ota": 1}
# PEAK just below each revision's whistle (the circuits whistle from 0.74 and 0.88)
BELOW_WHISTLE = {"korg35": 0.69, "ota": 0.83}
DATA = Path(__file__).resolve().parents[2] / "tools" / "spice" / "data"


# -- helpers ------------------------------------------------------------------------------

def _per_sample(value: float | np.ndarray, n: int) -> np.ndarray:
    return np.ascontiguousarray(np.broadcast_to(np.asarray(value, np.float32), (n,)), np.float32)


def probe(x: np.ndarray, fs: float = RATE, hp_hz: float | np.ndarray = HPF_OPEN_HZ, hp_peak: float | np.ndarray = 0.0,
          lp_hz: float | np.ndarray = LPF_OPEN_HZ, lp_peak: float | np.ndarray = 0.0, rev: str = "korg35",
          switch_at: int = -1) -> np.ndarray:
    """The filter section alone on a fresh state: volts in, volts out; cutoffs in Hz at fs.
    At sample switch_at it changes to the other revision."""
    n = len(x)
    args = [_per_sample(x, n), _per_sample(np.asarray(hp_hz) / fs, n), _per_sample(hp_peak, n),
            _per_sample(np.asarray(lp_hz) / fs, n), _per_sample(lp_peak, n)]
    out = np.zeros(n, np.float32)
    lib.vcf_probe_render(fs, REVISIONS[rev], switch_at, *[ffi.from_buffer("float[]", a) for a in args],
                         ffi.from_buffer("float[]", out), n)
    return out.astype(np.float64)


def measured_response(fs: float, hp_hz: float, lp_hz: float, hp_peak: float = 0.0, lp_peak: float = 0.0,
                      rev: str = "korg35", n: int = 16384, tone_v: float = 0.001) -> tuple[np.ndarray, np.ndarray]:
    """Complex response at 60 log-spaced frequencies from 20 Hz to 10 kHz.

    A periodic multitone (each tone at tone_v, -60 dBV by default: small signal for both
    revisions, random phases) on exact FFT bins, played four periods; the last period's
    spectrum over the input's gives the response.
    """
    bins = np.unique(np.round(np.geomspace(20.0, 10000.0, 60) * n / fs).astype(int))
    phases = np.random.default_rng(1).uniform(0.0, 2.0 * np.pi, len(bins))
    t = np.arange(n)
    x = tone_v * np.cos(2.0 * np.pi * np.outer(t, bins) / n + phases).sum(axis=1)
    y = probe(np.tile(x, 4), fs, hp_hz, hp_peak, lp_hz, lp_peak, rev)[-n:]
    return bins * fs / n, np.fft.rfft(y)[bins] / np.fft.rfft(x)[bins]


def tone_db(y: np.ndarray, f: float, fs: float = RATE) -> float:
    """Level of the component at f (volts peak, dB) by correlation over whole cycles."""
    n = int(len(y) * f / fs) * fs / f
    t = np.arange(int(n)) / fs
    c = 2.0 * np.mean(y[: len(t)] * np.exp(-2j * np.pi * f * t))
    return 20.0 * float(np.log10(abs(c) + 1e-30))


def sine(f: float, amp: float, seconds: float, fs: float = RATE) -> np.ndarray:
    return amp * np.sin(2.0 * np.pi * f * np.arange(int(seconds * fs)) / fs)


def pitch_hz(y: np.ndarray, fs: float) -> float:
    """Mean frequency from interpolated upward zero crossings."""
    y = y - np.mean(y)
    i = np.flatnonzero((y[:-1] < 0.0) & (y[1:] >= 0.0))
    t = i + y[i] / (y[i] - y[i + 1])
    return fs * (len(t) - 1) / (t[-1] - t[0])


# -- sample rate and slopes ----------------------------------------------------------------

@pytest.mark.parametrize("rev", REVISIONS)
@pytest.mark.parametrize("fs", [44100, 48000])
@pytest.mark.parametrize("cutoff_hz", [250.0, 1000.0, 4000.0])
def test_the_filters_sound_the_same_at_any_sample_rate(rev: str, fs: int, cutoff_hz: float) -> None:
    """The LPF and the HPF at PEAK 0 and 5 within 1 dB of the 96 kHz engine's, to 10 kHz
    (the bilinear map squeezes the stopband towards Nyquist: 0.8 dB at 10 kHz at 44.1 kHz)."""
    for lp_hz, hp_hz, key in ((cutoff_hz, HPF_OPEN_HZ, "lp_peak"), (LPF_OPEN_HZ, cutoff_hz, "hp_peak")):
        for peak in (0.0, 0.5):
            f, h = measured_response(fs, hp_hz, lp_hz, rev=rev, **{key: peak})
            f_ref, ref = measured_response(96000, hp_hz, lp_hz, rev=rev, n=32768, **{key: peak})
            err = 20.0 * np.log10(np.abs(h) / np.interp(f, f_ref, np.abs(ref)))
            worst = np.argmax(np.abs(err))
            assert np.max(np.abs(err)) < 1.0, f"worst {err[worst]:+.2f} dB at {f[worst]:.0f} Hz"


@pytest.mark.parametrize("rev", REVISIONS)
def test_hpf_falls_6_db_per_octave_below_its_cutoff(rev: str) -> None:
    f, h = measured_response(RATE, 2000.0, LPF_OPEN_HZ, rev=rev)
    level = 20.0 * np.log10(np.abs(h))
    octaves = [np.interp(fr, f, level) for fr in (31.25, 62.5, 125.0)]
    assert np.diff(octaves) == pytest.approx([6.0, 6.0], abs=0.3)


@pytest.mark.parametrize("rev", REVISIONS)
def test_lpf_falls_12_db_per_octave_above_its_cutoff(rev: str) -> None:
    # 16 to 64 times the cutoff: the Korg35's damping (a0 2.76) bends the slope in slowly,
    # and X1's pole (13 kHz with the diodes' capacitance and the core's lag) steepens it
    # from 2 kHz: -12.7 dB from 2 to 4 kHz here; at the simulation's 328 Hz cutoff the
    # kernel falls 11.95 dB from 2 to 4 kHz and the circuit 11.89 (test_filters_spice.py)
    f, h = measured_response(RATE, HPF_OPEN_HZ, 62.5, rev=rev, tone_v=0.01)
    level = 20.0 * np.log10(np.abs(h))
    octaves = [np.interp(fr, f, level) for fr in (1000.0, 2000.0, 4000.0)]
    assert np.diff(octaves) == pytest.approx([-12.0, -12.5], abs=0.5)


@pytest.mark.parametrize("rev", REVISIONS)
def test_peak_does_not_thin_the_bass(rev: str) -> None:
    # Both circuits feed back through a capacitor: the passband level stays put as PEAK
    # rises, unlike a ladder filter that loses bass with resonance.
    x = sine(50.0, 0.1, 0.5)
    levels = [tone_db(probe(x, lp_hz=1000.0, lp_peak=p, rev=rev)[RATE // 4:], 50.0)
              for p in (0.0, 0.5, BELOW_WHISTLE[rev])]
    assert np.ptp(levels) < 0.5


# -- self-oscillation -----------------------------------------------------------------------

@pytest.mark.parametrize("rev", REVISIONS)
@pytest.mark.parametrize("which", ["lpf", "hpf"])
def test_full_peak_whistles_from_silence_at_a_steady_level(rev: str, which: str) -> None:
    """PEAK 10 with no input: the circuit's noise starts a whistle near the cutoff (the
    pitch against the circuit's: test_filters_spice.py), bounded by the diodes at about
    1 V peak, within 3 dB from 100 Hz to 5 kHz."""
    peaks_db, ratios = [], []
    for cutoff_hz in (100.0, 250.0, 500.0, 1000.0, 2000.0, 5000.0):
        kw = {"lp_hz": cutoff_hz, "lp_peak": 1.0} if which == "lpf" else {"hp_hz": cutoff_hz, "hp_peak": 1.0}
        y = probe(np.zeros(int(1.2 * RATE)), rev=rev, **kw)[int(0.8 * RATE):]
        peaks_db.append(20.0 * np.log10(np.max(np.abs(y))))
        ratios.append(pitch_hz(y, RATE) / cutoff_hz)
    assert min(peaks_db) > -6.0 and max(peaks_db) < 3.0, f"peaks {np.round(peaks_db, 1)} dBV"
    assert np.ptp(peaks_db) < 3.0
    # the Korg35's X1 pole pulls the whistle under the cutoff as it rises (the circuit's
    # whistle is 0.84 of the cutoff at 4.3 kHz)
    assert min(ratios) > 0.7 and max(ratios) < 1.1, f"pitch / cutoff {np.round(ratios, 3)}"


@pytest.mark.parametrize("rev", REVISIONS)
def test_peak_just_below_the_whistle_rings_but_does_not_whistle(rev: str) -> None:
    x = np.zeros(RATE)
    x[100] = 1.0
    y = probe(x, lp_hz=1000.0, lp_peak=BELOW_WHISTLE[rev], rev=rev)
    assert np.max(np.abs(y[:RATE // 10])) > 0.005 and np.max(np.abs(y[RATE // 2:])) < 1e-4


# -- drive ----------------------------------------------------------------------------------

@pytest.mark.parametrize("rev", REVISIONS)
def test_loud_input_overpowers_the_whistle(rev: str) -> None:
    # Full PEAK at 1050 Hz with a 100 Hz sine: quiet, the filter whistles over the input;
    # at 10 V the diodes squash the loop and only the input's harmonics remain.
    def whistle_db(amp: float) -> float:
        y = probe(sine(100.0, amp, 1.0), lp_hz=1050.0, lp_peak=1.0, rev=rev)[RATE // 2:]
        spectrum = np.abs(np.fft.rfft(y * np.hanning(len(y))))
        f = np.fft.rfftfreq(len(y), 1.0 / RATE)
        harmonic = np.abs((f + 50.0) % 100.0 - 50.0) < 4.0
        return 10.0 * float(np.log10(np.sum(spectrum[~harmonic] ** 2) / np.sum(spectrum ** 2)))

    assert whistle_db(0.1) > -3.0  # the whistle dominates
    assert whistle_db(10.0) < -60.0  # gone (-95 dB in both revisions)


def test_the_korg35_grows_gritty_with_level_where_the_ota_stays_clean() -> None:
    """Stinchcombe's test for telling the revisions apart: cutoff high, a low sine, turn
    it up. The Korg35's diodes sit in the forward path and distort everything; the OTA
    board's sit in the feedback and leave the passband clean (PEAK 0, 200 Hz, 5 kHz cutoff)."""
    def thd_db(rev: str, amp: float) -> float:
        y = probe(sine(200.0, amp, 0.5), lp_hz=5000.0, rev=rev)[RATE // 4:]
        fund = tone_db(y, 200.0)
        harm = sum(10.0 ** (tone_db(y, k * 200.0) / 10.0) for k in range(2, 11))
        return 10.0 * float(np.log10(harm)) - fund

    assert thd_db("korg35", 0.1) < -45.0 and thd_db("korg35", 2.0) > -25.0
    # the OTA board's one distortion here is the open HPF's (10 Hz) 2nd harmonic, from its
    # buffers' DC offsets (ota_set_dc): the simulated HPF alone gives -47 dBc at 2 V, the
    # kernel -60 (-54 dBV); its passband's diodes do nothing at this level
    assert thd_db("ota", 2.0) < -40.0


@pytest.mark.parametrize("rev", REVISIONS)
def test_ten_volt_input_at_full_peak_stays_finite_and_bounded(rev: str) -> None:
    t = np.arange(RATE) / RATE
    square = 10.0 * np.sign(np.sin(2.0 * np.pi * 55.0 * t))
    for hp_hz, lp_hz in ((10.0, 300.0), (800.0, 1200.0), (5000.0, 20000.0)):
        y = probe(square, hp_hz=hp_hz, hp_peak=1.0, lp_hz=lp_hz, lp_peak=1.0, rev=rev)
        assert np.all(np.isfinite(y)) and np.max(np.abs(y)) <= 12.0
        assert np.sqrt(np.mean(y**2)) < 10.0


# -- oversampling -------------------------------------------------------------------------

def inharmonic_db(y: np.ndarray, f0: float, fs: float = RATE, band_hz: float = 16000.0, guard_bins: int = 6) -> float:
    """Power off the harmonics of f0 below band_hz relative to the harmonics' power, dB
    (4-term Blackman-Harris window; a harmonic owns guard_bins either side)."""
    n = len(y)
    power = np.abs(np.fft.rfft(y * blackmanharris(n))) ** 2
    k = np.arange(len(power))
    harmonic = np.zeros(len(power), bool)
    for centre in np.arange(0.0, fs / 2, f0) * n / fs:
        harmonic |= np.abs(k - centre) <= guard_bins
    below = k * fs / n < band_hz
    return 10.0 * float(np.log10(power[~harmonic & below].sum() / power[harmonic].sum()))


ALIAS_RATE = 44100  # 44100 / 2000 is no integer: aliases fall between the harmonics (at 48 kHz, on them)
# The issue's limit is 60 dB; where a revision misses it, its measured figure (with a 1 dB
# margin) is the bound that keeps it from getting worse, and the test reports the miss.
# (The Korg35 read -47.0 dB at 2x: X1's diode-limited output folded back from near 88.2 kHz;
# it runs at 4x since.)
ALIASING_MISSES: dict[str, tuple[float, str]] = {}


def band_limited_saw(f0: float, amp: float, seconds: float, fs: float = RATE,
                     top_hz: float | None = None) -> np.ndarray:
    """A saw made of its harmonics below top_hz (default Nyquist): the VCO's own aliasing kept out."""
    t = np.arange(int(seconds * fs)) / fs
    ks = np.arange(1, int((fs / 2 if top_hz is None else top_hz) / f0) + 1)
    return amp * (2.0 / np.pi) * np.sum(np.sin(2.0 * np.pi * np.outer(t, ks) * f0) * ((-1.0) ** (ks + 1) / ks)[None, :],
                                       axis=1)


def driven_saw() -> np.ndarray:
    """Both VCOs at level 10 (a 2 V saw) at 2 kHz, its harmonics to 20 kHz, at ALIAS_RATE. The
    audio band: the harmonic at 22 kHz would sit 50 Hz from Nyquist, where the half-band
    interpolator's image of it (22.1 kHz) cannot be told from it, so its intermodulation
    products (2.1 kHz, 43.7 dB down through the Korg35 at 2x, 9 dB lower at 4x) would measure
    the interpolator's transition band rather than the filters' aliasing."""
    return band_limited_saw(2000.0, 2.0, 1.0, ALIAS_RATE, top_hz=20000.0)


def test_the_aliasing_meter_sees_a_naive_nonlinearity() -> None:
    """The meter below is able to fail: the same saw through a memoryless soft clip at the base
    rate, far milder than either filter at PEAK 7 (its distortion 36 dB under the signal,
    theirs 2 to 4 dB), aliases 45 dB down. (At 48 kHz it would read -143 dB: every alias of
    a 2 kHz saw lands on a harmonic there.)"""
    x = driven_saw()[ALIAS_RATE // 2:]
    assert inharmonic_db(np.tanh(0.2 * x) / 0.2, 2000.0, ALIAS_RATE) > -50.0


@pytest.mark.parametrize("rev", REVISIONS)
def test_a_driven_2_khz_saw_at_peak_7_aliases_60_db_down(rev: str) -> None:
    """Both VCOs at level 10 (a 2 V saw), LPF at 5 kHz and PEAK 7: the nonlinear filters'
    components that are no harmonics of 2 kHz stay 60 dB under the signal below 16 kHz.
    At 44.1 kHz (driven_saw). The seed noise is off at PEAK 7, so the noise floor does not count."""
    y = probe(driven_saw(), fs=ALIAS_RATE, lp_hz=5000.0, lp_peak=0.7, rev=rev)[ALIAS_RATE // 2:]
    measured = inharmonic_db(y, 2000.0, ALIAS_RATE)
    limit, miss = ALIASING_MISSES.get(rev, (-60.0, ""))
    assert measured < limit, f"{measured:.1f} dB"
    if miss:
        pytest.xfail(f"misses the issue's -60 dB: {miss} (measured {measured:.1f} dB)")


# -- robustness -----------------------------------------------------------------------------

@pytest.mark.parametrize("rev", REVISIONS)
def test_random_and_absurd_parameters_never_give_nan_inf_or_denormals(rev: str) -> None:
    rng = np.random.default_rng(7)
    n = RATE
    special = np.array([np.nan, np.inf, -np.inf, 1e30, -1e30, 0.0])
    x = rng.normal(0.0, 3.0, n)
    x[rng.integers(0, n, 200)] = rng.choice(special, 200)
    hp = rng.uniform(-0.1, 1.0, n) * RATE
    lp = RATE * (0.2 + 0.2 * np.sin(2.0 * np.pi * 3000.0 * np.arange(n) / RATE))  # audio-rate sweep
    hk = rng.uniform(-1.0, 3.0, n)
    lk = np.where(rng.uniform(size=n) < 0.5, 1.0, rng.uniform(0.0, 1.0, n))
    for arr in (hp, lp, hk, lk):
        arr[rng.integers(0, n, 50)] = rng.choice(special, 50)
    y = probe(x, RATE, hp, hk, lp, lk, rev)
    assert np.all(np.isfinite(y)) and np.max(np.abs(y)) <= 12.0
    tiny = np.finfo(np.float32).tiny
    assert not np.any((y != 0.0) & (np.abs(y) < tiny))


@pytest.mark.parametrize("rev", REVISIONS)
@pytest.mark.parametrize("level_v", [0.0, 1e-6, 1e-3, 0.1, 1.0, 10.0])
def test_every_level_and_peak_gives_finite_output_without_denormals(rev: str, level_v: float) -> None:
    x = sine(440.0, level_v, 0.25)
    tiny = np.finfo(np.float32).tiny
    for peak in (0.0, 0.3, 0.6, 0.8, 0.9, 1.0):
        y = probe(x, hp_hz=100.0, hp_peak=peak, lp_hz=2000.0, lp_peak=peak, rev=rev)
        assert np.all(np.isfinite(y)) and np.max(np.abs(y)) <= 12.0
        assert not np.any((y != 0.0) & (np.abs(y) < tiny))
        if level_v == 0.0 and peak < 0.6:
            assert np.max(np.abs(y)) == 0.0  # digital silence stays silent below the seed noise


# -- changing revision ----------------------------------------------------------------------

@pytest.mark.parametrize("start", REVISIONS)
def test_changing_the_revision_while_playing_does_not_click(start: str) -> None:
    """A 220 Hz saw through both filters; switching half-way crossfades over 10 ms: no
    sample-to-sample step larger than the signal's own (a click would jump)."""
    x = band_limited_saw(220.0, 1.0, 1.0)
    at = RATE // 4
    y = probe(x, hp_hz=80.0, hp_peak=0.3, lp_hz=1500.0, lp_peak=0.5, rev=start, switch_at=at)
    steady = probe(x, hp_hz=80.0, hp_peak=0.3, lp_hz=1500.0, lp_peak=0.5, rev=start)
    normal = np.max(np.abs(np.diff(steady[at - RATE // 20: at])))
    assert np.max(np.abs(np.diff(y[at - 10: at + RATE // 20]))) < 1.2 * normal
    other = "ota" if start == "korg35" else "korg35"
    settled = probe(x, hp_hz=80.0, hp_peak=0.3, lp_hz=1500.0, lp_peak=0.5, rev=other)
    late = slice(at + RATE // 2, at + 3 * RATE // 4)  # the output coupling's 5 Hz has forgotten
    assert np.max(np.abs(y[late] - settled[late])) < 1e-3  # then it is the other revision


# -- through the engine -------------------------------------------------------------------

def ext_signal_engine(lp_hz: float, lp_peak: float = 0.0) -> Engine:
    """LINE IN -> EXT SIGNAL -> filters -> VCA held open by EG-2 at full sustain."""
    e = Engine(RATE)
    route = [-1] * lib.MS20_INPUT_COUNT
    route[lib.MS20_IN_EXT_SIGNAL] = lib.MS20_OUT_LINE_IN
    e.patch(route)
    for param, value in ((lib.MS20_P_VCO1_LEVEL, 0.0), (lib.MS20_P_VCO2_LEVEL, 0.0), (lib.MS20_P_VOLUME, 1.0),
                         (lib.MS20_P_EG2_SUSTAIN, 1.0), (lib.MS20_P_EG2_ATTACK_MS, 0.5),
                         (lib.MS20_P_HPF_CUTOFF_HZ, HPF_OPEN_HZ), (lib.MS20_P_LPF_CUTOFF_HZ, lp_hz),
                         (lib.MS20_P_LPF_PEAK, lp_peak)):
        e.set_param(param, value)
    e.key(60, True, retrigger=True)
    e.render(RATE // 10)  # knob smoothing and the attack settle
    return e


def test_ext_signal_is_filtered_by_the_lpf_as_the_circuit_says() -> None:
    with np.load(DATA / "korg35.npz") as d:
        fc = float(d["fc"][1])
        f_ref, h_ref = d["freqs"], np.abs(d["lpf_ac"][1, 0])
    levels = {}
    for f in (200.0, 4000.0):
        e = ext_signal_engine(fc)
        y = e.render(RATE // 2, line_in=sine(f, 0.05, 0.5).astype(np.float32)).astype(np.float64)
        levels[f] = tone_db(y[RATE // 4:], f)
    expected = 20.0 * np.log10(np.interp(4000.0, f_ref, h_ref) / np.interp(200.0, f_ref, h_ref))
    assert levels[4000.0] - levels[200.0] == pytest.approx(expected, abs=1.0)


def test_output_is_identical_whatever_the_render_block_size() -> None:
    # Both cutoffs swept at audio rate (white noise on TOTAL) and by EG-2, both PEAKs high,
    # a VCO and LINE IN through EXT SIGNAL: every block size gives the same samples.
    n = 6000
    line_in = sine(330.0, 2.0, n / RATE).astype(np.float32)
    outs = []
    for block in (1, 64, 512):
        e = Engine(RATE)
        route = [-1] * lib.MS20_INPUT_COUNT
        route[lib.MS20_IN_EXT_SIGNAL] = lib.MS20_OUT_LINE_IN
        route[lib.MS20_IN_TOTAL] = lib.MS20_OUT_WHITE_NOISE
        e.patch(route)
        for param, value in ((lib.MS20_P_VOLUME, 1.0), (lib.MS20_P_HPF_CUTOFF_HZ, 200.0),
                             (lib.MS20_P_HPF_PEAK, 0.7), (lib.MS20_P_HPF_MG_OCT_PER_V, 0.5),
                             (lib.MS20_P_LPF_CUTOFF_HZ, 800.0), (lib.MS20_P_LPF_PEAK, 1.0),
                             (lib.MS20_P_LPF_MG_OCT_PER_V, 1.0), (lib.MS20_P_LPF_EG2_OCT_PER_V, 1.0),
                             (lib.MS20_P_EG2_DECAY_MS, 50.0)):
            e.set_param(param, value)
        e.key(48, True, retrigger=True)
        out = np.empty(n, np.float32)
        for i in range(0, n, block):
            e.render_into(out[i:i + block], line_in[i:i + block])
        outs.append(out)
    assert np.all(np.isfinite(outs[0])) and np.max(np.abs(outs[0])) > 0.05
    assert np.array_equal(outs[0], outs[1]) and np.array_equal(outs[0], outs[2])
