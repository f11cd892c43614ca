"""What the page is sent, computed on the web server's thread from what the firmware already
keeps (never on the audio thread, and nothing here blocks it):

- `PanelView`: the panel as the firmware reads it (the controller's knobs, switches and the
  cables the scanner detected, the key held, the wheel and momentary switch): sent whenever
  it changes, looked at every MIRROR_INTERVAL_S.
- `Signals`: OUTPUT's scope and spectrum from the sink's tap, a meter for every patched jack
  that carries a control voltage, the note, xruns and CPU, FEED_HZ times a second.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from ms20.control.calibration import WHEEL
from ms20.drawing.front import front
from ms20.drawing.svg import cable_colour, cable_path
from ms20.midi.notes import note_name
from ms20.model.jacks import jack_table

MIRROR_INTERVAL_S = 0.010     # a changed knob or cable reaches the page within this plus the network
FEED_HZ = 20.0                # scope, spectrum and meters per second
SCOPE_POINTS = 400            # the scope shows 2400 samples (50 ms at 48 kHz), one point in 6
SCOPE_SPAN = 2400
FFT_SIZE = 4096
SPECTRUM_BANDS = 96           # log-spaced from 30 Hz to 16 kHz
SPECTRUM_RANGE_HZ = (30.0, 16000.0)


@dataclass(frozen=True)
class Sources:
    """Where the feed reads: the Box's parts it needs, looked up once."""

    box: Any
    scanner: Any | None        # ms20.control.scanner.Scanner, or None without a panel
    tap: Any | None            # ms20.audio.Tap on the sink


def sources_of(box: Any) -> Sources:
    surface = box.surface
    return Sources(box, getattr(surface, "scanner", None), box.audio.sink.tap)


def panel_view(src: Sources) -> dict:
    """The panel as the firmware reads it now, as JSON-ready data."""
    box = src.box
    state = box.controller.state
    f = front()
    cables = []
    for out_name, in_name in state.routing.cables:
        a, b = f.jacks.get(out_name), f.jacks.get(in_name)
        if a is not None and b is not None:
            cables.append({"from": out_name, "to": in_name, "colour": cable_colour(out_name, in_name),
                           "d": cable_path(a, b, f.height - 4)})
    wheel, momentary = 0.0, False
    if src.scanner is not None:
        wheel = (src.scanner.positions.get(WHEEL) or 0.0) / 10.0
        momentary = src.scanner.snapshot().momentary
    kb = box.keyboard
    return {
        "type": "state",
        "knobs": {k: round(v, 3) for k, v in state.knobs.items()},
        "switches": dict(state.switches),
        "cables": cables,
        "note": note_name(kb.note), "midi_note": kb.note, "gate": bool(kb.gate),
        "wheel": round(wheel, 3), "momentary": momentary,
        "problems": list(state.routing.problems),
        "memory": box.memory.view() if hasattr(box, "memory") else None,
    }


class Signals:
    """Scope, spectrum, meters and counters for the page, FEED_HZ times a second."""

    def __init__(self, src: Sources, rate: int) -> None:
        self.src = src
        self.rate = rate
        self.window = np.hanning(FFT_SIZE).astype(np.float32)
        freqs = np.fft.rfftfreq(FFT_SIZE, 1.0 / rate)
        lo, hi = SPECTRUM_RANGE_HZ
        edges = np.geomspace(lo, hi, SPECTRUM_BANDS + 1)
        self.band_of = np.searchsorted(edges, freqs) - 1          # band of each FFT bin (-1, out of range)
        self.band_hz = np.sqrt(edges[:-1] * edges[1:])
        # Low bands narrower than an FFT bin hold no bin: they show the bin nearest their centre.
        self.nearest_bin = np.rint(self.band_hz / (rate / FFT_SIZE)).astype(int)
        self._mark = (time.monotonic(), time.process_time(), box_busy(src.box))
        table = jack_table()
        self._index = {j.name: j.index for j in table.outputs}
        self._kind = {j.name: j.kind for j in table.outputs}

    def scope(self, x: np.ndarray) -> list[float]:
        """SCOPE_SPAN samples starting at a rising zero crossing (a steady picture)."""
        if len(x) < SCOPE_SPAN:
            return []
        search = x[: len(x) - SCOPE_SPAN]
        rising = np.flatnonzero((search[:-1] <= 0.0) & (search[1:] > 0.0))
        start = int(rising[-1]) + 1 if len(rising) else len(x) - SCOPE_SPAN
        seg = x[start:start + SCOPE_SPAN:SCOPE_SPAN // SCOPE_POINTS]
        return [round(float(v), 3) for v in seg]

    def spectrum(self, x: np.ndarray) -> list[float]:
        """dB (full scale = 0) of the loudest bin in each log-spaced band."""
        if len(x) < FFT_SIZE:
            return []
        mag = np.abs(np.fft.rfft(x[-FFT_SIZE:] * self.window)) * (4.0 / FFT_SIZE)
        bands = mag[self.nearest_bin] + 1e-7
        ok = (self.band_of >= 0) & (self.band_of < SPECTRUM_BANDS)
        np.maximum.at(bands, self.band_of[ok], mag[ok])
        return [round(float(v), 1) for v in 20.0 * np.log10(bands)]

    def meters(self) -> dict[str, float]:
        """Volts at every patched output that is not audio (what its cables carry)."""
        engine = self.src.box.engine
        out: dict[str, float] = {}
        for out_name, _ in self.src.box.controller.state.routing.cables:
            if out_name not in out and self._kind.get(out_name) != "audio":
                out[out_name] = round(engine.jack(self._index[out_name]), 3)
        return out

    def frame(self) -> dict:
        box = self.src.box
        tap = self.src.tap
        x = tap.latest(max(FFT_SIZE, 2 * SCOPE_SPAN)) if tap is not None else np.zeros(0, np.float32)
        now, cpu, busy = time.monotonic(), time.process_time(), box_busy(box)
        t0, cpu0, busy0 = self._mark
        self._mark = (now, cpu, busy)
        wall = max(now - t0, 1e-6)
        kb = box.keyboard
        return {
            "type": "signals",
            "scope": self.scope(x), "spectrum": self.spectrum(x),
            "meters": self.meters(),
            "note": note_name(kb.note), "gate": bool(kb.gate),
            "xruns": int(box.audio.xruns),
            "dsp": round((busy - busy0) / 1e9 / wall * 100.0, 1),
            "cpu": round((cpu - cpu0) / wall * 100.0, 1),
            "audio": box.audio.state,
        }


def box_busy(box: Any) -> int:
    return int(box.audio.busy_ns)
