"""The guide's five patches, rendered end to end and checked for what a player would hear."""

from __future__ import annotations

from pathlib import Path

import mido
import numpy as np
import pytest

from ms20.commands.render import TimedMessage, note_number, render_patch
from ms20.model.patch import load_patch

RATE = 48000
PATCHES = Path(__file__).resolve().parent.parent / "patches"


def play(name: str, notes: list[tuple[float, float, str]], seconds: float, line_in: np.ndarray | None = None,
         extra: list[TimedMessage] | None = None) -> np.ndarray:
    events = list(extra or [])
    for start, length, note in notes:
        n = note_number(note)
        events.append(TimedMessage(start, mido.Message("note_on", note=n, velocity=100)))
        events.append(TimedMessage(start + length, mido.Message("note_off", note=n)))
    return render_patch(load_patch(PATCHES / name), events, RATE, seconds=seconds, line_in=line_in)


def seg(y: np.ndarray, t0: float, t1: float) -> np.ndarray:
    return y[int(t0 * RATE):int(t1 * RATE)].astype(np.float64)


def spectrum(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    mag = np.abs(np.fft.rfft(x * np.hanning(len(x))))
    return np.fft.rfftfreq(len(x), 1 / RATE), mag


def centroid(x: np.ndarray) -> float:
    f, m = spectrum(x)
    return float(np.sum(f * m) / np.sum(m))


def dominant(x: np.ndarray, lo: float = 20.0) -> float:
    f, m = spectrum(x)
    m[f < lo] = 0
    k = int(np.argmax(m))
    # parabolic interpolation on the log magnitude for sub-bin accuracy
    a, b, c = np.log(m[k - 1:k + 2] + 1e-30)
    return float(f[k] + 0.5 * (a - c) / (a - 2 * b + c) * (f[1] - f[0]))


def pitch(x: np.ndarray, lo_hz: float = 60.0, hi_hz: float = 1200.0) -> float:
    """The pitch a listener hears: the shortest lag whose autocorrelation is near the best
    (so a loud second harmonic cannot pull it an octave up)."""
    x = x - x.mean()
    spec = np.fft.rfft(x, 2 * len(x))
    acf = np.fft.irfft(spec * np.conj(spec))[: len(x)]
    lags = np.arange(len(acf))
    valid = (lags >= RATE / hi_hz) & (lags <= RATE / lo_hz)
    best = acf[valid].max()
    k = int(np.flatnonzero(valid & (acf >= 0.9 * best))[0])
    while acf[k + 1] > acf[k]:
        k += 1
    a, b, c = acf[k - 1:k + 2]
    return RATE / (k + 0.5 * (a - c) / (a - 2 * b + c))


def band_db(x: np.ndarray, lo: float, hi: float) -> float:
    f, m = spectrum(x)
    return 10 * np.log10(np.sum(m[(f >= lo) & (f < hi)] ** 2) + 1e-30)


def cents(f: float, ref: float) -> float:
    return 1200 * np.log2(f / ref)


def tones(freqs: list[float], note_s: float, gap_s: float, level: float = 0.5) -> np.ndarray:
    """A melody of clean tones with short attacks and gaps, like a played instrument."""
    out = []
    for f in freqs:
        t = np.arange(int(note_s * RATE)) / RATE
        env = np.minimum(1, t / 0.005) * np.exp(-t / (note_s * 2))
        out += [level * env * np.sin(2 * np.pi * f * t), np.zeros(int(gap_s * RATE))]
    return np.concatenate(out).astype(np.float32)


def test_1_internal_voice_swells_open_with_eg1_on_the_filter() -> None:
    y = play("1-internal-voice.toml", [(0.0, 1.5, "A2")], 2.0)
    early, late = centroid(seg(y, 0.01, 0.06)), centroid(seg(y, 0.8, 1.3))
    assert late > 1.5 * early  # EG-1's attack opens the low-pass filter over the note
    assert cents(dominant(seg(y, 0.8, 1.3)), 55.0) == pytest.approx(0, abs=60)  # 16': A1


def test_2_external_integration_makes_the_vcos_follow_the_input_melody() -> None:
    melody = [220.0, 261.63, 329.63, 196.0]
    y = play("2-external-integration.toml", [], 4.0, line_in=tones(melody, 0.8, 0.2))
    for i, f in enumerate(melody):
        heard = pitch(seg(y, i * 1.0 + 0.25, i * 1.0 + 0.75))
        assert cents(heard, f) == pytest.approx(0, abs=30), f"note {i}: heard {heard:.1f} Hz for {f} Hz"


def test_2_external_integration_fires_the_envelopes_on_every_input_note() -> None:
    y = play("2-external-integration.toml", [], 4.0, line_in=tones([220.0] * 4, 0.5, 0.5))
    for i in range(4):
        during = np.sqrt(np.mean(seg(y, i + 0.1, i + 0.4) ** 2))
        after = np.sqrt(np.mean(seg(y, i + 0.85, i + 0.98) ** 2))
        assert during > 3 * after  # TRIG OUT -> TRIG IN gates each note; the gap falls quiet


def kick_loop(seconds: float, period: float = 0.5) -> np.ndarray:
    """A synthetic kick drum (pitch-dropping sine) every `period` seconds."""
    out = np.zeros(int(seconds * RATE))
    t = np.arange(int(0.25 * RATE)) / RATE
    phase = 2 * np.pi * (50 * t + (150 - 50) * 0.03 * (1 - np.exp(-t / 0.03)))
    kick = 0.9 * np.exp(-t / 0.08) * np.sin(phase)
    for start in np.arange(0, seconds, period):
        i = int(start * RATE)
        n = min(len(kick), len(out) - i)
        out[i:i + n] += kick[:n]
    return out.astype(np.float32)


def test_3_studio_template_drums_pump_the_filter_over_the_sequenced_voice() -> None:
    y = play("3-studio-template.toml", [(0.0, 3.9, "C2")], 4.0, line_in=kick_loop(4.0))
    # 2-5 kHz holds only the VCO's upper partials (the kick has none there): louder right
    # after each hit than just before the next one, because ENV F opens the cutoff.
    after = [band_db(seg(y, t + 0.03, t + 0.13), 2000, 5000) for t in (1.0, 1.5, 2.0, 2.5, 3.0)]
    before = [band_db(seg(y, t + 0.36, t + 0.46), 2000, 5000) for t in (1.0, 1.5, 2.0, 2.5, 3.0)]
    assert np.mean(after) > np.mean(before) + 6.0


def cc(t: float, control: int, value: int) -> TimedMessage:
    return TimedMessage(t, mido.Message("control_change", control=control, value=value))


def test_4_live_performance_mod_wheel_raises_resonance_and_pedal_sets_level() -> None:
    y = play("4-live-performance.toml", [(0.0, 3.9, "C2")], 4.0,
             extra=[cc(0.0, 1, 0), cc(0.0, 11, 127), cc(1.0, 1, 127), cc(2.0, 11, 64)])
    # resonance: the band around the cutoff (about 450 Hz) stands out once the wheel is up
    def peakiness(x: np.ndarray) -> float:
        return band_db(x, 350, 600) - band_db(x, 60, 8000)

    assert peakiness(seg(y, 1.5, 1.9)) > peakiness(seg(y, 0.5, 0.9)) + 4.0
    # expression pedal: CC 11 = 64 is VOLUME 5.04 on the square taper, 20*log10((5.04/10)^2) = -11.9 dB
    full, half = np.sqrt(np.mean(seg(y, 1.5, 1.9) ** 2)), np.sqrt(np.mean(seg(y, 2.5, 2.9) ** 2))
    assert 20 * np.log10(half / full) == pytest.approx(-11.9, abs=2.0)


def test_5a_esp_feedback_sustains_and_stays_bounded() -> None:
    y = play("5a-esp-feedback.toml", [(0.0, 3.0, "C3")], 3.5)
    held = seg(y, 1.0, 3.0)
    assert np.all(np.isfinite(y)) and np.max(np.abs(y)) <= 1.0
    assert np.sqrt(np.mean(held**2)) > 0.01          # the loop sings by itself
    assert abs(np.mean(held)) < 0.05                  # ... without running away into DC


def test_5a_esp_feedback_is_bounded_at_the_extremes() -> None:
    state_knobs = {"ESP SIGNAL LEVEL": 10.0, "LPF PEAK": 10.0, "HPF PEAK": 10.0, "VOLUME": 10.0}
    patch = load_patch(PATCHES / "5a-esp-feedback.toml")
    panel = patch.panel
    for k, v in state_knobs.items():
        panel = panel.with_knob(k, v)
    events = [TimedMessage(0.0, mido.Message("note_on", note=48, velocity=100))]
    y = render_patch(type(patch)(patch.name, panel), events, RATE, seconds=2.0)
    assert np.all(np.isfinite(y)) and np.max(np.abs(y)) <= 1.0


def test_5b_filter_oscillator_is_a_pitched_tone_that_follows_the_cutoff_knob() -> None:
    patch = load_patch(PATCHES / "5b-filter-oscillator.toml")
    pitches = []
    for position in (5.0, 6.0):
        p = type(patch)(patch.name, patch.panel.with_knob("LPF CUTOFF", position))
        y = render_patch(p, [TimedMessage(0.0, mido.Message("note_on", note=60, velocity=100))], RATE, seconds=1.5)
        tone = seg(y, 0.5, 1.5)
        f, m = spectrum(tone)
        assert m.max() > 30 * np.median(m)  # a pitched tone, not noise
        pitches.append(dominant(tone))
    # one knob unit is a factor 1000**0.1 on the exponential cutoff taper
    assert cents(pitches[1] / pitches[0], 1000**0.1) == pytest.approx(0, abs=50)


def test_5c_audio_rate_fm_makes_sidebands_at_the_modulator_spacing() -> None:
    t = np.arange(3 * RATE) / RATE
    sine = (0.5 * np.sin(2 * np.pi * 300.0 * t)).astype(np.float32)
    y = play("5c-audio-rate-fm.toml", [(0.0, 2.9, "A3")], 3.0, line_in=sine)
    f, m = spectrum(seg(y, 0.5, 2.5))

    def level(hz: float) -> float:
        return 20 * np.log10(m[np.argmin(np.abs(f - hz))] + 1e-30)

    carrier = level(220.0)
    for sideband in (520.0, 80.0):  # 220 +- 300 Hz
        assert level(sideband) > carrier - 30.0
    dry = play("5c-audio-rate-fm.toml", [(0.0, 2.9, "A3")], 3.0, line_in=np.zeros_like(sine))
    fd, md = spectrum(seg(dry, 0.5, 2.5))
    assert 20 * np.log10(md[np.argmin(np.abs(fd - 520.0))] + 1e-30) < level(520.0) - 20.0


def test_5d_cross_modulation_steps_the_pitch_and_stays_bounded() -> None:
    y = play("5d-cross-modulation.toml", [(0.0, 4.0, "C3")], 4.5)
    assert np.all(np.isfinite(y)) and np.max(np.abs(y)) <= 1.0
    frames = [dominant(seg(y, t, t + 0.1), lo=60) for t in np.arange(0.2, 3.8, 0.1)]
    distinct = len({round(12 * np.log2(f / 100.0)) for f in frames})
    assert distinct >= 4  # the S/H's random steps move the pitch around
