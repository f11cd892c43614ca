"""Helpers for the box tests: a fast config, a box whose control loop runs on a background
thread while the test plays, and measurements in user units (cents, dB, samples).

(Not a conftest.py: tests/conftest.py is imported as `conftest` by the kernel tests, and a
second conftest module here would shadow it.)"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from ms20.box.box import Box
from ms20.box.config import Config, default_config

RATE = 48000


def fast_config(**settings) -> Config:
    """Defaults, minus what would be rude on a shared test machine (locked memory, status
    lines), with quick MIDI rescans; `settings` are "section.key" overrides."""
    base = {"audio.lock_memory": False, "status.interval_s": 0.0, "midi.rescan_s": 0.05,
            "board.backend": "none"}
    base.update(settings)
    return default_config().replace(**base)


@contextmanager
def running(box: Box, settle_s: float = 0.1) -> Iterator[Box]:
    """Start the box, run its control loop on a thread, stop it on the way out."""
    box.start()
    thread = threading.Thread(target=box.run, name="test-control-loop", daemon=True)
    thread.start()
    deadline = time.monotonic() + 3.0
    while box.audio.state != "running" and time.monotonic() < deadline:
        time.sleep(0.005)
    time.sleep(settle_s)
    try:
        yield box
    finally:
        box.request_stop()
        thread.join(3.0)
        box.stop()


def wait_until(predicate, timeout: float = 2.0, step: float = 0.005) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return predicate()


# -- measurements ------------------------------------------------------------------------

def pitch_hz(x: np.ndarray, rate: int = RATE, lo_hz: float = 40.0, hi_hz: float = 1000.0) -> float:
    """Fundamental by autocorrelation with a parabolic peak fit."""
    x = x.astype(np.float64) - float(np.mean(x))
    n = len(x)
    spec = np.fft.rfft(x, 2 * n)
    ac = np.fft.irfft(spec * np.conj(spec))[:n]
    lo, hi = int(rate / hi_hz), int(rate / lo_hz)
    k = lo + int(np.argmax(ac[lo:hi]))
    a, b, c = ac[k - 1], ac[k], ac[k + 1]
    shift = 0.5 * (a - c) / (a - 2 * b + c) if (a - 2 * b + c) != 0 else 0.0
    return rate / (k + shift)


def rms_db(x: np.ndarray) -> float:
    return 20.0 * float(np.log10(max(float(np.sqrt(np.mean(np.square(x, dtype=np.float64)))), 1e-12)))


def onset(x: np.ndarray, start: int = 0, threshold: float = 1e-3) -> int | None:
    """First sample at or after `start` whose magnitude exceeds `threshold`."""
    idx = np.flatnonzero(np.abs(x[start:]) > threshold)
    return start + int(idx[0]) if len(idx) else None


def make_box(patch: str | None = "patches/first-voice.toml", seconds: float = 6.0, knobs: dict | None = None,
             surface=None, demo: bool = False, notifier=None, sink=None, **settings):
    """A Box on a paced null sink with a tap (the output as an array), a fake MIDI system and
    `patch` with some `knobs` changed; surface="sim" puts the simulated board in front;
    sink="alsa-file" plays through ALSA's file plugin (the WAV is box.wav_path).
    Returns (box, midi system, tap)."""
    from ms20.audio import NullSink, Tap
    from ms20.midi import FakeMidiBackend
    from ms20.model.patch import load_patch

    cfg = fast_config(**settings)
    tap = Tap(seconds, cfg.audio.rate)
    wav = None
    if sink == "alsa-file":
        # ALSA's file plugin as the sound card (paced, since nothing else clocks it); the WAV
        # it writes is box.wav_path.
        import tempfile

        from ms20.audio import AlsaSink
        wav = Path(tempfile.mkdtemp(prefix="ms20-box-")) / "card.wav"
        a = cfg.audio
        sink = AlsaSink(f'file:FILE="{wav}",FORMAT=wav', "none", a.rate, a.period, a.periods, 1, "S16_LE", "yes",
                        tap=tap)
    elif sink is None:
        sink = NullSink(cfg.audio.rate, cfg.audio.period, cfg.audio.periods, tap=tap)
    p = load_patch(patch) if patch else None
    if p is not None and knobs:
        import dataclasses
        panel = p.panel
        for name, pos in knobs.items():
            panel = panel.with_knob(name, pos)
        p = dataclasses.replace(p, panel=panel)
    midi_sys = FakeMidiBackend()
    if surface == "sim":   # the hardware layer's simulated board, set up as the patch
        from ms20.commands.board_args import open_surface

        def surface(controller, _patch=p):
            return open_surface("sim", controller, _patch)
    box = Box(cfg, sink, midi_sys, p, surface=surface, demo=demo, notifier=notifier)
    box.wav_path = wav
    return box, midi_sys, tap
