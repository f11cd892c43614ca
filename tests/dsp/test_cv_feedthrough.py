"""A moving cutoff against the circuits' CV paths: the feedthrough and the cutoff law.

The reference is ngspice on the netlists with their CV paths (the Korg35's CV network, the
KLM-307's expo converter drawn in), stored in tools/spice/data/cv_{korg35,ota}.npz by
tools/spice/make_cv_reference.py; these tests read the stored data and never run ngspice.
The kernel runs the whole section (c_kernels/vcf.probe.h, vcf_probe_render) with the
cutoff the circuit has at each instant of the simulated CV sweep and no input; its output
is compared with the circuit's output node before the coupling capacitor, over the
circuit's signed passband gain, through the kernel's own coupling (a 5 Hz one-pole: the
circuits' C19 / C7 into their PEAK networks are 2.7 Hz / 0.5 Hz, and the engine's VCA
blocks at 5 Hz after them; the kernel has one).
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest
from ms20._kernel import ffi, lib

RATE = 48000
SPICE = Path(__file__).resolve().parents[2] / "tools" / "spice"
REVISIONS = {"korg35": 0, "ota": 1}
COUPLING_HZ = 5.0  # c_kernels/vcf.c, VCF_COUPLING_HZ
HP_HZ = 10.0       # the HPF's cutoff while the LPF's moves (and the LPF's open one the other way)
LP_OPEN_HZ = 20000.0


def _reference_script():
    """tools/spice/make_cv_reference.py: the sweeps the circuit was given."""
    sys.path.insert(0, str(SPICE))
    try:
        spec = importlib.util.spec_from_file_location("make_cv_reference", SPICE / "make_cv_reference.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(SPICE))
    return module


_ref = _reference_script()


def spice(rev: str) -> dict[str, np.ndarray]:
    with np.load(SPICE / "data" / f"cv_{rev}.npz") as d:
        return {k: d[k] for k in d.files}


def pwl(source: str, t: np.ndarray) -> np.ndarray:
    """An ngspice pwl(...) source at times t (m for milli)."""
    vals = [float(v[:-1]) * 1e-3 if v.endswith("m") else float(v) for v in source[4:-1].split()]
    return np.interp(t, vals[0::2], vals[1::2])


def circuit_fc(d: dict[str, np.ndarray], cv: np.ndarray) -> np.ndarray:
    """The circuit's cutoff (Hz) at each CV, from its simulated law."""
    return 2.0 ** np.interp(cv, d["law_cv"], np.log2(d["law_hz"]))


def coupling(y: np.ndarray) -> np.ndarray:
    """The kernel's output coupling: y - y[-1] + c hp[-1], from rest at y[0]."""
    c = 1.0 - 2.0 * np.pi * COUPLING_HZ / RATE
    out = np.zeros_like(y)
    prev, hp = y[0], 0.0
    for i, x in enumerate(y):
        hp = x - prev + c * hp
        prev = x
        out[i] = hp
    return out


def reference(d: dict[str, np.ndarray], key: str, seconds: float) -> np.ndarray:
    """The circuit's node before its coupling, at unity gain, on the kernel's grid and through
    its coupling."""
    pre = d[key][0]
    t = np.arange(len(pre)) * float(d["sweep_dt"])
    n = int(seconds * RATE)
    y = np.interp(np.arange(n) / RATE, t, (pre - pre[0]) / float(d["passband"]))
    return coupling(y)


def render(rev: str, hp_hz: np.ndarray | float, lp_hz: np.ndarray | float, peak: float, n: int,
           hp_peak: float = 0.0) -> np.ndarray:
    def per_sample(v: np.ndarray | float) -> np.ndarray:
        return np.ascontiguousarray(np.broadcast_to(np.asarray(v, np.float32), (n,)), np.float32)

    args = [per_sample(0.0), per_sample(np.asarray(hp_hz) / RATE), per_sample(hp_peak),
            per_sample(np.asarray(lp_hz) / RATE), per_sample(peak)]
    out = np.zeros(n, np.float32)
    lib.vcf_probe_render(RATE, REVISIONS[rev], -1, *[ffi.from_buffer("float[]", a) for a in args],
                         ffi.from_buffer("float[]", out), n)
    return out.astype(np.float64)


def extreme(y: np.ndarray) -> float:
    return float(y[np.argmax(np.abs(y))])


def db(x: float) -> float:
    return 20.0 * np.log10(abs(x) + 1e-30)


# (rev, stored run, the source it was swept with, PEAK of the moving filter, which moved)
SWEEPS = [
    ("korg35", "lpf_fast_peak0", _ref.SWEEP, 0.0, "lpf"),
    ("korg35", "lpf_fast_peak5", _ref.SWEEP, 0.5, "lpf"),
    ("korg35", "lpf_slow_peak0", _ref.SLOW, 0.0, "lpf"),
    ("korg35", "hpf_fast_peak0", _ref.SWEEP, 0.0, "hpf"),
    ("ota", "lpf_fast_peak0", _ref.SWEEP, 0.0, "lpf"),
    ("ota", "lpf_fast_peak5", _ref.SWEEP, 0.5, "lpf"),
]
SECONDS = 0.3


