"""Real recordings for the ESP, made offline at test time, and an independent pitch truth.

Sources (all from Debian packages that CI installs; nothing is checked in):
- speech: the spoken channel names that alsa-utils installs in /usr/share/sounds/alsa
  ("Front Center", ...: a male voice, 48 kHz, 16 bit);
- sampled instruments: the Fluid R3 General MIDI SoundFont (fluid-soundfont-gm), played by
  FluidSynth (libfluidsynth3 through pyfluidsynth) with its reverb and chorus off. Sung
  vowels are its "Voice Oohs" and "Choir Aahs" programs with the mod wheel up (FluidSynth's
  default CC1 modulator: vibrato); bass lines are "Electric Bass (finger)".
- pitch truth: Praat's autocorrelation pitch tracker (Boersma 1993) through
  praat-parselmouth, every 2 ms, 0 where Praat hears no voicing.

Every recording gets a -60 dBFS (RMS) white noise floor, as a real input has. A recording
is a `TestSignal` (tests/signals.py) whose `f0_hz` is Praat's track and whose notes are the
MIDI notes played (for the SoundFont) or Praat's voiced runs (for speech).
"""

from __future__ import annotations

import wave
from collections.abc import Sequence
from functools import cache
from pathlib import Path

import numpy as np
import pytest

from signals import Note, TestSignal, midi_to_hz

ALSA_SOUNDS = Path("/usr/share/sounds/alsa")
SPOKEN = ("Front_Center", "Front_Left", "Front_Right", "Rear_Center", "Rear_Left", "Rear_Right",
          "Side_Left", "Side_Right")
SOUNDFONT = Path("/usr/share/sounds/sf2/FluidR3_GM.sf2")
NOISE_FLOOR_DBFS = -60.0
PRAAT_STEP_S = 0.002
BEND_RANGE = 12  # semitones of the pitch wheel, for legato lines (notes within an octave)

# General MIDI programs (0-based)
VOICE_OOHS, CHOIR_AAHS, FINGER_BASS = 53, 52, 33


