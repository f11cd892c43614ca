"""Small, deterministic, real-world-like test signals for the ESP and anything else that
listens to LINE IN.

Every generator takes a sample rate and a seed, returns a `TestSignal` (float32 samples at
LINE IN scale, peak about `level`, plus the ground truth: note onsets, nominal pitches
and a per-sample fundamental), and costs milliseconds to a few tens of milliseconds:

- `tones`: clean sine/saw/square tones, one after another (band-limited).
- `plucked`: a Karplus-Strong plucked string playing a sequence, damped or legato.
- `voice`: a sung vowel line: glottal pulses through formant resonators, with legato
  glides, delayed vibrato, a little jitter and breath.
- `drums`: a synthetic kick/snare/hat loop from a 16-step pattern.

Typical use::

    from signals import plucked, midi_to_hz
    sig = plucked([40, 45, 52, 57], fs_hz=48000, seed=1)
    engine.render(len(sig.samples), line_in=sig.samples)
    for note in sig.notes: ...        # note.start_s, note.end_s, note.f0_hz
    sig.f0_hz                         # instantaneous fundamental per sample (0 = none)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.signal import lfilter

C4_HZ = 261.6255653


def midi_to_hz(note: float) -> float:
    """Equal-tempered frequency of MIDI note `note` (69 = A4 = 440 Hz, 60 = C4)."""
    return 440.0 * 2.0 ** ((note - 69.0) / 12.0)


def cents(f_hz: np.ndarray | float, ref_hz: np.ndarray | float) -> np.ndarray:
    """Pitch difference f/ref in cents (nan where either is not positive)."""
    f = np.asarray(f_hz, dtype=np.float64)
    r = np.asarray(ref_hz, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where((f > 0) & (r > 0), 1200.0 * np.log2(f / r), np.nan)


@dataclass(frozen=True)
class Note:
    """One event of a test signal. `f0_hz` is 0 for unpitched hits; `label` names them."""

    start_s: float
    end_s: float
    f0_hz: float
    label: str = ""


@dataclass(frozen=True)
class TestSignal:
    """Samples at LINE IN scale (float32, nominal +-1) and what is known about them."""

    __test__ = False  # a data class, not a pytest test case

    samples: np.ndarray
    fs_hz: float
    notes: tuple[Note, ...]
    f0_hz: np.ndarray  # per-sample instantaneous fundamental, 0 where there is none

    @property
    def duration_s(self) -> float:
        return len(self.samples) / self.fs_hz

    def index(self, t_s: float) -> int:
        """Sample index of time `t_s`, clipped to the signal."""
        return int(np.clip(round(t_s * self.fs_hz), 0, len(self.samples)))

    def onsets_s(self) -> list[float]:
        """Start times of the notes (or hits), in seconds."""
        return [n.start_s for n in self.notes]


def _finish(x: np.ndarray, level: float) -> np.ndarray:
    peak = float(np.max(np.abs(x))) if len(x) else 0.0
    y = x * (level / peak) if peak > 0 else x
    return y.astype(np.float32)


# -- clean tones -----------------------------------------------------------------------


def tones(freqs_hz: Sequence[float], fs_hz: float, note_s: float = 0.25, wave: str = "sine",
          level: float = 0.5, gap_s: float = 0.0, fade_ms: float = 3.0) -> TestSignal:
    """Clean tones one after another, each `note_s` long (then `gap_s` of silence).

    `wave` is "sine", "saw" or "square" (additive, band-limited below fs/2, harmonics
    falling as 1/k). Phase restarts at 0 for every tone; `fade_ms` raised-cosine edges.
    """
    if wave not in ("sine", "saw", "square"):
        raise ValueError(f"unknown wave {wave!r}: sine, saw or square")
    n_note, n_gap = int(round(note_s * fs_hz)), int(round(gap_s * fs_hz))
    fade = max(1, int(round(fade_ms * 1e-3 * fs_hz)))
    ramp = 0.5 - 0.5 * np.cos(np.pi * np.arange(fade) / fade)
    t = np.arange(n_note) / fs_hz
    parts, f0, notes = [], [], []
    for i, f in enumerate(freqs_hz):
        x = np.zeros(n_note)
        kmax = int(0.45 * fs_hz / f)
        ks = [1] if wave == "sine" else range(1, kmax + 1, 2 if wave == "square" else 1)
        for k in ks:
            x += np.sin(2 * np.pi * k * f * t) / k
        x /= np.max(np.abs(x))
        x[:fade] *= ramp
        x[-fade:] *= ramp[::-1]
        parts += [x, np.zeros(n_gap)]
        f0 += [np.full(n_note, f), np.zeros(n_gap)]
        start = i * (n_note + n_gap) / fs_hz
        notes.append(Note(start, start + note_s, float(f)))
    x = np.concatenate(parts) * level
    return TestSignal(x.astype(np.float32), fs_hz, tuple(notes), np.concatenate(f0))


# -- plucked string --------------------------------------------------------------------


def _allpass_coef(delay: float, w: float) -> float:
    """First-order allpass coefficient with exact phase delay `delay` samples at w rad/sample."""
    return float(np.sin(w * (1 - delay) / 2) / np.sin(w * (1 + delay) / 2))


def _string(f0: float, fs: float, n: int, t60_s: float, brightness: float, pick: float,
            rng: np.random.Generator) -> np.ndarray:
    """Karplus-Strong: a noise burst circulating through delay, two-point average and a
    tuning allpass, as one IIR filter. The loop's phase delay at f0 is exactly fs/f0."""
    period = fs / f0
    w = 2 * np.pi * f0 / fs
    n_int = int(np.floor(period - 1.1))  # leaves 0.6..1.6 samples for the allpass
    a = _allpass_coef(period - n_int - 0.5, w)
    g = min(0.99999, 10 ** (-3 * period / (fs * t60_s)) / np.cos(w / 2))
    # H = 1 / (1 - g * (1 + z^-1)/2 * (a + z^-1)/(1 + a z^-1) * z^-n)
    den = np.zeros(n_int + 3)
    den[0], den[1] = 1.0, a
    den[n_int:n_int + 3] -= 0.5 * g * np.array([a, 1 + a, 1.0])
    num = np.array([1.0, a])
    burst = rng.uniform(-1, 1, int(np.ceil(period)))
    burst = lfilter([brightness], [1, brightness - 1], burst)  # one-pole: darker plucks
    shift = max(1, int(pick * period))
    burst = burst - np.concatenate([np.zeros(shift), burst[:-shift]])  # pick position comb
    exc = np.zeros(n)
    exc[:len(burst)] = burst[:n]
    return lfilter(num, den, exc)