def sweep_pair(rev: str, key: str, source: str, peak: float, which: str) -> tuple[np.ndarray, np.ndarray]:
    d = spice(rev)
    n = int(SECONDS * RATE)
    fc = circuit_fc(d, pwl(source, np.arange(n) / RATE))
    moving = (HP_HZ, fc, peak, 0.0) if which == "lpf" else (fc, LP_OPEN_HZ, 0.0, peak)
    return render(rev, *moving[:3], n, hp_peak=moving[3]), reference(d, key, SECONDS)


@pytest.mark.parametrize("rev,key,source,peak,which", SWEEPS)
def test_a_sweeping_cutoff_thumps_as_the_circuit_does(rev: str, key: str, source: str, peak: float,
                                                       which: str) -> None:
    """The CV from -3 V to +2 V in 2 ms (or 10 ms), held, down again over 100 ms, no input:
    the thump's largest excursion within 2 dB and of the circuit's polarity, and the first
    40 ms of its shape within a quarter of that excursion (RMS)."""
    y, ref = sweep_pair(rev, key, source, peak, which)
    got, want = extreme(y), extreme(ref)
    assert np.sign(got) == np.sign(want), f"kernel {got * 1e3:+.1f} mV, circuit {want * 1e3:+.1f} mV"
    assert abs(db(got) - db(want)) < 2.0, f"kernel {got * 1e3:+.1f} mV, circuit {want * 1e3:+.1f} mV"
    start = int(0.005 * RATE)
    window = slice(start, start + int(0.04 * RATE))
    rms = float(np.sqrt(np.mean((y[window] - ref[window]) ** 2)))
    assert rms < 0.25 * abs(want), f"shape off by {rms * 1e3:.1f} mV RMS (excursion {want * 1e3:+.1f} mV)"


@pytest.mark.parametrize("rev", REVISIONS)
def test_a_still_cutoff_leaves_silence_silent(rev: str) -> None:
    """No input, cutoffs and PEAKs held (low, middle, high): every sample exactly 0. After a
    sweep the thump dies away to exactly 0 once the cutoff holds still."""
    n = int(0.5 * RATE)
    for lp_hz in (30.0, 1000.0, 15000.0):
        for peak in (0.0, 0.5):
            y = render(rev, HP_HZ, lp_hz, peak, n)
            assert not np.any(y), f"{lp_hz} Hz, PEAK {10 * peak:g}: {np.abs(y).max():.3g} V"
    d = spice(rev)
    n = int(6.0 * RATE)
    fc = circuit_fc(d, pwl(_ref.SWEEP, np.arange(n) / RATE))
    y = render(rev, HP_HZ, fc, 0.0, n)
    assert np.abs(y).max() > 0.01
    assert not np.any(y[-RATE:]), f"{np.abs(y[-RATE:]).max():.3g} V a second before the end"


def test_korg35_cutoff_law_is_exponential_within_2_percent() -> None:
    """The simulated Korg35's cutoff against its CV from -3.5 V to +2.5 V (83 Hz to 6.1 kHz):
    the kernel's law (exponential: the engine's octaves, the circuit's 1.035 oct/V) through
    every point within 2 %."""
    d = spice("korg35")
    sel = (d["law_cv"] >= -3.5) & (d["law_cv"] <= 2.5)
    cv, hz = d["law_cv"][sel], d["law_hz"][sel]
    fit = np.polyfit(cv, np.log2(hz), 1)
    err = 2.0 ** (np.polyval(fit, cv) - np.log2(hz)) - 1.0
    assert np.abs(err).max() < 0.02, np.round(100 * err, 2)


def _ota_law(nominal_hz: np.ndarray) -> np.ndarray:
    return np.array([lib.vcf_probe_ota_law(RATE, f / RATE) * RATE for f in nominal_hz])


def _fit_law(law, cv: np.ndarray, hz: np.ndarray) -> np.ndarray:
    """Errors of law(2^(a + b cv)) against hz with a, b the best (the panel's CV scale and
    offset are the engine's; the departures from exponential are the law's)."""
    from scipy.optimize import least_squares

    def res(p: np.ndarray) -> np.ndarray:
        return np.log(law(2.0 ** (p[0] + p[1] * cv)) / hz)

    # diff_step: the kernel computes in single precision
    p = least_squares(res, np.polyfit(cv[cv > -1.0], np.log2(hz[cv > -1.0]), 1)[::-1], diff_step=1e-3).x
    return np.expm1(res(p))


def test_ota_cutoff_law_has_the_circuits_floor_and_knee() -> None:
    """The simulated OTA board's cutoff against its CV from -4 V to +2.5 V (21 Hz to 18 kHz):
    the kernel's law (dsp/cv_feedthrough.h) within 4 % of every point; the plain
    exponential would be off by more than half at the bottom (R37's floor)."""
    d = spice("ota")
    sel = d["law_cv"] <= 2.5
    cv, hz = d["law_cv"][sel], d["law_hz"][sel]
    err = _fit_law(_ota_law, cv, hz)
    assert np.abs(err).max() < 0.04, np.round(100 * err, 1)
    plain = _fit_law(lambda f: f, cv, hz)
    assert np.abs(plain).max() > 0.5
