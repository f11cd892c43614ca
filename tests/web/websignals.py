"""Measurements on the captured output for the browser-panel tests, in user units."""

from __future__ import annotations

import numpy as np

from measure import centroid_hz

RATE = 48000
__all__ = ["centroid_hz", "centroid_track", "wobble"]


def centroid_track(x: np.ndarray, rate: int = RATE, frame: int = 1024, hop: int = 480) -> np.ndarray:
    """The centroid every `hop` samples (10 ms); a near-silent frame (an underrun's gap on a
    loaded machine) repeats the previous value instead of measuring noise."""
    track: list[float] = []
    for k in range(0, len(x) - frame, hop):
        seg = x[k:k + frame]
        quiet = float(np.sqrt(np.mean(np.square(seg, dtype=np.float64)))) < 1e-3
        track.append(track[-1] if quiet and track else centroid_hz(seg, rate))
    return np.array(track)


def wobble(track: np.ndarray, hop_s: float = 0.01) -> tuple[float, float]:
    """(rate in Hz, depth as a fraction of the median) of a centroid track's strongest wobble.
    The depth is the median absolute deviation scaled to a standard deviation, so a few odd
    frames (an underrun's fade-in) do not count as a wobble."""
    d = track - np.mean(track)
    n = 8 * len(d)                                   # zero-padded: 1/8 of a bin's resolution
    spec = np.abs(np.fft.rfft(d * np.hanning(len(d)), n))
    f = np.fft.rfftfreq(n, hop_s)
    ok = f > 0.3                                     # above what a slow drift would show
    k = int(np.argmax(np.where(ok, spec, 0.0)))
    median = float(np.median(track))
    return float(f[k]), 1.4826 * float(np.median(np.abs(track - median))) / median