def plucked(notes: Sequence[float], fs_hz: float, seed: int = 0, note_s: float | Sequence[float] = 0.35,
            gap_s: float = 0.08, t60_s: float = 1.5, brightness: float = 0.5, level: float = 0.7,
            damp_ms: float = 15.0) -> TestSignal:
    """A plucked string playing MIDI `notes` in sequence.

    Each note rings for `note_s` (a number or one per note), then the player damps it
    over `damp_ms` and `gap_s` of silence follows. With `gap_s=0` the notes are legato:
    each new pluck damps the previous one as it starts, as on one real string.
    `t60_s` is the ring time of the fundamental, `brightness` (0..1] the excitation's
    one-pole low-pass, velocities vary by +-2 dB from the seed.
    """
    rng = np.random.default_rng(seed)
    durs = [float(note_s)] * len(notes) if isinstance(note_s, int | float) else [float(d) for d in note_s]
    damp = max(1, int(round(damp_ms * 1e-3 * fs_hz)))
    starts = np.cumsum([0.0] + [d + gap_s for d in durs[:-1]])
    total = int(round((starts[-1] + durs[-1] + gap_s) * fs_hz)) + damp
    x = np.zeros(total)
    f0 = np.zeros(total)
    out_notes = []
    fade = 0.5 + 0.5 * np.cos(np.pi * np.arange(damp) / damp)
    for start, dur, note in zip(starts, durs, notes, strict=True):
        f = midi_to_hz(note)
        i0, n_ring = int(round(start * fs_hz)), int(round(dur * fs_hz))
        s = _string(f, fs_hz, n_ring + damp, t60_s, brightness, rng.uniform(0.1, 0.3), rng)
        s *= 10 ** (rng.uniform(-2, 2) / 20) / max(1e-9, float(np.max(np.abs(s))))
        s[n_ring:] *= fade
        end = min(total, i0 + len(s))
        x[i0:end] += s[:end - i0]
        f0[i0:i0 + n_ring] = f
        out_notes.append(Note(float(start), float(start + dur), f))
    return TestSignal(_finish(x, level), fs_hz, tuple(out_notes), f0)


# -- sung voice ------------------------------------------------------------------------

VOWELS: dict[str, tuple[tuple[float, float], ...]] = {
    # (formant Hz, bandwidth Hz) x 4, an adult voice (Peterson & Barney-like averages)
    "a": ((730, 90), (1090, 110), (2440, 160), (3400, 250)),
    "e": ((530, 70), (1840, 100), (2480, 160), (3400, 250)),
    "i": ((300, 60), (2300, 100), (3000, 160), (3700, 250)),
    "o": ((570, 80), (840, 100), (2410, 160), (3400, 250)),
    "u": ((320, 60), (870, 90), (2250, 160), (3400, 250)),
}


def _resonator(fc: float, bw: float, fs: float) -> tuple[np.ndarray, np.ndarray]:
    r = np.exp(-np.pi * bw / fs)
    a = np.array([1.0, -2 * r * np.cos(2 * np.pi * fc / fs), r * r])
    return np.array([a.sum()]), a  # unity gain at DC


