"""Both filter revisions against their transistor-level simulations (dB, cents, volts).

The reference is ngspice on the netlists in tools/spice (the Korg35 filter and the OTA
board, each as LPF and HPF), stored in tools/spice/data/{korg35,ota}.npz by
tools/spice/make_reference.py; these tests read the stored data and never run ngspice.
Each filter runs alone through the probe in c_kernels/vcf.probe.h, at the cutoff the
circuit has at the simulated control input (its core's natural frequency) and the same
PEAK pot travel; the circuit's levels are normalised by its passband gain, as the kernel's.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest
from ms20._kernel import ffi, lib

RATE = 48000
SPICE = Path(__file__).resolve().parents[2] / "tools" / "spice"
DATA = SPICE / "data"


def _measures():
    """tools/spice/measures.py: the circuit's reference was measured with this very code."""
    spec = importlib.util.spec_from_file_location("spice_measures", SPICE / "measures.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_m = _measures()


def tone(y: np.ndarray, f: float, fs: float = RATE) -> complex:
    return complex(_m.tone(y, f, fs))


def oscillation(y: np.ndarray, fs: float = RATE) -> tuple[float, float, float, float]:
    return _m.oscillation(y, fs)
REVISIONS = {"korg35": 0, "ota": 1}
KINDS = {"lpf": 1, "hpf": 0}


def spice(rev: str) -> dict[str, np.ndarray]:
    with np.load(DATA / f"{rev}.npz") as d:
        return {k: d[k] for k in d.files}


def _per_sample(value: float | np.ndarray, n: int) -> np.ndarray:
    return np.ascontiguousarray(np.broadcast_to(np.asarray(value, np.float32), (n,)), np.float32)


def run_filter(x: np.ndarray, rev: str, kind: str, fc_hz: float, peak: float, fs: float = RATE) -> np.ndarray:
    """One filter alone on a fresh state: volts in, volts out."""
    n = len(x)
    args = [_per_sample(x, n), _per_sample(fc_hz / fs, n), _per_sample(peak, n)]
    out = np.zeros(n, np.float32)
    lib.vcf_probe_filter(fs, REVISIONS[rev], KINDS[kind], *[ffi.from_buffer("float[]", a) for a in args],
                         ffi.from_buffer("float[]", out), n)
    return out.astype(np.float64)


def response(rev: str, kind: str, fc_hz: float, peak: float, freqs: np.ndarray, n: int = 16384,
             tone_v: float = 0.001) -> tuple[np.ndarray, np.ndarray]:
    """Complex response on the FFT bins nearest freqs: a periodic multitone (each tone at
    tone_v, -60 dBV by default: small signal for both circuits), four periods, the last."""
    bins = np.unique(np.round(np.asarray(freqs) * n / RATE).astype(int))
    bins = bins[(bins > 0) & (bins < n // 2)]
    phases = np.random.default_rng(1).uniform(0.0, 2.0 * np.pi, len(bins))
    t = np.arange(n)
    x = tone_v * np.cos(2.0 * np.pi * np.outer(t, bins) / n + phases).sum(axis=1)
    y = run_filter(np.tile(x, 4), rev, kind, fc_hz, peak)[-n:]
    return bins * RATE / n, np.fft.rfft(y)[bins] / np.fft.rfft(x)[bins]


def db(x: float | np.ndarray) -> float | np.ndarray:
    return 20.0 * np.log10(np.abs(x) + 1e-30)


def kick(seconds: float) -> np.ndarray:
    """The simulation's kick: 1 mV for 1 ms, then silence."""
    x = np.zeros(int(seconds * RATE))
    x[: int(0.001 * RATE)] = 0.001
    return x


CASES = [(rev, kind) for rev in REVISIONS for kind in KINDS]

# Where the kernel misses the tolerance, measured (x86-64, 48 kHz); not tuned away.
# Keys: (test, rev, kind, case). See docs/filters.md, "What does not match yet".
KNOWN_MISSES = {
    ("small", "korg35", "hpf", "1-7"): "PEAK 7, 2.1 kHz cutoff: +1.1 dB at 1887 Hz, on the upper flank of the peak "
                                       "(the kernel's resonance 0.3 % above the circuit's; its height within 0.3 dB)",
    ("harm", "ota", "lpf", "0"): "3 V: 3rd harmonic -47.1 dBV, circuit -43.7 (3.4 dB)",
    ("whistle", "korg35", "lpf", ""): "pitch +4.9, +6.0, +6.8, +7.6 cents from 83 Hz to 1 kHz, +11.4 at 2.1 kHz, "
                                      "+26.5 at 4.3 kHz: the model's own, rate-independent (+26.2 at 44.1 kHz, "
                                      "+26.1 at 96 kHz); the +13 at 2x was a discretisation error",
}


def known_miss(request: pytest.FixtureRequest, *key: str) -> None:
    reason = KNOWN_MISSES.get(key)
    if reason:
        request.applymarker(pytest.mark.xfail(reason=reason, strict=False))


# -- small signal --------------------------------------------------------------------------

@pytest.mark.parametrize("rev,kind", CASES)
@pytest.mark.parametrize("cutoff", [0, 1])
@pytest.mark.parametrize("peak_index", [0, 1, 2, 3, 4])
def test_small_signal_response_matches_the_circuit(request: pytest.FixtureRequest, rev: str, kind: str, cutoff: int,
                                                   peak_index: int) -> None:
    """Within 1 dB up to 3x the cutoff (10 kHz at most); the resonant peak's height within
    1.5 dB and its frequency within 5 %, at PEAK 0, 3, 5, 7, 9 and two cutoffs."""
    d = spice(rev)
    peak = float(d["peaks"][peak_index])
    known_miss(request, "small", rev, kind, f"{cutoff}-{10 * peak:g}")
    if peak > float(d[f"{kind}_onset_peak"]) - 0.03:
        pytest.skip(f"the circuit whistles at PEAK {10 * peak:g} (from {10 * d[f'{kind}_onset_peak']:.1f}): "
                    "no small-signal response to compare")
    fc = float(d["fc"][cutoff])
    f_ref = d["freqs"]
    h_ref = np.abs(d[f"{kind}_ac"][cutoff, peak_index])
    band = f_ref <= min(3.0 * fc, 10000.0)
    # just under the whistle the tones near the sharp peak ring 25 dB up and intermodulate
    # (the resonance falls with level): their products land 45 dB down in a high-pass's
    # stopband at -60 dBV, so there 20 dB less
    f, h = response(rev, kind, fc, peak, f_ref[band], tone_v=0.0001 if peak > 0.65 else 0.001)
    err = db(h) - db(np.interp(f, f_ref, h_ref))
    assert np.abs(err).max() < 1.0, f"{np.abs(err).max():.2f} dB off at {f[np.argmax(np.abs(err))]:.0f} Hz"
    if db(h_ref.max()) > 1.0:  # a resonant peak to compare
        # the circuit's peak from its fine sweep (tools/spice/data/peaks.npz: the 40-per-decade
        # grid misses the top of a sharp one by up to 3 dB), the kernel's on a finer grid still
        with np.load(DATA / "peaks.npz") as pk:
            db_pk_ref = float(pk[f"{rev}_{kind}_peak_db"][cutoff, peak_index])
            f_pk_ref = float(pk[f"{rev}_{kind}_peak_hz"][cutoff, peak_index])
        fine = np.geomspace(f_pk_ref / 1.12, f_pk_ref * 1.12, 161)
        f2, h2 = response(rev, kind, fc, peak, fine, n=65536)
        got = db(np.abs(h2).max())
        assert abs(got - db_pk_ref) < 1.5, f"peak {got:.1f} dB, circuit {db_pk_ref:.1f}"
        assert abs(f2[np.argmax(np.abs(h2))] / f_pk_ref - 1.0) < 0.05


@pytest.mark.parametrize("rev,kind", CASES)
def test_response_at_cutoff_10_matches_the_circuit_to_20_khz(request: pytest.FixtureRequest, rev: str,
                                                             kind: str) -> None:
    """PEAK 0, the cutoff at 20 kHz: within 1 dB from 20 Hz to 20 kHz."""
    known_miss(request, "top", rev, kind, "")
    d = spice(rev)
    f_ref = d["freqs"]
    f, h = response(rev, kind, float(d["top_fc"]), 0.0, f_ref)
    err = db(h) - db(np.interp(f, f_ref, np.abs(d[f"{kind}_top_ac"])))
    assert np.abs(err).max() < 1.0, f"{np.abs(err).max():.2f} dB off at {f[np.argmax(np.abs(err))]:.0f} Hz"


# -- large signal --------------------------------------------------------------------------

@pytest.mark.parametrize("rev,kind", CASES)
def test_resonance_falls_with_input_level_as_the_circuit_does(rev: str, kind: str) -> None:
    """PEAK just below the whistle (7 on the Korg35, 8 on the OTA board), the mid cutoff, a
    sine at the circuit's resonant peak from -40 to 0 dBV: the gain at each level within
    2 dB of the circuit's."""
    d = spice(rev)
    f = float(d[f"{kind}_level_f"])
    got = []
    for level in (-40.0, -30.0, -20.0, -10.0, 0.0):
        amp = np.sqrt(2.0) * 10 ** (level / 20)
        seconds = max(0.06, 40.0 / f)
        t = np.arange(int(seconds * RATE)) / RATE
        y = run_filter(amp * np.sin(2 * np.pi * f * t), rev, kind, float(d["mid_fc"]), float(d["level_peak"]))
        got.append(db(tone(y, f)) - db(amp))
    err = np.array(got) - d[f"{kind}_level_gain_db"]
    assert np.abs(err).max() < 2.0, f"kernel {np.round(got, 1)} dB, circuit {np.round(d[f'{kind}_level_gain_db'], 1)}"


@pytest.mark.parametrize("rev,kind", CASES)
@pytest.mark.parametrize("peak_index", [0, 1])
def test_harmonics_of_a_200_hz_sine_match_the_circuit(request: pytest.FixtureRequest, rev: str, kind: str,
                                                      peak_index: int) -> None:
    """2nd and 3rd harmonics (and the fundamental) at 0.3, 1 and 3 V peak within 3 dB, at
    PEAK 0 and 7. A harmonic more than 60 dB under the fundamental in both is not compared:
    the OTA board's LPF's 2nd harmonic (-77 dBc at 3 V, from the Darlington buffers' offsets)
    is the only one there."""
    known_miss(request, "harm", rev, kind, str(peak_index))
    d = spice(rev)
    peak = (0.0, 0.7)[peak_index]
    ref = d[f"{kind}_harm_db"][peak_index]
    for j, drive in enumerate((0.3, 1.0, 3.0)):
        t = np.arange(int(0.1 * RATE)) / RATE
        y = run_filter(drive * np.sin(2 * np.pi * 200.0 * t), rev, kind, float(d[f"{kind}_harm_fc"]), peak)
        y = y[len(y) // 2:]
        got = [db(tone(y, k * 200.0)) for k in (1, 2, 3)]
        for k in range(3):
            if k and max(got[k] - got[0], ref[j, k] - ref[j, 0]) < -60.0:
                continue
            assert abs(got[k] - ref[j, k]) < 3.0, (
                f"{drive} V: harmonic {k + 1} at {got[k]:.1f} dBV, circuit {ref[j, k]:.1f} dBV")


# -- self-oscillation ----------------------------------------------------------------------

def whistles(rev: str, kind: str, fc: float, peak: float) -> bool:
    y = run_filter(kick(0.08), rev, kind, fc, peak)
    # the kernel has a noise floor (its seed noise near full PEAK) the simulation has not,
    # so the growth of a ring that has died into it means nothing: whistling is ending
    # louder than the kick's first 20 ms rang
    return np.abs(y[-len(y) // 4:]).max() > np.abs(y[: int(0.02 * RATE)]).max()


@pytest.mark.parametrize("rev,kind", CASES)
def test_whistle_starts_at_the_circuits_peak_setting(rev: str, kind: str) -> None:
    """Within 0.3 of a knob unit (0.03 of the pot's travel)."""
    d = spice(rev)
    lo, hi = 0.5, 1.0
    for _ in range(7):
        m = 0.5 * (lo + hi)
        lo, hi = (lo, m) if whistles(rev, kind, float(d["mid_fc"]), m) else (m, hi)
    assert abs(0.5 * (lo + hi) - float(d[f"{kind}_onset_peak"])) < 0.03, f"kernel {5 * (lo + hi):.2f}"


@pytest.mark.parametrize("rev,kind", CASES)
def test_full_peak_whistle_has_the_circuits_level_and_tone(request: pytest.FixtureRequest, rev: str,
                                                          kind: str) -> None:
    """PEAK 10: amplitude within 1.5 dB and THD within 3 dB of the circuit's at every
    simulated cutoff from 100 Hz to 5 kHz, both settled (0.5 s: tools/spice/data/whistle.npz;
    at 0.25 s the OTA board's 106 Hz whistle is still settling, its THD 1.9 dB off)."""
    known_miss(request, "tone", rev, kind, "")
    d = spice(rev)
    with np.load(DATA / "whistle.npz") as w:
        ref = w[f"{rev}_{kind}_osc"]
    for i, fc in enumerate(d[f"{kind}_osc_fc"]):
        _, amp, _, thd = oscillation(run_filter(kick(0.5), rev, kind, float(fc), 1.0))
        assert abs(db(amp) - db(ref[i, 0])) < 1.5, f"{fc:.0f} Hz: {amp:.3f} V, circuit {ref[i, 0]:.3f}"
        assert abs(thd - ref[i, 2]) < 3.0, f"{fc:.0f} Hz: THD {thd:.1f} dB, circuit {ref[i, 2]:.1f}"


@pytest.mark.parametrize("rev,kind", CASES)
def test_full_peak_whistle_has_the_circuits_pitch(request: pytest.FixtureRequest, rev: str, kind: str) -> None:
    """PEAK 10: the pitch within 10 cents of the circuit's at every simulated cutoff from
    100 Hz to 5 kHz, both settled (0.5 s: tools/spice/data/whistle.npz; the OTA board's
    106 Hz whistle is still 23 cents sharp at 0.25 s)."""
    known_miss(request, "whistle", rev, kind, "")
    d = spice(rev)
    with np.load(DATA / "whistle.npz") as w:
        ref = w[f"{rev}_{kind}_osc"][:, 1]
    for i, fc in enumerate(d[f"{kind}_osc_fc"]):
        _, _, f0, _ = oscillation(run_filter(kick(0.5), rev, kind, float(fc), 1.0))
        assert abs(1200 * np.log2(f0 / ref[i])) < 10.0, f"{fc:.0f} Hz: {f0:.1f} Hz, circuit {ref[i]:.1f}"