def _noise_floor(x: np.ndarray, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return (x + 10 ** (NOISE_FLOOR_DBFS / 20) * rng.standard_normal(len(x))).astype(np.float32)


def praat_f0(x: np.ndarray, fs_hz: float, floor_hz: float = 35.0, ceiling_hz: float = 2200.0) -> np.ndarray:
    """Praat's pitch per sample (Hz; 0 where unvoiced), held between its 2 ms frames."""
    parselmouth = pytest.importorskip("parselmouth")
    snd = parselmouth.Sound(np.asarray(x, np.float64), sampling_frequency=fs_hz)
    pitch = snd.to_pitch_ac(time_step=PRAAT_STEP_S, pitch_floor=floor_hz, pitch_ceiling=ceiling_hz)
    f = pitch.selected_array["frequency"]
    t = pitch.xs()
    idx = np.clip(np.round((np.arange(len(x)) / fs_hz - t[0]) / PRAAT_STEP_S).astype(int), 0, len(f) - 1)
    out = f[idx]
    out[(np.arange(len(x)) / fs_hz < t[0] - PRAAT_STEP_S) | (np.arange(len(x)) / fs_hz > t[-1] + PRAAT_STEP_S)] = 0
    return out


def _voiced_runs(f0: np.ndarray, fs_hz: float, min_s: float = 0.04) -> list[Note]:
    """Praat's voiced stretches at least min_s long, as notes (f0 = their median)."""
    v = np.concatenate([[0], (f0 > 0).astype(int), [0]])
    starts, ends = np.nonzero(np.diff(v) == 1)[0], np.nonzero(np.diff(v) == -1)[0]
    return [Note(a / fs_hz, b / fs_hz, float(np.median(f0[a:b]))) for a, b in zip(starts, ends, strict=True)
            if b - a >= min_s * fs_hz]


@cache
def speech(name: str, seed: int = 0) -> TestSignal:
    """A spoken phrase from alsa-utils (48 kHz), peak normalised to 0.5, with the noise floor."""
    path = ALSA_SOUNDS / f"{name}.wav"
    if not path.exists():
        pytest.skip(f"{path} missing (Debian package alsa-utils)")
    with wave.open(str(path)) as w:
        fs = float(w.getframerate())
        x = np.frombuffer(w.readframes(w.getnframes()), "<i2").astype(np.float64) / 32768.0
    x = _noise_floor(0.5 * x / np.max(np.abs(x)), seed)
    f0 = praat_f0(x, fs, 60.0, 500.0)
    return TestSignal(x, fs, tuple(_voiced_runs(f0, fs)), f0)


def _synth(fs_hz: float):  # noqa: ANN202 (fluidsynth.Synth: an optional module's type)
    """A fresh synth for each recording: one reused after system_reset still renders the same
    line up to 0.13 apart (of 0.5 peak) on a second call, so a recording would depend on which
    tests ran before it. Loading the SoundFont takes about 0.2 s."""
    fluidsynth = pytest.importorskip("fluidsynth", reason="pyfluidsynth and Debian's libfluidsynth3")
    if not SOUNDFONT.exists():
        pytest.skip(f"{SOUNDFONT} missing (Debian package fluid-soundfont-gm)")
    synth = fluidsynth.Synth(samplerate=fs_hz)
    synth.setting("synth.reverb.active", 0)
    synth.setting("synth.chorus.active", 0)
    return synth, synth.sfload(str(SOUNDFONT))


@cache
def soundfont(program: int, notes: tuple[tuple[int, float], ...], fs_hz: float = 48000.0, legato: bool = True,
              mod_wheel: int = 0, velocity: int = 100, seed: int = 0, level: float = 0.5,
              praat_range_hz: tuple[float, float] = (35.0, 2200.0)) -> TestSignal:
    """A monophonic line on one General MIDI program of Fluid R3: (MIDI note, seconds) pairs.

    Legato: one voice held and bent from note to note by the pitch wheel (range
    BEND_RANGE semitones): no overlap, no new attack, as a singer or a slide. Otherwise
    each note is its own key, released 50 ms before the next. mod_wheel (CC1) gives FluidSynth's vibrato. Peak
    normalised to `level`; the truth is Praat's track (searched within praat_range_hz),
    the notes those played."""
    synth, sfid = _synth(fs_hz)
    try:
        return _play(synth, sfid, program, notes, fs_hz, legato, mod_wheel, velocity, seed, level, praat_range_hz)
    finally:
        synth.delete()


def _play(synth, sfid: int, program: int, notes: tuple[tuple[int, float], ...], fs_hz: float,  # noqa: ANN001
          legato: bool, mod_wheel: int, velocity: int, seed: int, level: float,
          praat_range_hz: tuple[float, float]) -> TestSignal:
    synth.program_select(0, sfid, 0, program)
    synth.cc(0, 1, mod_wheel)
    chunks, t, out_notes = [], 0.0, []
    base = int(round(float(np.median([n for n, _ in notes]))))
    if legato:  # one voice, bent from note to note: no overlap, as one singer or string
        for control, value in ((101, 0), (100, 0), (6, BEND_RANGE), (38, 0)):  # RPN 0: bend range
            synth.cc(0, control, value)
        synth.pitch_bend(0, 0)
        synth.noteon(0, base, velocity)
    for note, dur in notes:
        if legato:
            synth.pitch_bend(0, int(round((note - base) / BEND_RANGE * 8191)))
            chunks.append(synth.get_samples(int(round(dur * fs_hz))))
        else:
            synth.noteon(0, note, velocity)
            chunks.append(synth.get_samples(int(round((dur - 0.05) * fs_hz))))
            synth.noteoff(0, note)
            chunks.append(synth.get_samples(int(round(0.05 * fs_hz))))
        out_notes.append(Note(t, t + dur, midi_to_hz(note)))
        t += dur
    synth.noteoff(0, base if legato else notes[-1][0])
    chunks.append(synth.get_samples(int(0.3 * fs_hz)))
    stereo = np.concatenate(chunks).astype(np.float64).reshape(-1, 2)
    x = stereo.mean(axis=1)
    x = _noise_floor(level * x / np.max(np.abs(x)), seed)
    f0 = praat_f0(x, fs_hz, *praat_range_hz)
    return TestSignal(x, fs_hz, tuple(out_notes), f0)


def sung_line(notes: Sequence[tuple[int, float]], program: int = VOICE_OOHS) -> TestSignal:
    """A legato sung vowel line with vibrato (mod wheel at 100 of 127)."""
    return soundfont(program, tuple(notes), legato=True, mod_wheel=100, praat_range_hz=(70.0, 2200.0))


def bass_line(notes: Sequence[tuple[int, float]], legato: bool = False) -> TestSignal:
    """A finger-bass line (plucked notes unless legato)."""
    return soundfont(FINGER_BASS, tuple(notes), legato=legato, velocity=110, praat_range_hz=(35.0, 400.0))
