"""Generate the example inputs the README's render commands use: examples/arpeggio.mid (a
short phrase as a standard MIDI file, format 1) and examples/voice.flac (a sung vowel, made
here rather than recorded: a glottal pulse train through three formant resonators gliding
from "a" to "i" to "u", 44.1 kHz 24-bit, so LINE IN gets resampled on the way in).

    python tools/gen_examples.py            # write them
    python tools/gen_examples.py --check    # exit 1 if they differ from what this makes
"""

from __future__ import annotations

import sys
from pathlib import Path

import mido
import numpy as np
import soundfile

ROOT = Path(__file__).resolve().parent.parent
MIDI = ROOT / "examples" / "arpeggio.mid"
VOICE = ROOT / "examples" / "voice.flac"
RATE = 44100
SECONDS = 2.5
# Formant frequencies (Hz) and bandwidths of three vowels (adult male, Peterson & Barney).
VOWELS = {"a": ((730, 1090, 2440), (90, 110, 160)),
          "i": ((270, 2290, 3010), (60, 100, 170)),
          "u": ((300, 870, 2240), (60, 90, 150))}


def arpeggio() -> mido.MidiFile:
    """C minor up and down, then a held C with the mod wheel rising: 120 bpm, 480 ticks a beat."""
    mid = mido.MidiFile(type=1, ticks_per_beat=480)
    tempo = mido.MidiTrack([mido.MetaMessage("set_tempo", tempo=500000, time=0),
                            mido.MetaMessage("track_name", name="ms20 example", time=0)])
    notes = mido.MidiTrack()
    for k, n in enumerate((48, 51, 55, 60, 63, 60, 55, 51)):
        notes.append(mido.Message("note_on", note=n, velocity=100, time=20 if k else 0))   # 20 ticks apart
        notes.append(mido.Message("note_off", note=n, velocity=0, time=220))
    notes.append(mido.Message("note_on", note=48, velocity=100, time=20))
    for k in range(1, 17):
        notes.append(mido.Message("control_change", control=1, value=k * 7, time=60))
    notes.append(mido.Message("note_off", note=48, velocity=0, time=120))
    mid.tracks += [tempo, notes]
    return mid


def voice() -> np.ndarray:
    """The vowel glide as float samples in [-1, 1]."""
    t = np.arange(int(RATE * SECONDS)) / RATE
    f0 = 120.0 * (1 + 0.01 * np.sin(2 * np.pi * 5.0 * t)) * (1 + 0.15 * t / SECONDS)  # vibrato, rising
    phase = np.cumsum(f0 / RATE)
    glottal = np.diff(np.floor(phase), prepend=0.0) - f0 / RATE     # a pulse per period, no DC
    # The vowel at each moment: a -> i over the first half, i -> u over the second.
    x = np.clip(t / (SECONDS / 2), 0, 2)
    out = np.zeros_like(t)
    for k in range(3):
        fa, fi, fu = (VOWELS[v][0][k] for v in "aiu")
        ba, bi, bu = (VOWELS[v][1][k] for v in "aiu")
        freq = np.where(x < 1, fa + (fi - fa) * x, fi + (fu - fi) * (x - 1))
        bw = np.where(x < 1, ba + (bi - ba) * x, bi + (bu - bi) * (x - 1))
        r = np.exp(-np.pi * bw / RATE)
        a1, a2 = -2 * r * np.cos(2 * np.pi * freq / RATE), r * r
        y1 = y2 = 0.0
        band = np.empty_like(t)
        for i, g in enumerate(glottal):        # a two-pole resonator with moving coefficients
            y = g - a1[i] * y1 - a2[i] * y2
            band[i], y2, y1 = y, y1, y
        out += band * (1.0 if k == 0 else 0.5 / k)
    fade = np.minimum(1.0, np.minimum(t, SECONDS - t) / 0.05)
    return 0.7 * out * fade / np.max(np.abs(out))


def main(argv: list[str]) -> int:
    mid, audio = arpeggio(), voice()
    if "--check" in argv:
        stale = []
        if not MIDI.exists() or [m.bytes() for m in mido.MidiFile(MIDI)] != [m.bytes() for m in mid]:
            stale.append(MIDI)
        if not VOICE.exists() or not np.allclose(soundfile.read(VOICE)[0], audio, atol=2.0 / 2**23):
            stale.append(VOICE)
        if stale:
            print("stale examples (run python tools/gen_examples.py):", *stale, sep="\n  ")
            return 1
        return 0
    MIDI.parent.mkdir(exist_ok=True)
    mid.save(MIDI)
    soundfile.write(VOICE, audio, RATE, subtype="PCM_24")
    print(f"wrote {MIDI.relative_to(ROOT)} and {VOICE.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
