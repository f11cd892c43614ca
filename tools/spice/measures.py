"""How a filter's output is measured, the same way for the circuit (make_reference.py, on
ngspice's transients) and for the kernel (tests/dsp/test_filters_spice.py)."""

from __future__ import annotations

import numpy as np


def tone(y: np.ndarray, f: float, fs: float) -> complex:
    """Complex amplitude (peak) of the component at f over whole cycles of y."""
    n = int(round(int(len(y) * f / fs) * fs / f))
    t = np.arange(n) / fs
    return 2.0 * np.mean(y[-n:] * np.exp(-2j * np.pi * f * t))


def oscillation(y: np.ndarray, fs: float) -> tuple[float, float, float, float]:
    """(growth per second in dB, amplitude V peak, frequency Hz, THD dB) of a ringing output."""
    n = len(y)
    a = np.abs(y[n // 2: 3 * n // 4]).max()
    b = np.abs(y[3 * n // 4:]).max()
    growth = 20 * np.log10(max(b, 1e-30) / max(a, 1e-30)) / (n / 4 / fs)
    tail = y[n // 2:] - y[n // 2:].mean()
    up = np.flatnonzero((tail[:-1] < 0) & (tail[1:] >= 0))
    if len(up) < 3:
        return growth, b, 0.0, 0.0
    fr = up - tail[up] / (tail[up + 1] - tail[up])
    f0 = fs * (len(fr) - 1) / (fr[-1] - fr[0])
    seg = tail[int(fr[0]): int(fr[-1])]
    spec = np.abs(np.fft.rfft(seg * np.hanning(len(seg))))
    fb = np.fft.rfftfreq(len(seg), 1 / fs)
    h = [spec[np.abs(fb - k * f0) < 0.5 * f0].max() for k in range(1, 10) if k * f0 < 0.45 * fs]
    thd = 10 * np.log10(sum(x * x for x in h[1:]) / h[0] ** 2)
    amp = 0.5 * (tail[int(fr[0]):].max() - tail[int(fr[0]):].min())
    return growth, amp, f0, thd