def voice(melody: Sequence[tuple[float | None, float]], fs_hz: float, seed: int = 0,
          vowels: str = "aeiou", vibrato_cents: float = 20.0, vibrato_hz: float = 5.5,
          vibrato_delay_s: float = 0.15, glide_ms: float = 40.0, jitter_cents: float = 3.0,
          breath: float = 0.1, level: float = 0.7) -> TestSignal:
    """A sung line: `melody` is (MIDI note or None for a rest, seconds) pairs.

    Notes are legato within a phrase (pitch glides over `glide_ms` in log frequency);
    vibrato fades in `vibrato_delay_s` after each note starts; `jitter_cents` of slow
    random drift; the vowel cycles through `vowels`, one per note, its first formant raised
    above f0 on high notes as singers do. The glottal source is
    a Rosenberg pulse train (then the lips' first difference) plus breath noise during the
    open phase, `breath` times the pulses' RMS (0.1: 20 dB below). The
    returned f0 is the exact instantaneous fundamental of the pulse train.
    """
    rng = np.random.default_rng(seed)
    durs = np.array([d for _, d in melody])
    starts = np.concatenate([[0.0], np.cumsum(durs)[:-1]])
    n = int(round(durs.sum() * fs_hz))
    t = np.arange(n) / fs_hz
    note_idx = np.minimum(np.searchsorted(starts, t, side="right") - 1, len(melody) - 1)
    pitches = np.array([np.nan if m is None else float(m) for m, _ in melody])
    sounding = ~np.isnan(pitches[note_idx])

    # pitch in semitones: each note's value, held through rests, glides smoothed
    held = pitches.copy()
    for i in range(len(held)):
        if np.isnan(held[i]):
            held[i] = held[i - 1] if i > 0 and not np.isnan(held[i - 1]) else np.nanmax(pitches)
    semis = held[note_idx]
    g = max(1, int(glide_ms * 1e-3 * fs_hz))
    c = np.exp(-1.0 / (g / 3.0))
    semis = lfilter([1 - c], [1, -c], semis - semis[0]) + semis[0]  # exponential glide
    since = t - starts[note_idx]
    vib_amp = np.clip((since - vibrato_delay_s) / 0.2, 0, 1) * vibrato_cents / 100.0
    semis = semis + vib_amp * np.sin(2 * np.pi * vibrato_hz * t + rng.uniform(0, 2 * np.pi))
    drift = lfilter([0.001], [1, -0.999], rng.standard_normal(n))
    semis = semis + jitter_cents / 100.0 * drift / max(1e-9, float(np.std(drift)))
    f0 = 440.0 * 2.0 ** ((semis - 69.0) / 12.0)

    phase = np.cumsum(f0 / fs_hz) % 1.0
    open_, close = 0.45, 0.15  # Rosenberg pulse: opening and closing fractions
    flow = np.where(phase < open_, 0.5 - 0.5 * np.cos(np.pi * phase / open_),
                    np.where(phase < open_ + close, np.cos(0.5 * np.pi * (phase - open_) / close), 0.0))
    pulses = np.diff(flow, prepend=0.0)
    src = pulses + breath * float(np.std(pulses)) * rng.standard_normal(n) * flow

    # amplitude: the phrase gate through a 15 ms one-pole (soft onsets and releases)
    k = np.exp(-1.0 / (0.015 * fs_hz))
    env = lfilter([1 - k], [1, -k], sounding.astype(float))
    src = src * env

    y = np.zeros(n)
    order = [ch for ch in vowels if ch in VOWELS] or ["a"]
    zis: list[np.ndarray] = [np.zeros(2) for _ in range(4)]
    for i, s0 in enumerate(starts):
        i0, i1 = int(round(s0 * fs_hz)), int(round((s0 + durs[i]) * fs_hz))
        seg = src[i0:i1]
        formants = VOWELS[order[i % len(order)]]
        if not np.isnan(pitches[i]):  # a singer tunes F1 above a high note's f0
            f1 = max(formants[0][0], 1.15 * midi_to_hz(pitches[i]))
            formants = ((f1, formants[0][1]), (max(formants[1][0], f1 + 300.0), formants[1][1]), *formants[2:])
        for k, (fc, bw) in enumerate(formants):
            if fc < 0.45 * fs_hz:
                b, a = _resonator(fc, bw, fs_hz)
                seg, zis[k] = lfilter(b, a, seg, zi=zis[k])
        y[i0:i1] = seg
    f0_out = np.where(sounding & (env > 0.5), f0, 0.0)
    notes = tuple(Note(float(s0), float(s0 + d), midi_to_hz(m)) for (m, d), s0 in zip(melody, starts, strict=True)
                  if m is not None)
    return TestSignal(_finish(y, level), fs_hz, notes, f0_out)


