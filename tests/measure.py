"""Measurement helpers for the tests (user units: cents, dB, ms)."""

from __future__ import annotations

import numpy as np
from ms20._kernel import lib

from ms20.model.engine import Engine

RATE = 48000


def route(**cables: int) -> list[int]:
    """A routing table from input-name=output-index keywords, e.g. route(CV_OUT_1=lib.MS20_OUT_EG1)."""
    r = [-1] * lib.MS20_INPUT_COUNT
    for name, out in cables.items():
        r[getattr(lib, f"MS20_IN_{name}")] = out
    return r


def render_cv(engine: Engine, n: int, line_in: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Render n samples; returns (audio, CV OUT 1, CV OUT 2)."""
    out = np.zeros(n, np.float32)
    cv = np.zeros(2 * n, np.float32)
    engine.render_into(out, line_in, cv)
    return out, cv[0::2], cv[1::2]


def db(x: float) -> float:
    return 20.0 * float(np.log10(max(x, 1e-30)))


def rms(x: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(x, dtype=np.float64))))


def cents(f_hz: float, ref_hz: float) -> float:
    """How far f is from ref, in cents."""
    return 1200.0 * float(np.log2(f_hz / ref_hz))


def note_hz(note: float) -> float:
    """Equal-tempered frequency of MIDI note `note` (69 = A4 = 440 Hz)."""
    return 440.0 * 2.0 ** ((note - 69.0) / 12.0)


def band_db(x: np.ndarray, lo_hz: float, hi_hz: float, rate: int = RATE) -> float:
    """Energy between lo and hi (Hann window), dB."""
    spectrum = np.abs(np.fft.rfft(x * np.hanning(len(x)))) ** 2
    freqs = np.fft.rfftfreq(len(x), 1.0 / rate)
    return float(10.0 * np.log10(spectrum[(freqs >= lo_hz) & (freqs < hi_hz)].sum() + 1e-20))


def centroid_hz(x: np.ndarray, rate: int = RATE) -> float:
    """Spectral centroid: where the sound's brightness sits (the LPF cutoff moves it)."""
    x = x.astype(np.float64) - float(np.mean(x))
    mag = np.abs(np.fft.rfft(x * np.hanning(len(x))))
    f = np.fft.rfftfreq(len(x), 1.0 / rate)
    return float(np.sum(f * mag) / max(np.sum(mag), 1e-12))