# -- drum loop -------------------------------------------------------------------------

DEFAULT_PATTERN: dict[str, str] = {
    "kick": "x.......x.x.....",
    "snare": "....x.......x...",
    "hat": "x.x.x.x.x.x.x.xo",  # o: open hat
}


def _decay(n: int, tau_s: float, fs: float) -> np.ndarray:
    return np.exp(-np.arange(n) / (tau_s * fs))


def drums(fs_hz: float, seed: int = 0, bpm: float = 110.0, bars: int = 2,
          pattern: dict[str, str] | None = None, level: float = 0.8) -> TestSignal:
    """A drum loop: 16 steps per bar of `pattern` (instrument -> "x" hit, "o" open or
    accented, "." rest). Kick: a sine falling 160 -> 50 Hz with a click; snare: two
    tones and band-passed noise; hat: high-passed noise. Velocities vary with the seed.
    Notes carry the label of each hit and f0 0 (unpitched).
    """
    rng = np.random.default_rng(seed)
    pat = pattern or DEFAULT_PATTERN
    step_s = 60.0 / bpm / 4
    n = int(round(16 * bars * step_s * fs_hz))
    x = np.zeros(n)
    hits = []
    hp_b, hp_a = [0.5, -0.5], [1.0, 0.0]  # a first difference: crude but cheap high-pass
    for name, steps in pat.items():
        for k in range(16 * bars):
            ch = steps[k % len(steps)]
            if ch == ".":
                continue
            t0 = k * step_s
            i0 = int(round(t0 * fs_hz))
            vel = 10 ** (rng.uniform(-1.5, 1.5) / 20)
            if name == "kick":
                m = int(0.35 * fs_hz)
                tt = np.arange(m) / fs_hz
                f = 50 + 110 * np.exp(-tt / 0.03)
                s = np.sin(2 * np.pi * np.cumsum(f) / fs_hz) * _decay(m, 0.12, fs_hz)
                s[:int(0.002 * fs_hz)] += rng.uniform(-0.5, 0.5, int(0.002 * fs_hz))
                dur, gain = 0.35, 1.0
            elif name == "snare":
                m = int(0.25 * fs_hz)
                tt = np.arange(m) / fs_hz
                tone = (np.sin(2 * np.pi * 185 * tt) + 0.5 * np.sin(2 * np.pi * 330 * tt)) * _decay(m, 0.05, fs_hz)
                b, a = _resonator(min(3000.0, 0.3 * fs_hz), 2500.0, fs_hz)
                noise = lfilter(b, a, rng.standard_normal(m)) * _decay(m, 0.07, fs_hz)
                s = 0.5 * tone + noise / max(1e-9, float(np.max(np.abs(noise))))
                dur, gain = 0.25, 0.8
            else:
                tau = 0.15 if ch == "o" else 0.025
                m = int(4 * tau * fs_hz)
                s = lfilter(hp_b, hp_a, lfilter(hp_b, hp_a, rng.standard_normal(m))) * _decay(m, tau, fs_hz)
                dur, gain = 4 * tau, 0.25
            s = s * gain * vel / max(1e-9, float(np.max(np.abs(s))))
            end = min(n, i0 + len(s))
            x[i0:end] += s[:end - i0]
            hits.append(Note(t0, t0 + dur, 0.0, name))
    hits.sort(key=lambda h: (h.start_s, h.label))
    return TestSignal(_finish(x, level), fs_hz, tuple(hits), np.zeros(n))


def white_noise(duration_s: float, fs_hz: float, seed: int = 0, level: float = 0.3) -> TestSignal:
    """Gaussian white noise with RMS `level / 3` (peaks near `level`)."""
    rng = np.random.default_rng(seed)
    n = int(round(duration_s * fs_hz))
    x = rng.standard_normal(n) * level / 3
    return TestSignal(x.astype(np.float32), fs_hz, (), np.zeros(n))


def concat(*parts: TestSignal) -> TestSignal:
    """Join signals of the same rate end to end, shifting their notes."""
    fs = parts[0].fs_hz
    if any(p.fs_hz != fs for p in parts):
        raise ValueError("all parts must share one sample rate")
    notes: list[Note] = []
    t = 0.0
    for p in parts:
        notes += [Note(n.start_s + t, n.end_s + t, n.f0_hz, n.label) for n in p.notes]
        t += p.duration_s
    return TestSignal(np.concatenate([p.samples for p in parts]).astype(np.float32), fs, tuple(notes),
                      np.concatenate([p.f0_hz for p in parts]))


def silence(duration_s: float, fs_hz: float) -> TestSignal:
    n = int(round(duration_s * fs_hz))
    return TestSignal(np.zeros(n, np.float32), fs_hz, (), np.zeros(n))
